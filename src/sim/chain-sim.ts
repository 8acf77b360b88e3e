// Selection and the chain in the deterministic simulator: the real consensus cores (ConsensusSim),
// the real chain loop of every oracle (src/chain/loop.ts) in virtual time, its selection proofs
// gossiped over the simulated network, and the real SplitUp program in an in-process LiteSVM whose
// blocks follow virtual time. Requests arrive on a schedule; checkers: every assignment on chain
// has q matching votes and is the node re-derived from the published ECVRF proof and the honest
// committed table; assignment latency and fraction assigned; selection frequencies (chi-square).
import { Keypair, PublicKey, type TransactionInstruction } from '@solana/web3.js';
import { ChainLoop, roundForBlockTime, type ChainPort } from '../chain/loop.js';
import { MemoryVoteStore } from '../chain/vote-store.js';
import { LocalChain } from '../chain/local-chain.js';
import { DEFAULT_PARAMS, Ix } from '../chain/program.js';
import { ACCOUNT_SIZE, decodeExecution, decodeNode, ExecStatus, Phase, TAGS, type ExecutionAccount } from '../chain/layout.js';
import { programError } from '../chain/errors.js';
import { checkSelection } from '../chain/audit.js';
import { ConsensusSim, type ConsensusSimOptions } from './consensus-sim.js';

/** The loop's view of an in-process chain whose block times are the simulator's virtual time. */
class SvmChainPort implements ChainPort {
  readonly program;
  readonly slotTimes = new Map<bigint, number>();
  constructor(readonly chain: LocalChain) { this.program = chain.program; }
  async slot(): Promise<bigint> { return this.chain.svm.slot(); }
  async blockTime(slot: bigint): Promise<number | null> { const t = this.slotTimes.get(slot); return t === undefined ? null : Math.floor(t / 1000); }
  private accounts(size: number, tag: number): Uint8Array[] {
    return this.chain.svm.svm.getProgramAccounts(this.chain.programId.toBase58() as never)
      .map((a) => new Uint8Array(a.data)).filter((d) => d.length === size && new DataView(d.buffer, d.byteOffset).getUint32(0, true) === tag);
  }
  async runningExecutions(keep: (data: Uint8Array) => boolean = () => true): Promise<ExecutionAccount[]> {
    return this.accounts(ACCOUNT_SIZE.execution, TAGS.execution).filter((d) => d[21] === ExecStatus.Running && keep(d)).map(decodeExecution);
  }
  async nodes() { return this.accounts(ACCOUNT_SIZE.node, TAGS.node).map(decodeNode); }
  async send(signers: Keypair[], ixs: TransactionInstruction[]): Promise<string> {
    const r = this.chain.send(signers, ...ixs);
    if (!r.ok) throw programError(r.error ?? 'unknown', r.logs);
    return r.signature ?? '';
  }
  produce(nowMs: number): void {
    this.chain.svm.advanceSlots(1);
    this.slotTimes.set(this.chain.svm.slot(), nowMs);
  }
}

/** A Byzantine oracle's chain access: its assignTask votes name another registered node than it decided. */
class VoteOtherPort implements ChainPort {
  readonly program;
  constructor(private readonly inner: SvmChainPort, private readonly nodeKeys: PublicKey[]) { this.program = inner.program; }
  slot() { return this.inner.slot(); }
  blockTime(slot: bigint) { return this.inner.blockTime(slot); }
  runningExecutions(keep?: (data: Uint8Array) => boolean) { return this.inner.runningExecutions(keep); }
  nodes() { return this.inner.nodes(); }
  send(signers: Keypair[], ixs: TransactionInstruction[]): Promise<string> {
    return this.inner.send(signers, ixs.map((ix) => {
      if (!ix.programId.equals(this.program.programId) || ix.data[0] !== Ix.AssignTask) return ix;
      const d = ix.data;
      const chosen = new PublicKey(d.subarray(14, 46));
      const other = this.nodeKeys[(this.nodeKeys.findIndex((k) => k.equals(chosen)) + 1) % this.nodeKeys.length]!;
      return this.program.assignTask(signers[0]!.publicKey, d.readBigUInt64LE(1), d[9]!, d.readUInt32LE(10), other);
    }));
  }
}

