// The SplitUp program in a real SVM (LiteSVM, in process): every instruction and every rejection.
import t from 'tap';
import { Keypair, PublicKey, Transaction } from '@solana/web3.js';
import { createHash } from 'node:crypto';
import { ChainFixture, DIAMOND, f32, MODEL_ID, TASKS, withRequester } from './helpers/chain.js';
import { DEFAULT_PARAMS, economicsBoundPpm, USDC } from '../src/chain/program.js';
import { ERROR_CODES } from '../src/chain/errors.js';
import { rentExempt } from '../src/chain/usdc.js';
import { ACCOUNT_SIZE, DType, ExecStatus, NodeStatus, Phase, Sampled, SelectionOutcome, selectionRecordsInLogs, VERIFY_ATTEMPT, VerifyResult } from '../src/chain/layout.js';

const out = (s: string) => createHash('sha256').update(s).digest();
const SEED_PARAMS = { ...DEFAULT_PARAMS, pPpm: 80_000 }; // the seed's p = 8 %, with its R, S, r
const ALWAYS_SAMPLE = { ...DEFAULT_PARAMS, pPpm: 1_000_000 };

function ready(params = DEFAULT_PARAMS, n = 3) {
  const { c, requester, request } = withRequester(params, n);
  /**
   * The assigned node commits `output`, the block after decides sampling; unsampled, it reveals and the
   * task is done. Returns the commitment and whether the task was sampled (then it is left in VerifyReady).
   */
  const complete = (id: bigint, ti: number, node: Keypair, output: Uint8Array = out(`${id}/${ti}`)) => {
    const cm = c.commitResult(node, id, ti, output);
    c.svm.advanceSlots(2);
    c.settleTask(id, ti);
    const sampled = c.execution(id).tasks[ti]!.sampled === Sampled.Yes;
    if (!sampled) c.revealResult(node, id, ti, cm);
    return { ...cm, sampled };
  };
  return { c, requester, request, complete };
}

t.test('committee init: quorum rule, distinct keys, and the PoSP economics bound', async (t) => {
  t.equal(economicsBoundPpm(DEFAULT_PARAMS), 99_206, 'C/((1-r)(R+S)) = 1/(0.9 x 11.2) = 0.0992');
  const seed = new ChainFixture(3);
  const e = seed.err([seed.authority], seed.program.initCommittee(seed.authority.publicKey, seed.oracles.map((o) => o.publicKey), 2, SEED_PARAMS));
  t.equal(e.errorName, 'EconomicsBound', "the seed's p = 0.08 is rejected");
  t.equal(e.code, ERROR_CODES.EconomicsBound);
  t.match(e.message, /p = 80000 ppm must exceed C\/\(\(1-r\)\(R\+S\)\) = 99206 ppm/, 'the error states the bound');
  t.equal(seed.err([seed.authority], seed.program.initCommittee(seed.authority.publicKey, seed.oracles.map((o) => o.publicKey), 2, { ...DEFAULT_PARAMS, pPpm: 99_206 })).errorName, 'EconomicsBound', 'p equal to the floor of the bound is rejected');
  seed.ok([seed.authority], seed.program.initCommittee(seed.authority.publicKey, seed.oracles.map((o) => o.publicKey), 2, { ...DEFAULT_PARAMS, pPpm: 99_207 }));
  t.equal(seed.committee().pPpm, 99_207, 'p just above the bound is accepted');

  const c = new ChainFixture(4);
  const keys = c.oracles.map((o) => o.publicKey);
  t.equal(c.err([c.authority], c.program.initCommittee(c.authority.publicKey, keys, 2)).errorName, 'Quorum', 'n = 4 needs q >= 3');
  t.equal(c.err([c.authority], c.program.initCommittee(c.authority.publicKey, keys, 5)).errorName, 'Quorum', 'q <= n');
  t.equal(c.err([c.authority], c.program.initCommittee(c.authority.publicKey, keys.slice(0, 2), 2)).errorName, 'CommitteeSize');
  t.equal(c.err([c.authority], c.program.initCommittee(c.authority.publicKey, [keys[0]!, keys[1]!, keys[0]!, keys[2]!], 3)).errorName, 'DuplicateOracle');
  t.equal(c.err([c.authority], c.program.initCommittee(c.authority.publicKey, keys, 3, { ...DEFAULT_PARAMS, rPpm: 1_000_000 })).errorName, 'BadParameter');
  const r = c.initCommittee(DEFAULT_PARAMS, 3);
  // ~13,500 CU typically; the committee's and the vault's bump searches depend on the random
  // authority key (each bump tried costs ~1,500 CU; CI saw 20,986), so the bound leaves room for them
  t.ok(r.computeUnits < 50_000n, `initCommittee: ${r.computeUnits} CU`);
  const cm = c.committee();
  t.same([cm.n, cm.q, cm.pPpm, cm.oracles.map((k) => k.toBase58())], [4, 3, 100_000, keys.map((k) => k.toBase58())]);
  c.svm.advanceSlots(1);
  t.equal(c.err([c.authority], c.program.initCommittee(c.authority.publicKey, keys, 3)).errorName, 'AlreadyExists', 'one committee per authority');
});

