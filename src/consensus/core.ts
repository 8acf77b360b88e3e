// The BFT agreement core for one LivenessTable per round: Tendermint-style
// propose / prevote / precommit with locking and view changes, as a
// deterministic, sans-IO state machine.
//
// Inputs:  onMessage(msg, now), onFetched(decision, table, now) (catch-up answers), onTick(now),
//          and at construction the restored persisted state (last committed round, own signed messages).
// Outputs: Effects, to be executed in order by the driver:
//            persist  — an own signed message; MUST be durable before any later effect runs
//            send     — gossip a message
//            commit   — a round is decided (table + certificate); persist it
//            fetch    — we are behind: get certified rounds (or the newest snapshot) from peers
//            evidence — two different messages one member signed for one (round, view, kind)
//          and nextDeadline(), the time at which onTick must be called.
//
// Rules (n members, quorum q = ⌈(n+f+1)/2⌉; proposer of (r, v) = committee[(r + v) mod n]):
//   attest    at the round's start every member signs (once) and sends its attestation: which nodes
//             of the previous table's roster it heard from (src/liveness/attestation.ts).
//   propose   the proposer sends its valid value (a value that gathered q prevotes, if any) or, once
//             it holds q attestations, a fresh table that follows from them (asOf = the epoch's end).
//   prevote   for the proposal if it is valid and (not locked, or locked on it, or it carries a
//             proof-of-lock from a view ≥ our lock); otherwise nil; nil on propose timeout.
//   precommit on q prevotes for a valid proposal in this view: lock on it and precommit it;
//             on q nil prevotes or prevote timeout: precommit nil.
//   commit    on q precommits for one value in any view, with its proposal: decide; the q
//             signatures are the commit certificate.
//   view      +1 on precommit timeout; jump to v' when f+1 members have sent messages from views ≥ v'.
// Own messages are signed once per (round, view, kind) and replayed, never re-signed with
// another value, also across restarts (the driver restores them from disk).
//
// Resources per member are bounded whatever it sends (docs/consensus.md, "Bounded resources"):
// full vote state is kept only for views up to current + 1 (views honest oracles reach by timeouts);
// of a member's messages from higher views only those of its highest view are kept; of future
// rounds only the next one is buffered, at most FUTURE_PER_SENDER messages / FUTURE_BYTES_PER_SENDER
// bytes per member; a certificate from the network is verified at most once per member per
// certBudgetMs. Tallies are incremental, so a message costs the same however many views exist.
import { bytesEqual } from '../common/bytes.js';
import type { Ed25519Signer } from '../common/ed25519.js';
import { decodeBitmap } from '../liveness/attestation.js';
import { decodeTable, tableHash } from '../liveness/table.js';
import { epochEnd, proposerOf, type Committee } from './committee.js';
import { checkSignature, CommitteeKeys, MAX_MESSAGE_BYTES, signMessage, verifyCertificate, type AttestationMessage, type Body, type Certificate, type CertSig, type Message, type Proposal } from './messages.js';
import { attestationFits, buildRound, pickAttestations, attestationBody, validateRound, type CommittedRound, type LivenessSource } from './validity.js';

export type Effect =
  | { type: 'persist'; msg: Message }
  | { type: 'send'; msg: Message }
  | { type: 'commit'; committed: CommittedRound; decision: Message }
  | { type: 'fetch'; fromRound: bigint; target: bigint | null }
  | { type: 'evidence'; a: Message; b: Message };

export interface CoreOptions {
  committee: Committee;
  me: number;
  signer: Ed25519Signer;
  source: LivenessSource;
  /** Last committed round (or genesis). */
  committed: CommittedRound;
  /** Own signed messages restored from disk (any rounds; older ones are ignored). */
  ownMessages?: Message[];
  /** Re-send own current-view messages this often (message loss, healed partitions). */
  rebroadcastMs?: number;
  /** Cap on timeouts as views grow. */
  maxTimeoutMs?: number;
  /** Announce our newest certificate (a `head` message) this often. */
  headIntervalMs?: number;
  /** Signature checks (shared cache in the simulator); defaults to CommitteeKeys over node:crypto. */
  keys?: CommitteeKeys;
  /** The decision message of `committed` (restored from disk), to help peers one round behind. */
  decision?: Message | null;
}

/** Bounds on what one member can make an oracle hold. */
export const FUTURE_PER_SENDER = 16;
export const FUTURE_BYTES_PER_SENDER = 2 * MAX_MESSAGE_BYTES;
/** Verified decisions for rounds ahead of ours kept to apply in order (beyond: fetched). */
export const CERTIFIED_WINDOW = 64n;
/** A member's distinct proposals per view that are validated; more are dropped (and are evidence). */
const PROPOSALS_PER_VIEW = 4;
/** Distinct values kept per member, view and vote kind (an honest member has one). */
export const VOTES_PER_MEMBER = 6;

