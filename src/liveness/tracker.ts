// The liveness tracker: the deterministic core of heartbeat intake.
//
// Inputs: signed heartbeats (as received) and the injected clock. Outputs: an
// accept/reject decision per heartbeat, the durable per-node record (written
// through `HeartbeatStore` before a heartbeat is acknowledged) and liveness
// snapshots. It never reads the wall clock itself.
//
// Acceptance rules (PROTOCOL §2), checked cheapest-first so that junk costs
// no signature verification and forged heartbeats cannot spend a node's rate
// budget:
//   1. schema and encodings                          MALFORMED
//   2. publicKey = nodeId                            KEY_MISMATCH
//   3. registered / active on the registry           UNREGISTERED_NODE / NODE_INACTIVE
//   4. |timestamp − now| ≤ maxSkewMs                 STALE_TIMESTAMP / FUTURE_TIMESTAMP
//   5. seq > last accepted seq (persisted)           REPLAYED_SEQ
//   6. Ed25519 signature                             BAD_SIGNATURE
//   7. per-node token bucket                         RATE_LIMITED
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../common/clock.js';
import type { NodeRegistry } from '../registry/registry.js';
import { heartbeatToJson, type HeartbeatData, type SignedHeartbeatData } from './heartbeat-codec.js';
import { statusAt, DEFAULT_TIMING, type LivenessTiming } from './status.js';
import type { LivenessStatus } from './table.js';
import { checkHeartbeatSignatureIntake, parseSignedHeartbeat, type HeartbeatFault } from './verify.js';

export type RejectCode =
  | HeartbeatFault
  | 'UNREGISTERED_NODE'
  | 'NODE_INACTIVE'
  | 'STALE_TIMESTAMP'
  | 'FUTURE_TIMESTAMP'
  | 'REPLAYED_SEQ'
  | 'RATE_LIMITED'
  | 'STORE_UNAVAILABLE';

/** One HTTP status per rejection, so clients can branch on status alone. */
export const REJECT_HTTP_STATUS: Record<RejectCode, number> = {
  MALFORMED: 400,
  BAD_SIGNATURE: 401,
  UNREGISTERED_NODE: 403,
  REPLAYED_SEQ: 409,
  KEY_MISMATCH: 412,
  STALE_TIMESTAMP: 422,
  NODE_INACTIVE: 423,
  FUTURE_TIMESTAMP: 425,
  RATE_LIMITED: 429,
  STORE_UNAVAILABLE: 503,
};

/** What the oracle remembers per node; persisted before a heartbeat is acknowledged. */
export interface NodeRecord {
  lastSeq: bigint;
  /** The accepted heartbeat's own (node-signed) timestamp. */
  lastSeen: number;
  /** Oracle clock when it was accepted. */
  receivedAt: number;
  /** The accepted heartbeat itself: the node's own proof of liveness, served by the API and kept for audits. */
  heartbeat: SignedHeartbeatData;
}

export interface HeartbeatStore {
  loadAll(): Promise<Array<[string, NodeRecord]>>;
  /** Durably writes the records; resolves only once they are on disk. */
  saveMany(records: Array<[string, NodeRecord]>): Promise<void>;
}

/** Signature check of a parsed heartbeat; `key` is unused by the built-in verifiers (kept for injected ones). */
export type Verifier = (h: { data: HeartbeatData; nodeKey: Uint8Array; signature: Uint8Array }, key?: KeyObject) => boolean | Promise<boolean>;

export interface TrackerOptions {
  clock: Clock;
  registry: NodeRegistry;
  store: HeartbeatStore;
  timing?: LivenessTiming;
  /** Allowed |timestamp − now| in ms (default 10 000). */
  maxSkewMs?: number;
  /** Token bucket per node: capacity and ms per token (default 6 tokens, one per interval/6). */
  rateBurst?: number;
  rateRefillMs?: number;
  /** Signature check; default libsodium (node:crypto without it) on this thread. A worker pool can be injected. */
  verifier?: Verifier;
  /**
   * Runs the group commit's write once the heartbeats being handled now have joined it (default
   * setImmediate: after the event loop's I/O phase, so every request read in that phase shares
   * one write). A level batch costs ~100 µs of CPU however small it is (measured), so writing
   * at the first heartbeat, as before, made batches of 2–4 under load.
   */
  defer?: (fn: () => void) => void;
}

export type SubmitResult =
  | { ok: true; nodeId: string; seq: bigint; status: LivenessStatus }
  | { ok: false; code: RejectCode; message: string; nodeId?: string };

