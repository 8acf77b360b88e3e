// Selection and the chain in the deterministic simulator: the real consensus cores (ConsensusSim),
// the real chain loop of every oracle (src/chain/loop.ts) in virtual time, its selection proofs
// gossiped over the simulated network, and the real SplitUp program in an in-process LiteSVM whose
// blocks follow virtual time. Requests arrive on a schedule; checkers: every assignment on chain
// has q matching votes and is the node re-derived from the published ECVRF proof and the honest
// committed table; assignment latency and fraction assigned; selection frequencies (chi-square).
// With compute agents (src/sim/compute-agents.ts) tasks are also computed, committed, revealed,
// sampled, verified, disputed, paid, slashed and penalized by the program, and the report holds each
// strategy's economics (honest and the attacks: lazy asserter, lazy validator, framer, colluding
// pair, late settler, griefer): its measured gain per task next to the formulas, and the checks
// that no honest node is slashed and every node's books are exact.
import { Keypair, PublicKey, type TransactionInstruction } from '@solana/web3.js';
import { ChainLoop, requestKey, roundForBlockTime, type ChainPort } from '../chain/loop.js';
import { MemoryVoteStore } from '../chain/vote-store.js';
import { LocalChain, MODEL_ID } from '../chain/local-chain.js';
import { DEFAULT_PARAMS, Ix, USDC } from '../chain/program.js';
import { ACCOUNT_SIZE, decodeExecution, decodeNode, ExecStatus, Phase, TAGS, type ExecutionAccount } from '../chain/layout.js';
import { programError } from '../chain/errors.js';
import { checkSelection, selectionOfTask } from '../chain/audit.js';
import { ConsensusSim, type ConsensusSimOptions } from './consensus-sim.js';
import { SimAgents, STRATEGIES, type SimAgent, type Strategy } from './compute-agents.js';
import { strategyFormulas } from './economics.js';
import { Rng } from '../common/rng.js';
import { VERIFY_ATTEMPT, VerifyResult, Sampled, NodeStatus, RUNNING, type NodeAccount } from '../chain/layout.js';
import { createHash } from 'node:crypto';
import type { PriorityPolicy } from '../chain/priority.js';
import type { ManifestDoc } from '../model/manifest.js';
import { TASKS } from '../chain/example-model.js';

/** The loop's view of an in-process chain whose block times are the simulator's virtual time. */
export class SvmChainPort implements ChainPort {
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
    this.snapshot ??= this.chain.svm.accounts.ofOwner(this.chain.programId.toBase58())
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, a]) => a.data);
    return this.snapshot.filter((d) => d.length === size && new DataView(d.buffer, d.byteOffset).getUint32(0, true) === tag);
  }
  async runningExecutions(keep: (data: Uint8Array) => boolean = () => true): Promise<ExecutionAccount[]> {
    return this.accounts(ACCOUNT_SIZE.execution, TAGS.execution).filter((d) => d[21] === ExecStatus.Running && keep(d)).map(decodeExecution);
  }
  allExecutions(): ExecutionAccount[] { return this.accounts(ACCOUNT_SIZE.execution, TAGS.execution).map(decodeExecution); }
  async nodes() { return this.accounts(ACCOUNT_SIZE.node, TAGS.node).map(decodeNode); }
  async model(id: number) { try { return this.chain.model(id); } catch { return null; } }
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
  model(id: number) { return this.inner.model(id); }
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
  agents?: { cheaters?: number[]; strategies?: Record<number, Strategy>; computeMs?: [number, number] };
  /** PoSP sampling probability in ppm (the program refuses one at or below its bound). */
  pPpm?: number;
  /** The model every request runs: a manifest (its new tasks registered after the example's), default the built-in diamond. */
  model?: ManifestDoc;
  /** every compute node's VRAM (GB; default 24): a model with task groups needs nodes with the groups' VRAM */
  nodeVramGb?: number;
  /** The order the oracles' chain loops work on open selections (default critical-path). */
  priority?: PriorityPolicy;
  /** Selections each oracle acts on per tick (a proof or a vote; default no bound): its transaction throughput. */
  selectionsPerTick?: number;
  /** Compute agents that run one task at a time, in the order they see their assignments (default: any number at once). */
  serialNodes?: boolean;
  /** A computation takes this many virtual ms per thousand compute units (±10 %) instead of agents.computeMs. */
  computeMsPerKcu?: number;
}

