// Task groups in the program (LiteSVM, in process): registerModel's group rules (DagBadGroup, each rule
// named, mirrored by the manifest's local validation), one selection per group with the group's two
// conditions (NodeNotSpecialized in any member, NodeVramTooSmall), members held for the group's node and
// assigned as their inputs are accepted, per-task commit and reveal, the summed stake lock, a timeout
// that lapses the group's unfinished members and reopens the group, and hostile calls.
import t from 'tap';
import { createHash } from 'node:crypto';
import type { Keypair } from '@solana/web3.js';
import { DIAMOND, withRequester } from './helpers/chain.js';
import { DEFAULT_PARAMS, USDC } from '../src/chain/program.js';
import { ExecStatus, groupNeed, Phase, Sampled, SelectionOutcome, selectionRecordsInLogs, type ModelAccount } from '../src/chain/layout.js';
import { groupProblem, ManifestError, parseManifest, planManifest, type ManifestDoc } from '../src/model/manifest.js';
import { eligibleSet } from '../src/vrf/selection.js';

const out = (s: string) => createHash('sha256').update(s).digest();
const PARAMS = DEFAULT_PARAMS; // p = 10 %: a sampled task is verified by the helper's validator node
type Groups = Pick<ModelAccount, 'groups' | 'groupVramGb'>;
/** The diamond (embed → left, right → join) with `groups`. */
const diamond = (groups: number[], vramGb: number[]) => ({ ...DIAMOND, groups, groupVramGb: vramGb });
/** The head group: left, right and join (embed's output is its only input from outside), 40 GB. */
const HEAD: Groups = { groups: [0, 1, 1, 1], groupVramGb: [40, 0, 0, 0] };

/** The diamond's manifest over the registered example tasks, with `groups`. */
const manifest = (groups: ManifestDoc['groups']): ManifestDoc => parseManifest({
  version: 'splitup/model-manifest/v1', name: 'diamond-groups',
  inputs: [{ name: 'x', dtype: 'f32', shape: [1, 8] }],
  tasks: [{ name: 'embed', taskId: 1 }, { name: 'left', taskId: 2 }, { name: 'right', taskId: 3 }, { name: 'join', taskId: 4 }],
  connections: [{ from: 'input:x', to: 'embed:0' }, { from: 'embed:0', to: 'left:0' }, { from: 'embed:0', to: 'right:0' }, { from: 'left:0', to: 'join:0' }, { from: 'right:0', to: 'join:1' }],
  outputs: [{ name: 'y', from: 'join:0' }],
  ...(groups ? { groups } : {}),
});

