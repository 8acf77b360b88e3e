// Checkpoint recovery, measured: a compute node is killed in the middle of a deep DAG (models/
// deep-chain.json: eight tasks on seven levels) while it holds task 3 — it has computed the task and
// dies before its commitment lands. The program's timeout lapses the assignment (the node excluded
// from that task, its timeout doubled), the oracles select another node, and only that task runs
// again: the tensors of the three finished tasks stay in the content-addressed store under the hashes
// the chain accepted, and nothing computes them again. Counted from the agents (every computation,
// by task and role) and from the chain (tasks whose assignment lapsed).
//
// Real parts: the SplitUp program on the local validator (LiteSVM), three oracles running BFT
// liveness rounds over libp2p and their chain loops, four compute agents with their own CAS
// directories sharing tensors only through an HTTP CAS server. The kill stops the node's agent
// (nothing it sends lands any more) and its heartbeats, so the liveness committee marks it offline.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Keypair, LAMPORTS_PER_SOL, type TransactionInstruction } from '@solana/web3.js';
import { until } from './helpers/heartbeat.js';
import { ChainCommittee, PROGRAM_ID } from './helpers/chain-committee.js';
import { tempDir } from './helpers/oracle.js';
import { airdrop, faucet } from '../src/chain/bootstrap.js';
import { ChainClient, type SendOptions } from '../src/chain/client.js';
import { DEFAULT_PARAMS, Ix, USDC } from '../src/chain/program.js';
import { ExecStatus } from '../src/chain/layout.js';
import { registerPlan, registeredTasks } from '../src/chain/models.js';
import { parseManifest, planManifest } from '../src/model/manifest.js';
import { createCasServer } from '../src/cas/server.js';
import { blobStore } from '../src/cas/blobs.js';
import { sha256hex } from '../src/cas/store.js';
import { ComputeAgent, type AgentEvent } from '../src/node/agent.js';
import { encodeBundle } from '../src/model/tensor.js';
import { exampleInput, runTask } from '../src/model/example.js';

/** The task killed mid-computation: embed-4, with three tasks finished before it and four after. */
const KILL_TASK = 3;

/** A node's own RPC client that can be killed: from then on nothing it sends lands, it sees nothing. */
class KillableClient extends ChainClient {
  dead = false;
  /** Called for every commitment the node is about to send; true kills the node at that instant. */
  killBeforeCommit: (execId: bigint, task: number, attempt: number) => boolean = () => false;
  override async send(signers: Keypair[], ixs: TransactionInstruction[], o?: SendOptions): Promise<string> {
    if (this.dead) throw new Error('node killed');
    for (const ix of ixs)
      if (ix.programId.equals(this.program.programId) && ix.data[0] === Ix.Commit && this.killBeforeCommit(ix.data.readBigUInt64LE(1), ix.data[9]!, ix.data.readUInt32LE(10))) {
        this.dead = true;
        throw new Error('node killed');
      }
    return super.send(signers, ixs, o);
  }
  override async runningExecutions(keep?: (data: Uint8Array) => boolean) { return this.dead ? [] : super.runningExecutions(keep); }
}

