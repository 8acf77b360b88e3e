// Selection and the chain in the deterministic simulator: the real consensus cores (ConsensusSim),
// the real chain loop of every oracle (src/chain/loop.ts) in virtual time, its selection proofs
// gossiped over the simulated network, and the real SplitUp program in an in-process LiteSVM whose
// blocks follow virtual time. Requests arrive on a schedule; checkers: every assignment on chain
// has q matching votes and is the node re-derived from the published ECVRF proof and the honest
// committed table; assignment latency and fraction assigned; selection frequencies (chi-square).
// With compute agents (src/sim/compute-agents.ts) tasks are also computed, reported, sampled,
// verified, paid and slashed by the program, and the report holds each strategy's economics:
// the measured gain of a cheated task next to the formula C − p(1 − r)(C + R + S).
import { Keypair, PublicKey, type TransactionInstruction } from '@solana/web3.js';
import { ChainLoop, requestKey, roundForBlockTime, type ChainPort } from '../chain/loop.js';
import { MemoryVoteStore } from '../chain/vote-store.js';
import { LocalChain } from '../chain/local-chain.js';
import { DEFAULT_PARAMS, Ix } from '../chain/program.js';
import { ACCOUNT_SIZE, decodeExecution, decodeNode, ExecStatus, Phase, TAGS, type ExecutionAccount } from '../chain/layout.js';
import { programError } from '../chain/errors.js';
import { checkSelection } from '../chain/audit.js';
import { ConsensusSim, type ConsensusSimOptions } from './consensus-sim.js';
import { SimAgents, type SimAgent } from './compute-agents.js';
import { gainFormulas, Moments } from './economics.js';
import { Rng } from '../common/rng.js';
import { VERIFY_ATTEMPT, VerifyResult, Sampled, NodeStatus, type NodeAccount } from '../chain/layout.js';