t.test('registerModel: groups accepted, each group rule refused by name, and the manifest refuses the same', async (t) => {
  const { c } = withRequester(PARAMS);
  const a = c.authority;
  const registered = (id: number) => c.task(id);
  const cases: Array<{ what: string; groups: NonNullable<ManifestDoc['groups']>; rule: string }> = [
    { what: 'a group of one task', groups: [{ name: 'g', tasks: ['left'], vramGb: 40 }], rule: 'well-formed groups' },
    { what: 'a group without VRAM', groups: [{ name: 'g', tasks: ['left', 'join'], vramGb: 0 }], rule: 'well-formed groups' },
    { what: 'a group needing more than 4096 GB', groups: [{ name: 'g', tasks: ['left', 'join'], vramGb: 4097 }], rule: 'well-formed groups' },
    { what: 'left and right: no edge between them', groups: [{ name: 'g', tasks: ['left', 'right'], vramGb: 40 }], rule: 'connected groups' },
    { what: 'embed and join: no edge between them', groups: [{ name: 'g', tasks: ['embed', 'join'], vramGb: 40 }], rule: 'connected groups' },
    { what: 'embed, left, join: the path embed → right → join leaves and comes back', groups: [{ name: 'g', tasks: ['embed', 'left', 'join'], vramGb: 40 }], rule: 'convex groups' },
  ];
  for (const k of cases) {
    const doc = manifest(k.groups);
    const local = (() => { try { planManifest(doc, registered); return null; } catch (e) { return e as ManifestError; } })();
    t.equal(local?.rule, 'DagBadGroup', `manifest: ${k.what}`);
    t.match(local?.message, `(rule: ${k.rule})`);
    const plan = planManifest(doc, registered, { check: false });
    const e = c.err([a], c.program.registerModel(a.publicKey, 2, diamond(plan.groups, plan.groupVramGb)));
    t.equal(e.errorName, 'DagBadGroup', `program: ${k.what}`);
    t.match(e.message, `(rule: ${k.rule})`, 'the same rule named');
  }
  // encodings the manifest cannot produce, refused by the program all the same
  const raw = (groups: number[], vram: number[]) => c.err([a], c.program.registerModel(a.publicKey, 2, diamond(groups, vram)));
  t.match(raw([0, 1, 1, 1], [40, 8, 0, 0]).message, /VRAM given for a group with no tasks \(rule: well-formed groups\)/);
  t.match(raw([0, 5, 5, 5], [0, 0, 0, 0]).message, /a group number above the node count \(rule: well-formed groups\)/);
  t.equal(groupProblem([[], [0], [0], [1, 2]], [0, 5, 5, 5], [])?.detail, 'a group number above the node count (rule: well-formed groups)', 'the mirror says the same');
  // a trailer of the wrong length is no layout at all
  const ix = c.program.registerModel(a.publicKey, 2, diamond([0, 1, 1, 1], [40, 0, 0, 0]));
  ix.data = ix.data.subarray(0, ix.data.length - 1);
  t.equal(c.err([a], ix).errorName, 'InvalidInstruction');

  // accepted: the head group; the model account keeps it
  const plan = planManifest(manifest([{ name: 'head', tasks: ['left', 'right', 'join'], vramGb: 40 }]), registered);
  t.same(plan.groups, [0, 1, 1, 1]);
  const r = c.registerModel(2, diamond(plan.groups, plan.groupVramGb));
  t.ok(r.computeUnits < 100_000n, `registerModel with a group: ${r.computeUnits} CU`);
  const m = c.model(2);
  t.same(m.groups, [0, 1, 1, 1]);
  t.same(m.groupVramGb, [40, 0, 0, 0]);
  t.same(c.model(1).groups, [0, 0, 0, 0], 'a model without groups: none');
});

/** A committee with the head-grouped diamond as model 2, nodes: two that qualify, one short of VRAM, one lacking `right`. */
function grouped(params = PARAMS) {
  const { c, request: _r, requester } = withRequester(params);
  c.registerModel(2, diamond(HEAD.groups, HEAD.groupVramGb));
  let nonce = 100n;
  const request = () => {
    const n = nonce++;
    c.ok([requester], c.program.requestExecution(requester.publicKey, 2, n, `cas://${n}`, 1_000_000_000n));
    return c.program.executionId(requester.publicKey, n);
  };
  const big = c.node([1, 2, 3, 4], 48), big2 = c.node([1, 2, 3, 4], 48), small = c.node([1, 2, 3, 4], 24), lacking = c.node([1, 2, 4], 48);
  const validator = c.node([1, 2, 3, 4], 64); // with the free stake for any single task's R + S under every test's stake rule
  /** The assigned node commits and the task is settled; unsampled it reveals, sampled (unless `stopAtSample`) `validator` verifies it honestly. */
  const complete = (id: bigint, ti: number, node: Keypair, output = out(`${id}/${ti}`), stopAtSample = false) => {
    const cm = c.commitResult(node, id, ti, output);
    c.svm.advanceSlots(2);
    c.settleTask(id, ti);
    const sampled = c.execution(id).tasks[ti]!.sampled === Sampled.Yes;
    if (!sampled) c.revealResult(node, id, ti, cm);
    else if (!stopAtSample) {
      c.assign(id, ti, validator.publicKey);
      c.revealResult(validator, id, ti, c.commitResult(validator, id, ti, output), 'fingerprint');
      c.revealResult(node, id, ti, cm);
    }
    return { ...cm, sampled };
  };
  return { c, request, big, big2, small, lacking, complete };
}

