// A deterministic, seeded, virtual-time simulator that runs the real
// consensus core (src/consensus/core.ts) for n oracles: a network that drops,
// delays, duplicates and reorders messages, partitions that open and heal,
// crash/restart with on-disk state (own signed messages and commits), flapping
// compute nodes, and Byzantine oracles (equivocating, silent, forging liveness,
// spamming). Same seed, same run.
import { Rng } from '../common/rng.js';
import { Ed25519Signer } from '../common/ed25519.js';
import { makeCommittee, type Committee, type ConsensusParams } from '../consensus/committee.js';
import { ConsensusCore, type Effect } from '../consensus/core.js';
import { CommitteeKeys, signMessage, verifyCertificate, type Body, type Message } from '../consensus/messages.js';
import { genesis, type CommittedRound } from '../consensus/validity.js';
import { applyUpdates, tableHash } from '../liveness/table.js';
import { publicKeyFromSecret } from '../vrf/index.js';
import { HeartbeatFeed } from './heartbeat-feed.js';

/**
 * equivocate: two different signed messages per (round, view, kind); silent: withholds everything;
 * forge: proposes tables that mark a compute node online without a heartbeat (fresh lastSeen, no
 * evidence); spam: floods signed messages for far-future rounds and messages with broken signatures.
 */
export type Byzantine = 'equivocate' | 'silent' | 'forge' | 'spam';

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
}

interface Disk { commits: Map<bigint, { committed: CommittedRound; decision: Message }>; own: Message[] }
interface SimNode { index: number; signer: Ed25519Signer; core: ConsensusCore | null; disk: Disk; scheduledTick: number | null }
type EventBody = { type: 'deliver'; to: number; msg: Message } | { type: 'tick'; node: number } | { type: 'call'; fn: () => void | Promise<void> };
type Event = { at: number; seq: number } & EventBody;

export interface Violation { kind: 'divergence' | 'bad-certificate' | 'double-sign' | 'forged-liveness'; round: bigint; detail: string }

export class ConsensusSim {
  readonly committee: Committee;
  readonly keys: CommitteeKeys;
  readonly rng: Rng;
  readonly feed: HeartbeatFeed;
  readonly nodes: SimNode[];
  now = 0;
  private events: Event[] = [];
  private seq = 0;
  private groups: number[] | null = null; // partition: group id per node
  readonly violations: Violation[] = [];
  /** round → node → tableHash hex (first commit of each node) */
  readonly commits = new Map<bigint, Map<number, string>>();
  readonly commitTimes = new Map<bigint, number[]>();
  messagesSent = 0;
  /** Oracles' signing-key seeds (their chain addresses) and ECVRF secrets, for the chain layer. */
  readonly signingSeeds: Uint8Array[];
  readonly vrfSecrets: Uint8Array[];
  private readonly net: Required<NonNullable<ConsensusSimOptions['network']>>;

  constructor(readonly o: ConsensusSimOptions) {
    this.rng = new Rng(o.seed);
    const params = { epochMs: 1000, genesisMs: 0, proposeTimeoutMs: 200, prevoteTimeoutMs: 100, precommitTimeoutMs: 100, timeoutDeltaMs: 100, maxSkewMs: 500, liveness: { intervalMs: 1000, missedForOffline: 3, graceMs: 200 }, ...(o.params ?? {}) };
    this.signingSeeds = Array.from({ length: o.n }, () => this.rng.bytes(32));
    const signers = this.signingSeeds.map((seed) => new Ed25519Signer(seed));
    this.vrfSecrets = signers.map(() => this.rng.bytes(32));
    this.committee = makeCommittee(signers.map((s, i) => ({ name: `oracle-${i}`, signingKey: s.publicKey, vrfKey: publicKeyFromSecret(this.vrfSecrets[i]!), multiaddrs: [] })), params);
    this.keys = new CommitteeKeys(this.committee);
    this.feed = new HeartbeatFeed(o.computeNodes ?? 6, this.committee.params.liveness.intervalMs, this.rng);
    for (const f of o.flapping ?? []) this.feed.nodes[f.node]?.down.push([f.from, f.to]);
    this.net = { minDelayMs: 1, maxDelayMs: 20, dropRate: 0, dupRate: 0, ...(o.network ?? {}) };
    this.nodes = signers.map((signer, index) => ({ index, signer, core: null, disk: { commits: new Map(), own: [] }, scheduledTick: null }));
    for (const n of this.nodes) this.boot(n);
  }