export interface StrategyEconomics {
  nodes: number;
  /** assignments held (any role) and Σ C over them (USDC base units): the per-task denominator */
  assignments: number; assignedC: string;
  /** of this strategy's compute-phase tasks that ended: sampled, and lies caught (slashes) */
  asserted: number; sampled: number; slashes: number; lapses: number;
  /** USDC base units: earned (fees and rewards), slashed, lapse penalties, compute cost; net = earned − slashed − penalized − cost */
  earned: string; slashed: string; penalized: string; computeCost: string; net: string;
  /** net / Σ C of its assignments: the gain per task in units of C */
  gainPerTaskC: number;
  /** (net − what honest work on the same assignments nets) / Σ C: the gain per task over honest work, units of C */
  honestNet: string; overHonestPerTaskC: number;
  slashedNodes: number;
}

export interface EconomicsOutcome {
  p: number; R: number; S: number;
  strategies: Partial<Record<Strategy, StrategyEconomics>>;
  /** expected gain per task over honest work by the program's payouts (units of C), per strategy */
  formulas: ReturnType<typeof strategyFormulas>;
  /** the seed's bound p > C/((1 − r)(R + S)) the program enforces, at r = 0.1 */
  bound: number;
  /** every node's account: stake, earned, slashed, status, actions */
  perNode: Array<{ node: string; strategy: string; status: string; stake: string; earned: string; slashed: string; penalized: string; computeCost: string; assignedC: string; compute: number; verify: number; arbitrate: number; colluded: number; reveals: number; failedActions: number }>;
  /** money conservation: Σ earned + treasury = escrow paid out + Σ slashed + Σ penalized (USDC base units) */
  conservation: { left: string; right: string };
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
  /** first request → last execution finished (virtual ms; null when some execution did not finish) */
  makespanMs: number | null;
  /** each execution's request → finish (virtual ms), p50 and max over those that finished */
  completionMs: { p50: number | null; max: number | null };
  /**
   * compute-phase runs the agents took up (null without agents), counting one lost with its node:
   * computeRuns − tasksDone is the number of tasks run again (all executions finished, honest agents)
   */
  computeRuns: number | null;
  /** tasks done on chain, executions completed, timeouts that reassigned a task */
  tasksDone: number; executionsDone: number; executionsFailed: number; reassigned: number;
  economics: EconomicsOutcome | null;
  violations: Array<{ kind: 'quorum' | 'selection' | 'slashed-honest' | 'books'; execId: string; detail: string }>;
  safe: boolean;
}