t.test('one selection per group: the group\'s conditions, held members assigned as inputs are accepted, per-task commit and reveal', async (t) => {
  const { c, request, big, big2, small, lacking, complete } = grouped();
  const id = request();
  let e = c.execution(id);
  t.same(e.tasks.map((x) => x.group), [0, 1, 1, 1], 'each task carries its group');
  t.same(e.tasks.map((x) => x.groupVramGb), [0, 40, 40, 40]);
  t.same(e.tasks.map((x) => x.phase), [Phase.Ready, Phase.Pending, Phase.Pending, Phase.Pending]);
  t.equal(groupNeed(e, 0), undefined, 'embed alone: no group need');
  c.assign(id, 0, small.publicKey);
  complete(id, 0, small);
  e = c.execution(id);
  t.same(e.tasks.map((x) => x.phase), [Phase.Done, Phase.Ready, Phase.Pending, Phase.Pending], 'one selection for the group, on its first task; the others wait with it');
  t.same(groupNeed(e, 1), { taskIds: [2, 3, 4], vramGb: 40, members: [1, 2, 3] }, 'what the oracles ask of a node');

  // the oracles' eligible set applies both conditions
  const cands = [big, big2, small, lacking].map((k) => { const n = c.nodeAccount(k.publicKey); return { nodeId: k.publicKey.toBytes(), active: true, specializations: n.specializations, vramGb: n.vramGb }; });
  const table = cands.map((x) => ({ nodeId: x.nodeId, status: 'online' as const, missed: 0, since: 0 }));
  const eligible = eligibleSet(cands, table, 2, [], groupNeed(e, 1)).map((k) => Buffer.from(k).toString('hex'));
  t.same(eligible.sort(), [big, big2].map((k) => k.publicKey.toBuffer().toString('hex')).sort(), 'only the nodes with the VRAM and every task of the group are eligible');
  t.equal(eligibleSet(cands, table, 2, []).length, 4, 'without the group need all four would be');

  // a quorum of oracles voting an unqualified node is refused vote by vote
  for (const o of c.oracles.slice(0, 2)) {
    t.equal(c.err([o], c.program.assignTask(o.publicKey, id, 1, 0, small.publicKey)).errorName, 'NodeVramTooSmall', '24 GB for a 40 GB group');
    t.equal(c.err([o], c.program.assignTask(o.publicKey, id, 1, 0, lacking.publicKey)).errorName, 'NodeNotSpecialized', 'not specialized in right');
  }
  t.equal(c.execution(id).tasks[1]!.voteMask, 0, 'no vote counted');

  const before = c.nodeAccount(big.publicKey);
  const o1 = c.oracles[0]!, o2 = c.oracles[1]!;
  c.ok([o1], c.program.assignTask(o1.publicKey, id, 1, 0, big.publicKey));
  const quorum = c.ok([o2], c.program.assignTask(o2.publicKey, id, 1, 0, big.publicKey));
  t.comment(`assignTask quorum vote taking a group of 3: ${quorum.computeUnits} CU`);
  t.ok(quorum.computeUnits < 200_000n);
  const rec = selectionRecordsInLogs(quorum.logs, c.program.programId.toBase58());
  t.equal(rec.length, 1, 'one selection record for the group');
  t.equal(rec[0]!.members, 0b1110, 'naming the tasks it assigned');
  t.equal(rec[0]!.outcome, SelectionOutcome.Assigned);
  e = c.execution(id);
  t.same(e.tasks.map((x) => x.phase), [Phase.Done, Phase.Assigned, Phase.Held, Phase.Held], 'left assigned; right and join held for the node');
  t.ok(e.tasks.slice(1).every((x) => x.assigned?.equals(big.publicKey)), 'all three for one node');
  const penalty = (i: number) => e.fees[i]! * BigInt(DEFAULT_PARAMS.rewardPpm + DEFAULT_PARAMS.slashPpm) / 1_000_000n;
  const after = c.nodeAccount(big.publicKey);
  t.equal(after.locked - before.locked, penalty(1) + penalty(2) + penalty(3), 'the group locks the sum of its tasks\' R + S');
  t.equal(after.activeJobs - before.activeJobs, 3);

  // hostile: a held task cannot be committed, timed out or voted on
  t.equal(c.err([big], c.program.commit(big.publicKey, id, 2, 0, out('early'))).errorName, 'TaskNotReady', 'no commitment before the task is assigned');
  t.equal(c.err([c.authority], c.program.timeout(id, 2, c.taskCtx(id, 2))).errorName, 'TaskNotReady', 'a held task has no deadline of its own');
  t.equal(c.err([o1], c.program.assignTask(o1.publicKey, id, 2, 0, big2.publicKey)).errorName, 'TaskNotReady', 'nor a selection');

  complete(id, 1, big);
  e = c.execution(id);
  t.same(e.tasks.map((x) => x.phase), [Phase.Done, Phase.Done, Phase.Assigned, Phase.Held], 'right assigned once its input is accepted (embed and left done); join still held');
  t.ok(e.tasks[2]!.deadlineSlot > 0n, 'its deadline runs from now');
  complete(id, 2, big);
  t.equal(c.execution(id).tasks[3]!.phase, Phase.Assigned);
  complete(id, 3, big);
  e = c.execution(id);
  t.equal(e.status, ExecStatus.Done);
  t.same(e.tasks.map((x) => Buffer.from(x.output).toString('hex')), [0, 1, 2, 3].map((i) => out(`${id}/${i}`).toString('hex')), 'each task its own accepted output');
  const end = c.nodeAccount(big.publicKey);
  t.equal(end.locked, before.locked, 'every lock released');
  t.equal(end.activeJobs, before.activeJobs);
  t.equal(end.earned - before.earned, e.fees[1]! + e.fees[2]! + e.fees[3]!, 'paid C per task of the group');
  t.equal(c.nodeAccount(small.publicKey).earned, e.fees[0]!, 'a node short of VRAM still runs ungrouped tasks');
  t.equal(c.vault(), c.books(), 'vault = the books');
});

