// Dynamic task prioritization: the chain loop works on open selections longest remaining path
// first (src/chain/priority.ts), every honest oracle in the same order, within its per-tick bound;
// and in the simulator, under contention on a wide DAG, that order finishes the executions sooner
// than oldest-first on a fixed seed.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { Keypair, type TransactionInstruction } from '@solana/web3.js';
import { LocalChain } from '../src/chain/local-chain.js';
import { ChainLoop, type ChainPort } from '../src/chain/loop.js';
import { MemoryVoteStore } from '../src/chain/vote-store.js';
import { DEFAULT_PARAMS, Ix, USDC } from '../src/chain/program.js';
import { orderSelections, remainingPaths, type PriorityPolicy } from '../src/chain/priority.js';
import { parseManifest } from '../src/model/manifest.js';
import { makeCommittee } from '../src/consensus/committee.js';
import { generateOracleKeys } from '../src/oracle/keys.js';
import { publicKeyFromSecret } from '../src/vrf/index.js';
import { sortEntries, tableHash, ZERO_HASH } from '../src/liveness/table.js';
import { runChainSim, SvmChainPort } from '../src/sim/chain-sim.js';

const wide = parseManifest(JSON.parse(readFileSync(new URL('../models/wide-dag.json', import.meta.url), 'utf8')));

t.test('remaining paths over the on-chain model, and the order of selections', async (t) => {
  const chain = new LocalChain(3);
  chain.initCommittee();
  chain.registerTasks();
  chain.registerModel();
  const { modelId } = chain.registerManifest(wide);
  // embed, gate, mix, branch-a, branch-b, branch-c, merge, head (compute units in thousands):
  // head 6; merge 12 + 6; branches 25 + 18; mix 30 + 43; gate 8 + 73; embed 40 + max(73, 43)
  t.same(remainingPaths(chain.model(modelId)).map(Number), [113_000, 81_000, 73_000, 43_000, 43_000, 43_000, 18_000, 6_000], 'the wide DAG');
  t.same(remainingPaths(chain.model(1)).map(Number), [35_000, 25_000, 25_000, 5_000], 'the diamond: embed → left | right → join');

  const paths = (id: number) => (id === modelId ? remainingPaths(chain.model(modelId)) : undefined);
  const open = [
    { execId: 7n, task: 1, readySlot: 10n, modelId }, { execId: 7n, task: 0, readySlot: 10n, modelId },
    { execId: 3n, task: 5, readySlot: 12n, modelId }, { execId: 3n, task: 2, readySlot: 12n, modelId },
    { execId: 9n, task: 0, readySlot: 8n, modelId: 99 }, // a model the loop cannot read: remaining path 0
  ];
  const names = (xs: typeof open) => xs.map((x) => `${x.execId}/${x.task}`);
  t.same(names(orderSelections(open, 'critical-path', paths)), ['7/0', '7/1', '3/2', '3/5', '9/0'], 'latest start first: seed slot − remaining path (113k, 81k, 73k, 43k, 0 compute units)');
  t.same(names(orderSelections(open, 'fifo', paths)), ['9/0', '7/0', '7/1', '3/2', '3/5'], 'fifo: oldest seed slot, then execution id, then task');
  t.same(names(orderSelections([...open].reverse(), 'critical-path', paths)), names(orderSelections(open, 'critical-path', paths)), 'the input order does not matter (every oracle reads accounts in its own order)');
  const tie = [{ execId: 5n, task: 0, readySlot: 10n, modelId }, { execId: 2n, task: 0, readySlot: 10n, modelId }, { execId: 4n, task: 0, readySlot: 9n, modelId }];
  t.same(names(orderSelections(tie, 'critical-path', paths)), ['4/0', '2/0', '5/0'], 'equal paths: oldest seed slot, then the smaller execution id');
  // waiting counts: the key is the latest start, seed slot − remaining path × slotsPerKcu (2) / 1000
  const aged = (embedAt: bigint) => names(orderSelections([{ execId: 1n, task: 1, readySlot: 0n, modelId }, { execId: 2n, task: 0, readySlot: embedAt, modelId }], 'critical-path', paths));
  t.same(aged(50n), ['2/0', '1/1'], 'an embed (226 slots to go) seeded 50 slots after a gate (162 slots to go) goes first');
  t.same(aged(100n), ['1/1', '2/0'], 'seeded 100 slots later, the gate that waited goes first: no selection starves behind newer long work');
  t.same(names(orderSelections([{ execId: 1n, task: 1, readySlot: 0n, modelId }, { execId: 2n, task: 0, readySlot: 100n, modelId }], 'critical-path', paths, 4)), ['2/0', '1/1'], 'at 4 slots per kcu a path weighs twice as much against waiting');
});