t.test('nodes: register with stake, specialize, exit', async (t) => {
  const c = new ChainFixture(3);
  c.initCommittee();
  c.registerTasks();
  const k = Keypair.generate();
  c.svm.airdrop(k.publicKey, 10_000_000_000n);
  c.fund(k.publicKey, 5000n * USDC);
  const held = c.tokenSupplyHeld(), vault = c.vault();
  c.ok([k], c.program.registerNode(k.publicKey, 24));
  const nd = c.nodeAccount(k.publicKey);
  t.equal(nd.stake, (1000n + 100n * 24n) * USDC, 'stake = 1000 + 100 per GB of VRAM (USDC base units)');
  t.equal(nd.status, NodeStatus.Active);
  t.equal(c.usdc(k.publicKey), 5000n * USDC - nd.stake, "the stake left the node's token account");
  t.equal(c.vault() - vault, nd.stake, "and is held by the committee's vault");
  t.equal(c.lamports(c.program.nodeAddress(k.publicKey)), rentExempt(ACCOUNT_SIZE.node), 'the node account holds its rent only');
  t.equal(c.tokenSupplyHeld(), held, 'tokens conserved over every token account of the mint');
  t.equal(c.vault(), c.books(), 'vault = the books');
  c.svm.advanceSlots(1); // a new block hash, so the retry is a different transaction
  t.equal(c.err([k], c.program.registerNode(k.publicKey, 24)).errorName, 'AlreadyExists');
  const poor = Keypair.generate();
  c.svm.airdrop(poor.publicKey, 1_000_000_000n);
  c.fund(poor.publicKey, 1000n * USDC);
  t.equal(c.err([poor], c.program.registerNode(poor.publicKey, 24)).errorName, 'InsufficientFunds', 'a token account below the stake');
  t.equal(c.err([poor], c.program.registerNode(poor.publicKey, 0)).errorName, 'BadParameter');

  c.ok([k], c.program.specialize(k.publicKey, [2, 3]));
  t.same(c.nodeAccount(k.publicKey).specializations, [2, 3]);
  t.equal(c.err([k], c.program.specialize(k.publicKey, [99])).errorName, 'UnknownTask', 'specializations name registered tasks');
  const other = c.node([1]);
  const ix = c.program.specialize(other.publicKey, [2]);
  ix.keys[1]!.pubkey = c.program.nodeAddress(k.publicKey);
  t.equal(c.err([other], ix).errorName, 'WrongAccount', "a node cannot edit another node's specializations");

  const wallet = c.usdc(k.publicKey), vaultBefore = c.vault();
  c.ok([k], c.program.exitNode(k.publicKey));
  t.equal(c.nodeAccount(k.publicKey).status, NodeStatus.Exited);
  t.equal(c.usdc(k.publicKey) - wallet, nd.stake, "stake returned to the node's token account on exit");
  t.equal(vaultBefore - c.vault(), nd.stake, 'out of the vault');
  t.equal(c.vault(), c.books(), 'vault = the books');
  c.svm.advanceSlots(1);
  t.equal(c.err([k], c.program.exitNode(k.publicKey)).errorName, 'NodeInactive');
});

