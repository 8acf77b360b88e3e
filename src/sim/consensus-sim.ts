// A deterministic, seeded, virtual-time simulator that runs the real consensus core
// (src/consensus/core.ts) for n oracles: a network that drops, delays, duplicates and reorders
// messages; partitions (symmetric or one-way) that open and heal; crash/restart with on-disk state
// (own signed messages and commits), crashes that land between any two effects, wiped data dirs,
// disks whose writes fail; per-oracle clock skew; processing time that competes with timeouts;
// flapping compute nodes; and Byzantine oracles (src/sim/adversaries.ts). Checkers:
// src/sim/checkers.ts. Same seed, same run.
import { Rng } from '../common/rng.js';
import { Ed25519Signer } from '../common/ed25519.js';
import { makeCommittee, type Committee, type ConsensusParams } from '../consensus/committee.js';
import { ConsensusCore, type Effect } from '../consensus/core.js';
import { CommitteeKeys, type AttestationMessage, type Message } from '../consensus/messages.js';
import type { CommittedRound, LivenessSource } from '../consensus/validity.js';
import { rosterRule } from '../liveness/attestation.js';
import { publicKeyFromSecret } from '../vrf/index.js';
import { ADVERSARIES, headOf, honestAnswer, type AdversaryContext, type Byzantine } from './adversaries.js';
import { checkResources, LivenessChecker, SafetyChecker, type LivenessTruth, type Violation } from './checkers.js';
import { HeartbeatFeed } from './heartbeat-feed.js';

export type { Byzantine } from './adversaries.js';
export type { Violation } from './checkers.js';

export interface ConsensusSimOptions {
  n: number;
  seed: number;
  computeNodes?: number;
  params?: Partial<ConsensusParams>;
  network?: { minDelayMs?: number; maxDelayMs?: number; dropRate?: number; dupRate?: number };
  byzantine?: Record<number, Byzantine>;
  /**
   * A deliberately broken build, to show the checkers catch bugs: `quorum-off-by-one` runs every
   * core with q − 1 (the checkers keep the true q).
   */
  plant?: 'quorum-off-by-one';
  /** Compute nodes that stop heartbeating during [from, to) (virtual ms). */
  flapping?: Array<{ node: number; from: number; to: number }>;
  /** Registered compute nodes that never heartbeat (default 1): a proposer may add them to the roster. */
  dormantNodes?: number;
  /** Oracle → compute nodes (indices) whose heartbeats never reach it (default: every oracle hears every node). */
  deaf?: Record<number, number[]>;
  /** Random 32-byte node ids instead of Ed25519 keys (large runs; the chain layer needs real keys). */
  modelledKeys?: boolean;
  /** Each oracle's clock is off by a fixed amount drawn uniformly from [−skewMs, skewMs]. */
  skewMs?: number;
  /** Processing time: every input costs perInputMs plus perSignatureMs per signature it carries. */
  cpu?: { perInputMs: number; perSignatureMs: number };
  /** Windows in which an oracle's disk writes fail (EIO): the oracle leaves voting until a probe write succeeds. */
  diskFaults?: Array<{ i: number; from: number; to: number }>;
  /** How often an oracle whose store failed probes it (virtual ms). */
  storeProbeMs?: number;
}

interface Disk { commits: Map<bigint, { committed: CommittedRound; decision: Message }>; own: Message[] }
interface SimNode {
  index: number; signer: Ed25519Signer; core: ConsensusCore | null; disk: Disk; scheduledTick: number | null;
  skew: number; busyUntil: number; nextFetch: number; crashAtEffect: boolean; storeFailed: boolean; restartPending: boolean;
  /** inputs that arrived while the oracle was busy, in arrival order (null: a timer tick); one drain event serves them */
  inbox: Array<Message | null>; inboxHead: number; tickWaiting: boolean; drainAt: number | null;
  /** what this process has verified already (the service's verdict cache, the core's certificate cache); lost on restart */
  seen: WeakSet<Uint8Array>; certsSeen: Set<string>;
}
type EventBody = { type: 'deliver'; to: number; msg: Message } | { type: 'tick'; node: number } | { type: 'drain'; node: number } | { type: 'call'; fn: () => void | Promise<void> };
type Event = { at: number; seq: number } & EventBody;