t.test('a group\'s timeout lapses its unfinished tasks and reopens the group (at its first task, and in its middle)', async (t) => {
  const { c, request, big, big2, small, complete } = grouped();
  const id = request();
  c.assign(id, 0, small.publicKey);
  complete(id, 0, small);
  c.assign(id, 1, big.publicKey);
  let e = c.execution(id);
  const first = e.tasks.map((x) => x.timeoutSlots);
  const stake = c.nodeAccount(big.publicKey).stake, treasury = c.committee().treasury;
  c.svm.advanceSlots(e.tasks[1]!.timeoutSlots + 1);
  const tr = c.timeoutTask(id, 1);
  t.comment(`timeout of a group (3 lapses, the group reopened): ${tr.computeUnits} CU`);
  e = c.execution(id);
  t.same(e.tasks.map((x) => x.phase), [Phase.Done, Phase.Ready, Phase.Pending, Phase.Pending], 'the group reopens: one selection on its first task');
  t.same(e.tasks.slice(1).map((x) => x.attempt), [1, 1, 1], 'a new attempt for each member');
  t.same(e.tasks.slice(1).map((x) => x.timeoutSlots), first.slice(1).map((x) => x * 2), 'timeouts doubled');
  t.ok(e.tasks.slice(1).every((x) => x.excluded.some((k) => k.equals(big.publicKey))), 'the node excluded from each member');
  const fees = e.fees[1]! + e.fees[2]! + e.fees[3]!;
  const nb = c.nodeAccount(big.publicKey);
  t.equal(nb.stake, stake - fees, 'each unfinished member lapses: C each');
  t.equal(nb.locked, 0n, 'no stake left locked');
  t.equal(nb.activeJobs, 0);
  t.equal(nb.lapses, 3);
  t.equal(c.committee().treasury, treasury + fees);
  const o = c.oracles[0]!;
  t.equal(c.err([o], c.program.assignTask(o.publicKey, id, 1, 1, big.publicKey)).errorName, 'NodeExcluded');

  // the other node takes the group; right's deadline passes after left is accepted: right and join lapse, the rest of the group reopens
  c.assign(id, 1, big2.publicKey);
  complete(id, 1, big2);
  e = c.execution(id);
  t.same(e.tasks.map((x) => x.phase), [Phase.Done, Phase.Done, Phase.Assigned, Phase.Held]);
  c.svm.advanceSlots(e.tasks[2]!.timeoutSlots + 1);
  c.timeoutTask(id, 2);
  e = c.execution(id);
  t.same(e.tasks.map((x) => x.phase), [Phase.Done, Phase.Done, Phase.Ready, Phase.Pending], 'left stays done; right and join reopen as one selection');
  t.same(groupNeed(e, 2)?.members, [2, 3]);
  t.equal(c.nodeAccount(big2.publicKey).lapses, 2, 'right and join lapsed, left was not');
  t.equal(c.nodeAccount(big2.publicKey).locked, 0n);
  // nobody qualified is left (both 48 GB nodes excluded): the small node is still refused
  t.equal(c.err([o], c.program.assignTask(o.publicKey, id, 2, e.tasks[2]!.attempt, small.publicKey)).errorName, 'NodeVramTooSmall');
  t.equal(c.err([o], c.program.assignTask(o.publicKey, id, 2, e.tasks[2]!.attempt, big.publicKey)).errorName, 'NodeExcluded');
  const big3 = c.node([1, 2, 3, 4], 64);
  c.assign(id, 2, big3.publicKey);
  complete(id, 2, big3);
  complete(id, 3, big3);
  t.equal(c.execution(id).status, ExecStatus.Done);
  t.equal(c.vault(), c.books(), 'vault = the books');
});