t.test('tasks and models: each DAG rule rejects its broken model', async (t) => {
  const c = new ChainFixture(3);
  c.initCommittee();
  c.registerTasks();
  const a = c.authority;
  t.equal(c.err([a], c.program.registerTask(a.publicKey, 5, 1000n, [{ dtype: DType.F32, shape: [0] }], [f32(1)])).errorName, 'BadTensorSpec');
  t.equal(c.err([a], c.program.registerTask(a.publicKey, 5, 1000n, [{ dtype: 9 as DType, shape: [1] }], [f32(1)])).errorName, 'BadTensorSpec');
  t.equal(c.err([a], c.program.registerTask(a.publicKey, 5, 0n, [f32(1)], [f32(1)])).errorName, 'BadParameter');
  t.equal(c.err([a], c.program.registerTask(a.publicKey, 1, 1000n, [f32(1)], [f32(1)])).errorName, 'IdNotNext', 'task ids are assigned in order: 1 is taken');
  t.equal(c.err([a], c.program.registerTask(a.publicKey, 6, 1000n, [f32(1)], [f32(1)])).errorName, 'IdNotNext', 'and 6 is not the next');

  const broken = (model: typeof DIAMOND) => c.err([a], c.program.registerModel(a.publicKey, 1, model)).errorName;
  const nodes = DIAMOND.nodes;
  t.equal(broken({ ...DIAMOND, nodes: [{ taskId: 77, sources: [{ node: 'input', slot: 0 }] }, ...nodes.slice(1)] }), 'DagUnknownTask');
  t.equal(broken({ ...DIAMOND, nodes: [nodes[0]!, { taskId: 2, sources: [{ node: 5, slot: 0 }] }, nodes[2]!, nodes[3]!] }), 'DagInputUnsatisfied', 'an input fed by a node that does not exist');
  t.equal(broken({ ...DIAMOND, nodes: [nodes[0]!, { taskId: 2, sources: [{ node: 0, slot: 1 }] }, nodes[2]!, nodes[3]!] }), 'DagInputUnsatisfied', 'an input fed by an output slot that does not exist');
  t.equal(broken({ ...DIAMOND, nodes: [{ taskId: 1, sources: [{ node: 'input', slot: 1 }] }, ...nodes.slice(1)] }), 'DagInputUnsatisfied', 'an input fed by a model input that does not exist');
  t.equal(broken({ ...DIAMOND, inputs: [f32(1, 4)] }), 'DagSpecMismatch', 'model input [1,4] into embed [1,8]');
  t.equal(broken({ ...DIAMOND, nodes: [nodes[0]!, nodes[1]!, nodes[2]!, { taskId: 4, sources: [{ node: 1, slot: 0 }, { node: 0, slot: 0 }] }] }), 'DagSpecMismatch', 'embed output [1,8] into join input [1,4]');
  t.equal(broken({ ...DIAMOND, nodes: [nodes[0]!, nodes[1]!, { taskId: 2, sources: [{ node: 0, slot: 0 }] }, { taskId: 4, sources: [{ node: 1, slot: 0 }, { node: 2, slot: 0 }] }] }), 'DagRedundantTask', 'left applied twice to the same input');
  // a cycle: left reads join's output (specs match: [1,4] → needs [1,8], so use a spec-consistent loop)
  t.equal(broken({
    inputs: [f32(1, 4)],
    nodes: [{ taskId: 4, sources: [{ node: 'input', slot: 0 }, { node: 1, slot: 0 }] }, { taskId: 4, sources: [{ node: 0, slot: 0 }, { node: 'input', slot: 0 }] }],
    outputs: [{ node: 1, slot: 0 }],
  }), 'DagCycle', 'join0 feeds join1 feeds join0');
  t.equal(broken({ ...DIAMOND, nodes: [...nodes, { taskId: 2, sources: [{ node: 0, slot: 0 }] }] }), 'DagRedundantTask', 'a duplicate branch is redundant before it is orphaned');
  t.equal(broken({ ...DIAMOND, nodes: [nodes[0]!, nodes[1]!, nodes[2]!, { taskId: 4, sources: [{ node: 1, slot: 0 }, { node: 1, slot: 0 }] }] }), 'DagOrphanOutput', "right's output is consumed by nothing");
  t.equal(broken({ ...DIAMOND, outputs: [{ node: 3, slot: 2 }] }), 'DagBadModelOutput');
  t.equal(c.err([a], c.program.registerModel(a.publicKey, 2, DIAMOND)).errorName, 'IdNotNext', 'model ids are assigned in order');
  const r = c.registerModel(1);
  t.ok(r.computeUnits < 100_000n, `registerModel (4 tasks): ${r.computeUnits} CU`);
  t.same(c.model(1).order, [0, 1, 2, 3], 'topological order kept');
});

