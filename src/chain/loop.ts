// The oracle's chain loop. Each tick reads program state (the source of truth; nothing
// depends on events) and, for every task awaiting assignment:
//   1. binds the request to the liveness table committed for the last complete round
//      before the block that named its seed (waits while that round is not committed);
//   2. if this oracle is the request's prover (or the k-th fallback after k proof
//      timeouts), proves the selection with its ECVRF key and publishes the proof;
//   3. verifies a published proof against the prover's VRF key, re-derives the selected
//      node, and votes assignTask for it — the vote written to disk (fsync) before it is
//      sent, so no restart ever makes this oracle vote a different node for the same
//      (execution, task, attempt).
// It also calls timeout and settle when they are due (permissionless; the designated
// oracle first, the others after a grace period).
// Open selections are worked on in priority order (src/chain/priority.ts: critical path first by
// default — the earliest latest start, seed slot minus the remaining path through the model's DAG),
// at most maxSelectionsPerTick of them per tick when that bound is set: the order is a function of
// chain state, so honest oracles agree on it.
// Time comes from the injected clock; chain, tables, proofs and vote storage are injected.
import { Keypair, PublicKey, type TransactionInstruction } from '@solana/web3.js';
import type { Clock } from '../common/clock.js';
import { bytesEqual, compareBytes, toBase58, toHex } from '../common/bytes.js';
import type { Committee as ConsensusCommittee } from '../consensus/committee.js';
import type { TableEntry } from '../liveness/table.js';
import { decodeSelectionProof, encodeSelectionProof, type SelectionProofMessage } from '../vrf/proof-message.js';
import { eligibleSet, pickFromBeta, proveSelection, proverIndex, verifySelection, type SelectionRequest } from '../vrf/selection.js';
import { PollLoop } from '../common/poll-loop.js';
import { asProgramError, type ChainClient } from './client.js';
import { groupNeed, memberSetAt, Phase, rawExecutionFailed, rawTaskPhase, REVEALING, RUNNING, requestKey, SELECTING, type Committee as ChainCommittee, type ExecutionAccount, type ModelAccount, type NodeAccount, NodeStatus } from './layout.js';
import { DEFAULT_PARAMS, partiesOf } from './program.js';
import { orderSelections, remainingPaths, type PriorityPolicy } from './priority.js';

export interface CommittedTable { round: bigint; hash: Uint8Array; entries: TableEntry[] }

export interface VoteStore {
  /** The node this oracle voted (or is about to vote) for a request key, if any. */
  get(key: string): Promise<Uint8Array | null>;
  /** Durably records the vote (fsync) before it is sent. */
  put(key: string, node: Uint8Array): Promise<void>;
}

/** What the loop needs from the chain: ChainClient (JSON-RPC), or the simulator's in-process chain. */
export interface ChainPort {
  readonly program: ChainClient['program'];
  slot(): Promise<bigint>;
  blockTime(slot: bigint): Promise<number | null>;
  runningExecutions(keep?: (data: Uint8Array) => boolean): Promise<ExecutionAccount[]>;
  nodes(): Promise<NodeAccount[]>;
  send(signers: Keypair[], ixs: TransactionInstruction[]): Promise<string>;
  /** The on-chain committee (its epochs' member sets); without it the loop assumes one epoch, its committee file's. */
  committee?(): Promise<ChainCommittee | null>;
  /** A model account (its DAG, for the critical-path order); without it selections are worked on oldest first. */
  model?(id: number): Promise<ModelAccount | null>;
  /** Calls `cb` when any account of the program changes; returns the unsubscribe (optional: polling covers its absence). */
  onProgramChange?(cb: () => void): () => Promise<void>;
}