  private boot(n: SimNode): void {
    let committed = genesis(this.committee);
    for (const c of n.disk.commits.values()) if (c.committed.round > committed.round) committed = c.committed;
    n.core = new ConsensusCore({
      committee: this.o.plant === 'quorum-off-by-one' ? { ...this.committee, q: this.committee.q - 1 } : this.committee, me: n.index, signer: n.signer, committed, ownMessages: n.disk.own,
      source: { candidates: () => this.feed.latest(this.now), isRegistered: this.feed.isRegistered },
    });
    this.apply(n, n.core.start(this.now));
  }

  private push(e: { at: number } & EventBody): void {
    const ev = { ...e, seq: this.seq++ } as Event;
    // keep sorted by (at, seq); binary insertion
    let lo = 0, hi = this.events.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; const m = this.events[mid]!; if (m.at < ev.at || (m.at === ev.at && m.seq < ev.seq)) lo = mid + 1; else hi = mid; }
    this.events.splice(lo, 0, ev);
  }

  private connected(a: number, b: number): boolean { return !this.groups || this.groups[a] === this.groups[b]; }

  private send(from: number, msg: Message, only?: (to: number) => boolean): void {
    for (const to of this.nodes.keys()) {
      if (to === from || (only && !only(to))) continue;
      this.messagesSent++;
      if (!this.connected(from, to) || this.rng.chance(this.net.dropRate)) continue;
      const copies = this.rng.chance(this.net.dupRate) ? 2 : 1;
      for (let c = 0; c < copies; c++) this.push({ at: this.now + this.net.minDelayMs + this.rng.int(this.net.maxDelayMs - this.net.minDelayMs + 1), type: 'deliver', to, msg });
    }
  }

  private apply(n: SimNode, fx: Effect[]): void {
    const byz = this.o.byzantine?.[n.index];
    for (const e of fx) {
      if (e.type === 'persist') n.disk.own.push(e.msg);
      else if (e.type === 'send') {
        if (byz === 'silent') continue;
        if (byz === 'forge' && e.msg.kind === 'proposal') { this.send(n.index, this.forged(n, e.msg)); continue; }
        if (byz === 'spam') for (const junk of this.junk(n, e.msg)) this.send(n.index, junk);
        if (byz === 'equivocate' && e.msg.kind !== 'decision') {
          const alt = this.conflicting(n, e.msg);
          // odd-numbered peers get a conflicting twin as well, in random order with the original
          this.send(n.index, alt, (to) => to % 2 === 1);
          this.send(n.index, e.msg);
        } else this.send(n.index, e.msg);
      } else if (e.type === 'commit') this.recordCommit(n, e.committed, e.decision);
      else if (e.type === 'fetch') this.serveFetch(n, e.fromRound);
    }
    this.scheduleTick(n);
  }

  /** A second, different message for the same (round, view, kind), signed by the Byzantine sender. */
  private conflicting(n: SimNode, m: Message): Message {
    let body: Body;
    if (m.kind === 'proposal') body = { ...m, asOf: m.asOf + 1 };
    else if (m.kind === 'prevote' || m.kind === 'precommit') body = { ...m, value: m.value ? null : this.rng.bytes(32) };
    else body = m;
    return signMessage(body, n.signer);
  }

  /**
   * A proposal that resurrects a compute node: online with a fresh lastSeen and a seq never sent,
   * without heartbeat evidence; the table hash is recomputed so only the validity rule can refuse it.
   */
  private forged(n: SimNode, m: Message): Message {
    if (m.kind !== 'proposal') return m;
    const victim = this.feed.nodes[this.rng.int(this.feed.nodes.length)]!;
    let prev = genesis(this.committee);
    for (const c of n.disk.commits.values()) if (c.committed.round > prev.round) prev = c.committed;
    const entry = { nodeId: victim.nodeId, status: 'online' as const, lastSeen: m.asOf, lastSeq: 1n << 62n };
    const updates = [...m.updates.filter((u) => Buffer.compare(u.nodeId, victim.nodeId) !== 0), entry];
    const entries = applyUpdates(prev.entries, updates);
    return signMessage({ ...m, updates, tableHash: tableHash({ roundId: m.round, asOf: m.asOf, prevHash: m.prevHash, entries }) }, n.signer);
  }

  /** Junk from a spamming oracle: signed messages for rounds far ahead, and copies with broken signatures. */
  private junk(n: SimNode, m: Message): Message[] {
    if (m.kind !== 'prevote' && m.kind !== 'precommit') return [];
    const ahead = signMessage({ ...m, round: m.round + 1000n + BigInt(this.rng.int(1000)) }, n.signer);
    const broken = { ...m, signature: this.rng.bytes(64) };
    return [ahead, broken, { ...ahead, view: m.view + 50 }];
  }

  /** Whether `lastSeen` is a heartbeat node `id` really sent (the feed's ground truth). */
  private realHeartbeat(id: Uint8Array, lastSeen: number): boolean {
    const node = this.feed.nodes.find((x) => Buffer.compare(x.nodeId, id) === 0);
    if (!node) return false;
    const k = (lastSeen - node.phase) / this.feed.intervalMs;
    return Number.isInteger(k) && k >= 0 && !node.down.some(([a, b]) => lastSeen >= a && lastSeen < b);
  }

  private recordCommit(n: SimNode, c: CommittedRound, decision: Message): void {
    if (!this.o.byzantine?.[n.index]) {
      for (const e of c.entries) {
        if (e.status !== 'offline' && !this.realHeartbeat(e.nodeId, e.lastSeen)) this.violations.push({ kind: 'forged-liveness', round: c.round, detail: `oracle ${n.index} committed node ${Buffer.from(e.nodeId).toString('hex').slice(0, 12)} ${e.status} at lastSeen ${e.lastSeen}, a heartbeat it never sent` });
      }
    }
    n.disk.commits.set(c.round, { committed: c, decision });
    const h = Buffer.from(c.hash).toString('hex');
    let m = this.commits.get(c.round);
    if (!m) { m = new Map(); this.commits.set(c.round, m); }
    for (const [other, oh] of m) if (oh !== h && !this.o.byzantine?.[other] && !this.o.byzantine?.[n.index]) this.violations.push({ kind: 'divergence', round: c.round, detail: `oracle ${n.index} committed ${h.slice(0, 12)}, oracle ${other} ${oh.slice(0, 12)}` });
    if (!m.has(n.index)) { m.set(n.index, h); (this.commitTimes.get(c.round) ?? this.commitTimes.set(c.round, []).get(c.round)!).push(this.now); }
    if (c.cert) {
      const v = verifyCertificate(c.cert, this.keys);
      if (!v.ok) this.violations.push({ kind: 'bad-certificate', round: c.round, detail: v.reason });
    }
  }

  /** Catch-up: a connected, running peer serves its decisions from `from` on (what GET /api/liveness/rounds/:id does). */
  private serveFetch(n: SimNode, from: bigint): void {
    const peer = this.nodes.find((p) => p !== n && p.core && this.connected(p.index, n.index) && p.disk.commits.has(from));
    if (!peer) return;
    for (let r = from; peer.disk.commits.has(r) && r < from + 16n; r++) {
      const d = peer.disk.commits.get(r)!.decision;
      this.push({ at: this.now + this.net.maxDelayMs, type: 'deliver', to: n.index, msg: d });
    }
  }

  private scheduleTick(n: SimNode): void {
    const d = n.core?.nextDeadline();
    if (d === null || d === undefined) return;
    if (n.scheduledTick !== null && n.scheduledTick <= d && n.scheduledTick >= this.now) return;
    n.scheduledTick = Math.max(d, this.now);
    this.push({ at: n.scheduledTick, type: 'tick', node: n.index });
  }

  /** Runs events until virtual time `until` (ms). */
  runUntil(until: number): void {
    while (this.events.length && this.events[0]!.at <= until) {
      const e = this.events.shift()!;
      this.now = e.at;
      if (e.type === 'call') void e.fn();
      else this.dispatch(e);
    }
    this.now = until;
  }

  private dispatch(e: Event & { type: 'deliver' | 'tick' }): void {
    const n = this.nodes[e.type === 'deliver' ? e.to : e.node]!;
    if (!n.core) return;
    if (e.type === 'tick') { if (n.scheduledTick === e.at) n.scheduledTick = null; this.apply(n, n.core.onTick(this.now)); }
    else this.apply(n, n.core.onMessage(e.msg, this.now));
  }

  at(t: number, fn: () => void | Promise<void>): void { this.push({ at: t, type: 'call', fn }); }

  /** runUntil for scenarios whose scheduled calls are asynchronous (awaited in virtual-time order). */
  async runUntilAsync(until: number): Promise<void> {
    while (this.events.length && this.events[0]!.at <= until) {
      const e = this.events.shift()!;
      this.now = e.at;
      if (e.type === 'call') await e.fn();
      else this.dispatch(e);
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
      for (let c = 0; c < copies; c++) this.at(this.now + this.net.minDelayMs + this.rng.int(this.net.maxDelayMs - this.net.minDelayMs + 1), () => deliver(to));
    }
  }
  partition(groups: number[][]): void { this.groups = new Array(this.nodes.length).fill(-1); groups.forEach((g, gi) => g.forEach((i) => { this.groups![i] = gi; })); }
  heal(): void { this.groups = null; }
  crash(i: number): void { this.nodes[i]!.core = null; this.nodes[i]!.scheduledTick = null; }
  restart(i: number): void { this.boot(this.nodes[i]!); }

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
}