/** Binary min-heap of events by (at, seq): same order as a sorted list, O(log n) per operation. */
class EventQueue {
  private h: Event[] = [];
  get size(): number { return this.h.length; }
  peek(): Event | undefined { return this.h[0]; }
  private less(a: Event, b: Event): boolean { return a.at < b.at || (a.at === b.at && a.seq < b.seq); }
  push(e: Event): void {
    const h = this.h;
    h.push(e);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!]; i = p;
    }
  }
  pop(): Event | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!]; i = m;
      }
    }
    return top;
  }
}

export class ConsensusSim {
  readonly committee: Committee;
  readonly keys: CommitteeKeys;
  readonly rng: Rng;
  readonly feed: HeartbeatFeed;
  readonly nodes: SimNode[];
  now = 0;
  private events = new EventQueue();
  private seq = 0;
  private groups: number[] | null = null; // partition: group id per node
  private cuts = new Set<string>(); // one-way cuts `${from}>${to}`
  readonly violations: Violation[] = [];
  readonly safety: SafetyChecker;
  readonly liveness: LivenessChecker;
  readonly commitTimes = new Map<bigint, number[]>();
  /** equivocation evidence the honest cores produced: both signed messages */
  readonly evidence: Array<{ by: number; a: Message; b: Message }> = [];
  messagesSent = 0;
  /** Oracles' signing-key seeds (their chain addresses) and ECVRF secrets, for the chain layer. */
  readonly signingSeeds: Uint8Array[];
  readonly vrfSecrets: Uint8Array[];
  private readonly net: Required<NonNullable<ConsensusSimOptions['network']>>;
  private readonly fetchIntervalMs: number;
  /** what the Byzantine members of this run share */
  private readonly colluding = new Map<string, unknown>();
  /** per oracle: the compute nodes it never hears, and what it hears (its liveness source) */
  private readonly deaf: Array<Set<number>>;
  private readonly sources: LivenessSource[];
  /** per Byzantine oracle: the attestations delivered to it, by round (its adversary may pick among them) */
  private readonly receivedAttestations = new Map<number, Map<bigint, AttestationMessage[]>>();

  constructor(readonly o: ConsensusSimOptions) {
    this.rng = new Rng(o.seed);
    const params = { epochMs: 1000, genesisMs: 0, proposeTimeoutMs: 200, prevoteTimeoutMs: 100, precommitTimeoutMs: 100, timeoutDeltaMs: 100, maxSkewMs: 500, liveness: { intervalMs: 1000, missedForOffline: 3, graceMs: 200 }, ...(o.params ?? {}) };
    this.signingSeeds = Array.from({ length: o.n }, () => this.rng.bytes(32));
    const signers = this.signingSeeds.map((seed) => new Ed25519Signer(seed));
    this.vrfSecrets = signers.map(() => this.rng.bytes(32));
    this.committee = makeCommittee(signers.map((s, i) => ({ name: `oracle-${i}`, signingKey: s.publicKey, vrfKey: publicKeyFromSecret(this.vrfSecrets[i]!), multiaddrs: [] })), params);
    this.keys = new CommitteeKeys(this.committee, { memo: true });
    this.feed = new HeartbeatFeed(o.computeNodes ?? 6, this.committee.params.liveness.intervalMs, this.rng, { dormant: o.dormantNodes ?? 1, modelledKeys: o.modelledKeys });
    for (const f of o.flapping ?? []) this.feed.nodes[f.node]?.down.push([f.from, f.to]);
    this.deaf = Array.from({ length: o.n }, (_, i) => new Set(o.deaf?.[i] ?? []));
    this.sources = this.deaf.map((d) => this.feed.source(() => this.now, (j) => d.has(j)));
    this.net = { minDelayMs: 1, maxDelayMs: 20, dropRate: 0, dupRate: 0, ...(o.network ?? {}) };
    this.fetchIntervalMs = Math.min(1000, this.committee.params.epochMs);
    this.safety = new SafetyChecker(this.keys, (i) => this.isByzantine(i), this.truth(), (v) => this.violations.push(v), () => this.now);
    this.liveness = new LivenessChecker(this.committee);
    const skew = o.skewMs ?? 0;
    this.nodes = signers.map((signer, index) => ({
      index, signer, core: null, disk: { commits: new Map(), own: [] }, scheduledTick: null,
      skew: skew ? Math.round((this.rng.float() * 2 - 1) * skew) : 0, busyUntil: 0, nextFetch: 0, crashAtEffect: false, storeFailed: false, restartPending: false,
      inbox: [], inboxHead: 0, tickWaiting: false, drainAt: null, seen: new WeakSet(), certsSeen: new Set(),
    }));
    for (const n of this.nodes) this.boot(n);
  }