t.test('assignTask: quorum of matching votes, committee only, once per attempt, specialized active nodes', async (t) => {
  const { c, request } = ready();
  const [o1, o2, o3] = c.oracles as [Keypair, Keypair, Keypair];
  const a = c.node([1]), b = c.node([1]), lazy = c.node([2]);
  const id = request();
  t.same(c.execution(id).tasks.map((s) => s.phase), [Phase.Ready, Phase.Pending, Phase.Pending, Phase.Pending], 'only the root is ready');
  const vote = (o: Keypair, node: PublicKey, attempt = 0) => c.program.assignTask(o.publicKey, id, 0, attempt, node);

  const r1 = c.ok([o1], vote(o1, a.publicKey));
  t.equal(c.execution(id).tasks[0]!.phase, Phase.Ready, 'a minority (1 of 3) cannot assign');
  c.ok([o2], vote(o2, b.publicKey));
  t.equal(c.execution(id).tasks[0]!.phase, Phase.Ready, 'two oracles voting different nodes assign nothing');
  t.equal(c.err([o1], vote(o1, b.publicKey)).errorName, 'DoubleVote', 'one vote per oracle per (execution, task, attempt)');
  const stranger = Keypair.generate();
  c.svm.airdrop(stranger.publicKey, 1_000_000_000n);
  t.equal(c.err([stranger], vote(stranger, a.publicKey)).errorName, 'NotCommitteeMember');
  t.equal(c.err([o3], vote(o3, lazy.publicKey)).errorName, 'NodeNotSpecialized');
  t.equal(c.err([o3], vote(o3, a.publicKey, 1)).errorName, 'WrongAttempt');
  // the SVM checks signatures itself (the client skips web3.js's duplicate check): a vote whose
  // signature is not the oracle's is refused before the program runs
  const forged = new Transaction().add(vote(o3, a.publicKey));
  forged.recentBlockhash = c.svm.latestBlockhash();
  forged.feePayer = o3.publicKey;
  forged.sign(o3);
  forged.signatures[0]!.signature![0]! ^= 1;
  const rf = c.svm.send(forged);
  t.notOk(rf.ok, 'a forged signature is rejected');
  t.match(rf.error, /signature/i, `SVM error: ${rf.error}`);
  t.equal(c.execution(id).tasks[0]!.voteMask & 0b100, 0, 'and no vote is recorded');
  const unregistered = Keypair.generate().publicKey;
  t.equal(c.err([o3], vote(o3, unregistered)).errorName, 'WrongAccount', 'an unregistered node has no node account');
  const r3 = c.ok([o3], vote(o3, a.publicKey));
  const ts = c.execution(id).tasks[0]!;
  t.equal(ts.phase, Phase.Assigned, 'the third vote makes 2 matching: assigned');
  t.equal(ts.assigned?.toBase58(), a.publicKey.toBase58());
  t.equal(ts.deadlineSlot, c.svm.slot() + BigInt(ts.timeoutSlots));
  t.equal(c.nodeAccount(a.publicKey).activeJobs, 1);
  t.equal(c.nodeAccount(b.publicKey).activeJobs, 0, 'the losing candidate is untouched');
  t.equal(c.err([o2], vote(o2, a.publicKey)).errorName, 'AlreadyAssigned', 'a vote after the quorum is told the attempt is assigned');
  t.equal(c.err([o3], c.program.assignTask(o3.publicKey, id, 1, 0, a.publicKey)).errorName, 'TaskNotReady', 'a pending task takes no votes');
  t.equal(c.err([o3], c.program.assignTask(o3.publicKey, id, 9, 0, a.publicKey)).errorName, 'ExecutionMismatch');
  t.comment(`assignTask: ${r1.computeUnits} CU (vote), ${r3.computeUnits} CU (quorum vote)`);
  t.ok(r3.computeUnits < 30_000n);

  // an inactive node cannot be voted
  const id2 = request();
  c.ok([b], c.program.exitNode(b.publicKey));
  t.equal(c.err([o1], c.program.assignTask(o1.publicKey, id2, 0, 0, b.publicKey)).errorName, 'NodeInactive');
  t.equal(c.err([a], c.program.exitNode(a.publicKey)).errorName, 'NodeBusy', 'a node with an assignment cannot exit');

  // with n = 4 (q = 3), a late fourth vote after the quorum is told the attempt is assigned
  const four = ready(DEFAULT_PARAMS, 4);
  const x = four.c.node([1]);
  const id4 = four.request();
  four.c.assign(id4, 0, x.publicKey);
  t.equal(four.c.execution(id4).tasks[0]!.phase, Phase.Assigned, 'n = 4: three matching votes assign');
  const late = four.c.oracles[3]!;
  t.equal(four.c.err([late], four.c.program.assignTask(late.publicKey, id4, 0, 0, x.publicKey)).errorName, 'AlreadyAssigned');
});

