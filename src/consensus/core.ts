// The BFT agreement core for one LivenessTable per round: Tendermint-style
// propose / prevote / precommit with locking and view changes, as a
// deterministic, sans-IO state machine.
//
// Inputs:  onMessage(msg, now), onTick(now), and at construction the restored
//          persisted state (last committed round, own signed messages).
// Outputs: Effects, to be executed in order by the driver:
//            persist  — an own signed message; MUST be durable before any later effect runs
//            send     — gossip a message
//            commit   — a round is decided (table + certificate); persist it
//            fetch    — we are behind: get certified rounds from peers
//          and nextDeadline(), the time at which onTick must be called.
//
// Rules (n members, quorum q = ⌈(n+f+1)/2⌉; proposer of (r, v) = committee[(r + v) mod n]):
//   propose   the proposer sends its valid value (a value that gathered q prevotes, if any) or a
//             fresh table built from its liveness tracker, evaluated at asOf ≥ the epoch's end.
//   prevote   for the proposal if it is valid and (not locked, or locked on it, or it carries a
//             proof-of-lock from a view ≥ our lock); otherwise nil; nil on propose timeout.
//   precommit on q prevotes for a valid proposal in this view: lock on it and precommit it;
//             on q nil prevotes or prevote timeout: precommit nil.
//   commit    on q precommits for one value in any view, with its proposal: decide; the q
//             signatures are the commit certificate.
//   view      +1 on precommit timeout; jump to v' on f+1 messages from view v' > v.
// Own messages are signed once per (round, view, kind) and replayed, never re-signed with
// another value, also across restarts (the driver restores them from disk).
import { bytesEqual } from '../common/bytes.js';
import type { Ed25519Signer } from '../common/ed25519.js';
import { epochEnd, proposerOf, type Committee } from './committee.js';
import { checkSignature, CommitteeKeys, signMessage, verifyCertificate, type Body, type CertSig, type Message, type Proposal } from './messages.js';
import { buildTable, validateTable, type CandidateSource, type CommittedRound } from './validity.js';

export type Effect =
  | { type: 'persist'; msg: Message }
  | { type: 'send'; msg: Message }
  | { type: 'commit'; committed: CommittedRound; decision: Message }
  | { type: 'fetch'; fromRound: bigint };

export interface CoreOptions {
  committee: Committee;
  me: number;
  signer: Ed25519Signer;
  source: CandidateSource;
  /** Last committed round (or genesis). */
  committed: CommittedRound;
  /** Own signed messages restored from disk (any rounds; older ones are ignored). */
  ownMessages?: Message[];
  /** Re-send own current-view messages this often (message loss, healed partitions). */
  rebroadcastMs?: number;
  /** Cap on timeouts as views grow. */
  maxTimeoutMs?: number;
}

type Step = 'propose' | 'prevote' | 'precommit';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const NIL = 'nil';

interface ProposalInfo { msg: Message & Proposal; valid: boolean; reason?: string; entries?: CommittedRound['entries'] }