  isByzantine(i: number): boolean { return this.o.byzantine?.[i] !== undefined; }
  /** Oracle i's clock. */
  localNow(i: number): number { return Math.floor(this.now) + this.nodes[i]!.skew; } // whole ms, like Date.now()
  /** Compatibility view: round → oracle → table hash of its first commit. */
  get commits(): Map<bigint, Map<number, string>> { return this.safety.commits; }

  private boot(n: SimNode): void {
    if (this.o.byzantine?.[n.index] && ADVERSARIES[this.o.byzantine[n.index]!]?.amnesia) n.disk.own = [];
    const head = headOf(n.disk.commits, this.committee);
    n.storeFailed = false;
    n.seen = new WeakSet(); n.certsSeen = new Set();
    n.core = new ConsensusCore({
      committee: this.o.plant === 'quorum-off-by-one' ? { ...this.committee, q: this.committee.q - 1 } : this.committee, me: n.index, signer: n.signer, committed: head, ownMessages: n.disk.own,
      decision: n.disk.commits.get(head.round)?.decision ?? null,
      source: this.sources[n.index]!,
      keys: this.keys,
    });
    this.liveness.onHead(n.index, this.now, head.round);
    this.apply(n, n.core.start(this.localNow(n.index)));
  }

  private push(e: { at: number } & EventBody): void {
    this.events.push({ ...e, seq: this.seq++ } as Event);
  }

  private connected(a: number, b: number): boolean {
    return (!this.groups || this.groups[a] === this.groups[b]) && !this.cuts.has(`${a}>${b}`);
  }

  private delay(): number { return this.net.minDelayMs + this.rng.int(this.net.maxDelayMs - this.net.minDelayMs + 1); }

  private send(from: number, msg: Message, only?: (to: number) => boolean): void {
    for (const to of this.nodes.keys()) {
      if (to === from || (only && !only(to))) continue;
      this.messagesSent++;
      if (!this.connected(from, to) || this.rng.chance(this.net.dropRate)) continue;
      const copies = this.rng.chance(this.net.dupRate) ? 2 : 1;
      for (let c = 0; c < copies; c++) this.push({ at: this.now + this.delay(), type: 'deliver', to, msg });
    }
  }

  private diskFailing(i: number): boolean {
    return (this.o.diskFaults ?? []).some((f) => f.i === i && this.now >= f.from && this.now < f.to);
  }

  private ctx(n: SimNode): AdversaryContext {
    return {
      committee: this.committee, me: n.index, signer: n.signer, rng: this.rng, now: this.now,
      source: this.sources[n.index]!,
      received: (r) => this.receivedAttestations.get(n.index)?.get(r) ?? [],
      registered: () => this.feed.nodes.map((x) => x.nodeId),
      head: () => headOf(n.disk.commits, this.committee),
      commit: (r) => n.disk.commits.get(r),
      shared: this.colluding,
    };
  }

  private apply(n: SimNode, fx: Effect[]): void {
    const adv = this.o.byzantine?.[n.index] !== undefined ? ADVERSARIES[this.o.byzantine[n.index]!] : undefined;
    // a crash scheduled to land between effects: after a random number of this batch's effects
    const crashAfter = n.crashAtEffect && fx.length ? this.rng.int(fx.length + 1) : -1;
    for (const [k, e] of fx.entries()) {
      if (k === crashAfter) { n.crashAtEffect = false; this.crashNow(n); return; }
      if (e.type === 'persist' || e.type === 'commit') {
        if (this.diskFailing(n.index)) { this.storeFailed(n); return; } // the write failed: nothing after it runs
        if (e.type === 'persist') n.disk.own.push(e.msg);
        else this.recordCommit(n, e.committed, e.decision);
      } else if (e.type === 'send') {
        if (adv) for (const out of adv.send(this.ctx(n), e.msg)) this.send(n.index, out.msg, out.to);
        else this.send(n.index, e.msg);
      } else if (e.type === 'fetch') this.fetch(n, e.target);
      else if (e.type === 'evidence') { if (!adv) this.evidence.push({ by: n.index, a: e.a, b: e.b }); }
    }
    this.scheduleTick(n);
  }