export interface ChainLoopOptions {
  chain: ChainPort;
  committee: ConsensusCommittee;
  me: number;
  /** The oracle's signing key as a Solana keypair (its committee address). */
  signer: Keypair;
  vrfSecret: Uint8Array;
  table: (round: bigint) => Promise<CommittedTable | null>;
  publishProof: (bytes: Uint8Array) => Promise<void>;
  votes: VoteStore;
  clock: Clock;
  /** Poll interval: the fallback when subscribed, the only trigger otherwise. */
  pollMs?: number;
  /**
   * Wake on program account changes (when the chain offers a subscription) and on peers' proofs
   * (default true); false: poll only.
   */
  subscribe?: boolean;
  /** After this long without a proof the next oracle in order proves. */
  proofTimeoutMs?: number;
  /** Slots the non-designated oracles wait before calling a due timeout or settle. */
  graceSlots?: number;
  /**
   * The order open selections are worked on (default critical-path: the earliest latest start — seed
   * slot minus remaining path — first; fifo: the oldest seed slot first). Every honest oracle must use the same.
   */
  priority?: PriorityPolicy;
  /**
   * At most this many selections acted on (a proof made or a vote sent) per tick; the rest wait for
   * the next tick, in priority order (default: no bound). An oracle's votes are transactions it
   * awaits one by one, so this is its throughput per poll interval.
   */
  maxSelectionsPerTick?: number;
  log?: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void };
  onEvent?: (e: LoopEvent) => void;
}

export type LoopEvent =
  | { kind: 'proved'; key: string; selected: string | null }
  | { kind: 'voted'; key: string; node: string; signature: string }
  | { kind: 'no-eligible'; key: string }
  | { kind: 'joined'; key: string; node: string }
  | { kind: 'rejected-proof'; key: string; reason: string }
  | { kind: 'timeout' | 'settle'; key: string; signature: string }
  | { kind: 'other-epoch'; key: string; reason: string };

interface Pending { firstSeen: number; proved: Map<number, { msg: SelectionProofMessage; beta: Uint8Array; at: number }>; reportedEmpty?: boolean; echoedAt?: number }
interface ReceivedProof { m: SelectionProofMessage; verdict?: { ok: true; beta: Uint8Array } | { ok: false } }

/** Round bound to a request: the last round complete before the block time (ms). */
export function roundForBlockTime(c: ConsensusCommittee, blockTimeMs: number): bigint | null {
  const r = Math.floor((blockTimeMs - c.params.genesisMs) / c.params.epochMs) - 1;
  return r >= 0 ? BigInt(r) : null;
}

/**
 * Whether this oracle proves and votes on a selection seeded at `readySlot`, and its vote bit: only
 * when the selection's epoch (the on-chain member set in force at its seed slot) is the epoch of the
 * committee file it runs, that set is the file's members in the file's order, and its key is in it.
 * Anything else — a selection of an epoch this oracle does not run (before or after a rotation), a
 * committee file that does not match the chain — is left alone: the program would refuse the vote of
 * a key outside the selection's set, and a proof under another epoch's table and prover order is
 * not this committee's to make. Without an on-chain committee (a chain port that does not read it)
 * the file's order is the chain's.
 */
export function selectionEpochGate(onChain: ChainCommittee | null, file: ConsensusCommittee, me: PublicKey, readySlot: bigint): { act: true; index: number } | { act: false; reason: string } {
  if (!onChain) { const i = file.members.findIndex((m) => bytesEqual(m.signingKey, me.toBytes())); return i >= 0 ? { act: true, index: i } : { act: false, reason: 'not a member of the committee file' }; }
  const set = memberSetAt(onChain, readySlot);
  if (!set) return { act: false, reason: `seeded before the previous epoch (the chain is at epoch ${onChain.epoch}): it expires and reopens` };
  if (set.epoch !== file.epoch) return { act: false, reason: `a selection of epoch ${set.epoch}; this oracle runs epoch ${file.epoch}` };
  if (set.oracles.length !== file.n || set.oracles.some((k, i) => !bytesEqual(k.toBytes(), file.members[i]!.signingKey)))
    return { act: false, reason: `the on-chain member set of epoch ${set.epoch} is not the committee file's (keys or order)` };
  const index = set.oracles.findIndex((k) => k.equals(me));
  return index >= 0 ? { act: true, index } : { act: false, reason: `not a member of epoch ${set.epoch}` };
}