type Step = 'propose' | 'prevote' | 'precommit';
type VoteKind = 'prevote' | 'precommit';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const NIL = 'nil';
const valueKey = (m: Message) => { const v = (m as { value: Uint8Array | null }).value; return v ? hex(v) : NIL; };

interface ProposalInfo { msg: Message & Proposal; valid: boolean; reason?: string; entries?: CommittedRound['entries'] }
interface Votes { bySender: Map<number, Message[]>; tally: Map<string, number> }
interface ViewState { proposals: Map<string, ProposalInfo>; first: string | null; prevote: Votes; precommit: Votes }

export interface CoreStats { equivocations: number; rejected: number; commits: number; viewChanges: number; snapshots: number }
export interface CoreResources { storedViews: number; votes: number; proposals: number; aheadMessages: number; futureMessages: number; futureBytes: number; certified: number }

export class ConsensusCore {
  readonly committee: Committee;
  private readonly keys: CommitteeKeys;
  private committed: CommittedRound;
  private round: bigint;
  private started = false;
  private view = 0;
  private step: Step = 'propose';
  private lockedView = -1;
  private lockedHash: string | null = null;
  private validView = -1;
  private validHash: string | null = null;
  /** views 0 … view + 1 of the current round */
  private views = new Map<number, ViewState>();
  /** member → its messages of its highest view beyond view + 1 */
  private ahead = new Map<number, Message[]>();
  /** member → the highest view it sent anything in, this round */
  private maxView = new Map<number, number>();
  /** valid proposals of this round by table hash (any view) */
  private byHash = new Map<string, ProposalInfo>();
  /** table hash → the first view in which q precommits for it were seen */
  private quorumPrecommit = new Map<string, number>();
  private pendingCommit: { hash: string; view: number } | null = null;
  private own = new Map<string, Message>(); // `${round}/${view}/${kind}`
  /** this round's attestations, one per member (the first that fits; an honest member signs one) */
  private attestations = new Map<number, AttestationMessage>();
  private once = new Set<string>();
  private timers: Array<{ at: number; kind: 'start' | 'propose' | 'prevote' | 'precommit' | 'rebroadcast'; view: number }> = [];
  /** member → its buffered messages for this round (not started yet) or the next one */
  private future = new Map<number, { msgs: Message[]; bytes: number }>();
  /** cert-verified decisions for rounds after ours (within CERTIFIED_WINDOW) */
  private certified = new Map<bigint, Message>();
  /** highest round known to be certified (from verified decisions or heads) */
  private target = -1n;
  private certChecked = new Map<number, number>(); // member → last time one of its certificates was verified
  private verifiedCerts = new Set<string>(); // `${round}/${view}/${hash}` already verified
  private evidenceKeys = new Set<string>();
  private lastDecision: Message | null = null;
  private lastHelp = -Infinity;
  private lastHead = -Infinity;
  /** when we last signed something new, changed view or round: re-sends happen only once it stood
   * still for a whole interval (counted from that moment, not from a fixed tick, so a lost message
   * waits rebroadcastMs for its re-send, not up to twice that) */
  private progressAt = -Infinity;
  private lastResendAt = -Infinity;
  /** the time of the input being handled (every entry point sets it) */
  private nowMs = 0;
  private readonly rebroadcastMs: number;
  private readonly maxTimeoutMs: number;
  private readonly headIntervalMs: number;
  private readonly certBudgetMs: number;
  readonly stats: CoreStats = { equivocations: 0, rejected: 0, commits: 0, viewChanges: 0, snapshots: 0 };

  constructor(private readonly o: CoreOptions) {
    this.committee = o.committee;
    this.keys = o.keys ?? new CommitteeKeys(o.committee);
    this.committed = o.committed;
    this.round = o.committed.round + 1n;
    const p = o.committee.params;
    this.rebroadcastMs = o.rebroadcastMs ?? Math.max(50, p.proposeTimeoutMs);
    this.maxTimeoutMs = o.maxTimeoutMs ?? 8 * Math.max(p.proposeTimeoutMs, p.prevoteTimeoutMs, p.precommitTimeoutMs);
    this.headIntervalMs = o.headIntervalMs ?? Math.max(this.rebroadcastMs, Math.min(p.epochMs, 5_000));
    this.certBudgetMs = Math.max(1, Math.min(250, Math.floor(p.epochMs / 4)));
    this.lastDecision = o.decision ?? null;
    for (const m of o.ownMessages ?? []) if (m.round >= this.round && m.kind !== 'decision' && m.kind !== 'head') this.own.set(`${m.round}/${m.view}/${m.kind}`, m);
  }

  get currentRound(): bigint { return this.round; }
  get currentView(): number { return this.view; }
  get lastCommitted(): CommittedRound { return this.committed; }
  get lock(): { view: number; hash: string | null } { return { view: this.lockedView, hash: this.lockedHash }; }
  /** Highest round known to be certified by the committee (≥ the last committed one). */
  get knownHead(): bigint { return this.target > this.committed.round ? this.target : this.committed.round; }