export interface CoreStats { equivocations: number; rejected: number; commits: number; viewChanges: number }

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
  private proposals = new Map<string, ProposalInfo>(); // `${view}/${hash}` → info
  private firstProposal = new Map<number, string>(); // view → hash of the first proposal by the proposer
  // view → sender → the sender's distinct signed votes (an equivocator's two votes both count, each for its own value)
  private votes = { prevote: new Map<number, Map<number, Message[]>>(), precommit: new Map<number, Map<number, Message[]>>() };
  private own = new Map<string, Message>(); // `${round}/${view}/${kind}`
  private once = new Set<string>();
  private timers: Array<{ at: number; kind: 'start' | 'propose' | 'prevote' | 'precommit' | 'rebroadcast'; view: number }> = [];
  private future: Message[] = [];
  private futureDecisions = new Map<string, Message>();
  private lastDecision: Message | null = null;
  private lastDecisionResent = -Infinity;
  private readonly rebroadcastMs: number;
  private readonly maxTimeoutMs: number;
  readonly stats: CoreStats = { equivocations: 0, rejected: 0, commits: 0, viewChanges: 0 };

  constructor(private readonly o: CoreOptions) {
    this.committee = o.committee;
    this.keys = new CommitteeKeys(o.committee);
    this.committed = o.committed;
    this.round = o.committed.round + 1n;
    const p = o.committee.params;
    this.rebroadcastMs = o.rebroadcastMs ?? Math.max(50, p.proposeTimeoutMs);
    this.maxTimeoutMs = o.maxTimeoutMs ?? 8 * Math.max(p.proposeTimeoutMs, p.prevoteTimeoutMs, p.precommitTimeoutMs);
    for (const m of o.ownMessages ?? []) if (m.round >= this.round && m.kind !== 'decision') this.own.set(`${m.round}/${m.view}/${m.kind}`, m);
  }

  get currentRound(): bigint { return this.round; }
  get currentView(): number { return this.view; }
  get lastCommitted(): CommittedRound { return this.committed; }
  get lock(): { view: number; hash: string | null } { return { view: this.lockedView, hash: this.lockedHash }; }

  nextDeadline(): number | null {
    return this.timers.length ? Math.min(...this.timers.map((t) => t.at)) : null;
  }

  /** Starts (or resumes after restart) the current round. */
  start(now: number): Effect[] {
    const fx: Effect[] = [];
    this.started = true;
    this.beginRound(now, fx);
    return fx;
  }

  private beginRound(now: number, fx: Effect[]): void {
    const end = epochEnd(this.committee, this.round);
    this.timers = [];
    if (now < end) { this.timers.push({ at: end, kind: 'start', view: 0 }); return; }
    // resume: restored own messages tell the view we were in, and our lock
    let view = 0;
    for (const m of this.own.values()) {
      if (m.round !== this.round) continue;
      view = Math.max(view, m.view);
      if (m.kind === 'precommit' && m.value && m.view > this.lockedView) { this.lockedView = m.view; this.lockedHash = hex(m.value); }
    }
    this.timers.push({ at: now + this.rebroadcastMs, kind: 'rebroadcast', view: 0 });
    this.enterView(view, now, fx);
    const buffered = this.future.filter((m) => m.round === this.round);
    this.future = this.future.filter((m) => m.round > this.round);
    for (const m of buffered) this.accept(m, now, fx);
    this.evaluate(now, fx);
  }

  private timeout(base: number, view: number): number {
    return Math.min(this.maxTimeoutMs, base + view * this.committee.params.timeoutDeltaMs);
  }

  private enterView(view: number, now: number, fx: Effect[]): void {
    if (view !== this.view) this.stats.viewChanges++;
    this.view = view;
    this.step = 'propose';
    const p = this.committee.params;
    this.timers = this.timers.filter((t) => t.kind === 'rebroadcast' || t.kind === 'start');
    this.timers.push({ at: now + this.timeout(p.proposeTimeoutMs, view), kind: 'propose', view });
    if (proposerOf(this.committee, this.round, view) === this.o.me) this.propose(now, fx);
  }

  private propose(now: number, fx: Effect[]): void {
    const key = `${this.round}/${this.view}/proposal`;
    let msg = this.own.get(key);
    if (!msg) {
      let body: Proposal | null = null;
      const valid = this.validHash ? [...this.proposals.values()].find((pi) => pi.valid && hex(pi.msg.tableHash) === this.validHash) : undefined;
      if (valid) {
        const v = valid.msg;
        body = { kind: 'proposal', committeeId: this.committee.id, round: this.round, view: this.view, sender: this.o.me, validView: this.validView, asOf: v.asOf, prevHash: v.prevHash, tableHash: v.tableHash, updates: v.updates, evidence: v.evidence };
      } else {
        const asOf = Math.max(now, epochEnd(this.committee, this.round), this.committed.asOf + 1);
        const t = buildTable(this.committee, this.committed, asOf, this.o.source);
        body = { kind: 'proposal', committeeId: this.committee.id, round: this.round, view: this.view, sender: this.o.me, validView: -1, asOf, prevHash: this.committed.hash, tableHash: t.hash, updates: t.updates, evidence: t.evidence };
      }
      const signed = this.signOwn(body, fx);
      if (!signed) return;
      msg = signed;
    } else {
      fx.push({ type: 'send', msg });
    }
    this.relayProofOfLock(fx);
    this.accept(msg, now, fx);
  }

  /**
   * Relays the q prevotes behind our valid value (signed by others, valid when
   * relayed), so peers that missed them can accept a re-proposal that carries
   * validView; without this, oracles locked on a value and oracles that never
   * saw its prevotes could wait on each other forever after message loss.
   */
  private relayProofOfLock(fx: Effect[]): void {
    if (this.validView < 0 || !this.validHash) return;
    for (const ms of this.votes.prevote.get(this.validView)?.values() ?? []) {
      for (const m of ms) {
        const v = (m as { value: Uint8Array | null }).value;
        if (v && hex(v) === this.validHash) fx.push({ type: 'send', msg: m });
      }
    }
  }

  /** Signs a message at most once per (round, view, kind); persists before sending. */
  private signOwn(body: Body, fx: Effect[]): Message | null {
    const key = `${body.round}/${body.view}/${body.kind}`;
    const prior = this.own.get(key);
    if (prior) {
      const same = body.kind === 'prevote' || body.kind === 'precommit'
        ? (prior as Message & { value: Uint8Array | null }).value === null ? body.value === null : !!body.value && bytesEqual((prior as any).value, body.value)
        : true;
      if (!same) return null; // double-sign protection: never a conflicting vote
      fx.push({ type: 'send', msg: prior });
      return prior;
    }
    const msg = signMessage(body, this.o.signer);
    this.own.set(key, msg);
    fx.push({ type: 'persist', msg });
    fx.push({ type: 'send', msg });
    return msg;
  }

  private vote(kind: 'prevote' | 'precommit', value: string | null, now: number, fx: Effect[]): void {
    const v = value === null || value === NIL ? null : Uint8Array.from(Buffer.from(value, 'hex'));
    const msg = this.signOwn({ kind, committeeId: this.committee.id, round: this.round, view: this.view, sender: this.o.me, value: v }, fx);
    if (msg) this.accept(msg, now, fx);
  }

  /**
   * Checks a transport runs before relaying: round window first (cheap), then
   * committee membership and signature. 'stale' marks messages of decided
   * rounds: not invalid, but not worth verifying or forwarding.
   */
  precheck(m: Message): string | undefined {
    if (m.round > this.round + 64n) return 'round too far ahead';
    if (m.round <= this.committed.round && m.round + 1n < this.round) return 'stale';
    if (m.kind === 'decision' && m.round <= this.committed.round) return 'stale';
    return checkSignature(m, this.keys);
  }

  /** A message from the network. `verified`: the transport already ran precheck() on it. */
  onMessage(m: Message, now: number, verified = false): Effect[] {
    const fx: Effect[] = [];
    if (m.kind === 'decision' && m.round <= this.committed.round) return fx;
    if (!verified) {
      const err = checkSignature(m, this.keys);
      if (err) { this.stats.rejected++; return fx; }
    }
    if (m.kind === 'decision') { this.onDecision(m, now, fx); return fx; }
    if (m.round < this.round) {
      // a peer is behind: help it with the decision it misses (rate limited)
      if (m.round === this.committed.round && this.lastDecision && now - this.lastDecisionResent >= this.rebroadcastMs) {
        this.lastDecisionResent = now;
        fx.push({ type: 'send', msg: this.lastDecision });
      }
      return fx;
    }
    if (m.round > this.round || !this.started || now < epochEnd(this.committee, this.round)) {
      if (this.future.length < 4096) this.future.push(m);
      if (m.round > this.round) fx.push({ type: 'fetch', fromRound: this.round });
      return fx;
    }
    this.accept(m, now, fx);
    this.evaluate(now, fx);
    return fx;
  }

  private accept(m: Message, now: number, fx: Effect[]): void {
    if (m.round !== this.round) return;
    if (m.kind === 'proposal') {
      if (m.sender !== proposerOf(this.committee, m.round, m.view)) { this.stats.rejected++; return; }
      const key = `${m.view}/${hex(m.tableHash)}`;
      if (this.proposals.has(key)) return;
      const sameView = [...this.proposals.keys()].filter((k) => k.startsWith(`${m.view}/`));
      if (sameView.length > 0) this.stats.equivocations++;
      if (sameView.length >= 4) return; // bound memory under a spamming proposer
      const v = validateTable(this.committee, this.committed, m, m.evidence, now, (id) => this.o.source.isRegistered(id));
      this.proposals.set(key, v.ok ? { msg: m, valid: true, entries: v.entries } : { msg: m, valid: false, reason: v.reason });
      if (!this.firstProposal.has(m.view)) this.firstProposal.set(m.view, hex(m.tableHash));
    } else if (m.kind === 'prevote' || m.kind === 'precommit') {
      const byView = this.votes[m.kind];
      let vs = byView.get(m.view);
      if (!vs) { vs = new Map(); byView.set(m.view, vs); }
      const prior = vs.get(m.sender);
      if (!prior) { vs.set(m.sender, [m]); return; }
      if (prior.some((p) => bytesEqual(p.bytes, m.bytes))) return;
      this.stats.equivocations++;
      // keep at most two conflicting votes per sender: enough to count both values it signed
      if (prior.length < 2) prior.push(m);
    }
    void now; void fx;
  }

  private tally(kind: 'prevote' | 'precommit', view: number): Map<string, number> {
    const t = new Map<string, number>();
    for (const ms of this.votes[kind].get(view)?.values() ?? []) {
      const values = new Set(ms.map((m) => { const v = (m as { value: Uint8Array | null }).value; return v ? hex(v) : NIL; }));
      for (const k of values) t.set(k, (t.get(k) ?? 0) + 1);
    }
    return t;
  }

  private count(kind: 'prevote' | 'precommit', view: number): number { return this.votes[kind].get(view)?.size ?? 0; }

  private validProposal(view: number, hash: string): ProposalInfo | undefined {
    const p = this.proposals.get(`${view}/${hash}`);
    return p?.valid ? p : undefined;
  }

  private evaluate(now: number, fx: Effect[]): void {
    const { q, f } = this.committee;
    const p = this.committee.params;
    for (let guard = 0; guard < 32; guard++) {
      const r = this.round, v = this.view;
      // commit: q precommits for a value in any view, with its valid proposal (any view)
      for (const [view, vs] of this.votes.precommit) {
        for (const [hash, n] of this.tally('precommit', view)) {
          if (hash === NIL || n < q) continue;
          const prop = [...this.proposals.values()].find((pi) => pi.valid && hex(pi.msg.tableHash) === hash);
          if (!prop) continue;
          const sigs: CertSig[] = [...vs.values()].flatMap((ms) => ms.filter((m) => (m as { value: Uint8Array | null }).value && hex((m as { value: Uint8Array }).value) === hash).slice(0, 1)).map((m) => ({ index: m.sender, sig: m.signature })).sort((a, b) => a.index - b.index);
          this.decide(prop, view, sigs, now, fx);
          return;
        }
      }
      const first = this.firstProposal.get(v);
      const prop = first ? this.proposals.get(`${v}/${first}`) : undefined;
      if (this.step === 'propose' && prop) {
        const hash = hex(prop.msg.tableHash), vr = prop.msg.validView;
        if (vr < 0) {
          this.step = 'prevote';
          this.vote('prevote', prop.valid && (this.lockedView < 0 || this.lockedHash === hash) ? hash : null, now, fx);
          continue;
        }
        if (vr < v && (this.tally('prevote', vr).get(hash) ?? 0) >= q) {
          this.step = 'prevote';
          this.vote('prevote', prop.valid && (this.lockedView <= vr || this.lockedHash === hash) ? hash : null, now, fx);
          continue;
        }
      }
      if (this.step === 'prevote' && this.count('prevote', v) >= q && !this.once.has(`pvt/${r}/${v}`)) {
        this.once.add(`pvt/${r}/${v}`);
        this.timers.push({ at: now + this.timeout(p.prevoteTimeoutMs, v), kind: 'prevote', view: v });
      }
      if (this.step !== 'propose') {
        let progressed = false;
        for (const [hash, n] of this.tally('prevote', v)) {
          if (hash === NIL || n < q || !this.validProposal(v, hash) || this.once.has(`pol/${r}/${v}`)) continue;
          this.once.add(`pol/${r}/${v}`);
          if (this.step === 'prevote') {
            this.lockedView = v; this.lockedHash = hash;
            this.step = 'precommit';
            this.vote('precommit', hash, now, fx);
          }
          this.validView = v; this.validHash = hash;
          progressed = true;
        }
        if (progressed) continue;
      }
      if (this.step === 'prevote' && (this.tally('prevote', v).get(NIL) ?? 0) >= q) {
        this.step = 'precommit';
        this.vote('precommit', null, now, fx);
        continue;
      }
      if (this.count('precommit', v) >= q && !this.once.has(`pct/${r}/${v}`)) {
        this.once.add(`pct/${r}/${v}`);
        this.timers.push({ at: now + this.timeout(p.precommitTimeoutMs, v), kind: 'precommit', view: v });
      }
      // skip ahead: f+1 distinct senders in a higher view
      const senders = new Map<number, Set<number>>();
      for (const kind of ['prevote', 'precommit'] as const) for (const [view, vs] of this.votes[kind]) if (view > v) for (const s of vs.keys()) { if (!senders.has(view)) senders.set(view, new Set()); senders.get(view)!.add(s); }
      for (const pi of this.proposals.values()) if (pi.msg.view > v) { if (!senders.has(pi.msg.view)) senders.set(pi.msg.view, new Set()); senders.get(pi.msg.view)!.add(pi.msg.sender); }
      const jump = [...senders.entries()].filter(([, s]) => s.size >= f + 1).map(([view]) => view).sort((a, b) => a - b)[0];
      if (jump !== undefined) { this.enterView(jump, now, fx); continue; }
      return;
    }
  }

  private decide(prop: ProposalInfo, view: number, sigs: CertSig[], now: number, fx: Effect[]): void {
    const m = prop.msg;
    const committed: CommittedRound = { round: m.round, asOf: m.asOf, prevHash: m.prevHash, hash: m.tableHash, entries: prop.entries!, updates: m.updates, cert: { round: m.round, view, tableHash: m.tableHash, sigs } };
    const decision = signMessage({ kind: 'decision', committeeId: this.committee.id, round: m.round, view, sender: this.o.me, asOf: m.asOf, prevHash: m.prevHash, tableHash: m.tableHash, updates: m.updates, sigs }, this.o.signer);
    this.applyCommit(committed, decision, now, fx);
    // One decision per round on the wire (from the deciding view's proposer) keeps gossip load
    // flat in n; an oracle that misses it commits from its own precommits, asks a peer (fetch),
    // or is sent the decision when its old-round messages show it is behind.
    if (proposerOf(this.committee, m.round, view) === this.o.me) fx.push({ type: 'send', msg: decision });
  }

  private onDecision(m: Message, now: number, fx: Effect[]): void {
    if (m.kind !== 'decision') return;
    if (m.round <= this.committed.round) return;
    if (m.round > this.round) {
      if (this.futureDecisions.size < 256) this.futureDecisions.set(m.round.toString(), m);
      fx.push({ type: 'fetch', fromRound: this.round });
      return;
    }
    const cert = { round: m.round, view: m.view, tableHash: m.tableHash, sigs: m.sigs };
    const cv = verifyCertificate(cert, this.keys);
    if (!cv.ok) { this.stats.rejected++; return; }
    const v = validateTable(this.committee, this.committed, m, null, null, () => true);
    if (!v.ok) { this.stats.rejected++; return; }
    this.applyCommit({ round: m.round, asOf: m.asOf, prevHash: m.prevHash, hash: m.tableHash, entries: v.entries, updates: m.updates, cert }, m, now, fx);
  }

  private applyCommit(c: CommittedRound, decision: Message, now: number, fx: Effect[]): void {
    fx.push({ type: 'commit', committed: c, decision });
    this.stats.commits++;
    this.committed = c;
    this.lastDecision = decision;
    this.round = c.round + 1n;
    this.view = 0; this.step = 'propose';
    this.lockedView = -1; this.lockedHash = null; this.validView = -1; this.validHash = null;
    this.proposals.clear(); this.firstProposal.clear();
    this.votes.prevote.clear(); this.votes.precommit.clear();
    for (const k of [...this.own.keys()]) if (BigInt(k.split('/')[0]!) < this.round) this.own.delete(k);
    for (const k of [...this.once]) if (!k.includes(`/${this.round}/`)) this.once.delete(k);
    const next = this.futureDecisions.get(this.round.toString());
    for (const k of [...this.futureDecisions.keys()]) if (BigInt(k) <= c.round) this.futureDecisions.delete(k);
    if (next) { this.onDecision(next, now, fx); return; }
    if (this.started) this.beginRound(now, fx);
  }

  onTick(now: number): Effect[] {
    const fx: Effect[] = [];
    const due = this.timers.filter((t) => t.at <= now);
    this.timers = this.timers.filter((t) => t.at > now);
    for (const t of due) {
      switch (t.kind) {
        case 'start': this.beginRound(now, fx); break;
        case 'propose': if (t.view === this.view && this.step === 'propose') { this.step = 'prevote'; this.vote('prevote', null, now, fx); } break;
        case 'prevote': if (t.view === this.view && this.step === 'prevote') { this.step = 'precommit'; this.vote('precommit', null, now, fx); } break;
        case 'precommit': if (t.view === this.view) this.enterView(this.view + 1, now, fx); break;
        case 'rebroadcast':
          // own messages of this view and the previous one, and the precommits that ended the
          // previous view: a peer that lost messages and is still a view behind can follow
          for (const m of this.own.values()) if (m.round === this.round && m.view >= this.view - 1) fx.push({ type: 'send', msg: m });
          for (const ms of this.votes.precommit.get(this.view - 1)?.values() ?? []) for (const m of ms) if (m.sender !== this.o.me) fx.push({ type: 'send', msg: m });
          this.relayProofOfLock(fx);
          this.timers.push({ at: now + this.rebroadcastMs, kind: 'rebroadcast', view: 0 });
          break;
      }
    }
    this.evaluate(now, fx);
    return fx;
  }
}