/** The committee's gossip topic for selection proofs. */
export const selectionProofTopic = (committeeId: Uint8Array): string => `splitup/selection-proof/v1/${Buffer.from(committeeId).toString('hex')}`;

/** Gossip validation of a selection-proof message: a reason to reject, or undefined. */
export function checkProofMessage(bytes: Uint8Array): string | undefined {
  try { decodeSelectionProof(bytes); return undefined; } catch (e) { return (e as Error).message; }
}

export { requestKey };

/**
 * What a selection proof is for: (execution, task id, attempt, seed). Without the seed, the selections
 * of two DAG nodes running the same task id would share proofs — and a verdict cached for one would
 * be taken for the other (found with models/deep-chain.json: five nodes run task 1).
 */
const proofKey = (r: SelectionRequest): string => `${r.executionId}/${r.taskId}/${r.attempt}/${toHex(r.seed)}`;

export class ChainLoop {
  private readonly poll: PollLoop;
  private readonly pending = new Map<string, Pending>();
  /**
   * proofs received, by request (proofKey): execution, task id, attempt and seed — a model may run
   * one task id at several nodes of its DAG, whose selections differ only in their seed
   */
  private readonly proofs = new Map<string, ReceivedProof[]>();
  private readonly blockTimes = new Map<bigint, number>();
  private readonly inFlight = new Set<string>();
  private readonly abstained = new Set<string>();
  /** Requests of another epoch than this oracle's (reported once each, bounded). */
  private readonly otherEpoch = new Set<string>();
  /** The proof each of this oracle's votes followed, by request key (bounded), for auditors. */
  readonly decided = new Map<string, Uint8Array>();

  /** Each model's remaining path per node (models do not change once registered; bounded). */
  private readonly paths = new Map<number, bigint[]>();

  /** When this loop started: requests whose block is older were opened while it was not running. */
  private readonly startedAt: number;

  constructor(readonly o: ChainLoopOptions) {
    this.startedAt = o.clock.now();
    const chain = o.chain;
    this.poll = new PollLoop({
      tick: () => this.tick(), everyMs: o.pollMs ?? 250, onError: (e) => o.log?.warn({ err: String(e) }, 'chain loop tick failed'),
      // program state changed (a request, a vote, a report): look now instead of at the next poll
      ...(o.subscribe !== false && chain.onProgramChange ? { subscribe: (wake: () => void) => chain.onProgramChange!(wake) } : {}),
    });
  }

  start(): void { this.poll.start(); }

  get pollStats(): PollLoop['stats'] { return this.poll.stats; }

  stop(): Promise<void> { return this.poll.stop(); }

  /** A selection proof from gossip (or this oracle). Kept until its request is handled. */
  receiveProof(bytes: Uint8Array): string | undefined {
    let m: SelectionProofMessage;
    try { m = decodeSelectionProof(bytes); } catch (e) { return (e as Error).message; }
    if (m.proverIndex >= this.o.committee.n) return 'prover index outside the committee';
    const key = proofKey(m.request);
    const list = this.proofs.get(key) ?? [];
    if (!list.some((p) => p.m.proverIndex === m.proverIndex && bytesEqual(p.m.proof, m.proof))) list.push({ m });
    if (list.length > this.o.committee.n * 2) list.shift(); // bounded: a spammer cannot grow it
    this.proofs.set(key, list);
    if (this.proofs.size > 10_000) this.proofs.delete(this.proofs.keys().next().value!); // oldest first: bounded memory
    if (m.proverIndex !== this.o.me && this.o.subscribe !== false) this.poll.wake(); // a peer's proof: verify and vote now, not at the next poll
    return undefined;
  }

