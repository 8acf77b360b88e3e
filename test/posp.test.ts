// Proof of Sampling against a dishonest node, one test per attack of issue 13, each in the real
// program (LiteSVM): a lazy validator copying the asserter (1), a validator framing an honest asserter
// and an asserter lying (2), a late settle choosing its outcome (4), concurrent tasks beyond the stake
// (5), a sampled task no validator takes (6), lapses and the exclusion list (7). Attack 3 (predictable
// block hashes of the local validator) is fixed in the validator, not here.
import t, { type Test } from 'tap';
import { Keypair } from '@solana/web3.js';
import { createHash } from 'node:crypto';
import { TASKS, withRequester } from './helpers/chain.js';
import { DEFAULT_PARAMS, USDC, type CommitteeParams } from '../src/chain/program.js';
import { ARB_ATTEMPT, ExecStatus, NodeStatus, Phase, Sampled, VERIFY_ATTEMPT, VerifyResult } from '../src/chain/layout.js';

const out = (s: string) => createHash('sha256').update(s).digest();
const ALWAYS_SAMPLE = { ...DEFAULT_PARAMS, pPpm: 1_000_000 };
const C = TASKS.embed.cu * DEFAULT_PARAMS.pricePerKcu / 1000n; // task 0's fee: 1 USDC
const R = C * 12n / 10n, S = 10n * C;
/** timeouts of 1, 2, 4, ... slots, for tests that let selections expire */
const FAST = { slotsPerKcu: 0, minTimeoutSlots: 1n };

function setup(params: CommitteeParams = ALWAYS_SAMPLE) {
  const { c, requester, request } = withRequester(params);
  /** asserter computes task 0 and commits; the next block samples it (p = 1) */
  const sampled = (id: bigint, asserter: Keypair, output: Uint8Array) => {
    c.assign(id, 0, asserter.publicKey);
    const a = c.commitResult(asserter, id, 0, output);
    c.svm.advanceSlots(2);
    c.settleTask(id, 0);
    return a;
  };
  /** three arbiters are selected one after the other, each commits; then each reveals its output */
  const arbitrate = (t: Test, id: bigint, arbiters: Array<[Keypair, Uint8Array]>) => {
    const commits = arbiters.map(([k, o]) => { c.assign(id, 0, k.publicKey); return c.commitResult(k, id, 0, o); });
    t.equal(c.execution(id).tasks[0]!.phase, Phase.ArbReveal, 'every arbiter committed before any arbiter output is public');
    arbiters.forEach(([k], i) => c.revealResult(k, id, 0, commits[i]!));
  };
  return { c, request, sampled, arbitrate, requester };
}

