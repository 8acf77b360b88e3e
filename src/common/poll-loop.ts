// A polling loop that can be woken: runs `tick` every `everyMs` (the fallback), and at once when
// something signals news (a chain subscription, a gossip message). Ticks never overlap: a wake
// during a tick runs one more tick right after it; wakes closer than `minGapMs` to the last tick's
// start are coalesced into one tick at the end of the gap, so a burst of notifications costs a
// bounded number of ticks. `subscribe` (optional) connects the news source when the loop starts
// and is undone when it stops. Timers are the host's (this runs in services, not in the sans-IO core).
export class PollLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private lastStart = -Infinity;
  private unsubscribe: (() => Promise<void>) | null = null;
  /** ticks run, and how many of them a wake started early */
  readonly stats = { ticks: 0, woken: 0 };

  constructor(private readonly o: {
    tick: () => Promise<void>; everyMs: number; minGapMs?: number; onError?: (e: unknown) => void;
    /** connects a source of news that calls `wake`; returns its undo */
    subscribe?: (wake: () => void) => () => Promise<void>;
  }) {}

  start(): void {
    this.stopped = false;
    this.run(false);
    this.unsubscribe = this.o.subscribe?.(() => this.wake()) ?? null;
  }

  /** Something changed: tick now (or right after the running tick, or after the minimum gap). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) { this.again = true; return; }
    const wait = this.lastStart + (this.o.minGapMs ?? 20) - performance.now();
    this.schedule(Math.max(0, wait), true);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = null;
    await Promise.all([unsubscribe?.(), this.running]);
  }

  private schedule(ms: number, woken: boolean): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = null; this.run(woken); }, ms);
  }

  private run(woken: boolean): void {
    if (this.stopped || this.running) return;
    this.lastStart = performance.now();
    this.stats.ticks++;
    if (woken) this.stats.woken++;
    this.running = this.o.tick().catch((e) => this.o.onError?.(e)).finally(() => {
      this.running = null;
      if (this.stopped) return;
      if (this.again) { this.again = false; this.wake(); } else this.schedule(this.o.everyMs, false);
    });
  }
}