  resources(): CoreResources {
    let votes = 0, proposals = 0, futureMessages = 0, futureBytes = 0, aheadMessages = 0;
    for (const vs of this.views.values()) {
      proposals += vs.proposals.size;
      for (const k of ['prevote', 'precommit'] as const) for (const ms of vs[k].bySender.values()) votes += ms.length;
    }
    for (const f of this.future.values()) { futureMessages += f.msgs.length; futureBytes += f.bytes; }
    for (const ms of this.ahead.values()) aheadMessages += ms.length;
    return { storedViews: this.views.size, votes, proposals, aheadMessages, futureMessages, futureBytes, certified: this.certified.size };
  }

  nextDeadline(): number | null {
    let d: number | null = null;
    for (const t of this.timers) if (d === null || t.at < d) d = t.at;
    return d;
  }

  /** Starts (or resumes after restart) the current round. */
  start(now: number): Effect[] {
    const fx: Effect[] = [];
    this.nowMs = now;
    this.started = true;
    this.beginRound(now, fx);
    return fx;
  }

  private beginRound(now: number, fx: Effect[]): void {
    const end = epochEnd(this.committee, this.round);
    this.timers = [];
    if (now < end) { this.timers.push({ at: end, kind: 'start', view: 0 }); return; }
    // our attestation for this round: signed once (a restored one is re-sent, never re-signed)
    const att = this.own.get(`${this.round}/0/attestation`);
    if (att) fx.push({ type: 'send', msg: att });
    else this.signOwn(attestationBody(this.committee, this.o.me, this.committed, this.o.source), fx);
    // resume: restored own messages tell the view we were in, and our lock
    let view = 0;
    for (const m of this.own.values()) {
      if (m.round !== this.round) continue;
      view = Math.max(view, m.view);
      if (m.kind === 'precommit' && m.value && m.view > this.lockedView) { this.lockedView = m.view; this.lockedHash = hex(m.value); }
    }
    this.timers.push({ at: now + this.rebroadcastMs, kind: 'rebroadcast', view: 0 });
    this.enterView(view, now, fx);
    // our own votes restored from disk count in our tallies like anyone's
    for (const m of [...this.own.values()]) if (m.round === this.round) this.accept(m, fx);
    const buffered: Message[] = [];
    for (const [sender, f] of this.future) {
      const keep = f.msgs.filter((m) => m.round > this.round);
      buffered.push(...f.msgs.filter((m) => m.round === this.round));
      if (keep.length) this.future.set(sender, { msgs: keep, bytes: keep.reduce((a, m) => a + m.bytes.length, 0) });
      else this.future.delete(sender);
    }
    for (const m of buffered) this.accept(m, fx);
    this.evaluate(now, fx);
  }

  private timeout(base: number, view: number): number {
    return Math.min(this.maxTimeoutMs, base + view * this.committee.params.timeoutDeltaMs);
  }

  private viewState(view: number): ViewState {
    let vs = this.views.get(view);
    if (!vs) {
      vs = { proposals: new Map(), first: null, prevote: { bySender: new Map(), tally: new Map() }, precommit: { bySender: new Map(), tally: new Map() } };
      this.views.set(view, vs);
    }
    return vs;
  }

  private enterView(view: number, now: number, fx: Effect[]): void {
    if (view !== this.view) this.stats.viewChanges++;
    this.view = view;
    this.progressAt = now;
    this.step = 'propose';
    const p = this.committee.params;
    this.timers = this.timers.filter((t) => t.kind === 'rebroadcast' || t.kind === 'start');
    this.timers.push({ at: now + this.timeout(p.proposeTimeoutMs, view), kind: 'propose', view });
    // messages held for views now within reach
    for (const [sender, ms] of [...this.ahead]) {
      if (ms[0]!.view > view + 1) continue;
      this.ahead.delete(sender);
      for (const m of ms) this.accept(m, fx);
    }
    if (this.owesProposal()) this.propose(fx);
  }

  /** We are the current view's proposer and have not signed its proposal (waiting for q attestations, or not yet tried). */
  private owesProposal(): boolean {
    return proposerOf(this.committee, this.round, this.view) === this.o.me && !this.own.has(`${this.round}/${this.view}/proposal`);
  }