t.test('a node killed mid-DAG: only its task re-runs, finished tasks are reused', async (t) => {
  // 1 s liveness rounds (a node is offline after 3 missed heartbeats), 100 ms blocks, a 10 s
  // minimum task timeout (a loaded machine must not lapse an honest node), default p = 0.1.
  const cc = new ChainCommittee(3, 4, { epochMs: 1000, loopPollMs: 250, params: { ...DEFAULT_PARAMS, minTimeoutSlots: 100n } });
  const { dir, cleanup } = tempDir('splitup-recovery-');
  const agents: ComputeAgent[] = [];
  const closers: Array<() => Promise<unknown>> = [];
  t.teardown(async () => { await Promise.all(agents.map((a) => a.stop())); for (const c of closers.reverse()) await c().catch(() => undefined); await cc.close(); cleanup(); });
  await cc.start();
  await cc.caughtUp(10, 120_000);
  for (let i = 0; i < 3; i++) cc.startLoop(i);
  const chain = cc.chain;

  // the deep model, registered from its manifest over the example tasks on chain
  const manifest = parseManifest(JSON.parse(readFileSync(new URL('../models/deep-chain.json', import.meta.url), 'utf8')));
  const known = await registeredTasks(chain, manifest.tasks.flatMap((x) => (x.taskId ? [x.taskId] : [])));
  const developer = Keypair.generate();
  await airdrop(chain, developer.publicKey, 2n * BigInt(LAMPORTS_PER_SOL));
  const { modelId } = await registerPlan(chain, developer, planManifest(manifest, (id) => known.get(id)));

  const token = randomBytes(16).toString('hex');
  const server = await createCasServer({ dir: join(dir, 'cas-server'), token });
  closers.push(() => server.close());
  const casUrl = await server.app.listen({ port: 0, host: '127.0.0.1' });

  // every computation an agent reports (commitment landed), and the one the kill interrupted
  const work: Array<{ node: number; kind: AgentEvent['kind']; task: number; attempt: number; at: number }> = [];
  let killed: { node: number; task: number; attempt: number; at: number; outputsBefore: string[] } | null = null;
  let execId = -1n;
  const clients = cc.nodeKeys.map(() => new KillableClient(chain.rpcUrl, PROGRAM_ID, cc.authority.publicKey));
  cc.nodeKeys.forEach((keypair, j) => {
    const client = clients[j]!;
    client.killBeforeCommit = (id, task, attempt) => {
      if (killed || id !== execId || task !== KILL_TASK) return false;
      killed = { node: j, task, attempt, at: Date.now(), outputsBefore: [] };
      cc.tc.feed.nodes[j]!.down.push([Date.now(), Infinity]); // no more heartbeats
      setImmediate(() => void agents[j]!.stop()); // the agent's tick is the caller: stop after it returns
      return true;
    };
    const a = new ComputeAgent({
      chain: client, keypair, cas: blobStore(join(dir, `node-${j}`), casUrl, token), pollMs: 250,
      onEvent: (e) => { if (e.kind === 'computed' || e.kind === 'verified' || e.kind === 'arbitrated') work.push({ node: j, kind: e.kind, task: e.task, attempt: e.attempt, at: Date.now() }); },
    });
    agents.push(a);
    a.start();
  });

  const requester = Keypair.generate();
  await airdrop(chain, requester.publicKey, 10n * BigInt(LAMPORTS_PER_SOL)); // fees and rent
  await faucet(chain, requester, requester.publicKey, 2000n * USDC); // the escrow, in test USDC
  const input = exampleInput(11);
  const uri = `cas://${await blobStore(join(dir, 'requester'), casUrl, token).put(encodeBundle([input]))}`;
  execId = chain.program.executionId(requester.publicKey, 1n);
  await chain.send([requester], [chain.program.requestExecution(requester.publicKey, modelId, 1n, uri, 2000n * USDC)]);

  // the outputs the chain holds when the node dies (the checkpoint)
  await until('the node holding task 3 killed', () => killed, 90_000, 50);
  const atKill = (await chain.execution(execId))!;
  killed!.outputsBefore = atKill.tasks.map((x) => Buffer.from(x.output).toString('hex'));
  // the chain right after the lapse: task 3 reopened without the killed node. Read then, not at the
  // end: if the re-run is later sampled for PoSP, its exclusions hold its asserter instead.
  const killedKey = cc.nodeKeys[killed!.node]!.publicKey;
  const reopened = await until('task 3 reopened without the killed node', async () => {
    const x = await chain.execution(execId);
    return x && x.tasks[KILL_TASK]!.excluded.some((n) => n.equals(killedKey)) ? x : null;
  }, 90_000, 100);
  const e = await until('the execution done', async () => { const x = await chain.execution(execId); return x?.status === ExecStatus.Done ? x : null; }, 120_000, 200);
  const k = killed!;
  const recoveredAt = work.find((w) => w.kind === 'computed' && w.task === KILL_TASK)!.at;
  t.comment(`killed node-${k.node} holding task ${KILL_TASK}; its task recomputed ${((recoveredAt - k.at) / 1000).toFixed(1)} s later (the 10 s task timeout, then a new selection)`);

  // the chain: exactly one assignment lapsed — task 3's, by the killed node — and, when it reopened,
  // the killed node was excluded and the timeout doubled. A task's exclusions also hold its asserter
  // once it is sampled (the validator is another node): a task ran again when it excluded any other node.
  const lapses = await Promise.all(cc.nodeKeys.map(async (n) => (await chain.node(n.publicKey))!.lapses));
  t.same(lapses, cc.nodeKeys.map((_, j) => (j === k.node ? 1 : 0)), 'one assignment lapsed, the killed node\'s');
  const reran = reopened.tasks.flatMap((x, i) => (x.excluded.some((n) => !x.asserter?.equals(n)) ? [i] : []));
  t.same(reran, [KILL_TASK], 'exactly one task reopened: the killed node\'s');
  t.ok(reopened.tasks[KILL_TASK]!.timeoutSlots >= 2 * reopened.baseTimeouts[KILL_TASK]!, `its timeout backed off (${reopened.baseTimeouts[KILL_TASK]} → ${reopened.tasks[KILL_TASK]!.timeoutSlots} slots)`);
  t.ok(e.tasks[KILL_TASK]!.asserter && !e.tasks[KILL_TASK]!.asserter!.equals(killedKey), 'another node computed it');

  // the agents: one compute-phase run per task, two for task 3 (the killed one and the re-run)
  const runs = e.tasks.map((_, i) => work.filter((w) => w.kind === 'computed' && w.task === i).length + (i === k.task ? 1 : 0));
  t.same(runs, e.tasks.map((_, i) => (i === KILL_TASK ? 2 : 1)), `compute runs per task: ${runs.join(', ')}`);
  t.equal(runs.reduce((a, b) => a + b, 0) - e.tasks.length, 1, 're-executed tasks: 1');
  const verifications = work.filter((w) => w.kind !== 'computed').length;
  t.comment(`compute runs ${runs.reduce((a, b) => a + b, 0)} for ${e.tasks.length} tasks; PoSP verifications ${verifications} (sampled tasks, not re-runs)`);

  // the checkpoint: the finished tasks' tensors were reused, never recomputed
  const after = work.filter((w) => w.at >= k.at);
  t.same(after.filter((w) => w.task < KILL_TASK), [], 'no computation of a finished task after the kill (any role)');
  for (let i = 0; i < KILL_TASK; i++) {
    const hex = Buffer.from(e.tasks[i]!.output).toString('hex');
    t.equal(hex, k.outputsBefore[i], `task ${i}: the output accepted before the kill is the one kept`);
    t.ok(server.store.has(hex), `task ${i}: its tensor is in the shared store`);
  }
  t.equal(k.outputsBefore[KILL_TASK], '0'.repeat(64), 'task 3 had no accepted output when its node died');

  // and the result is the model computed here, from the same input
  let h = input;
  for (let i = 0; i < 5; i++) h = runTask(1, [h])[0]!;
  const y = runTask(4, [runTask(2, [h])[0]!, runTask(3, [h])[0]!]);
  t.equal(Buffer.from(e.tasks[7]!.output).toString('hex'), sha256hex(encodeBundle(y)), 'the final output is the reference computation');
  // the escrow paid the computations (none twice for the re-run task: the lapsed node earned nothing);
  // what is left comes back when the requester closes the execution
  t.ok(e.escrow > 0n && e.escrow < 2000n * USDC, `escrow left after the fees: ${e.escrow}`);
  const before = await chain.usdcOf(requester.publicKey);
  await chain.send([requester], [chain.program.closeExecution(requester.publicKey, execId)]);
  t.equal(await chain.usdcOf(requester.publicKey) - before, e.escrow, 'closed: the unspent escrow refunded in USDC');
});