  private async blockTimeMs(slot: bigint): Promise<number | null> {
    const cached = this.blockTimes.get(slot);
    if (cached !== undefined) return cached;
    const t = await this.o.chain.blockTime(slot);
    if (t === null) return null;
    this.blockTimes.set(slot, t * 1000);
    if (this.blockTimes.size > 4096) this.blockTimes.delete(this.blockTimes.keys().next().value!);
    return t * 1000;
  }

  /** One pass over chain state. */
  async tick(): Promise<void> {
    const slot = await this.o.chain.slot();
    // decode only executions with something to do: a selection open, a deadline passed, a settlement due
    const actionable = (data: Uint8Array) => {
      for (let i = 0; i < data[20]!; i++) {
        const { phase, deadlineSlot } = rawTaskPhase(data, i);
        if (SELECTING.has(phase) || phase === Phase.Committed) return true;
        if ((RUNNING.has(phase) || REVEALING.has(phase)) && slot > deadlineSlot) return true;
        if (phase === Phase.Held && rawExecutionFailed(data)) return true; // a held group task of a failed execution ends by timeout
      }
      return false;
    };
    const [executions, nodes, onChain] = await Promise.all([this.o.chain.runningExecutions(actionable), this.o.chain.nodes(), this.o.chain.committee ? this.o.chain.committee() : Promise.resolve(null)]);
    const open = new Set<string>();
    const work: Array<{ e: ExecutionAccount; task: number; key: string; voteIndex: number; execId: bigint; readySlot: bigint; modelId: number }> = [];
    for (const e of executions) {
      for (let i = 0; i < e.tasks.length; i++) {
        const ts = e.tasks[i]!;
        const key = requestKey(e.execId, i, ts.attempt);
        const ctx = { modelId: e.modelId, parties: partiesOf(ts) };
        if (SELECTING.has(ts.phase)) {
          open.add(key);
          if (slot > ts.readySlot + BigInt(ts.timeoutSlots) + this.grace(e, i)) {
            // no quorum within the task's timeout (split votes, no eligible node): expire the attempt
            await this.permissionless('timeout', key, () => this.o.chain.program.timeout(e.execId, i, ctx));
            continue;
          }
          const gate = selectionEpochGate(onChain, this.o.committee, this.o.signer.publicKey, ts.readySlot);
          if (!gate.act) {
            if (!this.otherEpoch.has(key)) {
              this.otherEpoch.add(key);
              if (this.otherEpoch.size > 10_000) this.otherEpoch.delete(this.otherEpoch.values().next().value!);
              this.o.onEvent?.({ kind: 'other-epoch', key, reason: gate.reason });
              this.o.log?.info({ key, reason: gate.reason }, 'selection left to its epoch\'s committee');
            }
            continue;
          }
          work.push({ e, task: i, key, voteIndex: gate.index, execId: e.execId, readySlot: ts.readySlot, modelId: e.modelId });
        } else if (((RUNNING.has(ts.phase) || REVEALING.has(ts.phase)) && slot > ts.deadlineSlot + this.grace(e, i)) || (ts.phase === Phase.Held && e.failed)) {
          // a commitment or a reveal not made in time: the program lapses, slashes or resolves; a
          // group's held task of a failed execution (its inputs will never be accepted): the program
          // releases its node's lock
          await this.permissionless('timeout', `${key}/${ts.phase}`, () => this.o.chain.program.timeout(e.execId, i, ctx));
        } else if (ts.phase === Phase.Committed && slot > ts.settleSlot + 1n + this.grace(e, i)) {
          await this.permissionless('settle', key, () => this.o.chain.program.settle(e.execId, i));
        }
      }
    }
    // the open selections in priority order, as many as this tick's bound allows
    const policy = this.o.priority ?? 'critical-path';
    if (policy === 'critical-path') await this.loadPaths(work.map((w) => w.modelId));
    let budget = this.o.maxSelectionsPerTick ?? Infinity;
    // remaining paths weigh against waiting at the committee's slotsPerKcu (the program's default without an on-chain committee)
    for (const w of orderSelections(work, policy, (id) => this.paths.get(id), onChain?.slotsPerKcu ?? DEFAULT_PARAMS.slotsPerKcu)) {
      if (budget <= 0) break;
      const acted = await this.handleRequest(w.e, w.task, nodes, w.key, w.voteIndex).catch((err) => { this.o.log?.warn({ key: w.key, err: String(err) }, 'selection failed; retrying next tick'); return false; });
      if (acted) budget--;
    }
    for (const k of this.pending.keys()) if (!open.has(k)) this.pending.delete(k);
    for (const k of this.abstained) if (!open.has(k)) this.abstained.delete(k);
    for (const k of this.otherEpoch) if (!open.has(k)) this.otherEpoch.delete(k);
  }