  /** Proposes for the current view: our valid value, or a fresh table once q attestations are in. */
  private propose(fx: Effect[]): void {
    const key = `${this.round}/${this.view}/proposal`;
    let msg = this.own.get(key);
    if (!msg) {
      let body: Proposal;
      const valid = this.validHash ? this.byHash.get(this.validHash) : undefined;
      const base = { kind: 'proposal' as const, committeeId: this.committee.id, round: this.round, view: this.view, sender: this.o.me };
      if (valid) {
        const v = valid.msg;
        body = { ...base, validView: this.validView, asOf: v.asOf, prevHash: v.prevHash, tableHash: v.tableHash, added: v.added, attestations: v.attestations };
      } else {
        const picked = pickAttestations(this.committee, this.o.me, this.attestations);
        if (!picked) return; // still owed: evaluate() proposes when the q-th attestation arrives
        const t = buildRound(this.committee, this.committed, picked, this.o.source);
        body = { ...base, validView: -1, asOf: t.asOf, prevHash: t.prevHash, tableHash: t.tableHash, added: t.added, attestations: t.attestations };
      }
      const signed = this.signOwn(body, fx);
      if (!signed) return;
      msg = signed;
    } else {
      fx.push({ type: 'send', msg });
    }
    this.relayProofOfLock(fx);
    this.accept(msg, fx);
  }

  /**
   * Relays the q prevotes behind our valid value (signed by others, valid when
   * relayed), so peers that missed them can accept a re-proposal that carries
   * validView; without this, oracles locked on a value and oracles that never
   * saw its prevotes could wait on each other forever after message loss.
   */
  private relayProofOfLock(fx: Effect[]): void {
    if (this.validView < 0 || !this.validHash) return;
    for (const ms of this.views.get(this.validView)?.prevote.bySender.values() ?? []) {
      for (const m of ms) if (valueKey(m) === this.validHash) fx.push({ type: 'send', msg: m });
    }
  }

  /** Signs a message at most once per (round, view, kind); persists before sending. Returns what we stand by for that step. */
  private signOwn(body: Body, fx: Effect[]): Message | null {
    const key = `${body.round}/${body.view}/${body.kind}`;
    const prior = this.own.get(key);
    if (prior) {
      // double-sign protection: never a conflicting vote. We are bound to what we signed before
      // (e.g. before a restart): that vote is re-sent and counted instead.
      fx.push({ type: 'send', msg: prior });
      return prior;
    }
    const msg = signMessage(body, this.o.signer);
    this.own.set(key, msg);
    this.progressAt = this.nowMs;
    fx.push({ type: 'persist', msg });
    fx.push({ type: 'send', msg });
    return msg;
  }

  private vote(kind: VoteKind, value: string | null, fx: Effect[]): void {
    const v = value === null || value === NIL ? null : Uint8Array.from(Buffer.from(value, 'hex'));
    const msg = this.signOwn({ kind, committeeId: this.committee.id, round: this.round, view: this.view, sender: this.o.me, value: v }, fx);
    if (msg) this.accept(msg, fx);
  }

  /**
   * Checks a transport runs before relaying: round window first (cheap), then
   * committee membership and signature. 'stale' marks messages of decided
   * rounds: not invalid, but not worth verifying or forwarding. Certified
   * claims (decision, head) pass at any distance ahead: that is how an oracle
   * far behind learns where the committee is.
   */
  precheck(m: Message, signatureKnownGood = false): string | undefined {
    const certified = m.kind === 'decision' || m.kind === 'head';
    if (!certified && m.round > this.round + 64n) return 'round too far ahead';
    if (m.round <= this.committed.round && m.round + 1n < this.round) return 'stale';
    if (certified && m.round <= this.committed.round) return 'stale';
    return signatureKnownGood ? undefined : checkSignature(m, this.keys);
  }

  /** A message from the network. `verified`: the transport already ran precheck() on it. */
  onMessage(m: Message, now: number, verified = false): Effect[] {
    const fx: Effect[] = [];
    this.nowMs = now;
    if ((m.kind === 'decision' || m.kind === 'head') && m.round <= this.committed.round) return fx;
    if (!verified) {
      const err = checkSignature(m, this.keys);
      if (err) { this.stats.rejected++; return fx; }
    }
    if (m.kind === 'decision' || m.kind === 'head') { this.onCertified(m, now, fx); return fx; }
    if (m.round < this.round) {
      this.help(m.round, now, fx);
      return fx;
    }
    if (m.round > this.round + 1n) {
      // someone claims to be 2+ rounds ahead: a hint only (it carries no certificate); ask peers
      fx.push({ type: 'fetch', fromRound: this.round, target: this.target > this.committed.round ? this.target : null });
      return fx;
    }
    if (m.round > this.round || !this.started || now < epochEnd(this.committee, this.round)) {
      this.buffer(m);
      if (m.round > this.round) fx.push({ type: 'fetch', fromRound: this.round, target: this.target > this.committed.round ? this.target : null });
      return fx;
    }
    this.accept(m, fx);
    this.evaluate(now, fx);
    return fx;
  }

  /** A peer is behind: the decision it needs, or our newest certificate (rate limited). */
  private help(theirRound: bigint, now: number, fx: Effect[]): void {
    if (now - this.lastHelp < this.rebroadcastMs) return;
    if (theirRound === this.committed.round && this.lastDecision) { this.lastHelp = now; fx.push({ type: 'send', msg: this.lastDecision }); }
    else if (theirRound < this.committed.round) { this.lastHelp = now; this.sendHead(now, fx); }
  }