t.test('attack 1: a lazy validator cannot copy the asserter: nothing to copy is on chain, and a guess loses', async (t) => {
  const { c, request, sampled, arbitrate } = setup();
  const asserter = c.node(), lazy = c.node(), x1 = c.node(), x2 = c.node(), x3 = c.node();
  const id = request();
  const a = sampled(id, asserter, out('right'));
  c.assign(id, 0, lazy.publicKey);
  let ts = c.execution(id).tasks[0]!;
  t.equal(ts.phase, Phase.Verifying);
  t.same(Buffer.from(ts.output), Buffer.alloc(32), 'the asserter\'s output is not on chain while the validator works');
  t.same(Buffer.from(ts.fpA), Buffer.alloc(32), 'nor its fingerprint');
  t.notSame(Buffer.from(ts.commitA), Buffer.alloc(32), 'only its commitment, bound to its key and a secret salt');

  // copying the commitment itself: it cannot be opened under the validator's key
  c.ok([lazy], c.program.commit(lazy.publicKey, id, 0, VERIFY_ATTEMPT, ts.commitA));
  t.equal(c.err([lazy], c.program.reveal(lazy.publicKey, id, 0, 'fingerprint', new Uint8Array(32), a.fp, c.taskCtx(id, 0))).errorName, 'BadReveal',
    'even the right fingerprint does not open a copied commitment');
  c.svm.advanceSlots(c.execution(id).tasks[0]!.timeoutSlots + 1);
  c.timeoutTask(id, 0);
  let lz = c.nodeAccount(lazy.publicKey);
  t.equal(lz.earned, 0n, 'the copier is not paid R');
  t.equal(lz.penalized, C, 'and its lapse costs C');
  ts = c.execution(id).tasks[0]!;
  t.equal(ts.phase, Phase.VerifyReady, 'another validator is selected');
  t.ok(ts.excluded.some((k) => k.equals(lazy.publicKey)), 'without the copier');

  // guessing instead: a mismatch, decided by arbiters for the asserter; the guesser is slashed
  const id2 = request();
  const a2 = sampled(id2, asserter, out('right2'));
  c.assign(id2, 0, x1.publicKey); // an honest validator for the first execution is not needed here
  const guess = c.commitResult(x1, id2, 0, out('a guess'));
  c.revealResult(x1, id2, 0, guess, 'fingerprint');
  c.revealResult(asserter, id2, 0, a2, 'fingerprint');
  t.equal(c.execution(id2).tasks[0]!.phase, Phase.ArbReady, 'a dispute, not a slash');
  arbitrate(t, id2, [[lazy, out('right2')], [x2, out('right2')], [x3, out('right2')]]);
  ts = c.execution(id2).tasks[0]!;
  t.equal(ts.result, VerifyResult.Framed, 'the validator\'s result is outvoted');
  const g = c.nodeAccount(x1.publicKey);
  t.equal(g.slashed, R + S, 'the guessing validator loses R + S');
  t.equal(g.earned, 0n);
  lz = c.nodeAccount(lazy.publicKey);
  t.equal(lz.earned, R, 'an arbiter that computed is paid R');
});

t.test('attack 2: a framing validator is outvoted by arbiters and slashed; the honest asserter is paid in full', async (t) => {
  const { c, request, sampled, arbitrate } = setup();
  const honest = c.node(), framer = c.node(), x1 = c.node(), x2 = c.node(), x3 = c.node();
  const id = request();
  const good = out('good');
  const a = sampled(id, honest, good);
  c.assign(id, 0, framer.publicKey);
  const f = c.commitResult(framer, id, 0, out('framed'));
  c.revealResult(framer, id, 0, f, 'fingerprint');
  const stake = c.nodeAccount(honest.publicKey).stake;
  c.svm.advanceSlots(1);
  t.equal(c.err([honest], c.program.reveal(honest.publicKey, id, 0, 'output', a.salt, a.output, c.taskCtx(id, 0))).errorName, 'InvalidInstruction',
    'on a mismatch the asserter\'s output stays off chain (only its fingerprint), so arbiters cannot copy it');
  c.revealResult(honest, id, 0, a, 'fingerprint');
  let ts = c.execution(id).tasks[0]!;
  t.equal(ts.phase, Phase.ArbReady, 'the mismatch opens a dispute');
  t.equal(ts.attempt, ARB_ATTEMPT, 'arbiter selections carry their own attempt bits');
  t.equal(c.nodeAccount(honest.publicKey).stake, stake, 'nobody is slashed on one validator\'s word');
  t.equal(c.nodeAccount(honest.publicKey).slashes, 0);
  t.same(ts.excluded.map((k) => k.toBase58()).sort(), [honest.publicKey.toBase58(), framer.publicKey.toBase58()].sort(), 'the parties are excluded from arbitration');
  const o = c.oracles[0]!;
  t.equal(c.err([o], c.program.assignTask(o.publicKey, id, 0, ARB_ATTEMPT, framer.publicKey)).errorName, 'NodeExcluded');
  const treasury = c.committee().treasury;
  arbitrate(t, id, [[x1, good], [x2, good], [x3, good]]);
  ts = c.execution(id).tasks[0]!;
  t.equal(ts.result, VerifyResult.Framed);
  t.equal(ts.phase, Phase.Done);
  t.same(Buffer.from(ts.output), good, 'the upheld output is the task\'s');
  t.ok(ts.assigned?.equals(x3.publicKey), 'the last selection\'s node stays recorded for audits');
  const h = c.nodeAccount(honest.publicKey);
  t.equal(h.earned, C, 'the honest asserter is paid C in full');
  t.equal(h.stake, stake, 'and keeps its stake');
  t.equal(h.locked, 0n);
  const fr = c.nodeAccount(framer.publicKey);
  t.equal(fr.slashed, R + S, 'the framer loses R + S');
  t.equal(fr.earned, 0n, 'and is paid nothing');
  t.equal(fr.status, NodeStatus.Slashed);
  for (const x of [x1, x2, x3]) t.equal(c.nodeAccount(x.publicKey).earned, R, 'each agreeing arbiter is paid R from the slash');
  t.equal(c.committee().treasury, treasury + R + S - 3n * R, 'the rest of the slash goes to the treasury');
  t.same(c.execution(id).tasks.map((s) => s.phase), [Phase.Done, Phase.Ready, Phase.Ready, Phase.Pending], 'successors run on the upheld output');
});