export async function runChainSim(o: ChainSimOptions, untilMs: number): Promise<ChainSimReport> {
  // every compute node is an agent that registers on chain; no dormant ones unless asked
  const sim = new ConsensusSim({ dormantNodes: 0, ...o });
  const oracleKeys = sim.signingSeeds.map((s) => Keypair.fromSeed(s));
  // the committee's authority from the seed: execution ids (and so every selection) derive from its committee address
  const authority = Keypair.fromSeed(createHash('sha256').update(`splitup/sim/authority/${o.seed}`).digest());
  const chain = new LocalChain(o.n, new PublicKey('SpLitUp111111111111111111111111111111111111'), oracleKeys, authority);
  const params = { ...DEFAULT_PARAMS, minTimeoutSlots: 40n, ...(o.pPpm !== undefined ? { pPpm: o.pPpm } : {}) };
  chain.initCommittee(params);
  chain.registerTasks();
  chain.registerModel();
  // a manifest's model: its new tasks (ids after the example's) and the model (id 2)
  let modelId = MODEL_ID;
  const taskIds: number[] = Object.values(TASKS).map((x): number => x.id);
  if (o.model) { const r = chain.registerManifest(o.model); modelId = r.modelId; taskIds.push(...r.taskIds); }
  for (const f of sim.feed.nodes) {
    const k = Keypair.fromSeed(f.seed);
    chain.svm.airdrop(k.publicKey, 10_000_000_000n); // fees and rent
    chain.fund(k.publicKey, 100_000n * USDC); // test USDC: the stake comes from here
    chain.ok([k], chain.program.registerNode(k.publicKey, o.nodeVramGb ?? 24), chain.program.specialize(k.publicKey, taskIds));
  }
  // one requester per execution (deterministic keys)
  const requesterOf = (k: number) => Keypair.fromSeed(createHash('sha256').update(`splitup/sim/requester/${o.seed}/${k}`).digest());
  const MAX_FEE = 2000n * USDC;
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
    proofTimeoutMs: o.proofTimeoutMs ?? 1500, graceSlots: 2, ...(o.priority ? { priority: o.priority } : {}), ...(o.selectionsPerTick ? { maxSelectionsPerTick: o.selectionsPerTick } : {}),
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
  const doneAt = new Map<bigint, number>();
  for (let k = 0; k < o.requests; k++) {
    const at = (o.startMs ?? 3000) + k * o.requestEveryMs;
    sim.at(at, async () => {
      const requester = requesterOf(k);
      const id = chain.program.executionId(requester.publicKey, BigInt(k + 1));
      chain.svm.airdrop(requester.publicKey, 10_000_000_000n);
      chain.fund(requester.publicKey, MAX_FEE);
      await port.send([requester], [chain.program.requestExecution(requester.publicKey, modelId, BigInt(k + 1), `cas://${id}`, MAX_FEE)]);
      requestedAt.set(id, sim.now);
    });
  }

  // compute agents: one per registered node, on their own random stream (runs without agents are unchanged)
  const model = chain.model(modelId);
  const fee = (e: ExecutionAccount, i: number) => model.computeUnits[i]! * params.pricePerKcu / 1000n;
  const cheaters = new Set(o.agents?.cheaters ?? []);
  const strategyAt = (j: number): Strategy => o.agents?.strategies?.[j] ?? (cheaters.has(j) ? 'cheater' : 'honest');
  const agents: SimAgent[] = sim.feed.nodes.map((f, j) => ({
    keypair: Keypair.fromSeed(f.seed), strategy: strategyAt(j), down: f.down, computeCost: 0n, assignedC: 0n, honestNet: 0n,
    reports: { compute: 0, verify: 0, arbitrate: 0, colluded: 0, reveals: 0, failed: 0, lateSettles: 0 },
  }));
  const workers = o.agents ? new SimAgents(agents, { port, rng: new Rng(BigInt(o.seed) * 7919n + 17n), computeMs: o.agents.computeMs ?? [200, 800],
    ...(o.computeMsPerKcu ? { computeMsOf: (e: ExecutionAccount, i: number) => Number(model.computeUnits[i]!) / 1000 * o.computeMsPerKcu! } : {}), ...(o.serialNodes ? { serial: true } : {}), now: () => sim.now, at: (t, f) => sim.at(t, f), fee, rewardPpm: params.rewardPpm }) : null;
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
    const running = await port.runningExecutions();
    const still = new Set(running.map((e) => e.execId));
    for (const id of requestedAt.keys()) if (!doneAt.has(id) && !still.has(id)) doneAt.set(id, sim.now);
    for (const e of running) {
      if (!assignedAt.has(e.execId) && e.tasks[0]!.phase >= Phase.Assigned) assignedAt.set(e.execId, sim.now);
      for (const [i, ts] of e.tasks.entries()) {
        const key = requestKey(e.execId, i, ts.attempt);
        if (!RUNNING.has(ts.phase) || seen.has(key)) continue;
        if (ts.group && ts.phase === Phase.Assigned && ts.voteMask === 0) continue; // assigned with its group: that selection is checked at the task that held it
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
    const reasons = !committed ? [] : proofs.map((proof) => checkSelection({ committee: sim.committee, nodes, selection: selectionOfTask(e, i)!, proof, round, table: { hash: committed.committed.hash, entries: committed.committed.entries } }));
    const reason = !proofs.length ? 'no honest oracle holds the proof' : !committed ? `round ${round} not committed by an honest oracle` : reasons.includes(null) ? null : reasons.join('; ');
    if (reason) violations.push({ kind: 'selection', execId: e.execId.toString(), detail: `${key}: ${reason}` });
    const verify = (ts.attempt & VERIFY_ATTEMPT) !== 0;
    if (!verify && ts.excluded.length) reassigned++;
    // fairness over first compute attempts (later attempts exclude the lapsed node)
    if (!verify && ts.excluded.length === 0) selections[ts.assigned!.toBase58()] = (selections[ts.assigned!.toBase58()] ?? 0) + 1;
  }
  const all = port.allExecutions();
  const nodes = await port.nodes();
  // the escrow left in an execution (finished or not) is the requester's until it closes the execution
  const escrowOut = all.reduce((a, e) => a + MAX_FEE - e.escrow, 0n);
  const economics = workers ? economicsOf(all, nodes, agents, params, chain.committee().treasury, escrowOut, (k) => chain.lamports(chain.program.nodeAddress(k)), violations) : null;
  // the vault holds exactly the books (treasury + stake + earned + escrow), in test USDC
  const vault = chain.vault(), books = chain.books();
  if (vault !== books) violations.push({ kind: 'books', execId: '-', detail: `the vault holds ${vault}, the books say ${books}` });

  const finished = [...doneAt].map(([id, t]) => t - requestedAt.get(id)!).sort((a, b) => a - b);
  const firstRequest = Math.min(...requestedAt.values());
  const makespanMs = doneAt.size === o.requests && o.requests > 0 ? Math.max(...doneAt.values()) - firstRequest : null;
  const lat = [...assignedAt].map(([id, t]) => t - requestedAt.get(id)!).sort((a, b) => a - b);
  const pct = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]! : null);
  const counts = sim.feed.nodes.map((f) => selections[new PublicKey(f.nodeId).toBase58()] ?? 0);
  const total = counts.reduce((a, b) => a + b, 0);
  const expect = total / counts.length;
  return {
    seed: o.seed, requests: o.requests, assigned: assignedAt.size, assignmentLatencyMs: { p50: pct(0.5), p99: pct(0.99), max: lat.at(-1) ?? null }, latenciesMs: lat,
    selections, chiSquare: total ? counts.reduce((a, c) => a + (c - expect) ** 2 / expect, 0) : null, foreignVotes,
    assignmentsChecked: seen.size, computeRuns: workers ? workers.asserterRuns : null, makespanMs, completionMs: { p50: finished.length ? finished[Math.floor(finished.length / 2)]! : null, max: finished.at(-1) ?? null }, tasksDone: all.reduce((a, e) => a + e.doneCount, 0), executionsDone: all.filter((e) => e.status === ExecStatus.Done).length, executionsFailed: all.filter((e) => e.failed).length, reassigned,
    economics, violations, safe: violations.length === 0 && sim.violations.length === 0,
  };
}