  /** The remaining paths of models not known yet (read once each; a model the chain cannot give ranks last). */
  private async loadPaths(ids: number[]): Promise<void> {
    if (!this.o.chain.model) return;
    for (const id of new Set(ids)) {
      if (this.paths.has(id)) continue;
      const m = await this.o.chain.model(id).catch(() => null);
      if (!m) continue;
      this.paths.set(id, remainingPaths(m));
      if (this.paths.size > 4096) this.paths.delete(this.paths.keys().next().value!);
    }
  }

  /** 0 for the designated oracle ((execId + task) mod n), graceSlots for the others. */
  private grace(e: ExecutionAccount, i: number): bigint {
    return Number((e.execId + BigInt(i)) % BigInt(this.o.committee.n)) === this.o.me ? 0n : BigInt(this.o.graceSlots ?? 4);
  }

  private async permissionless(kind: 'timeout' | 'settle', key: string, ix: () => TransactionInstruction): Promise<void> {
    const flight = `${kind}/${key}`;
    if (this.inFlight.has(flight)) return;
    this.inFlight.add(flight);
    try {
      const signature = await this.o.chain.send([this.o.signer], [ix()]);
      this.o.onEvent?.({ kind, key, signature });
    } catch (e) {
      const pe = asProgramError(e);
      // another oracle got there first, or the state moved on: nothing to do
      if (!pe || !['NotSettleable', 'TaskNotReady', 'NotExpired', 'SlotHashUnavailable'].includes(pe.errorName)) this.o.log?.warn({ key, err: String(e) }, `${kind} failed`);
    } finally {
      this.inFlight.delete(flight);
    }
  }