t.test('attack 2: a lying asserter is slashed by the arbiters\' majority; the honest validator is paid R', async (t) => {
  const { c, request, sampled, arbitrate } = setup();
  const liar = c.node(), validator = c.node(), x1 = c.node(), x2 = c.node(), x3 = c.node();
  const id = request();
  const good = out('good');
  const a = sampled(id, liar, out('lie'));
  c.assign(id, 0, validator.publicKey);
  const v = c.commitResult(validator, id, 0, good);
  c.revealResult(validator, id, 0, v, 'fingerprint');
  c.revealResult(liar, id, 0, a, 'fingerprint');
  const escrow = c.execution(id).escrow;
  arbitrate(t, id, [[x1, good], [x2, good], [x3, out('lazy copy of nothing')]]);
  const ts = c.execution(id).tasks[0]!;
  t.equal(ts.result, VerifyResult.Mismatch, '2 of 3 arbiters back the validator');
  t.same(Buffer.from(ts.output), good, 'the task output is the majority\'s, revealed by the arbiters');
  const l = c.nodeAccount(liar.publicKey);
  t.equal(l.slashed, R + S);
  t.equal(l.earned, 0n, 'the liar is not paid C');
  t.equal(c.nodeAccount(validator.publicKey).earned, R, 'the validator is paid R');
  t.equal(c.nodeAccount(x1.publicKey).earned, R);
  t.equal(c.nodeAccount(x2.publicKey).earned, R);
  t.equal(c.nodeAccount(x3.publicKey).earned, 0n, 'an arbiter outside the majority is not paid');
  t.equal(c.nodeAccount(x3.publicKey).slashes, 0, 'nor slashed (it backed neither party)');
  t.equal(c.execution(id).escrow, escrow, 'the requester pays nothing for the dispute');
});

