// Runs the consensus core in production: one input at a time (network
// message, timer, catch-up answer), its effects executed in order — an own vote is
// fsync'ed to level before it is published — then the next timer armed.
//
// Catch-up: when the core learns it is behind (a verified head or decision, or messages from
// later rounds), certified rounds are fetched from peers in random order: consecutive rounds,
// or — more than 64 rounds behind a known certified head — the newest snapshot (full table +
// certificate). A peer whose answer does not apply is left for the next one.
//
// A failing store takes the oracle out of voting: the effect that could not be made durable and
// every effect after it are dropped (nothing non-durable is ever sent), the core is discarded,
// `storeError` is set (readiness, metric, log); a probe write is retried and, once it succeeds,
// the core is rebuilt from what is on disk, exactly as after a restart.
import { EventEmitter } from 'node:events';
import { createHash, randomInt } from 'node:crypto';
import type { Clock } from '../common/clock.js';
import type { Ed25519Signer } from '../common/ed25519.js';
import { bytesEqual } from '../common/bytes.js';
import { decodeTable, tableHash } from '../liveness/table.js';
import type { Committee } from './committee.js';
import { ConsensusCore, type Effect } from './core.js';
import { CommitteeKeys, decodeMessage, MessageError, verifyCertificate, type Message } from './messages.js';
import type { ConsensusStore } from './store.js';
import { genesis, type LivenessSource, type CommittedRound } from './validity.js';

export interface Transport {
  publish(data: Uint8Array): Promise<void>;
}

/** A certified round as a peer serves it: the decision message and the full table's canonical bytes. */
export interface FetchedRound { decision: Uint8Array; table: Uint8Array | null }

/** Where certified rounds come from (HTTP: httpCatchUp in src/api/liveness-routes.ts). */
export interface CatchUpSource {
  peers: string[];
  round(peer: string, round: bigint): Promise<FetchedRound | null>;
  latest(peer: string): Promise<FetchedRound | null>;
}

export interface ServiceOptions {
  committee: Committee;
  me: number;
  signer: Ed25519Signer;
  store: ConsensusStore;
  source: LivenessSource;
  clock: Clock;
  catchUp?: CatchUpSource;
  /** Uniform integer in [0, n): the order in which peers are asked (default: node:crypto). */
  randomInt?: (n: number) => number;
  /** Minimum time between two catch-up passes. */
  catchUpIntervalMs?: number;
  /** How often a failed store is probed. */
  storeProbeMs?: number;
  log?: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void; error?: (o: object, m: string) => void };
}

export interface CommitEvent { committed: CommittedRound; decision: Message; at: number }

/** After every peer failed to serve a skipped round, callers get null without asking again for this long. */
const UNAVAILABLE_RETRY_MS = 5000;

export class ConsensusService extends EventEmitter {
  private core: ConsensusCore | null = null;
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private transport: Transport | null = null;
  private fetching = false;
  private lastFetch = -Infinity;
  private pendingTarget: bigint | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private head: { committed: CommittedRound; decision: Message | null };
  private readonly keys: CommitteeKeys;
  /** Why the store failed, while the oracle is out of voting. */
  storeError: string | null = null;
  readonly counters = { storeFailures: 0, evidence: 0, catchUpRejected: 0, snapshots: 0 };

  constructor(readonly o: ServiceOptions) {
    super();
    this.head = { committed: genesis(o.committee), decision: null };
    this.keys = new CommitteeKeys(o.committee);
  }

  async start(transport: Transport): Promise<void> {
    this.transport = transport;
    await (this.queue = this.queue.then(() => this.boot()));
  }

  get latest(): { committed: CommittedRound; decision: Message | null } { return this.head; }
  get stats() { return this.core?.stats; }
  get round(): bigint | undefined { return this.core?.currentRound; }
  get view(): number | undefined { return this.core?.currentView; }
  get resources() { return this.core?.resources(); }
  /** Highest round known to be certified (≥ our head). */
  get knownHead(): bigint { return this.core?.knownHead ?? this.head.committed.round; }

  /** A committed round: from the store, or — a round a snapshot skipped — fetched from peers and verified. */
  async getCommitted(round: bigint): Promise<{ committed: CommittedRound; decision: Message } | null> {
    const c = await this.o.store.loadCommit(round);
    if (c || round > this.head.committed.round || round < 0n || !this.o.catchUp) return c;
    // one fetch per round at a time; a round no peer could serve is not asked again for a while
    const key = round.toString();
    const running = this.roundFetches.get(key);
    if (running) return running;
    const failedAt = this.unavailable.get(key);
    if (failedAt !== undefined && this.o.clock.now() - failedAt < UNAVAILABLE_RETRY_MS) return null;
    const p = this.fetchRound(round).finally(() => this.roundFetches.delete(key));
    this.roundFetches.set(key, p);
    const v = await p;
    if (v) this.unavailable.delete(key);
    else {
      this.unavailable.set(key, this.o.clock.now());
      if (this.unavailable.size > 1024) this.unavailable.delete(this.unavailable.keys().next().value!);
    }
    return v;
  }