  /**
   * `voteIndex`: this oracle's index in the selection's on-chain member set (its bit in the vote mask).
   * Returns whether it acted (proved, or sent a vote): what counts against maxSelectionsPerTick.
   */
  private async handleRequest(e: ExecutionAccount, i: number, nodes: NodeAccount[], key: string, voteIndex: number): Promise<boolean> {
    const ts = e.tasks[i]!;
    const c = this.o.committee;
    const now = this.o.clock.now();
    const timeoutMs = this.o.proofTimeoutMs ?? 3000;
    const blockTime = await this.blockTimeMs(ts.readySlot);
    if (blockTime === null) return false;
    const round = roundForBlockTime(c, blockTime);
    if (round === null) return false;
    const table = await this.o.table(round);
    if (!table) return false; // not committed yet: wait
    const req: SelectionRequest = { executionId: e.execId, taskId: e.taskIds[i]!, attempt: ts.attempt, seed: ts.seed, exclude: ts.excluded.map((k) => k.toBytes()).sort(compareBytes) };
    const candidates = nodes.map((n) => ({ nodeId: n.key.toBytes(), active: n.status === NodeStatus.Active, specializations: n.specializations, vramGb: n.vramGb }));
    const eligible = eligibleSet(candidates, table.entries, req.taskId, req.exclude, groupNeed(e, i));
    // The fallback schedule counts from when this oracle first saw the request; for a request opened
    // before this loop started (a restart) from the request's block, as the running oracles count it.
    const openedBeforeStart = blockTime < this.startedAt;
    const p: Pending = this.pending.get(key) ?? { firstSeen: openedBeforeStart ? Math.min(blockTime, now) : now, proved: new Map() };
    this.pending.set(key, p);
    // Opened before this loop started: first listen for the proofs the others re-publish (every
    // third of a proof timeout), then prove or vote knowing them.
    if (openedBeforeStart && now - this.startedAt < timeoutMs / 2) return false;
    // While the request is open, a voter re-publishes the proof its vote followed: each proof is
    // gossiped by its prover, who may crash, so an oracle that missed it could otherwise not join.
    const followed = this.decided.get(key);
    if (followed && ts.voteMask & (1 << voteIndex) && now - (p.echoedAt ?? -Infinity) >= timeoutMs / 3) {
      p.echoedAt = now;
      await this.o.publishProof(followed);
    }

    // A late oracle (restarted, cut off, behind its RPC) joins the selection the others voted for.
    // Its fallback clock starts when it first sees the request, so it would otherwise prove at an
    // earlier rank, or wait for its own window, and vote for another node than the votes on chain:
    // the attempt then splits and waits for its expiry. It joins a node only when f + 1 other
    // oracles voted for it (so at least one honest oracle followed the rules) and a valid proof it
    // holds selects that node within the fallback window counted from the request's block time.
    if (!(ts.voteMask & (1 << voteIndex)) && !(await this.o.votes.get(key))) {
      const joined = this.joinable(e, i, req, round, table, eligible, Math.floor((now - blockTime) / timeoutMs), key, voteIndex);
      if (joined) {
        await this.o.votes.put(key, joined);
        this.o.onEvent?.({ kind: 'joined', key, node: toBase58(joined) });
        return this.sendVote(e, i, key, joined);
      }
    }

    // Prover duties (independent of this oracle's own vote): prove as prover k — k = 0, or the
    // k-th fallback after k proof timeouts with no earlier valid proof known — and re-publish
    // while the request is open (gossip does not replay; oracles may join late), with the
    // selection re-derived from the same pi when this oracle's view of the nodes changed.
    const maxK = Math.min(c.n - 1, Math.floor((now - p.firstSeen) / timeoutMs));
    const rank = this.ranks(req, maxK + 1); // the next fallback is accepted one period early
    const best = this.bestProof(req, round, table, eligible, rank, key);
    for (let k = 0; k <= maxK; k++) {
      if (proverIndex(req, c.n, k) !== this.o.me) continue;
      const mine = p.proved.get(k);
      if (mine) {
        const outcome = pickFromBeta(mine.beta, eligible);
        const selected = outcome.kind === 'selected' ? outcome.node : null;
        const changed = (selected === null) !== (mine.msg.selected === null) || (selected && mine.msg.selected && !bytesEqual(selected, mine.msg.selected));
        if (changed || now - mine.at >= timeoutMs / 3) {
          mine.msg = { ...mine.msg, selected };
          mine.at = now;
          await this.o.publishProof(encodeSelectionProof(mine.msg));
        }
        break;
      }
      if (best && best.rank < k) break; // an earlier prover's valid proof is known: no fallback
      // Late for this rank (behind its RPC, or restarted): the others have moved on to later
      // fallbacks. A proof of this rank now would only split their votes: follow a valid one known.
      if (k < maxK && best) break;
      // Restarted after the request opened: the others' schedule has run without this oracle, so for
      // one proof timeout it only follows (votes a proof it hears, or joins the votes on chain); it
      // proves after that only if it still knows no valid proof.
      if (openedBeforeStart && now - this.startedAt < timeoutMs) break;
      const { proof, beta, outcome } = proveSelection(c.params.suite, this.o.vrfSecret, req, table.hash, eligible);
      const msg: SelectionProofMessage = { suite: c.params.suite, request: req, roundId: round, tableHash: table.hash, proverIndex: this.o.me, proof, selected: outcome.kind === 'selected' ? outcome.node : null };
      const bytes = encodeSelectionProof(msg);
      p.proved.set(k, { msg, beta, at: now });
      this.receiveProof(bytes);
      await this.o.publishProof(bytes);
      this.o.onEvent?.({ kind: 'proved', key, selected: outcome.kind === 'selected' ? toBase58(outcome.node) : null });
      return true; // voted on the next tick, through the same checks as everyone's proofs
    }

    if (ts.voteMask & (1 << voteIndex)) return false; // this oracle's vote is on chain
    const persisted = await this.o.votes.get(key);
    if (persisted) return this.sendVote(e, i, key, persisted); // decided before (a restart, a failed send): the same vote, never another
    if (!best) return false;
    if (best.node === null) {
      if (!p.reportedEmpty) {
        p.reportedEmpty = true;
        this.o.onEvent?.({ kind: 'no-eligible', key });
        this.o.log?.warn({ key, round: round.toString() }, 'no eligible node for this request; reported, not guessed (the selection expires after its timeout)');
      }
      return false;
    }
    await this.o.votes.put(key, best.node);
    return this.sendVote(e, i, key, best.node);
  }