t.test('attack 2: arbiters not found or split: nobody is slashed, the execution fails and every lock and the escrow are released', async (t) => {
  const { c, request, sampled, requester } = setup({ ...ALWAYS_SAMPLE, ...FAST });
  const a = c.node([1]), v = c.node([1]), x1 = c.node([1]), x2 = c.node([1]);
  // split: two arbiters, two answers — no side has 2 of 3
  const id = request();
  const ac = sampled(id, a, out('A'));
  c.assign(id, 0, v.publicKey);
  const vc = c.commitResult(v, id, 0, out('V'));
  c.revealResult(v, id, 0, vc, 'fingerprint');
  c.revealResult(a, id, 0, ac, 'fingerprint');
  const x1c = (c.assign(id, 0, x1.publicKey), c.commitResult(x1, id, 0, out('A')));
  const x2c = (c.assign(id, 0, x2.publicKey), c.commitResult(x2, id, 0, out('V')));
  // no third eligible arbiter: the selections expire until the tries run out
  let expiries = 0;
  while (c.execution(id).tasks[0]!.phase === Phase.ArbReady && expiries < 10) {
    const ts = c.execution(id).tasks[0]!;
    c.svm.advanceSlots(Number(ts.readySlot + BigInt(ts.timeoutSlots) - c.svm.slot()) + 1);
    c.timeoutTask(id, 0);
    expiries++;
  }
  t.equal(c.execution(id).tasks[0]!.phase, Phase.ArbReveal, `after ${expiries} expired arbiter selections the dispute goes on with the two found`);
  c.revealResult(x1, id, 0, x1c);
  const wallet = c.usdc(requester.publicKey);
  c.revealResult(x2, id, 0, x2c);
  const e = c.execution(id);
  t.equal(e.tasks[0]!.result, VerifyResult.Undecided);
  t.equal(e.failed, true, 'the execution fails');
  t.equal(e.status, ExecStatus.Done, 'and ends: tasks that never started are skipped');
  t.ok(e.escrow > 900_000_000n, 'the unspent escrow waits for the requester');
  c.ok([requester], c.program.closeExecution(requester.publicKey, id));
  t.equal(c.usdc(requester.publicKey) - wallet, e.escrow, 'and is refunded when it closes the execution');
  t.equal(c.vault(), c.books(), 'vault = the books');
  for (const k of [a, v, x1, x2]) {
    const n = c.nodeAccount(k.publicKey);
    t.equal(n.slashes, 0, 'nobody slashed');
    t.equal(n.locked, 0n, 'no stake left locked');
    t.equal(n.activeJobs, 0);
  }
  t.equal(c.nodeAccount(a.publicKey).earned, 0n, 'nobody paid for an undecided task');
});

t.test('attack 2: a sampled asserter that does not reveal after the validator is treated as caught and the task recomputed', async (t) => {
  const { c, request, sampled } = setup();
  const a = c.node([1]), v = c.node([1]), other = c.node([1]);
  const id = request();
  sampled(id, a, out('A'));
  c.assign(id, 0, v.publicKey);
  const vc = c.commitResult(v, id, 0, out('V'));
  c.revealResult(v, id, 0, vc, 'fingerprint');
  c.svm.advanceSlots(c.execution(id).tasks[0]!.timeoutSlots + 1);
  c.timeoutTask(id, 0);
  const ts = c.execution(id).tasks[0]!;
  t.equal(ts.result, VerifyResult.Unrevealed);
  t.equal(ts.phase, Phase.Ready, 'recomputed');
  t.equal(ts.attempt, 1, 'as the next compute attempt');
  t.ok(ts.excluded.some((k) => k.equals(a.publicKey)), 'without the asserter');
  t.equal(c.nodeAccount(a.publicKey).slashed, R + S);
  t.equal(c.nodeAccount(v.publicKey).earned, R, 'the validator is paid R');
  c.assign(id, 0, other.publicKey);
  t.equal(c.execution(id).tasks[0]!.phase, Phase.Assigned);
  // sampled again: the new verification's attempt names compute attempt 1, so no selection request repeats
  c.commitResult(other, id, 0, out('V'));
  c.svm.advanceSlots(2);
  c.settleTask(id, 0);
  t.equal(c.execution(id).tasks[0]!.attempt, (VERIFY_ATTEMPT | (1 << 16)) >>> 0, 'verification attempt of compute attempt 1');
});