/** The loop's view of an in-process chain whose block times are the simulator's virtual time. */
class SvmChainPort implements ChainPort {
  readonly program;
  readonly slotTimes = new Map<bigint, number>();
  constructor(readonly chain: LocalChain) { this.program = chain.program; }
  async slot(): Promise<bigint> { return this.chain.svm.slot(); }
  async blockTime(slot: bigint): Promise<number | null> { const t = this.slotTimes.get(slot); return t === undefined ? null : Math.floor(t / 1000); }
  // The program's accounts as of the last transaction or block (every change goes through send or
  // produce): every oracle, agent and checker reads them many times between two changes, and
  // LiteSVM's getProgramAccounts encodes every account anew per call (the simulator's largest cost
  // before this snapshot).
  private snapshot: Uint8Array[] | null = null;
  private accounts(size: number, tag: number): Uint8Array[] {
    // LiteSVM keeps accounts in a hash map whose order differs from process to process: sorted
    // by address, every oracle and agent walks them in one order and a run repeats from its seed
    this.snapshot ??= this.chain.svm.svm.getProgramAccounts(this.chain.programId.toBase58() as never)
      .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
      .map((a) => new Uint8Array(a.data));
    return this.snapshot.filter((d) => d.length === size && new DataView(d.buffer, d.byteOffset).getUint32(0, true) === tag);
  }
  async runningExecutions(keep: (data: Uint8Array) => boolean = () => true): Promise<ExecutionAccount[]> {
    return this.accounts(ACCOUNT_SIZE.execution, TAGS.execution).filter((d) => d[21] === ExecStatus.Running && keep(d)).map(decodeExecution);
  }
  allExecutions(): ExecutionAccount[] { return this.accounts(ACCOUNT_SIZE.execution, TAGS.execution).map(decodeExecution); }
  async nodes() { return this.accounts(ACCOUNT_SIZE.node, TAGS.node).map(decodeNode); }
  async send(signers: Keypair[], ixs: TransactionInstruction[]): Promise<string> {
    this.snapshot = null;
    const r = this.chain.send(signers, ...ixs);
    if (!r.ok) throw programError(r.error ?? 'unknown', r.logs);
    return r.signature ?? '';
  }
  produce(nowMs: number): void {
    this.snapshot = null;
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
  /** Compute nodes that compute, report and verify (without them assignments stay open). */
  agents?: { cheaters?: number[]; computeMs?: [number, number] };
  /** PoSP sampling probability in ppm (the program refuses one at or below its bound). */
  pPpm?: number;
}

export interface StrategyEconomics {
  nodes: number;
  /** compute-phase reports settled on chain */
  tasks: number;
  sampled: number;
  caught: number;
  /** of this strategy's sampled tasks, the fraction checked by a colluding validator */
  colludedFraction: number;
  /** lamports: earned (fees and rewards), slashed, compute cost; net = earned − slashed − cost */
  earned: string; slashed: string; computeCost: string; net: string;
  /** mean over this strategy's settled tasks of (payment − slash − compute cost) / C, with its standard error */
  gainPerTaskC: number; stderrC: number;
  slashedNodes: number;
}

export interface EconomicsOutcome {
  p: number; R: number; S: number;
  honest: StrategyEconomics; cheater: StrategyEconomics | null;
  /** the seed's formula with the measured r: C − p(1 − r)(R + S), and the program's: C − p(1 − r)(C + R + S) (units of C) */
  formulaGainPerTaskC: { seedModel: number; onChain: number } | null;
  /** every node's account: stake, earned, slashed, status, reports */
  perNode: Array<{ node: string; strategy: string; status: string; stake: string; earned: string; slashed: string; computeCost: string; compute: number; verify: number; colluded: number; failedReports: number }>;
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
  /** assignments checked (every task, attempt and verification seen on chain) */
  assignmentsChecked: number;
  /** tasks done on chain, executions completed, timeouts that reassigned a task */
  tasksDone: number; executionsDone: number; reassigned: number;
  economics: EconomicsOutcome | null;
  violations: Array<{ kind: 'quorum' | 'selection' | 'slashed-honest' | 'books'; execId: string; detail: string }>;
  safe: boolean;
}

export async function runChainSim(o: ChainSimOptions, untilMs: number): Promise<ChainSimReport> {
  const sim = new ConsensusSim(o);
  const oracleKeys = sim.signingSeeds.map((s) => Keypair.fromSeed(s));
  const chain = new LocalChain(o.n, new PublicKey('SpLitUp111111111111111111111111111111111111'), oracleKeys);
  const params = { ...DEFAULT_PARAMS, minTimeoutSlots: 40n, ...(o.pPpm !== undefined ? { pPpm: o.pPpm } : {}) };
  chain.initCommittee(params);
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
    sim.at(at, async () => {
      const id = BigInt(k + 1);
      await port.send([requester], [chain.program.requestExecution(requester.publicKey, 7, id, `cas://${id}`, 2_000_000_000n)]);
      requestedAt.set(id, sim.now);
    });
  }

  // compute agents: one per registered node, on their own random stream (runs without agents are unchanged)
  const model = chain.model(7);
  const fee = (e: ExecutionAccount, i: number) => model.computeUnits[i]! * params.pricePerKcu / 1000n;
  const cheaters = new Set(o.agents?.cheaters ?? []);
  const agents: SimAgent[] = sim.feed.nodes.map((f, j) => ({
    keypair: Keypair.fromSeed(f.seed), strategy: cheaters.has(j) ? 'cheater' : 'honest', down: f.down, computeCost: 0n, reports: { compute: 0, verify: 0, colluded: 0, failed: 0 },
  }));
  const workers = o.agents ? new SimAgents(agents, { port, rng: new Rng(BigInt(o.seed) * 7919n + 17n), computeMs: o.agents.computeMs ?? [200, 800], now: () => sim.now, at: (t, f) => sim.at(t, f), fee }) : null;
  if (workers) for (let t = 0; t <= untilMs; t += 100) sim.at(t + 7, () => workers.poll());