  /**
   * The valid proof of the earliest prover in fallback order, with the node it selects under this
   * oracle's view of the eligible set (pi verified once per proof; the selection re-derived each time).
   */
  private bestProof(req: SelectionRequest, round: bigint, table: CommittedTable, eligible: Uint8Array[], rank: Map<number, number>, key: string): { rank: number; node: Uint8Array | null } | null {
    for (const x of this.validProofs(req, round, table, eligible, rank, key)) {
      if (!this.decided.has(key)) this.decide(key, x.m);
      return { rank: x.rank, node: x.node };
    }
    return null;
  }

  /** The valid proofs of the provers in `rank`, earliest rank first, with the node each selects (pi verified once per proof). */
  private *validProofs(req: SelectionRequest, round: bigint, table: CommittedTable, eligible: Uint8Array[], rank: Map<number, number>, key: string): Generator<{ m: SelectionProofMessage; rank: number; node: Uint8Array | null }> {
    const c = this.o.committee;
    const list = (this.proofs.get(proofKey(req)) ?? [])
      .filter((x) => rank.has(x.m.proverIndex))
      .sort((a, b) => rank.get(a.m.proverIndex)! - rank.get(b.m.proverIndex)!);
    for (const x of list) {
      if (!x.verdict) {
        const reason = this.checkBinding(x.m, req, round, table);
        const check = reason ? null : verifySelection(c.params.suite, c.members[x.m.proverIndex]!.vrfKey, req, table.hash, eligible, x.m.proof);
        x.verdict = check?.ok ? { ok: true, beta: check.beta } : { ok: false };
        if (!check?.ok) this.o.onEvent?.({ kind: 'rejected-proof', key, reason: reason ?? (check && !check.ok ? check.message : 'invalid') });
      }
      if (x.verdict.ok) {
        const outcome = pickFromBeta(x.verdict.beta, eligible);
        yield { m: x.m, rank: rank.get(x.m.proverIndex)!, node: outcome.kind === 'selected' ? outcome.node : null };
      }
    }
  }

  /** Prover index → fallback rank, for ranks 0..upTo (at most n − 1). */
  private ranks(req: SelectionRequest, upTo: number): Map<number, number> {
    const n = this.o.committee.n, rank = new Map<number, number>();
    for (let k = 0; k <= Math.min(upTo, n - 1); k++) if (!rank.has(proverIndex(req, n, k))) rank.set(proverIndex(req, n, k), k);
    return rank;
  }