export interface ChainSimOptions extends ConsensusSimOptions {
  requests: number;
  requestEveryMs: number;
  startMs?: number;
  slotMs?: number;
  pollMs?: number;
  proofTimeoutMs?: number;
  crashes?: Array<{ i: number; from: number; to: number }>;
  partitions?: Array<{ from: number; to: number; groups: number[][] }>;
  /** Byzantine oracles whose assignTask votes name another node than the proof selects. */
  voteOther?: number[];
}

export interface ChainSimReport {
  seed: number;
  requests: number;
  assigned: number;
  assignmentLatencyMs: { p50: number | null; p99: number | null; max: number | null };
  /** every request's assignment latency, sorted (virtual ms) */
  latenciesMs: number[];
  selections: Record<string, number>;
  chiSquare: number | null;
  /** votes on chain for another node than the one assigned (Byzantine or split votes) */
  foreignVotes: number;
  violations: Array<{ kind: 'quorum' | 'selection'; execId: string; detail: string }>;
  safe: boolean;
}

export async function runChainSim(o: ChainSimOptions, untilMs: number): Promise<ChainSimReport> {
  const sim = new ConsensusSim(o);
  const oracleKeys = sim.signingSeeds.map((s) => Keypair.fromSeed(s));
  const chain = new LocalChain(o.n, new PublicKey('SpLitUp111111111111111111111111111111111111'), oracleKeys);
  chain.initCommittee({ ...DEFAULT_PARAMS, minTimeoutSlots: 40n });
  chain.registerTasks();
  chain.registerModel();
  for (const f of sim.feed.nodes) {
    const k = Keypair.fromSeed(f.seed);
    chain.svm.airdrop(k.publicKey, 100_000_000_000n);
    chain.ok([k], chain.program.registerNode(k.publicKey, 24), chain.program.specialize(k.publicKey, [1, 2, 3, 4]));
  }
  const requester = Keypair.generate();
  chain.svm.airdrop(requester.publicKey, 1_000_000_000_000n);
  const port = new SvmChainPort(chain);
  port.produce(0);

  const slotMs = o.slotMs ?? 400, pollMs = o.pollMs ?? 200;
  const votes = oracleKeys.map(() => new MemoryVoteStore());
  const loops: Array<ChainLoop | null> = oracleKeys.map(() => null);
  const silent = (i: number) => o.byzantine?.[i] === 'silent';
  const clock = { now: () => sim.now };
  const nodeKeys = sim.feed.nodes.map((f) => new PublicKey(f.nodeId));
  const makeLoop = (i: number) => new ChainLoop({
    chain: o.voteOther?.includes(i) ? new VoteOtherPort(port, nodeKeys) : port, committee: sim.committee, me: i, signer: oracleKeys[i]!, vrfSecret: sim.vrfSecrets[i]!, clock, votes: votes[i]!,
    proofTimeoutMs: o.proofTimeoutMs ?? 1500, graceSlots: 2,
    table: async (round) => { const c = sim.nodes[i]!.disk.commits.get(round); return c ? { round, hash: c.committed.hash, entries: c.committed.entries } : null; },
    publishProof: async (bytes) => { sim.gossip(i, (to) => { loops[to]?.receiveProof(bytes); }); },
  });
  oracleKeys.forEach((_, i) => { if (!silent(i)) loops[i] = makeLoop(i); });

  // schedules: blocks, loop ticks, faults, requests
  for (let t = slotMs; t <= untilMs; t += slotMs) sim.at(t, () => port.produce(t));
  for (let t = 0; t <= untilMs; t += pollMs) oracleKeys.forEach((_, i) => sim.at(t + i, async () => { if (sim.nodes[i]!.core) await loops[i]?.tick(); }));
  for (const c of o.crashes ?? []) {
    sim.at(c.from, () => { sim.crash(c.i); loops[c.i] = null; });
    sim.at(c.to, () => { sim.restart(c.i); if (!silent(c.i)) loops[c.i] = makeLoop(c.i); });
  }
  for (const p of o.partitions ?? []) { sim.at(p.from, () => sim.partition(p.groups)); sim.at(p.to, () => sim.heal()); }
  const requestedAt = new Map<bigint, number>();
  const assignedAt = new Map<bigint, number>();
  for (let k = 0; k < o.requests; k++) {
    const at = (o.startMs ?? 3000) + k * o.requestEveryMs;
    sim.at(at, () => {
      const id = BigInt(k + 1);
      chain.ok([requester], chain.program.requestExecution(requester.publicKey, 7, id, `cas://${id}`, 2_000_000_000n));
      requestedAt.set(id, sim.now);
    });
  }
  for (let t = 0; t <= untilMs; t += 50) sim.at(t, async () => {
    for (const e of await port.runningExecutions()) if (!assignedAt.has(e.execId) && e.tasks[0]!.phase >= Phase.Assigned) assignedAt.set(e.execId, sim.now);
  });
  await sim.runUntilAsync(untilMs);

  // checkers on the final chain state
  const violations: ChainSimReport['violations'] = [];
  const nodes = await port.nodes();
  const selections: Record<string, number> = {};
  let foreignVotes = 0;
  const honest = oracleKeys.map((_, i) => i).filter((i) => !o.byzantine?.[i] && !o.voteOther?.includes(i));
  for (const e of await port.runningExecutions()) {
    const ts = e.tasks[0]!;
    if (ts.phase !== Phase.Assigned) continue;
    const matching = ts.votes.filter((v) => v?.equals(ts.assigned!)).length;
    foreignVotes += ts.votes.filter((v) => v && !v.equals(ts.assigned!)).length;
    if (matching < sim.committee.q) violations.push({ kind: 'quorum', execId: e.execId.toString(), detail: `${matching} matching votes` });
    const key = `${e.execId}/0/${ts.attempt}`;
    const proof = honest.map((i) => loops[i]?.decided.get(key)).find((x) => x);
    const t = port.slotTimes.get(ts.readySlot);
    const round = t === undefined ? null : roundForBlockTime(sim.committee, Math.floor(t / 1000) * 1000);
    const committed = round === null ? undefined : honest.map((i) => sim.nodes[i]!.disk.commits.get(round)).find((x) => x);
    const reason = !proof ? 'no honest oracle holds the proof' : !committed ? `round ${round} not committed by an honest oracle` : checkSelection({ committee: sim.committee, nodes, exec: e, task: 0, proof, round, table: { hash: committed.committed.hash, entries: committed.committed.entries } });
    if (reason) violations.push({ kind: 'selection', execId: e.execId.toString(), detail: reason });
    selections[ts.assigned!.toBase58()] = (selections[ts.assigned!.toBase58()] ?? 0) + 1;
  }
  const lat = [...assignedAt].map(([id, t]) => t - requestedAt.get(id)!).sort((a, b) => a - b);
  const pct = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]! : null);
  const counts = sim.feed.nodes.map((f) => selections[new PublicKey(f.nodeId).toBase58()] ?? 0);
  const total = counts.reduce((a, b) => a + b, 0);
  const expect = total / counts.length;
  return {
    seed: o.seed, requests: o.requests, assigned: assignedAt.size, assignmentLatencyMs: { p50: pct(0.5), p99: pct(0.99), max: lat.at(-1) ?? null }, latenciesMs: lat,
    selections, chiSquare: total ? counts.reduce((a, c) => a + (c - expect) ** 2 / expect, 0) : null, foreignVotes,
    violations, safe: violations.length === 0 && sim.violations.length === 0,
  };
}