  /** What the service does when a write fails: the oracle leaves voting and rebuilds from disk once a probe write succeeds. */
  private storeFailed(n: SimNode): void {
    n.core = null; n.scheduledTick = null; n.storeFailed = true; this.clearInbox(n);
    const probe = () => {
      if (!n.storeFailed) return;
      if (this.diskFailing(n.index)) { this.at(this.now + (this.o.storeProbeMs ?? 500), probe); return; }
      this.boot(n);
    };
    this.at(this.now + (this.o.storeProbeMs ?? 500), probe);
  }

  private recordCommit(n: SimNode, c: CommittedRound, decision: Message): void {
    n.disk.commits.set(c.round, { committed: c, decision });
    if (this.safety.onCommit(n.index, c)) (this.commitTimes.get(c.round) ?? this.commitTimes.set(c.round, []).get(c.round)!).push(this.now);
    this.liveness.onHead(n.index, this.now, c.round);
  }

  /** The feed's ground truth for the liveness checkers. */
  private truth(): LivenessTruth {
    const window = rosterRule(this.committee).windowMs;
    const margin = (this.o.skewMs ?? 0) + 1;
    // per compute node: whether some honest oracle hears it, whether every honest oracle does (who is Byzantine is fixed per run)
    const honest = [...Array(this.o.n).keys()].filter((i) => !this.isByzantine(i));
    const someHear = (j: number) => honest.some((i) => !this.deaf[i]!.has(j));
    const allHear = (j: number) => honest.every((i) => !this.deaf[i]!.has(j));
    return {
      couldHear: (id, asOf, by) => {
        const j = this.feed.indexOf(id);
        return j >= 0 && this.feed.lastSeenAt(j, by) >= asOf - window && someHear(j);
      },
      surelyHeard: (id, asOf) => {
        const j = this.feed.indexOf(id);
        return j >= 0 && this.feed.lastSeenAt(j, asOf - margin) >= asOf - window && allHear(j);
      },
    };
  }

  /**
   * Catch-up as the service does it: at most once per fetch interval, peers in random order; per
   * peer, consecutive rounds (or, more than 64 behind a known certified head, the newest
   * snapshot) until an answer does not apply, then the next peer.
   */
  private fetch(n: SimNode, target: bigint | null): void {
    if (this.now < n.nextFetch) return;
    n.nextFetch = this.now + this.fetchIntervalMs;
    const peers = [...this.nodes.keys()].filter((i) => i !== n.index);
    for (let i = peers.length - 1; i > 0; i--) { const j = this.rng.int(i + 1); [peers[i], peers[j]] = [peers[j]!, peers[i]!]; }
    const rtt = 2 * this.delay();
    this.at(this.now + rtt, () => {
      for (const p of peers) {
        const peer = this.nodes[p]!;
        if (!peer.core || !n.core || !this.connected(n.index, p) || !this.connected(p, n.index)) continue;
        const adv = this.o.byzantine?.[p] !== undefined ? ADVERSARIES[this.o.byzantine[p]!] : undefined;
        for (let k = 0; k < 16 && n.core; k++) {
          const mine = n.core.lastCommitted.round;
          const far = target !== null && target - mine > 64n;
          const want = far ? 'latest' as const : mine + 1n;
          const answer = (adv?.answer ?? honestAnswer)(this.ctx(peer), want);
          if (!answer) break;
          const res = n.core.onFetched(answer.decision, answer.table, this.localNow(n.index));
          this.apply(n, res.effects);
          if (!res.applied) break;
        }
        if (!n.core || (target !== null && n.core.lastCommitted.round >= target)) return;
      }
    });
  }

  private scheduleTick(n: SimNode): void {
    const d = n.core?.nextDeadline();
    if (d === null || d === undefined) return;
    const at = Math.max(d - n.skew, this.now);
    if (n.scheduledTick !== null && n.scheduledTick <= at && n.scheduledTick >= this.now) return;
    n.scheduledTick = at;
    this.push({ at, type: 'tick', node: n.index });
  }