t.test('commit, settle, reveal: only the assignee, successors ready on the reveal, branches in parallel, execution completes', async (t) => {
  const { c, request, complete, requester } = ready({ ...DEFAULT_PARAMS, pPpm: 99_207 });
  const n = c.node();
  const other = c.node();
  // settle decides sampling at p ≈ 10 %; retry whole executions (bounded) until one runs unsampled
  let done = false;
  for (let tries = 0; tries < 12 && !done; tries++) {
    const walletBefore = c.usdc(requester.publicKey);
    const id = request();
    c.assign(id, 0, n.publicKey);
    t.equal(c.err([other], c.program.commit(other.publicKey, id, 0, 0, out('x'))).errorName, 'NotAssignee');
    const earnedBefore = [c.nodeAccount(n.publicKey).earned, c.nodeAccount(other.publicKey).earned];
    const lockedBefore = [0n, c.nodeAccount(other.publicKey).locked];
    const nLocked = c.nodeAccount(n.publicKey).locked;
    const cm = c.commitResult(n, id, 0, out('embed'));
    if (tries === 0) t.comment(`commit: ${cm.result.computeUnits} CU`);
    let e = c.execution(id);
    t.equal(e.tasks[0]!.phase, Phase.Committed);
    t.same(Buffer.from(e.tasks[0]!.output), Buffer.alloc(32), 'nothing of the output is on chain after the commitment');
    t.equal(c.err([c.authority], c.program.settle(id, 0)).errorName, 'SlotHashUnavailable', 'sampling waits for the next block');
    c.svm.advanceSlots(2);
    c.settleTask(id, 0);
    if (c.execution(id).tasks[0]!.sampled === Sampled.Yes) continue;
    t.equal(c.execution(id).tasks[0]!.phase, Phase.Reveal, 'not sampled: the asserter reveals');
    t.equal(c.err([other], c.program.reveal(other.publicKey, id, 0, 'output', cm.salt, cm.output, c.taskCtx(id, 0))).errorName, 'NotAParty', 'only the asserter reveals');
    t.equal(c.err([n], c.program.reveal(n.publicKey, id, 0, 'output', cm.salt, out('other'), c.taskCtx(id, 0))).errorName, 'BadReveal', 'a reveal must open the commitment');
    t.equal(c.err([n], c.program.reveal(n.publicKey, id, 0, 'fingerprint', cm.salt, cm.fp, c.taskCtx(id, 0))).errorName, 'OutputRequired');
    const rv = c.revealResult(n, id, 0, cm);
    if (tries === 0) t.comment(`reveal (output, 2 successors released): ${rv.computeUnits} CU`);
    e = c.execution(id);
    t.same(e.tasks.map((s) => s.phase), [Phase.Done, Phase.Ready, Phase.Ready, Phase.Pending], 'both branches ready at once; join waits');
    t.same(Buffer.from(e.tasks[0]!.output), cm.output, 'the revealed output is the task output');
    c.assign(id, 1, n.publicKey);
    c.assign(id, 2, other.publicKey);
    if (complete(id, 1, n).sampled || complete(id, 2, other).sampled) continue;
    t.equal(c.execution(id).tasks[3]!.phase, Phase.Ready, 'join ready after both branches');
    c.assign(id, 3, other.publicKey);
    if (complete(id, 3, other).sampled) continue;
    done = true;
    e = c.execution(id);
    t.equal(e.status, ExecStatus.Done, 'all tasks settled: execution done');
    const fee0 = (cu: bigint) => cu * DEFAULT_PARAMS.pricePerKcu / 1000n;
    const spent = [TASKS.embed, TASKS.left, TASKS.right, TASKS.join].reduce((a, x) => a + fee0(x.cu), 0n);
    t.equal(e.escrow, 1_000_000_000n - spent, 'the unspent escrow waits in the books for the requester to close');
    t.equal(c.vault(), c.books(), 'vault = the books');
    const fee = (cu: bigint) => cu * DEFAULT_PARAMS.pricePerKcu / 1000n;
    t.equal(c.nodeAccount(n.publicKey).earned - earnedBefore[0]!, fee(TASKS.embed.cu) + fee(TASKS.left.cu), 'asserters paid C per task');
    t.equal(c.nodeAccount(other.publicKey).earned - earnedBefore[1]!, fee(TASKS.right.cu) + fee(TASKS.join.cu));
    const fees = [TASKS.embed, TASKS.left, TASKS.right, TASKS.join].reduce((a, x) => a + fee(x.cu), 0n);
    t.equal(c.usdc(requester.publicKey), walletBefore - 1_000_000_000n, 'maxFee left the requester for the vault');
    const held = c.tokenSupplyHeld();
    const penalty = TASKS.embed.cu * DEFAULT_PARAMS.pricePerKcu / 1000n * 112n / 10n;
    t.equal(c.nodeAccount(n.publicKey).locked, nLocked - penalty, 'every lock of this execution released (earlier sampled tries keep theirs)');
    t.equal(c.nodeAccount(other.publicKey).locked, lockedBefore[1], 'and the other node\'s');
    c.svm.advanceSlots(1);
    t.equal(c.err([c.authority], c.program.settle(id, 0)).errorName, 'NotSettleable', 'settled once');
    c.ok([requester], c.program.closeExecution(requester.publicKey, id));
    t.equal(c.usdc(requester.publicKey) - walletBefore, -fees, 'closing refunds the unspent escrow: the requester paid exactly the fees');
    t.equal(c.tokenSupplyHeld(), held, 'tokens conserved');
    t.equal(c.vault(), c.books(), 'vault = the books');
  }
  t.ok(done, 'an unsampled execution completed within 12 tries');
  t.equal(c.err([requester], c.program.requestExecution(requester.publicKey, MODEL_ID, 999n, 'x'.repeat(97), 1_000_000_000n)).errorName, 'UriTooLong');
  t.equal(c.err([requester], c.program.requestExecution(requester.publicKey, MODEL_ID, 999n, 'cas://x', 10n)).errorName, 'FeeTooLow');
});