/**
 * Each strategy's economics from the final chain state and the agents' compute costs, and the books:
 * no honest node is ever slashed; every node's stake is its registered stake less what was slashed and
 * penalized, and its account holds exactly its rent (the money is in the committee's vault, checked
 * against the books by the caller); all money balances (Σ earned +
 * treasury = escrow paid out + Σ slashed + Σ penalized).
 */
function economicsOf(all: ExecutionAccount[], nodes: NodeAccount[], agents: SimAgent[], params: typeof DEFAULT_PARAMS, treasury: bigint, escrowOut: bigint,
  lamportsOf: (k: PublicKey) => bigint, violations: ChainSimReport['violations']): EconomicsOutcome {
  const strategyOf = new Map(agents.map((a) => [a.keypair.publicKey.toBase58(), a.strategy]));
  const nodeOf = new Map(nodes.map((n) => [n.key.toBase58(), n]));
  const asserted = new Map<string, { n: number; sampled: number }>();
  for (const e of all) for (const ts of e.tasks) {
    if (!ts.asserter) continue;
    const s = strategyOf.get(ts.asserter.toBase58()) ?? 'honest';
    const x = asserted.get(s) ?? { n: 0, sampled: 0 };
    x.n++; if (ts.sampled === Sampled.Yes) x.sampled++;
    asserted.set(s, x);
  }
  const RENT = BigInt((128 + ACCOUNT_SIZE.node) * 3480 * 2);
  let sumEarned = 0n, sumSlashed = 0n, sumPenalized = 0n;
  for (const n of nodes) {
    const k = n.key.toBase58();
    sumEarned += n.earned; sumSlashed += n.slashed; sumPenalized += n.penalized;
    if (strategyOf.get(k) === 'honest' && n.slashes > 0) violations.push({ kind: 'slashed-honest', execId: '-', detail: `honest node ${k} slashed ${n.slashes} time(s)` });
    const registered = params.stakeBase + params.stakePerGb * BigInt(n.vramGb);
    if (n.stake !== registered - n.slashed - n.penalized) violations.push({ kind: 'books', execId: '-', detail: `node ${k}: stake ${n.stake} != registered ${registered} − slashed ${n.slashed} − penalized ${n.penalized}` });
    const held = lamportsOf(n.key);
    if (held !== RENT) violations.push({ kind: 'books', execId: '-', detail: `node ${k}: account holds ${held} lamports, not its rent ${RENT}` });
    if (n.locked !== 0n && all.every((e) => e.status === ExecStatus.Done)) violations.push({ kind: 'books', execId: '-', detail: `node ${k}: ${n.locked} still locked with every execution done` });
  }
  const left = sumEarned + treasury, right = escrowOut + sumSlashed + sumPenalized;
  if (left !== right) violations.push({ kind: 'books', execId: '-', detail: `Σ earned + treasury = ${left} but escrow paid out + Σ slashed + Σ penalized = ${right}` });
  const summary = (s: Strategy): StrategyEconomics => {
    const mine = agents.filter((a) => a.strategy === s).map((a) => ({ a, n: nodeOf.get(a.keypair.publicKey.toBase58())! }));
    const sum = (f: (x: { a: SimAgent; n: NodeAccount }) => bigint) => mine.reduce((acc, x) => acc + f(x), 0n);
    const earned = sum((x) => x.n.earned), slashed = sum((x) => x.n.slashed), penalized = sum((x) => x.n.penalized), cost = sum((x) => x.a.computeCost), assignedC = sum((x) => x.a.assignedC);
    const net = earned - slashed - penalized - cost;
    return {
      nodes: mine.length, assignments: mine.reduce((a, x) => a + x.a.reports.compute + x.a.reports.verify + x.a.reports.arbitrate, 0), assignedC: assignedC.toString(),
      asserted: asserted.get(s)?.n ?? 0, sampled: asserted.get(s)?.sampled ?? 0,
      slashes: mine.reduce((a, x) => a + x.n.slashes, 0), lapses: mine.reduce((a, x) => a + x.n.lapses, 0),
      earned: earned.toString(), slashed: slashed.toString(), penalized: penalized.toString(), computeCost: cost.toString(), net: net.toString(),
      gainPerTaskC: assignedC ? Number(net) / Number(assignedC) : 0,
      honestNet: sum((x) => x.a.honestNet).toString(), overHonestPerTaskC: assignedC ? Number(net - sum((x) => x.a.honestNet)) / Number(assignedC) : 0,
      slashedNodes: mine.filter(({ n }) => n.status === NodeStatus.Slashed).length,
    };
  };
  const p = params.pPpm / 1e6, R = params.rewardPpm / 1e6, S = params.slashPpm / 1e6;
  const strategies: Partial<Record<Strategy, StrategyEconomics>> = {};
  for (const s of STRATEGIES) if (agents.some((a) => a.strategy === s)) strategies[s] = summary(s);
  return {
    p, R, S, strategies, formulas: strategyFormulas({ p, R, S, nodes: agents.length }), bound: 1 / ((1 - 0.1) * (R + S)),
    perNode: agents.map((a) => {
      const n = nodeOf.get(a.keypair.publicKey.toBase58())!;
      return { node: a.keypair.publicKey.toBase58(), strategy: a.strategy, status: NodeStatus[n.status] ?? String(n.status), stake: n.stake.toString(), earned: n.earned.toString(), slashed: n.slashed.toString(), penalized: n.penalized.toString(), computeCost: a.computeCost.toString(), assignedC: a.assignedC.toString(), compute: a.reports.compute, verify: a.reports.verify, arbitrate: a.reports.arbitrate, colluded: a.reports.colluded, reveals: a.reports.reveals, failedActions: a.reports.failed };
    }),
    conservation: { left: left.toString(), right: right.toString() },
  };
}