t.test('sim chain: a node dies mid-DAG in virtual time, one task re-runs (deep chain, seed 1)', async (t) => {
  // the options `sim chain --agents --model models/deep-chain.json --requests 4 --request-every-ms 500
  // --flap 0@6000-1000000` runs: node 0 stops (heartbeats and agent) at 6 s, holding a task
  const { runChainSim } = await import('../src/sim/chain-sim.js');
  const r = await runChainSim({
    n: 4, seed: 1, computeNodes: 6, requests: 4, requestEveryMs: 500, agents: { cheaters: [] },
    model: parseManifest(JSON.parse(readFileSync(new URL('../models/deep-chain.json', import.meta.url), 'utf8'))),
    flapping: [{ node: 0, from: 6000, to: 1_000_000 }],
    params: { epochMs: 1000, liveness: { intervalMs: 1000, missedForOffline: 3, graceMs: 200 } }, network: { minDelayMs: 1, maxDelayMs: 20 },
  }, 45_000);
  t.ok(r.safe, 'every assignment checked: quorum, the ECVRF proof of its own request, the committed table');
  t.equal(r.executionsDone, 4, 'every execution finished');
  t.equal(r.tasksDone, 32, 'every task done');
  t.equal(r.reassigned, 1, 'one assignment lapsed with its node');
  t.equal(r.computeRuns! - r.tasksDone, 1, `re-executed tasks: ${r.computeRuns} compute runs for ${r.tasksDone} tasks`);
});