  private readonly roundFetches = new Map<string, Promise<{ committed: CommittedRound; decision: Message } | null>>();
  /** rounds every peer failed to serve, and when (bounded, oldest out) */
  private readonly unavailable = new Map<string, number>();

  private async fetchRound(round: bigint): Promise<{ committed: CommittedRound; decision: Message } | null> {
    for (const peer of this.shuffled(this.o.catchUp!.peers)) {
      const got = await this.o.catchUp!.round(peer, round).catch(() => null);
      const v = got && this.verifyFetched(got, round);
      if (!v) continue;
      await this.o.store.saveRound(v.committed, v.decision).catch(() => {});
      return v;
    }
    return null;
  }

  /** Checks a fetched round on its own: the certificate, and the full table hashing to it. */
  private verifyFetched(f: FetchedRound, round: bigint): { committed: CommittedRound; decision: Message } | null {
    let m: Message;
    try { m = decodeMessage(f.decision); } catch { return null; }
    if (m.kind !== 'decision' || m.round !== round || !f.table) return null;
    if (!verifyCertificate({ round: m.round, view: m.view, tableHash: m.tableHash, sigs: m.sigs }, this.keys).ok) return null;
    let t;
    try { t = decodeTable(f.table); } catch { return null; }
    if (t.roundId !== round || !bytesEqual(tableHash(t), m.tableHash)) return null;
    return { decision: m, committed: { round, asOf: t.asOf, prevHash: t.prevHash, hash: m.tableHash, entries: t.entries, cert: { round, view: m.view, tableHash: m.tableHash, sigs: m.sigs } } };
  }

  evidence(limit = 100): Promise<Array<{ a: Message; b: Message }>> { return this.o.store.loadEvidence(limit); }

  /**
   * Relay-time validation (gossipsub topic validator). Deliberate re-sends of the same signed bytes
   * arrive as new gossip messages (counter envelope); their verdict is remembered (by SHA-256 of the
   * bytes, bounded), so a re-send costs a hash instead of an Ed25519 verification.
   */
  precheck(data: Uint8Array): string | undefined {
    if (!this.core) return this.storeError ? 'not voting: store failed' : 'not started';
    const key = createHash('sha256').update(data).digest('base64');
    if (this.verdicts.has(key)) {
      const v = this.verdicts.get(key);
      // the window part of the verdict changes as rounds commit: only a good signature is remembered
      if (v === undefined) { let m: Message; try { m = decodeMessage(data); } catch (e) { return (e as MessageError).message; } return this.core.precheck(m, true); }
      return v;
    }
    let m: Message;
    try { m = decodeMessage(data); } catch (e) { return (e as MessageError).message; }
    const err = this.core.precheck(m);
    if (err === undefined || err === 'bad signature' || /not a committee member|another committee/.test(err)) {
      if (this.verdicts.size >= 8192) this.verdicts.delete(this.verdicts.keys().next().value!);
      this.verdicts.set(key, err);
    }
    return err;
  }
  private verdicts = new Map<string, string | undefined>();

  /** A message from the network (HTTP). Returns a rejection reason, if any. */
  receive(data: Uint8Array): string | undefined {
    if (!this.core || this.stopped) return 'not running';
    let m: Message;
    try { m = decodeMessage(data); } catch (e) { return (e as Error).message; }
    const err = this.core.precheck(m);
    if (err === 'stale') return undefined;
    if (err) return err;
    void this.run(() => this.core!.onMessage(m, this.o.clock.now(), true));
    return undefined;
  }

  /** A gossip message that already passed precheck() in the topic validator (signature checked once). */
  receiveValidated(data: Uint8Array): void {
    if (!this.core || this.stopped) return;
    let m: Message;
    try { m = decodeMessage(data); } catch { return; }
    void this.run(() => this.core!.onMessage(m, this.o.clock.now(), true));
  }

  private run(input: () => Effect[]): Promise<void> {
    this.queue = this.queue.then(async () => {
      if (this.stopped || !this.core) return;
      await this.execute(input());
      this.arm();
    }).catch((e) => { this.o.log?.warn({ err: String(e) }, 'consensus step failed'); });
    return this.queue;
  }

  private async execute(fx: Effect[]): Promise<void> {
    for (const e of fx) {
      if (!this.core) return; // the store failed mid-list: nothing after it runs
      switch (e.type) {
        case 'persist': if (!(await this.durably(() => this.o.store.saveOwn(e.msg)))) return; break; // durable before anything after it
        case 'send': await this.transport?.publish(e.msg.bytes); break;
        case 'commit':
          if (!(await this.durably(() => this.o.store.saveCommit(e.committed, e.decision)))) return;
          this.head = { committed: e.committed, decision: e.decision };
          this.emit('commit', { committed: e.committed, decision: e.decision, at: this.o.clock.now() } satisfies CommitEvent);
          break;
        case 'fetch': this.catchUp(e.target); break;
        case 'evidence':
          this.counters.evidence++;
          this.emit('evidence', e);
          await this.o.store.saveEvidence(e.a, e.b).catch(() => {}); // evidence is best effort; votes are not
          break;
      }
    }
  }