/** The loop's chain access, recording its assignTask votes in the order sent (they land, so the chain moves on as usual). */
class RecordingPort implements ChainPort {
  readonly votes: string[] = [];
  readonly program;
  constructor(private readonly inner: SvmChainPort) { this.program = inner.program; }
  slot() { return this.inner.slot(); }
  blockTime(s: bigint) { return this.inner.blockTime(s); }
  runningExecutions(keep?: (d: Uint8Array) => boolean) { return this.inner.runningExecutions(keep); }
  nodes() { return this.inner.nodes(); }
  model(id: number) { return this.inner.model(id); }
  send(signers: Keypair[], ixs: TransactionInstruction[]): Promise<string> {
    for (const ix of ixs) if (ix.programId.equals(this.program.programId) && ix.data[0] === Ix.AssignTask) this.votes.push(`${ix.data.readBigUInt64LE(1)}/${ix.data[9]}`);
    return this.inner.send(signers, ixs);
  }
}

/**
 * Three oracles' real chain loops over the real program (LiteSVM): two executions of the wide DAG
 * requested in one slot, so four selections are open (each execution's embed and gate). Round 1:
 * every loop ticks (provers prove; proofs are delivered after the round); round 2: every loop ticks
 * again and votes. Returns the two executions (smaller id first) and each oracle's votes of round 2.
 */
async function twoRounds(t: Test, policy: PriorityPolicy, budget?: number) {
  const keys = [0, 1, 2].map(() => generateOracleKeys());
  const signers = keys.map((k) => Keypair.fromSeed(k.signingSeed));
  const chain = new LocalChain(3, Keypair.generate().publicKey, signers);
  chain.initCommittee(DEFAULT_PARAMS, 3); // q = n: no selection is assigned before every oracle has voted
  chain.registerTasks();
  chain.registerModel();
  const { modelId, taskIds } = chain.registerManifest(wide);
  const nodes = [0, 1, 2, 3].map(() => chain.node(taskIds));
  const committee = makeCommittee(keys.map((k, i) => ({ name: `oracle-${i}`, signingKey: k.signingPublicKey, vrfKey: publicKeyFromSecret(k.vrfSecretKey), multiaddrs: [] })), { epochMs: 1000, genesisMs: 0 });
  const entries = sortEntries(nodes.map((n) => ({ nodeId: n.publicKey.toBytes(), status: 'online' as const, missed: 0, since: 0 })));
  const port = new SvmChainPort(chain);
  let now = 1000;
  const clock = { now: () => now };
  const inbox: Uint8Array[] = [];
  const ports = signers.map(() => new RecordingPort(port));
  const loops = signers.map((signer, i) => new ChainLoop({
    chain: ports[i]!, committee, me: i, signer, vrfSecret: keys[i]!.vrfSecretKey, votes: new MemoryVoteStore(), clock, priority: policy, ...(budget ? { maxSelectionsPerTick: budget } : {}),
    table: async (round) => ({ round, hash: tableHash({ roundId: round, asOf: Number(round + 1n) * 1000, prevHash: ZERO_HASH, entries }), entries }),
    publishProof: async (d) => { inbox.push(d); },
  }));
  for (const ms of [4000, 4400, 4800, 5200]) port.produce(ms);
  const requesters = [0, 1].map(() => Keypair.generate());
  for (const r of requesters) {
    chain.svm.airdrop(r.publicKey, 10_000_000_000n); // fees and rent
    chain.fund(r.publicKey, 2000n * USDC); // the escrow, in test USDC
    await port.send([r], [chain.program.requestExecution(r.publicKey, modelId, 1n, 'cas://' + '0'.repeat(64), 2000n * USDC)]);
  }
  const [a, b] = requesters.map((r) => chain.program.executionId(r.publicKey, 1n)).sort((x, y) => (x < y ? -1 : 1));
  now = 5300;
  for (const l of loops) await l.tick();
  t.same(ports.map((p) => p.votes), [[], [], []], 'round 1: proofs only (they reach the other oracles after the round)');
  for (const d of inbox.splice(0)) for (const l of loops) l.receiveProof(d);
  now = 5500;
  for (const l of loops) await l.tick();
  return { a: a!, b: b!, votes: ports.map((p) => p.votes) };
}