t.test('PoSP stays per task: a sampled member of a group is verified alone, by a node without the group\'s VRAM', async (t) => {
  const { c, request, big, small, complete } = grouped({ ...DEFAULT_PARAMS, pPpm: 1_000_000 });
  const id = request();
  c.assign(id, 0, big.publicKey);
  const r0 = complete(id, 0, big, undefined, true);
  t.ok(r0.sampled);
  c.assign(id, 0, small.publicKey); // the validator
  const v0 = c.commitResult(small, id, 0, r0.output);
  c.revealResult(small, id, 0, v0, 'fingerprint');
  c.revealResult(big, id, 0, r0);
  c.assign(id, 1, big.publicKey);
  const r1 = complete(id, 1, big, undefined, true);
  t.ok(r1.sampled, 'left sampled');
  t.equal(c.execution(id).tasks[2]!.phase, Phase.Held, 'right waits for left\'s verification');
  t.equal(c.err([c.oracles[0]!], c.program.assignTask(c.oracles[0]!.publicKey, id, 1, c.execution(id).tasks[1]!.attempt, big.publicKey)).errorName, 'NodeExcluded', 'the asserter cannot verify itself');
  c.assign(id, 1, small.publicKey);
  t.equal(c.execution(id).tasks[1]!.phase, Phase.Verifying, 'the 24 GB node verifies one task of the group: no VRAM need for a verification');
  const v1 = c.commitResult(small, id, 1, r1.output);
  c.revealResult(small, id, 1, v1, 'fingerprint');
  c.revealResult(big, id, 1, r1);
  t.equal(c.execution(id).tasks[2]!.phase, Phase.Assigned, 'verified and accepted: right assigned to the group\'s node');
});