  private sendHead(now: number, fx: Effect[]): void {
    const c = this.committed.cert;
    if (!c) return;
    this.lastHead = now;
    fx.push({ type: 'send', msg: signMessage({ kind: 'head', committeeId: this.committee.id, round: c.round, view: c.view, sender: this.o.me, tableHash: c.tableHash, sigs: c.sigs }, this.o.signer) });
  }

  /** Keeps a member's message for this round (not started) or the next, within its quota (oldest out). */
  private buffer(m: Message): void {
    let f = this.future.get(m.sender);
    if (!f) { f = { msgs: [], bytes: 0 }; this.future.set(m.sender, f); }
    if (f.msgs.some((x) => bytesEqual(x.bytes, m.bytes))) return;
    f.msgs.push(m); f.bytes += m.bytes.length;
    while (f.msgs.length > FUTURE_PER_SENDER || f.bytes > FUTURE_BYTES_PER_SENDER) f.bytes -= f.msgs.shift()!.bytes.length;
  }

  /** Verifies a certificate once (cached); `budgeted`: at most one check per member per certBudgetMs. */
  private certOk(c: Certificate, from: number | null, now: number): boolean {
    const key = `${c.round}/${c.view}/${hex(c.tableHash)}`;
    if (this.verifiedCerts.has(key)) return true;
    if (from !== null) {
      if (now - (this.certChecked.get(from) ?? -Infinity) < this.certBudgetMs) return false;
      this.certChecked.set(from, now);
    }
    if (!verifyCertificate(c, this.keys).ok) { this.stats.rejected++; return false; }
    if (this.verifiedCerts.size > 256) this.verifiedCerts.clear();
    this.verifiedCerts.add(key);
    return true;
  }

  /** A decision or head from the network: applied, kept for later, or a reason to fetch — only if its certificate verifies. */
  private onCertified(m: Message, now: number, fx: Effect[]): void {
    if (m.kind !== 'decision' && m.kind !== 'head') return;
    const cert = { round: m.round, view: m.view, tableHash: m.tableHash, sigs: m.sigs };
    if (!this.certOk(cert, m.sender, now)) return;
    if (m.round > this.target) this.target = m.round;
    if (m.kind === 'decision' && m.round === this.round) {
      if (this.applyDecision(m, now, fx)) return;
    } else if (m.kind === 'decision' && m.round <= this.round + CERTIFIED_WINDOW) {
      this.certified.set(m.round, m);
    }
    if (this.target > this.committed.round) fx.push({ type: 'fetch', fromRound: this.round, target: this.target });
  }

  /** Applies the certified decision of our current round if its updates give the certified table. */
  private applyDecision(m: Message, now: number, fx: Effect[]): boolean {
    if (m.kind !== 'decision' || m.round !== this.round) return false;
    const v = validateRound(this.committee, this.committed, m, null, () => true);
    if (!v.ok) { this.stats.rejected++; return false; }
    const cert = { round: m.round, view: m.view, tableHash: m.tableHash, sigs: m.sigs };
    this.applyCommit({ round: m.round, asOf: m.asOf, prevHash: m.prevHash, hash: m.tableHash, entries: v.entries, cert }, m, now, fx);
    return true;
  }

  /**
   * A certified round fetched from a peer (catch-up): the next round's decision, or — any distance
   * ahead — a snapshot: the decision plus the full table's canonical bytes. Returns whether it was
   * applied; junk (bad certificate, table that does not hash to it, wrong round) is refused.
   */
  onFetched(m: Message, table: Uint8Array | null, now: number): { applied: boolean; effects: Effect[] } {
    const fx: Effect[] = [];
    this.nowMs = now;
    if (m.kind !== 'decision' || m.round <= this.committed.round) return { applied: false, effects: fx };
    if (checkSignature(m, this.keys)) { this.stats.rejected++; return { applied: false, effects: fx }; }
    const cert = { round: m.round, view: m.view, tableHash: m.tableHash, sigs: m.sigs };
    if (!this.certOk(cert, null, now)) return { applied: false, effects: fx };
    if (m.round > this.target) this.target = m.round;
    if (m.round === this.round && this.applyDecision(m, now, fx)) return { applied: true, effects: fx };
    if (!table) return { applied: false, effects: fx };
    let t;
    try { t = decodeTable(table); } catch { this.stats.rejected++; return { applied: false, effects: fx }; }
    if (t.roundId !== m.round || t.asOf !== m.asOf || !bytesEqual(t.prevHash, m.prevHash) || !bytesEqual(tableHash(t), m.tableHash)) { this.stats.rejected++; return { applied: false, effects: fx }; }
    this.stats.snapshots++;
    this.applyCommit({ round: m.round, asOf: m.asOf, prevHash: m.prevHash, hash: m.tableHash, entries: t.entries, cert }, m, now, fx);
    return { applied: true, effects: fx };
  }

