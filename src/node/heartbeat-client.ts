// The compute node's heartbeat service: every interval, sign one heartbeat
// and send it to every oracle; retry failed sends with exponential backoff
// (network errors, 429, 5xx), never retry a definitive rejection.
//
// seq is strictly increasing across restarts: it is max(last + 1, now·1000),
// persisted before the heartbeat leaves the process, so neither a lost state
// file nor a restart makes an oracle see an old seq again (as long as the
// clock does not jump back by more than the persisted margin).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Clock } from '../common/clock.js';
import { Ed25519Signer } from '../common/ed25519.js';
import { signHeartbeat, type HeartbeatData, type HeartbeatResponse, type SignedHeartbeatData } from '../liveness/heartbeat-codec.js';

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
}

const RETRYABLE = (status: number) => status === 429 || status >= 500;

export class HeartbeatClient {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SendOutcome[]> | null = null;
  private readonly o: Required<Omit<HeartbeatClientOptions, 'onRound'>> & Pick<HeartbeatClientOptions, 'onRound'>;

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
      try {
        // each attempt is signed afresh: a retry never reuses a seq the oracle may have accepted
        const res = await this.o.fetchImpl(new URL('/api/heartbeat', oracle), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(this.sign()),
          signal: AbortSignal.timeout(this.o.requestTimeoutMs),
        });
        const body = (await res.json().catch(() => ({}))) as Partial<HeartbeatResponse & { code: string }>;
        last = { oracle, ok: res.ok, status: res.status, attempts: i, ...(body.code ? { code: body.code } : {}) };
        if (res.ok || !RETRYABLE(res.status)) return last;
      } catch (e) {
        last = { oracle, ok: false, attempts: i, error: (e as Error).message };
      }
      if (i < attempts) await this.o.sleep(Math.min(maxMs, baseMs * 2 ** (i - 1)));
    }
    return last;
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
  }
}
