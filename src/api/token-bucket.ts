// A token bucket (`perSecond` refill, `burst` capacity; 0 per second: unlimited), on caller-given
// times in ms. Used for the node listing's read budget (all clients) and for the heartbeat
// streams' message budget (one bucket per source address).
export class TokenBucket {
  private tokens: number;
  private at = -Infinity;
  constructor(private readonly perSecond: number, private readonly burst: number) { this.tokens = burst; }
  private refill(now: number): number {
    return this.at === -Infinity ? this.tokens : Math.min(this.burst, this.tokens + (Math.max(0, now - this.at) * this.perSecond) / 1000);
  }
  /** Takes `n` tokens at time `now` (ms): 0 if granted, else the ms until they would be. */
  take(n: number, now: number): number {
    if (this.perSecond <= 0) return 0;
    this.tokens = this.refill(now);
    this.at = now;
    if (this.tokens >= n) { this.tokens -= n; return 0; }
    return Math.ceil(((n - this.tokens) * 1000) / this.perSecond);
  }
  /** Whether the bucket is full again at `now` (a bucket in that state can be dropped and made anew). */
  full(now: number): boolean { return this.perSecond <= 0 || this.refill(now) >= this.burst; }
}