export interface NodeView {
  nodeId: string;
  registered: boolean;
  active: boolean;
  status: LivenessStatus;
  lastSeen: number | null;
  receivedAt: number | null;
  lastSeq: string | null;
  nodeStatus: HeartbeatData['nodeStatus'] | null;
  hasCapacity: boolean | null;
  vramFreeMb: number | null;
  specializations: number[];
}

interface Bucket { tokens: number; at: number }

const syncVerifier: Verifier = (h) => checkHeartbeatSignatureIntake(h);

export class LivenessTracker {
  readonly timing: LivenessTiming;
  readonly maxSkewMs: number;
  private readonly rateBurst: number;
  private readonly rateRefillMs: number;
  private readonly records = new Map<string, NodeRecord>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly verifier: Verifier;
  // group commit: records waiting for the next batch write, and its waiters
  private dirty = new Map<string, NodeRecord>();
  private flushing: Promise<void> | null = null;
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  private constructor(private readonly opts: TrackerOptions) {
    this.timing = opts.timing ?? DEFAULT_TIMING;
    this.maxSkewMs = opts.maxSkewMs ?? 10_000;
    this.rateBurst = opts.rateBurst ?? 6;
    this.rateRefillMs = opts.rateRefillMs ?? Math.max(1, Math.floor(this.timing.intervalMs / 6));
    this.verifier = opts.verifier ?? syncVerifier;
  }

  static async open(opts: TrackerOptions): Promise<LivenessTracker> {
    const t = new LivenessTracker(opts);
    for (const [id, rec] of await opts.store.loadAll()) t.records.set(id, rec);
    return t;
  }

  get clock(): Clock { return this.opts.clock; }

  async submit(body: unknown): Promise<SubmitResult> {
    const parsed = parseSignedHeartbeat(body);
    if (!parsed.ok) return parsed;
    const { data } = parsed;
    const nodeId = data.nodeId;
    const reg = this.opts.registry.get(nodeId);
    if (!reg) return { ok: false, code: 'UNREGISTERED_NODE', message: 'node is not registered', nodeId };
    if (!reg.active) return { ok: false, code: 'NODE_INACTIVE', message: 'node is registered but not active', nodeId };
    const now = this.opts.clock.now();
    if (data.timestamp < now - this.maxSkewMs) return { ok: false, code: 'STALE_TIMESTAMP', message: `timestamp is ${now - data.timestamp} ms old (max skew ${this.maxSkewMs} ms)`, nodeId };
    if (data.timestamp > now + this.maxSkewMs) return { ok: false, code: 'FUTURE_TIMESTAMP', message: `timestamp is ${data.timestamp - now} ms in the future (max skew ${this.maxSkewMs} ms)`, nodeId };
    const seqCheck = this.checkSeq(nodeId, data.seq);
    if (seqCheck) return seqCheck;
    if (!(await this.verifier(parsed))) return { ok: false, code: 'BAD_SIGNATURE', message: 'signature does not verify under nodeId', nodeId };
    // state may have moved while an async verifier ran: check seq again
    const again = this.checkSeq(nodeId, data.seq);
    if (again) return again;
    const at = this.opts.clock.now();
    if (!this.takeToken(nodeId, at)) return { ok: false, code: 'RATE_LIMITED', message: `more than ${this.rateBurst} heartbeats in a burst (one token per ${this.rateRefillMs} ms)`, nodeId };
    const rec: NodeRecord = { lastSeq: data.seq, lastSeen: data.timestamp, receivedAt: at, heartbeat: { payload: heartbeatToJson(data), signature: (body as SignedHeartbeatData).signature.toLowerCase(), publicKey: nodeId } };
    this.records.set(nodeId, rec);
    try {
      await this.persist(nodeId, rec);
    } catch (e) {
      return { ok: false, code: 'STORE_UNAVAILABLE', message: `could not persist heartbeat: ${(e as Error).message}`, nodeId };
    }
    return { ok: true, nodeId, seq: data.seq, status: statusAt(rec.lastSeen, at, this.timing) };
  }

  private checkSeq(nodeId: string, seq: bigint): SubmitResult | undefined {
    const prev = this.records.get(nodeId);
    if (prev && seq <= prev.lastSeq) return { ok: false, code: 'REPLAYED_SEQ', message: `seq ${seq} is not greater than last accepted ${prev.lastSeq}`, nodeId };
    return undefined;
  }