t.test('timeout: a lapse costs C, reassignment at attempt + 1 with a doubled timeout, the lapsed node excluded', async (t) => {
  const { c, request } = ready();
  const slow = c.node([1]), fast = c.node([1]);
  const id = request();
  c.assign(id, 0, slow.publicKey);
  const first = c.execution(id).tasks[0]!;
  const fee = TASKS.embed.cu * DEFAULT_PARAMS.pricePerKcu / 1000n;
  t.equal(c.nodeAccount(slow.publicKey).locked, fee * 112n / 10n, 'the assignment locks R + S = 11.2 C of stake');
  t.equal(c.err([c.authority], c.program.timeout(id, 0, c.taskCtx(id, 0))).errorName, 'NotExpired');
  c.svm.advanceSlots(first.timeoutSlots + 1);
  t.equal(c.err([slow], c.program.commit(slow.publicKey, id, 0, 0, out('late'))).errorName, 'DeadlinePassed');
  const stake = c.nodeAccount(slow.publicKey).stake, treasury = c.committee().treasury;
  const r = c.timeoutTask(id, 0);
  t.comment(`timeout (lapse): ${r.computeUnits} CU`);
  const ts = c.execution(id).tasks[0]!;
  t.equal(ts.phase, Phase.Ready);
  t.equal(ts.attempt, 1, 'attempt + 1');
  t.equal(ts.timeoutSlots, first.timeoutSlots * 2, 'timeout doubled');
  t.same(ts.excluded.map((k) => k.toBase58()), [slow.publicKey.toBase58()]);
  t.notSame(Buffer.from(ts.seed), Buffer.from(first.seed), 'a fresh seed for the new selection');
  const sl = c.nodeAccount(slow.publicKey);
  t.equal(sl.activeJobs, 0);
  t.equal(sl.locked, 0n, 'lock released');
  t.equal(sl.stake, stake - fee, 'the lapse costs C of stake');
  t.equal(sl.penalized, fee);
  t.equal(sl.lapses, 1);
  t.equal(sl.slashes, 0, 'a lapse is not a slash');
  t.equal(c.committee().treasury, treasury + fee, 'into the treasury');
  const o = c.oracles[0]!;
  t.equal(c.err([o], c.program.assignTask(o.publicKey, id, 0, 0, fast.publicKey)).errorName, 'WrongAttempt', 'votes for the lapsed attempt are refused');
  t.equal(c.err([o], c.program.assignTask(o.publicKey, id, 0, 1, slow.publicKey)).errorName, 'NodeExcluded');
  c.assign(id, 0, fast.publicKey);
  const again = c.execution(id).tasks[0]!;
  t.equal(again.assigned?.toBase58(), fast.publicKey.toBase58(), 'reassigned');
  c.svm.advanceSlots(again.timeoutSlots + 1);
  c.timeoutTask(id, 0);
  t.equal(c.execution(id).tasks[0]!.timeoutSlots, first.timeoutSlots * 4, 'doubles again');
});