  private evidence(a: Message, b: Message, fx: Effect[]): void {
    this.stats.equivocations++;
    const key = `${a.sender}/${a.round}/${a.view}/${a.kind}`;
    if (this.evidenceKeys.has(key)) return;
    if (this.evidenceKeys.size > 1024) this.evidenceKeys.clear();
    this.evidenceKeys.add(key);
    fx.push({ type: 'evidence', a, b });
  }

  private accept(m: Message, fx: Effect[]): void {
    if (m.round !== this.round) return;
    const seen = this.maxView.get(m.sender);
    if (seen === undefined || m.view > seen) this.maxView.set(m.sender, m.view);
    if (m.view > this.view + 1) {
      // beyond reach: keep only the member's messages of its highest view
      const held = this.ahead.get(m.sender);
      if (!held || held[0]!.view < m.view) this.ahead.set(m.sender, [m]);
      else if (held[0]!.view === m.view && held.length < 6 && !held.some((x) => bytesEqual(x.bytes, m.bytes))) held.push(m);
      return;
    }
    if (m.kind === 'attestation') {
      // one per member, the first that fits this round (bounded: n per round); its bitmap must decode
      if (this.attestations.has(m.sender) || attestationFits(this.committee, this.committed, m)) return;
      try { decodeBitmap(m.bitmap, this.committed.entries.length); } catch { this.stats.rejected++; return; }
      this.attestations.set(m.sender, m);
      return;
    }
    const vs = this.viewState(m.view);
    if (m.kind === 'proposal') {
      if (m.sender !== proposerOf(this.committee, m.round, m.view)) { this.stats.rejected++; return; }
      const hash = hex(m.tableHash);
      const prior = vs.proposals.get(hash);
      if (prior && bytesEqual(prior.msg.bytes, m.bytes)) return;
      const other = prior ?? vs.proposals.values().next().value;
      if (other) this.evidence(other.msg, m, fx);
      if (prior?.valid) return; // same table, another body: the valid one stays
      if (!prior && vs.proposals.size >= PROPOSALS_PER_VIEW) return;
      const v = validateRound(this.committee, this.committed, m, this.keys, (id) => this.o.source.isRegistered(id));
      const info: ProposalInfo = v.ok ? { msg: m, valid: true, entries: v.entries } : { msg: m, valid: false, reason: v.reason };
      if (prior && !info.valid) return;
      vs.proposals.set(hash, info);
      if (vs.first === null) vs.first = hash;
      if (info.valid && !this.byHash.has(hash)) {
        this.byHash.set(hash, info);
        const qv = this.quorumPrecommit.get(hash);
        if (qv !== undefined && !this.pendingCommit) this.pendingCommit = { hash, view: qv };
      }
    } else if (m.kind === 'prevote' || m.kind === 'precommit') {
      const votes = vs[m.kind];
      const prior = votes.bySender.get(m.sender);
      const val = valueKey(m);
      if (prior) {
        if (prior.some((p) => bytesEqual(p.bytes, m.bytes))) return;
        this.evidence(prior[0]!, m, fx);
        if (prior.some((p) => valueKey(p) === val)) return;
        // An equivocator's votes all count, each for its value — a relayed proof-of-lock needs its
        // vote for the real value counted even after it sent junk. Bounded: at most VOTES_PER_MEMBER
        // values per member, view and kind; when full, a vote for a value that has a proposal in
        // this round (or nil) evicts one for a value that has none.
        if (prior.length >= VOTES_PER_MEMBER) {
          if (!this.meaningful(val)) return;
          const k = prior.findIndex((p) => !this.meaningful(valueKey(p)));
          if (k < 0) return;
          const out = valueKey(prior[k]!);
          votes.tally.set(out, votes.tally.get(out)! - 1);
          prior.splice(k, 1);
        }
        prior.push(m);
      } else votes.bySender.set(m.sender, [m]);
      const n = (votes.tally.get(val) ?? 0) + 1;
      votes.tally.set(val, n);
      if (m.kind === 'precommit' && val !== NIL && n >= this.committee.q && !this.quorumPrecommit.has(val)) {
        this.quorumPrecommit.set(val, m.view);
        if (this.byHash.has(val) && !this.pendingCommit) this.pendingCommit = { hash: val, view: m.view };
      }
      if (m.kind === 'prevote' && val !== NIL && n >= this.committee.q) this.notePolAt(m.view, val);
    }
    if (m.kind === 'proposal' && this.byHash.get(hex(m.tableHash))?.valid) {
      for (const [w, ws] of this.views) if ((ws.prevote.tally.get(hex(m.tableHash)) ?? 0) >= this.committee.q) this.notePolAt(w, hex(m.tableHash));
    }
  }

