// Task groups end to end: models/deep-chain-grouped.json (the deep chain with its five embed layers as
// one group, 40 GB, and the branches with their join as another, 32 GB) runs on the real program (local
// validator over LiteSVM), three oracles' chain loops (ECVRF proofs, assignTask quorums) and four compute
// agents sharing tensors only through an HTTP CAS server. Two 48 GB nodes qualify for both groups; a
// 24 GB node for neither; a 48 GB node not specialised in `right` (task 3) for the trunk only. Checked:
// one compute selection per group, each made over the group's eligible set (never the 24 GB node, never
// the node lacking `right` for the head), every task of a group run by one node, which read the
// tensors between them from its own memory and downloaded nothing but the group's inputs from outside,
// while still putting every output in the store; the final output is the reference computation.
// The liveness table is one fixed table (every node online), as in test/requester.test.ts.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keypair, LAMPORTS_PER_SOL } from '@solana/web3.js';
import { until } from './helpers/heartbeat.js';
import { tempDir } from './helpers/oracle.js';
import { startFixedCommittee } from './helpers/fixed-committee.js';
import { startCountedAgents } from './helpers/counting-cas.js';
import { airdrop, faucet } from '../src/chain/bootstrap.js';
import { USDC } from '../src/chain/program.js';
import { attemptKind, ExecStatus, selectionRecordsInLogs } from '../src/chain/layout.js';
import { registerPlan, registeredTasks } from '../src/chain/models.js';
import { parseManifest, planManifest } from '../src/model/manifest.js';
import { blobStore } from '../src/cas/blobs.js';
import { sha256hex } from '../src/cas/store.js';
import { encodeBundle } from '../src/model/tensor.js';
import { exampleInput, runTask } from '../src/model/example.js';

t.test('a model with task groups runs end to end: one selection per group, over the group\'s eligible set, tensors kept on the node', async (t) => {
  const { dir, cleanup } = tempDir('splitup-groups-');
  t.teardown(cleanup);
  const closers: Array<() => Promise<unknown>> = [];
  t.teardown(async () => { for (const c of closers.reverse()) await c().catch(() => undefined); });
  const NODES = [{ vramGb: 48 }, { vramGb: 48 }, { vramGb: 24 }, { vramGb: 48, specializations: [1, 2, 4] }];
  const { chain, nodes, startLoops } = await startFixedCommittee(dir, closers, { nodes: NODES });
  const [small, lacking] = [nodes[2]!, nodes[3]!];

  const manifest = parseManifest(JSON.parse(readFileSync(new URL('../models/deep-chain-grouped.json', import.meta.url), 'utf8')));
  const known = await registeredTasks(chain, manifest.tasks.flatMap((x) => (x.taskId ? [x.taskId] : [])));
  const developer = Keypair.generate();
  await airdrop(chain, developer.publicKey, 2n * BigInt(LAMPORTS_PER_SOL));
  const { modelId } = await registerPlan(chain, developer, planManifest(manifest, (id) => known.get(id)));
  const model = (await chain.model(modelId))!;
  t.same(model.groups, [1, 1, 1, 1, 1, 2, 2, 2], 'the groups are on chain');
  t.same(model.groupVramGb.slice(0, 2), [40, 32]);

  startLoops();
  const { server, casUrl, token, stores, agents } = await startCountedAgents(dir, closers, chain, nodes);

  const requester = Keypair.generate();
  await airdrop(chain, requester.publicKey, 10n * BigInt(LAMPORTS_PER_SOL));
  await faucet(chain, requester, requester.publicKey, 2000n * USDC);
  const input = exampleInput(5);
  const inputHex = await blobStore(join(dir, 'requester'), casUrl, token).put(encodeBundle([input]));
  const execId = chain.program.executionId(requester.publicKey, 1n);
  const started = Date.now();
  await chain.send([requester], [chain.program.requestExecution(requester.publicKey, modelId, 1n, `cas://${inputHex}`, 2000n * USDC)]);
  const e = await until('the grouped execution done', async () => { const x = await chain.execution(execId); return x?.status === ExecStatus.Done ? x : null; }, 150_000, 200);
  t.comment(`8 tasks in 2 groups: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // the reference computation
  let h = input;
  const expect: string[] = [];
  for (let i = 0; i < 5; i++) { const o = runTask(1, [h]); h = o[0]!; expect.push(sha256hex(encodeBundle(o))); }
  const l = runTask(2, [h]), r = runTask(3, [h]), y = runTask(4, [l[0]!, r[0]!]);
  expect.push(sha256hex(encodeBundle(l)), sha256hex(encodeBundle(r)), sha256hex(encodeBundle(y)));
  t.same(e.tasks.map((x) => Buffer.from(x.output).toString('hex')), expect, 'every task\'s accepted output is the reference computation');
  for (const hex of expect) t.ok(server.store.has(hex), `output ${hex.slice(0, 8)} is in the shared store (a PoSP validator reads it there)`);

  // the selections, from the program's records on the ledger
  const records = (await chain.history(chain.program.executionAddress(execId))).flatMap((tx) => (tx.ok ? selectionRecordsInLogs(tx.logs, chain.program.programId.toBase58()) : [])).filter((x) => x.execId === execId);
  const compute = records.filter((x) => attemptKind(x.attempt) === 'compute');
  const lapses = await Promise.all(nodes.map(async (n) => (await chain.node(n.publicKey))!.lapses));
  t.comment(`compute selections ${compute.map((x) => `task ${x.task} → members ${x.members.toString(2)}`).join('; ')}; lapses ${lapses.join(',')}`);
  if (lapses.every((x) => x === 0)) t.equal(compute.length, 2, 'no lapse: one compute selection per group');
  t.ok(compute.some((x) => x.members === 0b00011111), 'the trunk selected as one');
  t.ok(compute.some((x) => x.members === 0b11100000), 'the head selected as one');
  for (const x of compute) {
    t.notOk(x.node.equals(small.publicKey), `task ${x.task}: the 24 GB node is never selected for a group`);
    if (x.members & 0b11100000) t.notOk(x.node.equals(lacking.publicKey), `task ${x.task}: the node lacking \`right\` is never selected for the head`);
  }
  for (const [g, members] of [[1, [0, 1, 2, 3, 4]], [2, [5, 6, 7]]] as const) {
    const asserters = new Set(members.map((i) => e.tasks[i]!.asserter!.toBase58()));
    t.equal(asserters.size, 1, `group ${g}: one node ran every task`);
  }

  // the group's node read the tensors between its tasks from memory and downloaded only what came from outside
  const trunkNode = nodes.findIndex((n) => n.publicKey.equals(e.tasks[0]!.asserter!));
  const headNode = nodes.findIndex((n) => n.publicKey.equals(e.tasks[5]!.asserter!));
  t.ok(agents[trunkNode]!.stats.groupLocal >= 4, `the trunk's node read ${agents[trunkNode]!.stats.groupLocal} inputs from its own memory`);
  t.ok(agents[headNode]!.stats.groupLocal >= 2, `the head's node read ${agents[headNode]!.stats.groupLocal} inputs from its own memory`);
  const internal = new Set([...expect.slice(0, 4), ...expect.slice(5, 7)]); // outputs consumed inside their own group
  for (const [k, node] of [[trunkNode, 'trunk'], [headNode, 'head']] as const) {
    const own = stores[k]!.transfer.readHashes.filter((x) => internal.has(x) && (node === 'trunk' ? expect.slice(0, 4) : expect.slice(5, 7)).includes(x));
    t.same(own, [], `the ${node}'s node downloaded none of its group's internal tensors`);
  }
  t.comment(`downloads per node: ${stores.map((s) => `${s.transfer.reads} (${s.transfer.readBytes} B)`).join(', ')}; uploads ${stores.map((s) => s.transfer.writes).join(', ')}`);
  const ex = (await chain.execution(execId))!;
  t.equal(ex.status, ExecStatus.Done);
  const books = await Promise.all(nodes.map(async (n) => (await chain.node(n.publicKey))!.locked));
  t.same(books, nodes.map(() => 0n), 'every stake lock released');
});