  private step(e: Event): void {
    this.now = e.at;
    if (e.type === 'call') return;
    this.dispatch(e);
  }

  /** Runs events until virtual time `until` (ms). */
  runUntil(until: number): void {
    while (this.events.size && this.events.peek()!.at <= until) {
      const e = this.events.pop()!;
      if (e.type === 'call') { this.now = e.at; void e.fn(); } else this.step(e);
    }
    this.now = until;
  }

  /**
   * Processing time of an input, as the service spends it: a message whose bytes this process has
   * already judged costs a hash lookup (the precheck's verdict cache: deliberate re-sends are
   * cheap), a certificate already verified is not verified again (the core's cache); otherwise
   * one signature, plus the proposal's attestations or the certificate's signatures.
   */
  private cost(n: SimNode, msg: Message | null): number {
    const cpu = this.o.cpu;
    if (!cpu) return 0;
    if (!msg || n.seen.has(msg.bytes)) return cpu.perInputMs;
    n.seen.add(msg.bytes);
    let sigs = 1;
    if (msg.kind === 'proposal') sigs += msg.attestations.length;
    if (msg.kind === 'decision' || msg.kind === 'head') {
      const k = `${msg.round}/${msg.view}/${Buffer.from(msg.tableHash).toString('hex')}`;
      if (!n.certsSeen.has(k)) {
        if (n.certsSeen.size > 4096) n.certsSeen.clear();
        n.certsSeen.add(k);
        sigs += msg.sigs.length;
      }
    }
    return cpu.perInputMs + sigs * cpu.perSignatureMs;
  }

  private dispatch(e: Event & { type: 'deliver' | 'tick' | 'drain' }): void {
    const n = this.nodes[e.type === 'deliver' ? e.to : e.node]!;
    if (e.type === 'drain') { if (n.drainAt === e.at) { n.drainAt = null; this.drain(n); } return; }
    if (!n.core) return;
    if (e.type === 'tick' && n.scheduledTick === e.at) n.scheduledTick = null;
    if (n.busyUntil > this.now || n.inboxHead < n.inbox.length) {
      // the oracle is still processing: this input waits its turn in the inbox (a tick waits once)
      if (e.type === 'deliver') n.inbox.push(e.msg);
      else if (!n.tickWaiting) { n.tickWaiting = true; n.inbox.push(null); }
      this.scheduleDrain(n);
      return;
    }
    this.process(n, e.type === 'deliver' ? e.msg : null);
  }

  private scheduleDrain(n: SimNode): void {
    if (n.drainAt !== null) return;
    n.drainAt = Math.max(n.busyUntil, this.now);
    this.push({ at: n.drainAt, type: 'drain', node: n.index });
  }

  /** The next waiting input of a busy oracle, once it is free. */
  private drain(n: SimNode): void {
    if (!n.core) { this.clearInbox(n); return; }
    if (n.inboxHead >= n.inbox.length) return;
    if (n.busyUntil > this.now) { this.scheduleDrain(n); return; }
    const input = n.inbox[n.inboxHead++]!;
    if (n.inboxHead === n.inbox.length) { n.inbox = []; n.inboxHead = 0; }
    if (input === null) n.tickWaiting = false;
    this.process(n, input);
    if (n.inboxHead < n.inbox.length) this.scheduleDrain(n);
  }

  private clearInbox(n: SimNode): void { n.inbox = []; n.inboxHead = 0; n.tickWaiting = false; n.drainAt = null; }

  /** One input (a message, or a timer tick when null) through the oracle's core. */
  private process(n: SimNode, msg: Message | null): void {
    if (!n.core) return;
    n.busyUntil = this.now + this.cost(n, msg);
    const now = this.localNow(n.index);
    if (msg === null) {
      this.apply(n, n.core.onTick(now));
      if (n.core) { const v = checkResources(this.committee, n.index, n.core.resources(), n.core.currentView, n.core.currentRound); if (v && !this.isByzantine(n.index)) this.violations.push(v); }
    } else {
      // what the transport does before delivery (gossipsub's topic validator): window, membership, signature
      if (n.core.precheck(msg) !== undefined) return;
      if (msg.kind === 'attestation' && this.isByzantine(n.index)) this.noteAttestation(n.index, msg);
      this.apply(n, n.core.onMessage(msg, now, true));
    }
  }