t.test('attack 4: a settle after the sampling window counts as sampled, whenever it is sent', async (t) => {
  const { c, request } = setup(DEFAULT_PARAMS); // p = 0.10
  const late = 6;
  const ids = Array.from({ length: late }, (_, k) => {
    const n = c.node([1]);
    const id = request();
    c.assign(id, 0, n.publicKey);
    c.commitResult(n, id, 0, out(`x${k}`));
    return id;
  });
  c.svm.advanceSlots(514); // the block after the commitments has left SlotHashes (512 entries)
  let sampled = 0;
  for (const id of ids) {
    const r = c.settleTask(id, 0);
    t.ok(r.logs.some((l) => l.includes('after the sampling window')), 'the program names the late settle');
    if (c.execution(id).tasks[0]!.sampled === Sampled.Yes) sampled++;
    c.svm.advanceSlots(1); // each settle in its own block: a caller trying its luck slot by slot
  }
  t.equal(sampled, late, `all ${late} late settles sampled (at p = 0.10 by chance: 1e-6)`);
});

t.test('attack 5: each assignment locks R + S of stake, so every caught lie is paid in full', async (t) => {
  const small = { ...ALWAYS_SAMPLE, stakeBase: 20n * USDC, stakePerGb: 0n }; // 20 USDC covers one task's R + S = 11.2 USDC
  const { c, request, arbitrate } = setup(small);
  const cheat = c.node([1], 1), v = c.node([1]), x1 = c.node([1]), x2 = c.node([1]), x3 = c.node([1]);
  const id1 = request(), id2 = request();
  c.assign(id1, 0, cheat.publicKey);
  t.equal(c.nodeAccount(cheat.publicKey).locked, R + S, 'the first assignment locks 11.2 USDC');
  c.assign(id2, 0, cheat.publicKey);
  let ts2 = c.execution(id2).tasks[0]!;
  t.equal(ts2.phase, Phase.Ready, 'a second concurrent assignment is refused: 8.8 USDC of free stake cannot cover R + S');
  t.equal(ts2.attempt, 1, 'the selection reopens');
  t.ok(ts2.excluded.some((k) => k.equals(cheat.publicKey)), 'without the node');
  t.equal(c.nodeAccount(cheat.publicKey).activeJobs, 1);
  // the one task it holds: it lies, is caught, and pays R + S in full
  const a = c.commitResult(cheat, id1, 0, out('lie'));
  c.svm.advanceSlots(2);
  c.settleTask(id1, 0);
  c.assign(id1, 0, v.publicKey);
  const vc = c.commitResult(v, id1, 0, out('good'));
  c.revealResult(v, id1, 0, vc, 'fingerprint');
  c.revealResult(cheat, id1, 0, a, 'fingerprint');
  arbitrate(t, id1, [[x1, out('good')], [x2, out('good')], [x3, out('good')]]);
  const ch = c.nodeAccount(cheat.publicKey);
  t.equal(ch.slashed, R + S, 'the caught lie cost its full R + S');
  t.equal(c.nodeAccount(v.publicKey).earned, R, 'the validator is paid R in full');
  t.equal(ch.status, NodeStatus.Slashed, 'below its stake: no further assignment');
  c.assign(id2, 0, v.publicKey);
  t.equal(c.execution(id2).tasks[0]!.phase, Phase.Assigned, 'the reopened selection assigns another node');
});