t.test('sim chain: the grouped deep chain in virtual time — every selection checked against its group\'s eligible set, fewer selections, sooner done', async (t) => {
  // `sim chain --agents --model models/deep-chain[-grouped].json --node-vram 48 --requests 4 --request-every-ms 500 --seed 1`
  const { runChainSim } = await import('../src/sim/chain-sim.js');
  const run = (name: string) => runChainSim({
    n: 4, seed: 1, computeNodes: 6, requests: 4, requestEveryMs: 500, agents: { cheaters: [] }, nodeVramGb: 48,
    model: parseManifest(JSON.parse(readFileSync(new URL(`../models/${name}.json`, import.meta.url), 'utf8'))),
    params: { epochMs: 1000, liveness: { intervalMs: 1000, missedForOffline: 3, graceMs: 200 } }, network: { minDelayMs: 1, maxDelayMs: 20 },
  }, 45_000);
  const flat = await run('deep-chain'), grouped = await run('deep-chain-grouped');
  for (const [name, r] of [['per task', flat], ['grouped', grouped]] as const) {
    t.ok(r.safe, `${name}: every assignment checked (quorum, the ECVRF proof of its request over the eligible set, the committed table)`);
    t.equal(r.violations.length, 0);
    t.equal(r.executionsDone, 4, `${name}: every execution finished`);
    t.equal(r.tasksDone, 32);
    t.equal(r.computeRuns, 32, `${name}: each task computed once`);
  }
  t.ok(grouped.assignmentsChecked < flat.assignmentsChecked, `selections: ${grouped.assignmentsChecked} grouped (2 per execution + verifications) against ${flat.assignmentsChecked} per task`);
  t.comment(`completion p50 ${grouped.completionMs.p50} ms grouped, ${flat.completionMs.p50} ms per task; makespan ${grouped.makespanMs} against ${flat.makespanMs} ms (virtual)`);
});