t.test('the chain loop votes in priority order, every oracle alike, within its per-tick bound', async (t) => {
  const cp = await twoRounds(t, 'critical-path');
  const expect = [`${cp.a}/0`, `${cp.b}/0`, `${cp.a}/1`, `${cp.b}/1`];
  for (const [i, v] of cp.votes.entries()) t.same(v, expect, `oracle ${i}: both embeds (remaining path 113k) before both gates (81k)`);

  const fifo = await twoRounds(t, 'fifo');
  for (const [i, v] of fifo.votes.entries()) t.same(v, [`${fifo.a}/0`, `${fifo.a}/1`, `${fifo.b}/0`, `${fifo.b}/1`], `oracle ${i} under fifo: one execution's tasks, then the next's`);

  // bounded: two selections acted on per tick — the two at the top of the order
  const bounded = await twoRounds(t, 'critical-path', 2);
  for (const [i, v] of bounded.votes.entries()) t.same(v, [`${bounded.a}/0`, `${bounded.b}/0`], `oracle ${i} with 2 per tick: the two embeds, the gates wait`);
  const boundedFifo = await twoRounds(t, 'fifo', 2);
  for (const [i, v] of boundedFifo.votes.entries()) t.same(v, [`${boundedFifo.a}/0`, `${boundedFifo.a}/1`], `oracle ${i} with 2 per tick under fifo: the first execution's embed and gate`);
});

t.test('sim chain: critical-path priority shortens the makespan under contention (fixed seed)', async (t) => {
  // 8 executions of the wide DAG at once; 4 oracles that each act on one selection per 200 ms tick;
  // 4 compute nodes that run one task at a time, 25 virtual ms per thousand compute units
  const run = (priority: PriorityPolicy) => runChainSim({
    n: 4, seed: 2, computeNodes: 4, requests: 8, requestEveryMs: 100, agents: { cheaters: [] },
    model: wide, priority, selectionsPerTick: 1, serialNodes: true, computeMsPerKcu: 25,
  }, 60_000);
  const [cp, fifo] = [await run('critical-path'), await run('fifo')];
  for (const r of [cp, fifo]) {
    t.ok(r.safe, 'every assignment checked: quorum, proof, committed table');
    t.equal(r.executionsDone, 8, 'every execution finished');
  }
  t.comment(`makespan: critical-path ${cp.makespanMs} ms, fifo ${fifo.makespanMs} ms (virtual)`);
  t.ok(cp.makespanMs! < fifo.makespanMs!, `critical-path ${cp.makespanMs} ms < fifo ${fifo.makespanMs} ms`);
});

t.test('sim chain: the priority and model flags refuse bad values by name', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const sim = (...args: string[]) => spawnSync(process.execPath, [new URL('../bin/sim.js', import.meta.url).pathname, 'chain', ...args], { encoding: 'utf8' });
  const cases: Array<[string[], RegExp]> = [
    [['--priority', 'longest'], /--priority longest: one of critical-path, fifo/],
    [['--model', '/nonexistent.json'], /--model \/nonexistent.json: ENOENT/],
  ];
  for (const [args, re] of cases) {
    const r = sim(...args);
    t.equal(r.status, 2, args.join(' '));
    t.match(r.stderr, re);
  }
});