t.test('attack 6: a sampled task no validator takes ends after bounded tries, paid, with stake and escrow released', async (t) => {
  const { c, request, requester } = setup({ ...ALWAYS_SAMPLE, ...FAST });
  const only = c.node(); // the only node: it can never validate its own task
  const id = request();
  const wallet = c.usdc(requester.publicKey) + 1_000_000_000n; // before the escrow left
  for (let ti = 0; ti < 4; ti++) {
    c.assign(id, ti, only.publicKey);
    const cm = c.commitResult(only, id, ti, out(`t${ti}`));
    c.svm.advanceSlots(2);
    c.settleTask(id, ti);
    let expiries = 0;
    while (c.execution(id).tasks[ti]!.phase === Phase.VerifyReady && expiries < 10) {
      const ts = c.execution(id).tasks[ti]!;
      c.svm.advanceSlots(Number(ts.readySlot + BigInt(ts.timeoutSlots) - c.svm.slot()) + 1);
      c.timeoutTask(id, ti);
      expiries++;
    }
    t.equal(expiries, 4, `task ${ti}: four validator selections expire`);
    const ts = c.execution(id).tasks[ti]!;
    t.equal(ts.phase, Phase.Reveal, 'then the asserter reveals');
    t.equal(ts.result, VerifyResult.Unverified);
    c.revealResult(only, id, ti, cm);
  }
  const e = c.execution(id);
  t.equal(e.status, ExecStatus.Done, 'the execution ends');
  const fees = [TASKS.embed, TASKS.left, TASKS.right, TASKS.join].reduce((a, x) => a + x.cu * DEFAULT_PARAMS.pricePerKcu / 1000n, 0n);
  t.equal(e.escrow, 1_000_000_000n - fees, 'the unspent escrow waits for the requester');
  c.ok([requester], c.program.closeExecution(requester.publicKey, id));
  t.equal(wallet - c.usdc(requester.publicKey), fees, 'closed: the requester paid exactly the fees');
  const n = c.nodeAccount(only.publicKey);
  t.equal(n.earned, fees, 'the asserter is paid C per task (unverified)');
  t.equal(n.locked, 0n);
  t.equal(n.activeJobs, 0, 'no longer busy');
  c.ok([only], c.program.exitNode(only.publicKey));
  t.equal(c.nodeAccount(only.publicKey).status, NodeStatus.Exited, 'and can exit with its stake');

  // a validator that is assigned and never commits lapses, and counts as a try
  const id2 = request();
  const b = c.node(), lazyV = c.node();
  c.assign(id2, 0, b.publicKey);
  c.commitResult(b, id2, 0, out('b'));
  c.svm.advanceSlots(2);
  c.settleTask(id2, 0);
  c.assign(id2, 0, lazyV.publicKey);
  c.svm.advanceSlots(c.execution(id2).tasks[0]!.timeoutSlots + 1);
  c.timeoutTask(id2, 0);
  const ts = c.execution(id2).tasks[0]!;
  t.equal(ts.tries, 1);
  t.equal(ts.phase, Phase.VerifyReady);
  t.equal(c.nodeAccount(lazyV.publicKey).lapses, 1);
});

t.test('attack 7: a lapse costs C; a full exclusion list drops its oldest lapsed node and keeps the newest', async (t) => {
  const { c, request } = setup({ ...DEFAULT_PARAMS, ...FAST });
  const nodes = Array.from({ length: 9 }, () => c.node([1]));
  const id = request();
  for (const n of nodes) {
    c.assign(id, 0, n.publicKey);
    const ts = c.execution(id).tasks[0]!;
    c.svm.advanceSlots(Number(ts.deadlineSlot - c.svm.slot()) + 1);
    c.timeoutTask(id, 0);
  }
  const ts = c.execution(id).tasks[0]!;
  t.equal(ts.excluded.length, 8, 'at most 8 exclusions');
  t.same(ts.excluded.map((k) => k.toBase58()), nodes.slice(1).map((n) => n.publicKey.toBase58()), 'the oldest lapsed node was dropped; the 8 newest are kept in order');
  const o = c.oracles[0]!;
  t.equal(c.err([o], c.program.assignTask(o.publicKey, id, 0, ts.attempt, nodes[8]!.publicKey)).errorName, 'NodeExcluded', 'the newest lapsed node stays excluded');
  c.assign(id, 0, nodes[0]!.publicKey);
  t.equal(c.execution(id).tasks[0]!.phase, Phase.Assigned, 'the oldest may be selected again');
  for (const n of nodes) t.equal(c.nodeAccount(n.publicKey).penalized, C, 'every lapse cost C');
});