  /**
   * A proof-of-lock (q prevotes for a valid value) seen for an earlier view, even late: the value
   * becomes our valid value if its view is newer than the one we hold, so our next proposal
   * re-proposes it (with that view) and oracles locked on it can vote for it. Without this, an
   * oracle that saw the last prevote of a view only after moving on, while another oracle locked on
   * the value (and then lost its own proof-of-lock in a restart), proposed fresh tables the locked
   * oracle refuses — no view gathered q prevotes again (sweep: two-tables, n = 4, seed 238).
   * Safe as in Tendermint: receivers still check the proof-of-lock at the proposal's valid view and
   * their own lock; only what we propose changes.
   */
  private notePolAt(w: number, hash: string): void {
    if (w <= this.validView || w >= this.view || !this.byHash.get(hash)?.valid) return;
    this.validView = w; this.validHash = hash;
  }

  /** A vote value worth keeping: nil, a proposal of this round, or one with q precommits. */
  private meaningful(val: string): boolean {
    return val === NIL || this.byHash.has(val) || this.quorumPrecommit.has(val) || [...this.views.values()].some((vs) => vs.proposals.has(val));
  }

  /** Is the current-round clock check on a proposal's asOf passed? Done lazily at prevote time. */
  private asOfOk(p: ProposalInfo, now: number): boolean {
    return p.msg.asOf <= now + this.committee.params.maxSkewMs;
  }

  private evaluate(now: number, fx: Effect[]): void {
    const { q, f } = this.committee;
    const p = this.committee.params;
    for (let guard = 0; guard < 32; guard++) {
      if (this.pendingCommit) {
        const { hash, view } = this.pendingCommit;
        this.pendingCommit = null;
        const prop = this.byHash.get(hash)!;
        const sigs: CertSig[] = [];
        for (const ms of this.views.get(view)!.precommit.bySender.values()) {
          const m = ms.find((x) => valueKey(x) === hash);
          if (m) sigs.push({ index: m.sender, sig: m.signature });
        }
        sigs.sort((a, b) => a.index - b.index);
        if (sigs.length >= q) { this.decide(prop, view, sigs, now, fx); return; }
        continue;
      }
      const r = this.round, v = this.view;
      if (this.step === 'propose' && this.attestations.size >= q && this.owesProposal()) this.propose(fx);
      const vs = this.viewState(v);
      const prop = vs.first ? vs.proposals.get(vs.first) : undefined;
      if (this.step === 'propose' && prop) {
        const hash = vs.first!, vr = prop.msg.validView;
        const valid = prop.valid && this.asOfOk(prop, now);
        if (vr < 0) {
          this.step = 'prevote';
          this.vote('prevote', valid && (this.lockedView < 0 || this.lockedHash === hash) ? hash : null, fx);
          continue;
        }
        if (vr < v && (this.views.get(vr)?.prevote.tally.get(hash) ?? 0) >= q) {
          this.step = 'prevote';
          this.vote('prevote', valid && (this.lockedView <= vr || this.lockedHash === hash) ? hash : null, fx);
          continue;
        }
      }
      if (this.step === 'prevote' && vs.prevote.bySender.size >= q && !this.once.has(`pvt/${r}/${v}`)) {
        this.once.add(`pvt/${r}/${v}`);
        this.timers.push({ at: now + this.timeout(p.prevoteTimeoutMs, v), kind: 'prevote', view: v });
      }
      if (this.step !== 'propose' && !this.once.has(`pol/${r}/${v}`)) {
        let progressed = false;
        for (const [hash, n] of vs.prevote.tally) {
          if (hash === NIL || n < q || !vs.proposals.get(hash)?.valid) continue;
          this.once.add(`pol/${r}/${v}`);
          if (this.step === 'prevote') {
            this.lockedView = v; this.lockedHash = hash;
            this.step = 'precommit';
            this.vote('precommit', hash, fx);
          }
          this.validView = v; this.validHash = hash;
          progressed = true;
          break;
        }
        if (progressed) continue;
      }
      if (this.step === 'prevote' && (vs.prevote.tally.get(NIL) ?? 0) >= q) {
        this.step = 'precommit';
        this.vote('precommit', null, fx);
        continue;
      }
      // q nil precommits: no value can reach q precommits in this view (at most n − (f+1) < q
      // members are left to sign one), so waiting out the precommit timeout gains nothing
      if ((vs.precommit.tally.get(NIL) ?? 0) >= q) { this.enterView(v + 1, now, fx); continue; }
      if (vs.precommit.bySender.size >= q && !this.once.has(`pct/${r}/${v}`)) {
        this.once.add(`pct/${r}/${v}`);
        this.timers.push({ at: now + this.timeout(p.precommitTimeoutMs, v), kind: 'precommit', view: v });
      }
      // skip ahead: f+1 members have sent messages from views ≥ w > v (one of them honest)
      const highs = [...this.maxView.values()].filter((x) => x > v).sort((a, b) => b - a);
      if (highs.length >= f + 1) { this.enterView(highs[f]!, now, fx); continue; }
      return;
    }
  }