  // every assignment (task, attempt, verification) as it appears on chain, with the node set and
  // the proof an honest voter decided on, for the checkers at the end
  const honest = oracleKeys.map((_, i) => i).filter((i) => !o.byzantine?.[i] && !o.voteOther?.includes(i));
  const seen = new Map<string, { e: ExecutionAccount; i: number; nodes: NodeAccount[]; proofs: Uint8Array[] }>();
  // the distinct proofs honest oracles decided on for a request (a late primary proof can leave
  // oracles on different fallback provers; the chain takes the one that reached q votes)
  const decidedProofs = (key: string, also: Uint8Array[] = []) => {
    const out = [...also];
    for (const h of honest) { const x = loops[h]?.decided.get(key); if (x && !out.some((y) => Buffer.compare(x, y) === 0)) out.push(x); }
    return out;
  };
  for (let t = 0; t <= untilMs; t += 50) sim.at(t, async () => {
    let nodes: NodeAccount[] | null = null;
    for (const e of await port.runningExecutions()) {
      if (!assignedAt.has(e.execId) && e.tasks[0]!.phase >= Phase.Assigned) assignedAt.set(e.execId, sim.now);
      for (const [i, ts] of e.tasks.entries()) {
        const key = requestKey(e.execId, i, ts.attempt);
        if ((ts.phase !== Phase.Assigned && ts.phase !== Phase.Verifying) || seen.has(key)) continue;
        nodes ??= await port.nodes();
        seen.set(key, { e, i, nodes, proofs: decidedProofs(key) });
      }
    }
  });
  await sim.runUntilAsync(untilMs);

  // checkers over every assignment seen
  const violations: ChainSimReport['violations'] = [];
  const selections: Record<string, number> = {};
  let foreignVotes = 0, reassigned = 0;
  for (const [key, { e, i, nodes, proofs: early }] of seen) {
    const ts = e.tasks[i]!;
    const matching = ts.votes.filter((v) => v?.equals(ts.assigned!)).length;
    foreignVotes += ts.votes.filter((v) => v && !v.equals(ts.assigned!)).length;
    if (matching < sim.committee.q) violations.push({ kind: 'quorum', execId: e.execId.toString(), detail: `${key}: ${matching} matching votes` });
    const proofs = decidedProofs(key, early);
    const t = port.slotTimes.get(ts.readySlot);
    const round = t === undefined ? null : roundForBlockTime(sim.committee, Math.floor(t / 1000) * 1000);
    const committed = round === null ? undefined : honest.map((h) => sim.nodes[h]!.disk.commits.get(round)).find((x) => x);
    const reasons = !committed ? [] : proofs.map((proof) => checkSelection({ committee: sim.committee, nodes, exec: e, task: i, proof, round, table: { hash: committed.committed.hash, entries: committed.committed.entries } }));
    const reason = !proofs.length ? 'no honest oracle holds the proof' : !committed ? `round ${round} not committed by an honest oracle` : reasons.includes(null) ? null : reasons.join('; ');
    if (reason) violations.push({ kind: 'selection', execId: e.execId.toString(), detail: `${key}: ${reason}` });
    const verify = (ts.attempt & VERIFY_ATTEMPT) !== 0;
    if (!verify && ts.excluded.length) reassigned++;
    // fairness over first compute attempts (later attempts exclude the lapsed node)
    if (!verify && ts.excluded.length === 0) selections[ts.assigned!.toBase58()] = (selections[ts.assigned!.toBase58()] ?? 0) + 1;
  }
  const all = port.allExecutions();
  const nodes = await port.nodes();
  const economics = workers ? economicsOf(all, nodes, agents, fee, params, violations) : null;

  const lat = [...assignedAt].map(([id, t]) => t - requestedAt.get(id)!).sort((a, b) => a - b);
  const pct = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]! : null);
  const counts = sim.feed.nodes.map((f) => selections[new PublicKey(f.nodeId).toBase58()] ?? 0);
  const total = counts.reduce((a, b) => a + b, 0);
  const expect = total / counts.length;
  return {
    seed: o.seed, requests: o.requests, assigned: assignedAt.size, assignmentLatencyMs: { p50: pct(0.5), p99: pct(0.99), max: lat.at(-1) ?? null }, latenciesMs: lat,
    selections, chiSquare: total ? counts.reduce((a, c) => a + (c - expect) ** 2 / expect, 0) : null, foreignVotes,
    assignmentsChecked: seen.size, tasksDone: all.reduce((a, e) => a + e.doneCount, 0), executionsDone: all.filter((e) => e.status === ExecStatus.Done).length, reassigned,
    economics, violations, safe: violations.length === 0 && sim.violations.length === 0,
  };
}

