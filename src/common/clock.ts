// Injected time. The deterministic cores never read Date.now(); they are
// handed a Clock (production: SystemClock; tests and the simulator: ManualClock).
export interface Clock {
  /** Milliseconds since the Unix epoch (or since the simulation's epoch). */
  now(): number;
}

export const SystemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  constructor(private t = 0) {}
  now(): number { return this.t; }
  set(t: number): void { this.t = t; }
  advance(ms: number): number { this.t += ms; return this.t; }
}