  private noteAttestation(i: number, a: AttestationMessage): void {
    let byRound = this.receivedAttestations.get(i);
    if (!byRound) { byRound = new Map(); this.receivedAttestations.set(i, byRound); }
    for (const r of byRound.keys()) if (r + 2n < a.round) byRound.delete(r);
    const list = byRound.get(a.round) ?? [];
    if (list.length < 4 * this.committee.n && !list.some((x) => x.sender === a.sender)) list.push(a);
    byRound.set(a.round, list);
  }

  at(t: number, fn: () => void | Promise<void>): void { this.push({ at: t, type: 'call', fn }); }

  /** runUntil for scenarios whose scheduled calls are asynchronous (awaited in virtual-time order). */
  async runUntilAsync(until: number): Promise<void> {
    while (this.events.size && this.events.peek()!.at <= until) {
      const e = this.events.pop()!;
      if (e.type === 'call') { this.now = e.at; await e.fn(); } else this.step(e);
    }
    this.now = until;
  }

  /** Delivers an application message from `from` to every connected peer, with this network's loss, duplication and delay. */
  gossip(from: number, deliver: (to: number) => void): void {
    for (const to of this.nodes.keys()) {
      if (to === from) continue;
      this.messagesSent++;
      if (!this.connected(from, to) || this.rng.chance(this.net.dropRate)) continue;
      const copies = this.rng.chance(this.net.dupRate) ? 2 : 1;
      for (let c = 0; c < copies; c++) this.at(this.now + this.delay(), () => deliver(to));
    }
  }

  /** Delivers `msg` to oracle `to` at virtual time `at` (an adversary's direct send). */
  inject(to: number, msg: Message, at = this.now): void { this.push({ at, type: 'deliver', to, msg }); }

  partition(groups: number[][]): void { this.groups = new Array(this.nodes.length).fill(-1); groups.forEach((g, gi) => g.forEach((i) => { this.groups![i] = gi; })); }
  /** One-way partition: messages from every oracle in `from` to every oracle in `to` are lost. */
  cut(from: number[], to: number[]): void { for (const a of from) for (const b of to) if (a !== b) this.cuts.add(`${a}>${b}`); }
  heal(): void { this.groups = null; this.cuts.clear(); }

  private crashNow(n: SimNode): void { n.core = null; n.scheduledTick = null; n.busyUntil = 0; n.storeFailed = false; this.clearInbox(n); }
  /** Crash now, or — `betweenEffects` — at a random point inside the oracle's next batch of effects. */
  crash(i: number, betweenEffects = false): void {
    const n = this.nodes[i]!;
    if (betweenEffects && n.core) n.crashAtEffect = true;
    else this.crashNow(n);
  }
  restart(i: number): void {
    const n = this.nodes[i]!;
    n.crashAtEffect = false;
    if (n.core) this.crashNow(n); // a between-effects crash that had not landed yet: crash now
    this.boot(n);
  }
  /** Loses oracle i's disk (a wiped data dir); takes effect at its next restart. */
  wipe(i: number): void { this.nodes[i]!.disk = { commits: new Map(), own: [] }; }

  /** Own signed messages of an oracle that conflict: two different signed votes for one (round, view, kind). */
  doubleSigns(i: number): number {
    const seen = new Map<string, string>();
    let bad = 0;
    for (const m of this.nodes[i]!.disk.own) {
      const k = `${m.round}/${m.view}/${m.kind}`;
      const h = Buffer.from(m.bytes).toString('hex');
      if (seen.has(k) && seen.get(k) !== h) bad++;
      seen.set(k, h);
    }
    return bad;
  }

  /** Highest round committed by every listed oracle. */
  committedBy(indices: number[]): bigint {
    let r = -1n;
    for (const [round, m] of this.commits) if (indices.every((i) => m.has(i)) && round > r) r = round;
    return r;
  }

  /** Highest round each listed oracle has reached (commit or snapshot); the minimum over them. */
  headOfAll(indices: number[]): bigint {
    let r: bigint | null = null;
    for (const i of indices) { const h = headOf(this.nodes[i]!.disk.commits, this.committee).round; if (r === null || h < r) r = h; }
    return r ?? -1n;
  }
}