/**
 * Each strategy's books from the final chain state: per settled task, what its computing node was
 * paid (C, or nothing when caught), slashed (R + S when caught) and spent computing (C when it
 * computed); in units of that task's C. Checks the books: no honest node is ever slashed, and the
 * node accounts' earned − slashed equals fees + rewards − slashes derived task by task.
 */
function economicsOf(all: ExecutionAccount[], nodes: NodeAccount[], agents: SimAgent[], fee: (e: ExecutionAccount, i: number) => bigint,
  params: typeof DEFAULT_PARAMS, violations: ChainSimReport['violations']): EconomicsOutcome {
  const PPM = 1_000_000n;
  const strategyOf = new Map(agents.map((a) => [a.keypair.publicKey.toBase58(), a.strategy]));
  const acc = { honest: new Moments(), cheater: new Moments() };
  const counts = { honest: { sampled: 0, caught: 0, colluded: 0 }, cheater: { sampled: 0, caught: 0, colluded: 0 } };
  const derived = new Map<string, bigint>(); // earned − slashed per node, from the tasks
  const add = (k: PublicKey, x: bigint) => derived.set(k.toBase58(), (derived.get(k.toBase58()) ?? 0n) + x);
  for (const e of all) e.tasks.forEach((ts, i) => {
    if (ts.phase !== Phase.Done || !ts.asserter) return;
    const s = strategyOf.get(ts.asserter.toBase58()) ?? 'honest';
    const c = fee(e, i), reward = c * BigInt(params.rewardPpm) / PPM, slash = c * BigInt(params.slashPpm) / PPM;
    const caught = ts.result === VerifyResult.Mismatch;
    const validator = ts.sampled === Sampled.Yes ? ts.assigned : null;
    if (ts.sampled === Sampled.Yes) { counts[s].sampled++; if (validator && strategyOf.get(validator.toBase58()) === 'cheater' && s === 'cheater') counts[s].colluded++; }
    if (caught) counts[s].caught++;
    const paid = caught ? 0n : c, lost = caught ? reward + slash : 0n, cost = s === 'honest' ? c : 0n;
    acc[s].add(Number(paid - lost - cost) / Number(c));
    add(ts.asserter, paid - lost);
    if (validator) add(validator, reward);
  });
  for (const n of nodes) {
    const k = n.key.toBase58();
    if (strategyOf.get(k) === 'honest' && n.slashes > 0) violations.push({ kind: 'slashed-honest', execId: '-', detail: `honest node ${k} slashed ${n.slashes} time(s)` });
    const books = n.earned - n.slashed;
    if (books !== (derived.get(k) ?? 0n)) violations.push({ kind: 'books', execId: '-', detail: `node ${k}: earned − slashed ${books} on chain, ${derived.get(k) ?? 0n} from its tasks` });
  }
  const nodeOf = new Map(nodes.map((n) => [n.key.toBase58(), n]));
  const summary = (s: 'honest' | 'cheater'): StrategyEconomics => {
    const mine = agents.filter((a) => a.strategy === s).map((a) => ({ a, n: nodeOf.get(a.keypair.publicKey.toBase58())! }));
    const earned = mine.reduce((x, { n }) => x + n.earned, 0n), slashed = mine.reduce((x, { n }) => x + n.slashed, 0n), cost = mine.reduce((x, { a }) => x + a.computeCost, 0n);
    return {
      nodes: mine.length, tasks: acc[s].n, sampled: counts[s].sampled, caught: counts[s].caught, colludedFraction: counts[s].sampled ? counts[s].colluded / counts[s].sampled : 0,
      earned: earned.toString(), slashed: slashed.toString(), computeCost: cost.toString(), net: (earned - slashed - cost).toString(),
      gainPerTaskC: acc[s].mean, stderrC: acc[s].stderr, slashedNodes: mine.filter(({ n }) => n.status === NodeStatus.Slashed).length,
    };
  };
  const p = params.pPpm / 1e6, R = params.rewardPpm / 1e6, S = params.slashPpm / 1e6;
  const cheater = agents.some((a) => a.strategy === 'cheater') ? summary('cheater') : null;
  const r = cheater?.colludedFraction ?? 0;
  return {
    p, R, S, honest: summary('honest'), cheater,
    formulaGainPerTaskC: cheater ? gainFormulas({ p, r, R, S }) : null,
    perNode: agents.map((a) => {
      const n = nodeOf.get(a.keypair.publicKey.toBase58())!;
      return { node: a.keypair.publicKey.toBase58(), strategy: a.strategy, status: NodeStatus[n.status] ?? String(n.status), stake: n.stake.toString(), earned: n.earned.toString(), slashed: n.slashed.toString(), computeCost: a.computeCost.toString(), compute: a.reports.compute, verify: a.reports.verify, colluded: a.reports.colluded, failedReports: a.reports.failed };
    }),
  };
}

