// The compute node's heartbeat service: every interval, sign one heartbeat
// and send it to every oracle; retry failed sends with exponential backoff
// (network errors, 429, 5xx), never retry a definitive rejection.
//
// Transport: one POST /api/heartbeat per heartbeat (`http`, the default), or one long-lived
// WebSocket per oracle (`stream`, GET /api/heartbeat/stream): the same heartbeat and the same
// answer, about half the oracle's CPU per heartbeat outside the signature check. An oracle that
// refuses the upgrade (an older version, 404/426; too many streams from this address, 429) is sent
// POSTs for the next `streamRetryMs` before the stream is tried again; a stream that fails or does
// not answer in time is dropped and the attempt retried like a failed POST.
//
// seq is strictly increasing across restarts: it is max(last + 1, now·1000),
// persisted before the heartbeat leaves the process, so neither a lost state
// file nor a restart makes an oracle see an old seq again (as long as the
// clock does not jump back by more than the persisted margin).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Clock } from '../common/clock.js';
import { Ed25519Signer } from '../common/ed25519.js';
import { WebSocket } from 'ws';
import { signHeartbeat, type HeartbeatData, type HeartbeatResponse, type SignedHeartbeatData } from '../liveness/heartbeat-codec.js';
import { REJECT_HTTP_STATUS, type RejectCode } from '../liveness/tracker.js';

export interface SeqSource { next(now: number): bigint }

/** seq persisted in a small file (atomic rename). */
export class FileSeq implements SeqSource {
  private last: bigint;
  constructor(private readonly file: string) {
    try { this.last = BigInt(JSON.parse(readFileSync(file, 'utf8')).lastSeq); } catch { this.last = 0n; }
  }
  next(now: number): bigint {
    const byTime = BigInt(Math.max(0, Math.floor(now))) * 1000n;
    this.last = this.last + 1n > byTime ? this.last + 1n : byTime;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ lastSeq: this.last.toString() }));
    renameSync(tmp, this.file);
    return this.last;
  }
}

export class MemorySeq implements SeqSource {
  constructor(private last = 0n) {}
  next(now: number): bigint {
    const byTime = BigInt(Math.floor(now)) * 1000n;
    this.last = this.last + 1n > byTime ? this.last + 1n : byTime;
    return this.last;
  }
}

export interface SendOutcome {
  oracle: string;
  ok: boolean;
  status?: number;
  code?: string;
  attempts: number;
  error?: string;
  /** With the stream transport: how the last attempt went (stream, or POST where the stream was refused). */
  transport?: 'stream' | 'http';
}

export interface HeartbeatClientOptions {
  signer: Ed25519Signer;
  oracles: string[];
  clock: Clock;
  seq: SeqSource;
  intervalMs?: number;
  /** Current node state to report. */
  state?: () => Pick<HeartbeatData, 'nodeStatus' | 'hasCapacity' | 'vramFreeMb'>;
  retry?: { attempts: number; baseMs: number; maxMs: number };
  requestTimeoutMs?: number;
  onRound?: (outcomes: SendOutcome[]) => void;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** `http` (default): a POST per heartbeat; `stream`: one WebSocket per oracle (falls back to POST where refused). */
  transport?: 'http' | 'stream';
  /** After an oracle refused the stream, POST for this long before trying it again (default 300 000 ms). */
  streamRetryMs?: number;
}

type Answer = Partial<HeartbeatResponse & { code: string }>;

/** The HTTP status POST /api/heartbeat would have answered with this stream answer. */
function statusOfAnswer(a: Answer): number {
  if (a.success) return 200;
  if (a.code === 'IP_RATE_LIMITED') return 429;
  return REJECT_HTTP_STATUS[a.code as RejectCode] ?? 500;
}

/** One oracle's heartbeat stream: answers come back in the order heartbeats were sent. */
class OracleStream {
  private ws: WebSocket | null = null;
  private opening: Promise<WebSocket> | null = null;
  private readonly pending: Array<{ resolve: (a: Answer) => void; reject: (e: Error) => void }> = [];
  /** Set when the oracle refused the upgrade with an HTTP status (no stream there, or too many). */
  refusedAt: number | null = null;
  constructor(private readonly url: URL) {}

  private open(timeoutMs: number): Promise<WebSocket> {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) return Promise.resolve(this.ws);
    if (this.opening) return this.opening;
    this.opening = new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(this.url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        ws.terminate();
        reject(Object.assign(new Error(`stream refused: HTTP ${res.statusCode}`), { refused: true }));
      });
      ws.once('open', () => {
        this.ws = ws;
        ws.on('message', (m) => {
          let a: Answer;
          try { a = JSON.parse(m.toString()) as Answer; } catch { ws.terminate(); return; }
          this.pending.shift()?.resolve(a);
        });
        ws.on('close', () => this.fail(ws, new Error('stream closed')));
        resolve(ws);
      });
      ws.on('error', (e) => { reject(e); this.fail(ws, e); });
    }).finally(() => { this.opening = null; });
    return this.opening;
  }

  private fail(ws: WebSocket, e: Error): void {
    if (this.ws === ws) this.ws = null;
    for (const p of this.pending.splice(0)) p.reject(e);
  }

  /** Sends one heartbeat and resolves with its answer; a timeout drops the stream (its answers would no longer line up). */
  async send(body: SignedHeartbeatData, timeoutMs: number): Promise<Answer> {
    const ws = await this.open(timeoutMs);
    return new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => { ws.terminate(); reject(new Error(`no answer within ${timeoutMs} ms`)); }, timeoutMs);
      this.pending.push({ resolve: (a) => { clearTimeout(timer); resolve(a); }, reject: (e) => { clearTimeout(timer); reject(e); } });
      ws.send(JSON.stringify(body));
    });
  }

  close(): void { this.ws?.close(1000); this.ws = null; }
}