  private decide(prop: ProposalInfo, view: number, sigs: CertSig[], now: number, fx: Effect[]): void {
    const m = prop.msg;
    const committed: CommittedRound = { round: m.round, asOf: m.asOf, prevHash: m.prevHash, hash: m.tableHash, entries: prop.entries!, cert: { round: m.round, view, tableHash: m.tableHash, sigs } };
    const decision = signMessage({ kind: 'decision', committeeId: this.committee.id, round: m.round, view, sender: this.o.me, asOf: m.asOf, prevHash: m.prevHash, tableHash: m.tableHash, added: m.added, attestations: m.attestations, sigs }, this.o.signer);
    this.applyCommit(committed, decision, now, fx);
    // One decision per round on the wire (from the deciding view's proposer) keeps gossip load
    // flat in n; an oracle that misses it commits from its own precommits, asks a peer (fetch),
    // or is sent the decision when its old-round messages show it is behind.
    if (proposerOf(this.committee, m.round, view) === this.o.me) fx.push({ type: 'send', msg: decision });
  }

  private applyCommit(c: CommittedRound, decision: Message, now: number, fx: Effect[]): void {
    fx.push({ type: 'commit', committed: c, decision });
    this.stats.commits++;
    this.committed = c;
    this.lastDecision = decision;
    this.round = c.round + 1n;
    this.view = 0; this.step = 'propose';
    this.lockedView = -1; this.lockedHash = null; this.validView = -1; this.validHash = null;
    this.views.clear(); this.ahead.clear(); this.maxView.clear(); this.byHash.clear(); this.quorumPrecommit.clear();
    this.attestations.clear();
    this.pendingCommit = null;
    for (const k of [...this.own.keys()]) if (BigInt(k.split('/')[0]!) < this.round) this.own.delete(k);
    for (const k of [...this.once]) if (!k.includes(`/${this.round}/`)) this.once.delete(k);
    for (const [sender, f] of [...this.future]) {
      const keep = f.msgs.filter((m) => m.round >= this.round);
      if (keep.length) this.future.set(sender, { msgs: keep, bytes: keep.reduce((a, m) => a + m.bytes.length, 0) });
      else this.future.delete(sender);
    }
    for (const r of [...this.certified.keys()]) if (r <= c.round) this.certified.delete(r);
    // a verified decision for the next round is applied only if it checks out; otherwise the round starts as usual
    const next = this.certified.get(this.round);
    if (next) {
      this.certified.delete(this.round);
      if (this.applyDecision(next, now, fx)) return;
    }
    if (this.target > this.committed.round) fx.push({ type: 'fetch', fromRound: this.round, target: this.target });
    if (this.started) this.beginRound(now, fx);
  }

  onTick(now: number): Effect[] {
    const fx: Effect[] = [];
    this.nowMs = now;
    const due = this.timers.filter((t) => t.at <= now);
    this.timers = this.timers.filter((t) => t.at > now);
    for (const t of due) {
      switch (t.kind) {
        case 'start': this.beginRound(now, fx); break;
        case 'propose': if (t.view === this.view && this.step === 'propose') { this.step = 'prevote'; this.vote('prevote', null, fx); } break;
        case 'prevote': if (t.view === this.view && this.step === 'prevote') { this.step = 'precommit'; this.vote('precommit', null, fx); } break;
        case 'precommit': if (t.view === this.view) this.enterView(this.view + 1, now, fx); break;
        case 'rebroadcast': {
          // once nothing moved for a whole interval (since our last signature, view change or
          // re-send): own messages of this view and the previous one, and the precommits that ended
          // the previous view, so a peer that lost messages and is still a view behind can follow
          // (while rounds progress, re-sends would only cost every peer a verification per
          // message: n² per interval)
          if (now >= Math.max(this.progressAt, this.lastResendAt) + this.rebroadcastMs) {
            for (const m of this.own.values()) if (m.round === this.round && (m.view >= this.view - 1 || m.kind === 'attestation')) fx.push({ type: 'send', msg: m });
            for (const ms of this.views.get(this.view - 1)?.precommit.bySender.values() ?? []) for (const m of ms) if (m.sender !== this.o.me) fx.push({ type: 'send', msg: m });
            this.relayProofOfLock(fx);
            this.lastResendAt = now;
          }
          if (now - this.lastHead >= this.headIntervalMs) this.sendHead(now, fx);
          const next = Math.max(this.progressAt, this.lastResendAt) + this.rebroadcastMs;
          this.timers.push({ at: next > now ? next : now + this.rebroadcastMs, kind: 'rebroadcast', view: 0 });
          break;
        }
      }
    }
    this.evaluate(now, fx);
    return fx;
  }
}