export interface EconomicsSweep {
  seeds: number[];
  unsafe: number[];
  p: number;
  /** per strategy over all seeds: tasks settled, caught, gain per task (units of C) as the ratio of sums, its standard error across seeds, net lamports */
  honest: { tasks: number; caught: number; gainPerTaskC: number; stderrC: number; net: string };
  cheater: { tasks: number; caught: number; gainPerTaskC: number; stderrC: number; net: string; slashedNodes: number; colludedFraction: number } | null;
  formulaGainPerTaskC: { seedModel: number; onChain: number } | null;
  /** runs in which some execution had not finished by the end (their unsettled tasks are left out) */
  unfinished: number[];
}

/**
 * Economics over several seeds. A cheater is caught, falls below its stake and is assigned no more,
 * so how many tasks it computes depends on its luck: each run's per-task mean is biased, but the
 * number of tasks is a stopping time, so by Wald's identity the ratio of the sums over runs
 * (Σ gain / Σ tasks) estimates the per-task gain without bias as runs grow; its standard error is
 * the ratio estimator's across runs.
 */
export function sweepEconomics(reports: ChainSimReport[]): EconomicsSweep {
  const ecs = reports.map((r) => r.economics).filter((e): e is EconomicsOutcome => e !== null);
  if (!ecs.length) throw new Error('sweepEconomics: runs without compute agents');
  const ratio = (xs: Array<{ tasks: number; gainPerTaskC: number }>) => {
    const sums = xs.map((x) => x.gainPerTaskC * x.tasks), n = xs.map((x) => x.tasks);
    const N = n.reduce((a, b) => a + b, 0), est = N ? sums.reduce((a, b) => a + b, 0) / N : 0, k = xs.length, mean = N / k;
    const v = k > 1 && N ? xs.reduce((a, _, i) => a + (sums[i]! - est * n[i]!) ** 2, 0) / (k - 1) / (k * mean * mean) : 0;
    return { tasks: N, gainPerTaskC: est, stderrC: Math.sqrt(v) };
  };
  const sum = (xs: string[]) => xs.reduce((a, b) => a + BigInt(b), 0n).toString();
  const cheaters = ecs.map((e) => e.cheater).filter((c): c is StrategyEconomics => c !== null);
  const sampled = cheaters.reduce((a, c) => a + c.sampled, 0);
  const r = sampled ? cheaters.reduce((a, c) => a + c.colludedFraction * c.sampled, 0) / sampled : 0;
  const { p, R, S } = ecs[0]!;
  return {
    seeds: reports.map((x) => x.seed), unsafe: reports.filter((x) => !x.safe).map((x) => x.seed), p,
    honest: { ...ratio(ecs.map((e) => e.honest)), caught: ecs.reduce((a, e) => a + e.honest.caught, 0), net: sum(ecs.map((e) => e.honest.net)) },
    cheater: cheaters.length ? { ...ratio(cheaters), caught: cheaters.reduce((a, c) => a + c.caught, 0), net: sum(cheaters.map((c) => c.net)), slashedNodes: cheaters.reduce((a, c) => a + c.slashedNodes, 0), colludedFraction: r } : null,
    formulaGainPerTaskC: cheaters.length ? gainFormulas({ p, r, R, S }) : null,
    unfinished: reports.filter((x) => x.executionsDone < x.requests).map((x) => x.seed),
  };
}