export interface EconomicsSweep {
  seeds: number[];
  unsafe: number[];
  p: number;
  /** per strategy over all seeds: Σ net / Σ C of assignments (units of C), its standard error across seeds, net USDC base units, slashes; compute-phase tasks it asserted and how many of them were sampled */
  strategies: Partial<Record<Strategy, { nodes: number; assignments: number; asserted: number; sampled: number; gainPerTaskC: number; stderrC: number; overHonestPerTaskC: number; overHonestStderrC: number; net: string; slashes: number; lapses: number; slashedNodes: number }>>;
  formulas: ReturnType<typeof strategyFormulas>;
  /** runs in which some execution had not finished by the end */
  unfinished: number[];
  /** executions that ended failed (an undecided dispute), over all runs */
  failedExecutions: number;
}

/**
 * Economics over several seeds. A dishonest node is caught, falls below its stake and is assigned no
 * more, so how many tasks it takes depends on its luck: the ratio of the sums over runs
 * (Σ net / Σ C) estimates the per-task gain; its standard error is the ratio estimator's across runs.
 */
export function sweepEconomics(reports: ChainSimReport[]): EconomicsSweep {
  const ecs = reports.map((r) => r.economics).filter((e): e is EconomicsOutcome => e !== null);
  if (!ecs.length) throw new Error('sweepEconomics: runs without compute agents');
  const strategies: EconomicsSweep['strategies'] = {};
  for (const s of STRATEGIES) {
    const xs = ecs.map((e) => e.strategies[s]).filter((x): x is StrategyEconomics => !!x);
    if (!xs.length) continue;
    const cs = xs.map((x) => Number(x.assignedC));
    const ratio = (nets: number[]) => {
      const N = cs.reduce((a, b) => a + b, 0), est = N ? nets.reduce((a, b) => a + b, 0) / N : 0, k = xs.length, mean = N / k;
      const v = k > 1 && N ? xs.reduce((a, _, i) => a + (nets[i]! - est * cs[i]!) ** 2, 0) / (k - 1) / (k * mean * mean) : 0;
      return [est, Math.sqrt(v)] as const;
    };
    const [est, se] = ratio(xs.map((x) => Number(x.net)));
    const [over, overSe] = ratio(xs.map((x) => Number(x.net) - Number(x.honestNet)));
    strategies[s] = {
      nodes: xs[0]!.nodes, assignments: xs.reduce((a, x) => a + x.assignments, 0), asserted: xs.reduce((a, x) => a + x.asserted, 0), sampled: xs.reduce((a, x) => a + x.sampled, 0), gainPerTaskC: est, stderrC: se, overHonestPerTaskC: over, overHonestStderrC: overSe,
      net: xs.reduce((a, x) => a + BigInt(x.net), 0n).toString(), slashes: xs.reduce((a, x) => a + x.slashes, 0), lapses: xs.reduce((a, x) => a + x.lapses, 0), slashedNodes: xs.reduce((a, x) => a + x.slashedNodes, 0),
    };
  }
  return {
    seeds: reports.map((x) => x.seed), unsafe: reports.filter((x) => !x.safe).map((x) => x.seed), p: ecs[0]!.p, strategies, formulas: ecs[0]!.formulas,
    unfinished: reports.filter((x) => x.executionsDone < x.requests).map((x) => x.seed), failedExecutions: reports.reduce((a, x) => a + x.executionsFailed, 0),
  };
}