t.test('timeout: an open selection without a quorum expires to a new attempt', async (t) => {
  const { c, request } = ready();
  const a = c.node([1]), b = c.node([1]);
  const [o1, o2] = c.oracles as [Keypair, Keypair];
  const id = request();
  c.ok([o1], c.program.assignTask(o1.publicKey, id, 0, 0, a.publicKey));
  c.ok([o2], c.program.assignTask(o2.publicKey, id, 0, 0, b.publicKey)); // split: no quorum
  const first = c.execution(id).tasks[0]!;
  t.equal(c.err([c.authority], c.program.timeout(id, 0, c.taskCtx(id, 0))).errorName, 'NotExpired', 'not before ready slot + timeout');
  c.svm.advanceSlots(Number(first.readySlot + BigInt(first.timeoutSlots) - c.svm.slot()) + 1);
  c.timeoutTask(id, 0);
  const ts = c.execution(id).tasks[0]!;
  t.equal(ts.phase, Phase.Ready);
  t.equal(ts.attempt, 1);
  t.equal(ts.voteMask, 0, 'votes cleared: every oracle may vote the new attempt');
  t.same(ts.excluded, [], 'nobody excluded');
  t.equal(ts.timeoutSlots, first.timeoutSlots * 2);
  c.assign(id, 0, a.publicKey);
  t.equal(c.execution(id).tasks[0]!.phase, Phase.Assigned, 'the new attempt assigns');
});