  /** Records the proof this oracle's vote follows, for auditors (bounded). */
  private decide(key: string, m: SelectionProofMessage): void {
    this.decided.set(key, encodeSelectionProof(m));
    if (this.decided.size > 50_000) this.decided.delete(this.decided.keys().next().value!);
  }

  /**
   * The node to join: named by the on-chain votes of at least f + 1 other oracles and selected by a
   * valid proof of a prover whose fallback rank is open `chainK` proof timeouts after the request's
   * block (the next rank one period early, as for the oracle's own window). Most votes first, then
   * the earliest rank.
   */
  private joinable(e: ExecutionAccount, i: number, req: SelectionRequest, round: bigint, table: CommittedTable, eligible: Uint8Array[], chainK: number, key: string, voteIndex: number): Uint8Array | null {
    const c = this.o.committee;
    const counts = new Map<string, number>();
    e.tasks[i]!.votes.forEach((v, j) => { if (v && j !== voteIndex) counts.set(v.toBase58(), (counts.get(v.toBase58()) ?? 0) + 1); });
    if (![...counts.values()].some((x) => x >= c.f + 1)) return null;
    const rank = this.ranks(req, Math.max(chainK, 0) + 1);
    let best: { m: SelectionProofMessage; node: Uint8Array; votes: number } | null = null;
    for (const x of this.validProofs(req, round, table, eligible, rank, key)) {
      const votes = x.node ? counts.get(toBase58(x.node)) ?? 0 : 0;
      if (x.node && votes >= c.f + 1 && (!best || votes > best.votes)) best = { m: x.m, node: x.node, votes };
    }
    if (!best) return null;
    this.decide(key, best.m);
    return best.node;
  }

  private checkBinding(m: SelectionProofMessage, req: SelectionRequest, round: bigint, table: CommittedTable): string | undefined {
    if (m.suite !== this.o.committee.params.suite) return 'suite differs from the committee';
    if (m.roundId !== round || !bytesEqual(m.tableHash, table.hash)) return `bound to round ${m.roundId}, expected ${round} (${toHex(table.hash).slice(0, 12)})`;
    if (!bytesEqual(m.request.seed, req.seed)) return 'seed differs from the chain';
    if (m.request.exclude.length !== req.exclude.length || m.request.exclude.some((x, j) => !bytesEqual(x, req.exclude[j]!))) return 'exclusions differ from the chain';
    return undefined;
  }

  /** Sends this oracle's vote; false when it is already in flight or abstained (nothing sent). */
  private async sendVote(e: ExecutionAccount, i: number, key: string, node: Uint8Array): Promise<boolean> {
    const flight = `vote/${key}`;
    if (this.inFlight.has(flight) || this.abstained.has(key)) return false;
    this.inFlight.add(flight);
    try {
      const ts = e.tasks[i]!;
      const signature = await this.o.chain.send([this.o.signer], [this.o.chain.program.assignTask(this.o.signer.publicKey, e.execId, i, ts.attempt, new PublicKey(node))]);
      this.o.onEvent?.({ kind: 'voted', key, node: toBase58(node), signature });
      return true;
    } catch (err) {
      const pe = asProgramError(err);
      if (pe && ['DoubleVote', 'AlreadyAssigned', 'TaskNotReady', 'WrongAttempt'].includes(pe.errorName)) return true; // recorded already, or moved on
      if (pe && ['NodeInactive', 'NodeExcluded', 'NodeNotSpecialized'].includes(pe.errorName)) {
        // the node left the eligible set after this oracle decided: the recorded vote can never count,
        // and no other vote is sent for this attempt; it expires after its timeout
        if (!this.abstained.has(key)) { this.abstained.add(key); this.o.log?.warn({ key, err: pe.errorName }, 'recorded vote refused by the program; abstaining for this attempt'); }
        return true;
      }
      this.o.log?.warn({ key, err: String(err) }, 'assignTask failed; retrying next tick');
      return true;
    } finally {
      this.inFlight.delete(flight);
    }
  }
}
