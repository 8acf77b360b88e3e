// Proof-of-Sampling economics, by formula and by seeded Monte Carlo. Per task, in units of the
// task cost C: a cheater skips the computation (saves C); a sampled task (probability p) checked
// by a non-colluding validator (probability 1 − r) costs it S (slash) + R (the validator's reward
// it pays for). Cheating is unprofitable exactly when p(1 − r)(R + S) > C, i.e.
// p > C / ((1 − r)(R + S)) — the seed's security condition.
import { Rng } from '../common/rng.js';

export interface EconomicsParams { p: number; r: number; R: number; S: number; C: number }
export const SEED_ECONOMICS: EconomicsParams = { p: 0.08, r: 0.1, R: 1.2, S: 10, C: 1 };

export interface EconomicsReport {
  params: EconomicsParams;
  bound: number;
  satisfied: boolean;
  /** expected gain of cheating over honest work per task (units of C): C − p(1 − r)(R + S) */
  formulaGainPerTask: number;
  monteCarlo: { tasks: number; seed: number; gainPerTask: number; stderr: number; caught: number };
}

export function economics(params: EconomicsParams, tasks = 100_000, seed = 1): EconomicsReport {
  const { p, r, R, S, C } = params;
  const bound = C / ((1 - r) * (R + S));
  const rng = new Rng(seed);
  const u = () => rng.float();
  let sum = 0, sumSq = 0, caught = 0;
  for (let i = 0; i < tasks; i++) {
    let g = C; // the computation skipped
    if (u() < p && u() >= r) { g -= R + S; caught++; }
    sum += g;
    sumSq += g * g;
  }
  const mean = sum / tasks;
  return {
    params, bound, satisfied: p > bound, formulaGainPerTask: C - p * (1 - r) * (R + S),
    monteCarlo: { tasks, seed, gainPerTask: mean, stderr: Math.sqrt(Math.max(0, sumSq / tasks - mean * mean) / tasks), caught },
  };
}
