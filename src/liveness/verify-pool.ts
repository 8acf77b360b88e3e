// A pool of worker threads verifying heartbeat signatures, so intake uses
// every core: one core of node:crypto verifies ~7k Ed25519 signatures/s here
// (STACK notes), the HTTP layer needs the main thread. Requests queue on the
// main thread and are shipped to workers in batches: one postMessage per
// batch carrying one transferred buffer (no per-item structured clone), which
// keeps the main thread's cost per heartbeat to a copy of ~170 bytes.
import { Worker } from 'node:worker_threads';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { heartbeatSigningBytes } from './heartbeat-codec.js';
import type { Verifier } from './tracker.js';

interface Pending { resolve: (ok: boolean) => void; reject: (e: Error) => void }

export class VerifyPool {
  private readonly workers: Worker[] = [];
  private readonly inflight = new Map<number, Pending[]>();
  private readonly load: number[] = [];
  private readonly owner = new Map<number, number>();
  private queue: Array<[Uint8Array, Uint8Array, Uint8Array]> = [];
  private queued: Pending[] = [];
  private scheduled = false;
  private nextId = 1;
  private closed = false;
  /** Signatures each worker has checked so far (shows that the work spreads over the workers). */
  readonly checkedBy: number[] = [];

  constructor(readonly size: number, private readonly maxBatch = 256) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('verify pool size must be ≥ 1');
    const url = new URL('./verify-worker.js', import.meta.url);
    for (let i = 0; i < size; i++) {
      const w = new Worker(url);
      w.unref();
      w.on('message', ({ id, results }: { id: number; results: Uint8Array }) => {
        const ps = this.inflight.get(id);
        this.inflight.delete(id);
        this.owner.delete(id);
        this.load[i]! -= ps?.length ?? 0;
        this.checkedBy[i]! += results.length;
        ps?.forEach((p, j) => p.resolve(results[j] === 1));
      });
      // a crashed worker fails its batches loudly (never as "bad signature")
      w.on('error', (e) => {
        for (const [id, ps] of this.inflight) if (this.owner.get(id) === i) { this.inflight.delete(id); ps.forEach((p) => p.reject(e)); }
      });
      this.workers.push(w);
      this.load.push(0);
      this.checkedBy.push(0);
    }
  }

  verify(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error('verify pool closed'));
    if (pub.length !== 32 || sig.length !== 64 || msg.length > 0xffff) return Promise.resolve(false);
    return new Promise((resolve, reject) => {
      this.queue.push([pub, msg, sig]);
      this.queued.push({ resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) { this.scheduled = true; setImmediate(() => this.flush()); }
    });
  }

  /**
   * Event-loop utilization of each worker since `since` (from an earlier call), as
   * node:worker_threads reports it: the share of wall time a worker spent verifying.
   */
  utilization(since?: EventLoopUtilization[]): { now: EventLoopUtilization[]; busy: number[] } {
    const now = this.workers.map((w) => w.performance.eventLoopUtilization());
    return { now, busy: now.map((u, i) => (since?.[i] ? w(this.workers[i]!, u, since[i]!) : u.utilization)) };
    function w(worker: Worker, a: EventLoopUtilization, b: EventLoopUtilization) { return worker.performance.eventLoopUtilization(a, b).utilization; }
  }

  /** Adapter for LivenessTracker. */
  readonly verifier: Verifier = (h) => this.verify(h.nodeKey, heartbeatSigningBytes(h.data, h.nodeKey), h.signature);

  private flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const items = this.queue, ps = this.queued;
    this.queue = []; this.queued = [];
    // least-loaded worker
    let w = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.load[i]! < this.load[w]!) w = i;
    let size = 0;
    for (const [, msg] of items) size += 98 + msg.length;
    const buf = new Uint8Array(size);
    let o = 0;
    for (const [pub, msg, sig] of items) {
      buf[o] = msg.length >> 8; buf[o + 1] = msg.length & 0xff;
      buf.set(pub, o + 2); buf.set(sig, o + 34); buf.set(msg, o + 98);
      o += 98 + msg.length;
    }
    const id = this.nextId++;
    this.inflight.set(id, ps);
    this.owner.set(id, w);
    this.load[w]! += ps.length;
    this.workers[w]!.postMessage({ id, n: items.length, buf: buf.buffer }, [buf.buffer]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const ps of this.inflight.values()) ps.forEach((p) => p.reject(new Error('verify pool closed')));
    this.inflight.clear();
  }
}