const RETRYABLE = (status: number) => status === 429 || status >= 500;

export class HeartbeatClient {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SendOutcome[]> | null = null;
  private readonly o: Required<Omit<HeartbeatClientOptions, 'onRound'>> & Pick<HeartbeatClientOptions, 'onRound'>;
  private readonly streams = new Map<string, OracleStream>();

  constructor(opts: HeartbeatClientOptions) {
    if (opts.oracles.length === 0) throw new RangeError('at least one oracle URL is needed');
    for (const u of opts.oracles) new URL(u); // throws on a bad URL
    this.o = {
      intervalMs: 30_000,
      state: () => ({ nodeStatus: 'idle', hasCapacity: true, vramFreeMb: 0 }),
      retry: { attempts: 4, baseMs: 250, maxMs: 4_000 },
      requestTimeoutMs: 5_000,
      fetchImpl: fetch,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      transport: 'http',
      streamRetryMs: 300_000,
      ...opts,
    };
  }

  /** Signs a fresh heartbeat (new seq, current time). */
  sign(): SignedHeartbeatData {
    const now = this.o.clock.now();
    return signHeartbeat(this.o.signer, { timestamp: now, seq: this.o.seq.next(now), ...this.o.state() });
  }

  private async sendTo(oracle: string): Promise<SendOutcome> {
    const { attempts, baseMs, maxMs } = this.o.retry;
    let last: SendOutcome = { oracle, ok: false, attempts: 0 };
    for (let i = 1; i <= attempts; i++) {
      const stream = this.streamFor(oracle);
      if (stream) {
        try {
          const a = await stream.send(this.sign(), this.o.requestTimeoutMs);
          const status = statusOfAnswer(a);
          last = { oracle, ok: a.success === true, status, attempts: i, transport: 'stream', ...(a.code ? { code: a.code } : {}) };
          if (last.ok || !RETRYABLE(status)) return last;
        } catch (e) {
          // refused at the upgrade: POST instead, now and for streamRetryMs
          if ((e as { refused?: boolean }).refused) stream.refusedAt = this.o.clock.now();
          else last = { oracle, ok: false, attempts: i, transport: 'stream', error: (e as Error).message };
        }
        if (stream.refusedAt === null) {
          if (i < attempts) await this.o.sleep(Math.min(maxMs, baseMs * 2 ** (i - 1)));
          continue;
        }
      }
      try {
        // each attempt is signed afresh: a retry never reuses a seq the oracle may have accepted
        const res = await this.o.fetchImpl(new URL('/api/heartbeat', oracle), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(this.sign()),
          signal: AbortSignal.timeout(this.o.requestTimeoutMs),
        });
        const body = (await res.json().catch(() => ({}))) as Partial<HeartbeatResponse & { code: string }>;
        last = { oracle, ok: res.ok, status: res.status, attempts: i, ...(this.o.transport === 'stream' ? { transport: 'http' as const } : {}), ...(body.code ? { code: body.code } : {}) };
        if (res.ok || !RETRYABLE(res.status)) return last;
      } catch (e) {
        last = { oracle, ok: false, attempts: i, error: (e as Error).message };
      }
      if (i < attempts) await this.o.sleep(Math.min(maxMs, baseMs * 2 ** (i - 1)));
    }
    return last;
  }

  /** The oracle's stream when the stream transport is on and the oracle has not refused it lately. */
  private streamFor(oracle: string): OracleStream | null {
    if (this.o.transport !== 'stream') return null;
    let s = this.streams.get(oracle);
    if (!s) { s = new OracleStream(new URL('/api/heartbeat/stream', oracle.replace(/^http/, 'ws'))); this.streams.set(oracle, s); }
    if (s.refusedAt !== null && this.o.clock.now() - s.refusedAt >= this.o.streamRetryMs) s.refusedAt = null;
    return s.refusedAt === null ? s : null;
  }

  /** One heartbeat round to every oracle, in parallel. */
  async beat(): Promise<SendOutcome[]> {
    const outcomes = await Promise.all(this.o.oracles.map((u) => this.sendTo(u)));
    this.o.onRound?.(outcomes);
    return outcomes;
  }

  start(): void {
    if (this.timer) return;
    const tick = () => { if (!this.running) this.running = this.beat().finally(() => { this.running = null; }); };
    tick();
    this.timer = setInterval(tick, this.o.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    for (const s of this.streams.values()) s.close();
  }
}