  private takeToken(nodeId: string, now: number): boolean {
    const b = this.buckets.get(nodeId) ?? { tokens: this.rateBurst, at: now };
    const tokens = Math.min(this.rateBurst, b.tokens + Math.max(0, now - b.at) / this.rateRefillMs);
    if (tokens < 1) { this.buckets.set(nodeId, { tokens, at: now }); return false; }
    this.buckets.set(nodeId, { tokens: tokens - 1, at: now });
    return true;
  }

  /** Group commit: concurrent heartbeats share one batch write; each resolves once its record is durable. */
  private persist(nodeId: string, rec: NodeRecord): Promise<void> {
    this.dirty.set(nodeId, rec);
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.flushing) this.flushing = new Promise<void>((r) => (this.opts.defer ?? setImmediate)(r)).then(() => this.flushLoop());
    return p;
  }

  private async flushLoop(): Promise<void> {
    while (this.dirty.size > 0) {
      const batch = [...this.dirty.entries()];
      const waiters = this.waiters;
      this.dirty = new Map();
      this.waiters = [];
      try {
        await this.opts.store.saveMany(batch);
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e as Error);
      }
    }
    this.flushing = null;
  }

  /** Waits for pending writes (used at shutdown). */
  async drain(): Promise<void> { while (this.flushing) await this.flushing; }

  record(nodeId: string): NodeRecord | undefined { return this.records.get(nodeId); }

  /** Every node's newest accepted heartbeat (consensus builds its candidate tables from these). */
  allRecords(): IterableIterator<[string, NodeRecord]> { return this.records.entries(); }


  status(nodeId: string, now = this.opts.clock.now()): LivenessStatus {
    const r = this.records.get(nodeId);
    return r ? statusAt(r.lastSeen, now, this.timing) : 'offline';
  }

  view(nodeId: string, now = this.opts.clock.now()): NodeView | undefined {
    const reg = this.opts.registry.get(nodeId);
    const r = this.records.get(nodeId);
    if (!reg && !r) return undefined;
    const p = r?.heartbeat.payload;
    return {
      nodeId,
      registered: !!reg,
      active: reg?.active ?? false,
      status: r ? statusAt(r.lastSeen, now, this.timing) : 'offline',
      lastSeen: r?.lastSeen ?? null,
      receivedAt: r?.receivedAt ?? null,
      lastSeq: r ? r.lastSeq.toString() : null,
      nodeStatus: p?.nodeStatus ?? null,
      hasCapacity: p?.hasCapacity ?? null,
      vramFreeMb: p?.vramFreeMb ?? null,
      specializations: reg?.specializations ?? [],
    };
  }

  views(now = this.opts.clock.now()): NodeView[] {
    return this.sortedIds(now).map((id) => this.view(id, now)!);
  }

  /**
   * One page of nodes in id order, after `after` (exclusive): what API readers get, at a cost of
   * O(log N + limit) per request. The sorted id list (registered and seen nodes) is rebuilt at
   * most once per second and when a new node is first seen, so many readers of a 100,000-node
   * committee do not each sort it.
   */
  page(after: string | null, limit: number, now = this.opts.clock.now()): { nodes: NodeView[]; nextCursor: string | null; total: number } {
    const ids = this.sortedIds(now);
    let lo = 0, hi = ids.length;
    if (after !== null) while (lo < hi) { const mid = (lo + hi) >> 1; if (ids[mid]! <= after) lo = mid + 1; else hi = mid; }
    const slice = ids.slice(lo, lo + limit);
    return { nodes: slice.map((id) => this.view(id, now)).filter((v): v is NodeView => !!v), nextCursor: lo + limit < ids.length ? slice.at(-1)! : null, total: ids.length };
  }

  private idCache: { at: number; records: number; ids: string[] } | null = null;
  private sortedIds(now: number): string[] {
    const c = this.idCache;
    if (c && now - c.at < 1000 && now >= c.at && c.records === this.records.size) return c.ids;
    const ids = new Set(this.opts.registry.list().map((n) => n.nodeId));
    for (const id of this.records.keys()) ids.add(id);
    this.idCache = { at: now, records: this.records.size, ids: [...ids].sort() };
    return this.idCache.ids;
  }

  countByStatus(now = this.opts.clock.now()): Record<LivenessStatus, number> {
    const c: Record<LivenessStatus, number> = { online: 0, suspect: 0, offline: 0 };
    for (const n of this.opts.registry.list()) c[this.status(n.nodeId, now)]++;
    return c;
  }
}