t.test('hostile: a node whose free stake covers one task of the group but not the group is excluded for stake, nothing held', async (t) => {
  // stake 10 USDC + 0.5 USDC per GB: 30 USDC at 40 GB, 58 USDC at 96 GB; the head group locks 11.2 x 4.5 = 50.4 USDC, left alone 22.4
  const { c, request, small, complete } = grouped({ ...PARAMS, stakeBase: 10n * USDC, stakePerGb: USDC / 2n });
  const thin = c.node([1, 2, 3, 4], 40), rich = c.node([1, 2, 3, 4], 96);
  const id = request();
  c.assign(id, 0, small.publicKey);
  complete(id, 0, small);
  const e = c.execution(id);
  const penalty = (i: number) => e.fees[i]! * BigInt(DEFAULT_PARAMS.rewardPpm + DEFAULT_PARAMS.slashPpm) / 1_000_000n;
  const free = c.nodeAccount(thin.publicKey).stake - c.nodeAccount(thin.publicKey).locked;
  t.ok(free >= penalty(1) && free < penalty(1) + penalty(2) + penalty(3), `free stake ${free} covers left (${penalty(1)}) but not the group (${penalty(1) + penalty(2) + penalty(3)})`);
  const o1 = c.oracles[0]!, o2 = c.oracles[1]!;
  c.ok([o1], c.program.assignTask(o1.publicKey, id, 1, 0, thin.publicKey));
  const q = c.ok([o2], c.program.assignTask(o2.publicKey, id, 1, 0, thin.publicKey));
  t.equal(selectionRecordsInLogs(q.logs, c.program.programId.toBase58())[0]!.outcome, SelectionOutcome.ExcludedForStake);
  const after = c.execution(id);
  t.same(after.tasks.map((x) => x.phase), [Phase.Done, Phase.Ready, Phase.Pending, Phase.Pending], 'the selection reopens, nothing held');
  t.equal(after.tasks[1]!.attempt, 1);
  t.ok(after.tasks[1]!.excluded.some((k) => k.equals(thin.publicKey)));
  t.equal(c.nodeAccount(thin.publicKey).locked, 0n, 'nothing locked');
  c.assign(id, 1, rich.publicKey);
  t.equal(c.nodeAccount(rich.publicKey).locked, penalty(1) + penalty(2) + penalty(3));
  for (const i of [1, 2, 3]) complete(id, i, rich);
  t.equal(c.execution(id).status, ExecStatus.Done);
  t.equal(c.nodeAccount(rich.publicKey).locked, 0n);
  t.equal(c.vault(), c.books(), 'vault = the books');
});

t.test('a failed execution (an undecided dispute on a group task): its held tasks end by timeout, their locks released without a penalty', async (t) => {
  const { c, request, big, complete } = grouped({ ...DEFAULT_PARAMS, pPpm: 1_000_000 });
  const [v, x1, x2, x3] = [0, 1, 2, 3].map(() => c.node([1, 2, 3, 4], 24));
  const id = request();
  c.assign(id, 0, big.publicKey);
  complete(id, 0, big); // sampled and verified by the helper's validator
  c.assign(id, 1, big.publicKey);
  const ac = complete(id, 1, big, out('A'), true);
  t.ok(ac.sampled);
  c.assign(id, 1, v.publicKey);
  const vc = c.commitResult(v, id, 1, out('V'));
  c.revealResult(v, id, 1, vc, 'fingerprint');
  c.revealResult(big, id, 1, ac, 'fingerprint'); // the fingerprints differ: a dispute
  const xs = ([[x1, 'A'], [x2, 'V'], [x3, 'X']] as const).map(([x, o]) => (c.assign(id, 1, x.publicKey), { x, cm: c.commitResult(x, id, 1, out(o)) }));
  for (const { x, cm } of xs) c.revealResult(x, id, 1, cm); // three arbiters, three answers: no majority
  let e = c.execution(id);
  t.equal(e.failed, true, 'the execution failed');
  t.same(e.tasks.map((x) => x.phase), [Phase.Done, Phase.Done, Phase.Held, Phase.Held], 'right and join still held for the group\'s node');
  t.equal(e.status, ExecStatus.Running);
  const before = c.nodeAccount(big.publicKey);
  t.ok(before.locked > 0n, `their R + S still locked: ${before.locked}`);
  t.equal(c.err([c.authority], c.program.timeout(id, 2, { modelId: 2, parties: [] })).errorName, 'NotAParty', 'the holding node\'s account is needed to release its lock');
  c.timeoutTask(id, 2);
  c.timeoutTask(id, 3);
  e = c.execution(id);
  t.equal(e.status, ExecStatus.Done, 'the execution ends');
  const after = c.nodeAccount(big.publicKey);
  t.equal(after.locked, 0n, 'no stake left locked');
  t.equal(after.activeJobs, 0);
  t.equal(after.stake, before.stake, 'no penalty: the node was not at fault');
  t.equal(after.lapses, before.lapses);
  t.equal(c.vault(), c.books(), 'vault = the books');
});