t.test('Proof of Sampling: validator excludes the asserter; a match pays both; the validator reveals first', async (t) => {
  const { c, request } = ready(ALWAYS_SAMPLE);
  const honest = c.node(), validator = c.node();
  const fee = TASKS.embed.cu * DEFAULT_PARAMS.pricePerKcu / 1000n;
  const id = request();
  c.assign(id, 0, honest.publicKey);
  const a = c.commitResult(honest, id, 0, out('good'));
  c.svm.advanceSlots(2);
  const s = c.settleTask(id, 0);
  t.comment(`settle (sampled): ${s.computeUnits} CU`);
  let ts = c.execution(id).tasks[0]!;
  t.equal(ts.phase, Phase.VerifyReady, 'sampled (p = 1)');
  t.equal(ts.attempt, VERIFY_ATTEMPT, 'verification attempts carry the high bit');
  t.same(ts.excluded.map((k) => k.toBase58()), [honest.publicKey.toBase58()]);
  const o = c.oracles[0]!;
  t.equal(c.err([o], c.program.assignTask(o.publicKey, id, 0, VERIFY_ATTEMPT, honest.publicKey)).errorName, 'NodeExcluded', 'validator != asserter');
  c.assign(id, 0, validator.publicKey);
  t.equal(c.execution(id).tasks[0]!.phase, Phase.Verifying);
  const v = c.commitResult(validator, id, 0, out('good'));
  t.equal(c.execution(id).tasks[0]!.phase, Phase.VerifyReveal);
  t.equal(c.err([honest], c.program.reveal(honest.publicKey, id, 0, 'output', a.salt, a.output, c.taskCtx(id, 0))).errorName, 'RevealOrder', 'the asserter reveals after the validator');
  c.revealResult(validator, id, 0, v, 'fingerprint');
  c.svm.advanceSlots(1); // a new block: the same reveal as the refused one is a new transaction
  t.equal(c.err([honest], c.program.reveal(honest.publicKey, id, 0, 'fingerprint', a.salt, a.fp, c.taskCtx(id, 0))).errorName, 'OutputRequired', 'on a match the asserter publishes the output');
  const r = c.revealResult(honest, id, 0, a);
  t.comment(`reveal (verification match, paid): ${r.computeUnits} CU`);
  ts = c.execution(id).tasks[0]!;
  t.equal(ts.result, VerifyResult.Match);
  t.equal(ts.phase, Phase.Done);
  t.same(Buffer.from(ts.output), a.output);
  t.equal(c.nodeAccount(honest.publicKey).earned, fee, 'asserter paid C');
  t.equal(c.nodeAccount(validator.publicKey).earned, fee * 12n / 10n, 'validator paid R = 1.2 C');
  t.equal(c.nodeAccount(honest.publicKey).activeJobs, 0);
  t.equal(c.nodeAccount(validator.publicKey).locked, 0n, 'locks released');
});

t.test('assignTask: each quorum logs its selection record (request, node, voters), so audits see every selection', async (t) => {
  const { c, request } = ready();
  const slow = c.node([1]), fast = c.node([1]);
  const id = request();
  const [o1, o2] = c.oracles;
  const pid = c.programId.toBase58();
  const first = c.ok([o1!], c.program.assignTask(o1!.publicKey, id, 0, 0, slow.publicKey));
  t.same(selectionRecordsInLogs(first.logs, pid), [], 'a vote below the quorum logs no selection');
  const before = c.execution(id).tasks[0]!;
  const quorum = c.ok([o2!], c.program.assignTask(o2!.publicKey, id, 0, 0, slow.publicKey));
  const [rec, ...more] = selectionRecordsInLogs(quorum.logs, pid);
  t.same(more, [], 'one record per quorum');
  t.equal(rec!.outcome, SelectionOutcome.Assigned);
  t.equal(rec!.execId, id); t.equal(rec!.task, 0); t.equal(rec!.taskId, c.execution(id).taskIds[0]); t.equal(rec!.attempt, 0);
  t.equal(rec!.readySlot, before.readySlot); t.same(Buffer.from(rec!.seed), Buffer.from(before.seed));
  t.ok(rec!.node.equals(slow.publicKey)); t.equal(rec!.voteMask, 0b11, 'the two oracles whose votes matched');
  t.same(rec!.excluded, []);
  t.comment(`assignTask quorum vote with its selection record: ${quorum.computeUnits} CU`);
  // the node lapses; the reassignment's record carries the exclusion list it was made under
  c.svm.advanceSlots(c.execution(id).tasks[0]!.timeoutSlots + 1);
  c.timeoutTask(id, 0);
  c.ok([o1!], c.program.assignTask(o1!.publicKey, id, 0, 1, fast.publicKey));
  const again = selectionRecordsInLogs(c.ok([o2!], c.program.assignTask(o2!.publicKey, id, 0, 1, fast.publicKey)).logs, pid);
  t.equal(again.length, 1);
  t.equal(again[0]!.attempt, 1);
  t.same(again[0]!.excluded.map((k) => k.toBase58()), [slow.publicKey.toBase58()], 'the exclusions of the reassignment');
  // a record logged by another program in the same transaction is not read as this program's
  const forged = [`Program ${Keypair.generate().publicKey.toBase58()} invoke [1]`, ...quorum.logs.filter((l) => l.startsWith('Program data: ')), 'Program x success'];
  t.same(selectionRecordsInLogs(forged, pid), [], 'only lines logged by the program count');
});