  /** Runs a write; on failure takes the oracle out of voting and returns false. */
  private async durably(write: () => Promise<void>): Promise<boolean> {
    try { await write(); return true; } catch (err) { this.storeFailed(err); return false; }
  }

  private storeFailed(err: unknown): void {
    this.core = null;
    if (this.timer) clearTimeout(this.timer);
    this.counters.storeFailures++;
    this.storeError = String((err as Error)?.message ?? err);
    this.o.log?.error?.({ err: this.storeError }, 'consensus store write failed: out of voting until a probe write succeeds');
    this.emit('store-failed', this.storeError);
    const probe = () => {
      this.probeTimer = null;
      if (this.stopped) return;
      this.o.store.probe().then(
        () => { this.queue = this.queue.then(async () => { if (this.stopped) return; this.storeError = null; this.o.log?.info({}, 'consensus store writable again: rebuilding from disk'); this.emit('store-recovered'); await this.boot(); }); },
        () => { this.probeTimer = setTimeout(probe, this.o.storeProbeMs ?? 2000); },
      );
    };
    this.probeTimer = setTimeout(probe, this.o.storeProbeMs ?? 2000);
  }

  /** Builds the core from what is on disk (start, and recovery after a store failure); runs inside the queue. */
  private async boot(): Promise<void> {
    const head = await this.o.store.loadHead();
    if (head) this.head = head;
    const own = await this.o.store.loadOwn(this.head.committed.round + 1n);
    this.core = new ConsensusCore({ committee: this.o.committee, me: this.o.me, signer: this.o.signer, source: this.o.source, committed: this.head.committed, decision: this.head.decision, ownMessages: own, keys: this.keys });
    await this.execute(this.core.start(this.o.clock.now()));
    this.arm();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    const d = this.core?.nextDeadline();
    if (d === null || d === undefined || this.stopped) return;
    this.timer = setTimeout(() => { void this.run(() => this.core?.onTick(this.o.clock.now()) ?? []); }, Math.max(0, d - this.o.clock.now()));
  }

  private shuffled(xs: string[]): string[] {
    const out = [...xs];
    const rnd = this.o.randomInt ?? ((n: number) => randomInt(n));
    for (let i = out.length - 1; i > 0; i--) { const j = rnd(i + 1); [out[i], out[j]] = [out[j]!, out[i]!]; }
    return out;
  }

  /** Feeds a fetched round to the core (through the queue); whether it applied. */
  private applyFetched(f: FetchedRound): Promise<boolean> {
    let m: Message;
    try { m = decodeMessage(f.decision); } catch { return Promise.resolve(false); }
    let applied = false;
    return this.run(() => {
      const r = this.core!.onFetched(m, f.table, this.o.clock.now());
      applied = r.applied;
      return r.effects;
    }).then(() => applied);
  }

  /**
   * Fetches certified rounds: peers in random order; per peer, consecutive rounds — or, more than
   * 64 behind a known certified head, the newest snapshot — until an answer does not apply (junk:
   * next peer). At most one pass per catchUpIntervalMs; a target learnt meanwhile starts another.
   */
  private catchUp(target: bigint | null): void {
    const src = this.o.catchUp;
    if (!src || !src.peers.length) return;
    if (target !== null && (this.pendingTarget === null || target > this.pendingTarget)) this.pendingTarget = target;
    const interval = this.o.catchUpIntervalMs ?? 1000;
    if (this.fetching) return;
    const wait = this.lastFetch + interval - this.o.clock.now();
    if (wait > 0) {
      this.retryTimer ??= setTimeout(() => { this.retryTimer = null; if (!this.stopped) this.catchUp(null); }, wait);
      return;
    }
    this.fetching = true;
    this.lastFetch = this.o.clock.now();
    void (async () => {
      try {
        const goal = this.pendingTarget;
        this.pendingTarget = null;
        for (const peer of this.shuffled(src.peers)) {
          let progressed = false;
          for (let k = 0; k < 256 && !this.stopped && this.core; k++) {
            const mine = this.core.lastCommitted.round;
            if (goal !== null && mine >= goal) return;
            const far = goal !== null && goal - mine > 64n;
            const got = await (far ? src.latest(peer) : src.round(peer, mine + 1n)).catch(() => null);
            if (!got) break;
            if (!(await this.applyFetched(got))) { this.counters.catchUpRejected++; this.o.log?.warn({ peer, round: (mine + 1n).toString() }, 'catch-up answer rejected; trying another peer'); break; }
            progressed = true;
            if (far) this.counters.snapshots++;
          }
          if (goal === null && progressed) return; // no certified target: as far as this peer goes
        }
      } finally {
        this.fetching = false;
        if (this.pendingTarget !== null && this.core && this.pendingTarget > this.core.lastCommitted.round && !this.stopped) this.catchUp(null);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.probeTimer) clearTimeout(this.probeTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.queue;
  }
}