t.test('a group task\'s asserter caught not revealing after its validator: slashed, its held tasks lapse, and the task\'s new selection takes them with it', async (t) => {
  const { c, request, big, big2, small, complete } = grouped({ ...DEFAULT_PARAMS, pPpm: 1_000_000 });
  const id = request();
  c.assign(id, 0, small.publicKey);
  complete(id, 0, small);
  c.assign(id, 1, big.publicKey);
  const ac = complete(id, 1, big, undefined, true);
  t.ok(ac.sampled);
  const v = c.node([1, 2, 3, 4], 24);
  c.assign(id, 1, v.publicKey);
  c.revealResult(v, id, 1, c.commitResult(v, id, 1, ac.output), 'fingerprint');
  const stake = c.nodeAccount(big.publicKey).stake;
  c.svm.advanceSlots(c.execution(id).tasks[1]!.timeoutSlots + 1); // the asserter never reveals
  c.timeoutTask(id, 1);
  let e = c.execution(id);
  t.same(e.tasks.map((x) => x.phase), [Phase.Done, Phase.Ready, Phase.Pending, Phase.Pending], 'left reopens alone; right and join back to pending');
  const b = c.nodeAccount(big.publicKey);
  t.equal(b.slashes, 1, 'the asserter slashed for left');
  t.equal(b.lapses, 2, 'and right and join lapse (C each)');
  t.equal(stake - b.stake, (e.fees[1]! * BigInt(DEFAULT_PARAMS.rewardPpm + DEFAULT_PARAMS.slashPpm)) / 1_000_000n + e.fees[2]! + e.fees[3]!, 'R + S for left, C for each held task');
  t.equal(b.locked, 0n, 'nothing left locked');
  t.ok(e.tasks.slice(1).every((x) => x.excluded.some((k) => k.equals(big.publicKey))), 'excluded from the three');
  t.same(groupNeed(e, 1)?.members, [1, 2, 3], 'left\'s new selection is the group\'s again');
  const o = c.oracles[0]!;
  t.equal(c.err([o], c.program.assignTask(o.publicKey, id, 1, e.tasks[1]!.attempt, small.publicKey)).errorName, 'NodeVramTooSmall', 'with the group\'s VRAM rule');
  c.assign(id, 1, big2.publicKey);
  e = c.execution(id);
  t.same(e.tasks.map((x) => x.phase), [Phase.Done, Phase.Assigned, Phase.Held, Phase.Held]);
  t.ok(e.tasks.slice(1).every((x) => x.assigned?.equals(big2.publicKey)), 'the new node holds the whole group');
  for (const i of [1, 2, 3]) complete(id, i, big2);
  t.equal(c.execution(id).status, ExecStatus.Done);
  t.equal(c.vault(), c.books(), 'vault = the books');
});
