// Proof-of-Sampling economics, by formula and by seeded Monte Carlo. Per task, in units of the
// task cost C: a cheater skips the computation (saves C); a sampled task (probability p) checked
// by a non-colluding validator (probability 1 − r) costs it S (slash) + R (the validator's reward
// it pays for). Cheating is unprofitable exactly when p(1 − r)(R + S) > C, i.e.
// p > C / ((1 − r)(R + S)) — the seed's security condition.
// The SplitUp program is stricter than the seed's model: a caught cheater is also not paid the
// task's fee C, so on chain its gain is C − p(1 − r)(C + R + S) (programs/splitup, settle_payments).
import { Rng } from '../common/rng.js';

export interface EconomicsParams { p: number; r: number; R: number; S: number; C: number }
export const SEED_ECONOMICS: EconomicsParams = { p: 0.08, r: 0.1, R: 1.2, S: 10, C: 1 };

export interface EconomicsReport {
  params: EconomicsParams;
  bound: number;
  satisfied: boolean;
  /** expected gain of cheating over honest work per task (units of C): C − p(1 − r)(R + S) */
  formulaGainPerTask: number;
  /** the same under the program's payouts (a caught cheater also forfeits C): C − p(1 − r)(C + R + S) */
  onChainGainPerTask: number;
  monteCarlo: { tasks: number; seed: number; gainPerTask: number; stderr: number; onChainGainPerTask: number; onChainStderr: number; caught: number };
}

/** Expected gain of cheating over honest work per task (units of C): the seed's model and the program's payouts. */
export function gainFormulas(p: { p: number; r: number; R: number; S: number; C?: number }): { seedModel: number; onChain: number } {
  const C = p.C ?? 1;
  return { seedModel: C - p.p * (1 - p.r) * (p.R + p.S), onChain: C - p.p * (1 - p.r) * (C + p.R + p.S) };
}

export function economics(params: EconomicsParams, tasks = 100_000, seed = 1): EconomicsReport {
  const { p, r, R, S, C } = params;
  const bound = C / ((1 - r) * (R + S));
  const rng = new Rng(seed);
  const u = () => rng.float();
  const seedModel = new Moments(), onChain = new Moments();
  let caught = 0;
  for (let i = 0; i < tasks; i++) {
    // the computation skipped; caught: pays R + S, and on chain the fee C is not paid either
    if (u() < p && u() >= r) { caught++; seedModel.add(C - R - S); onChain.add(-R - S); }
    else { seedModel.add(C); onChain.add(C); }
  }
  const formula = gainFormulas(params);
  return {
    params, bound, satisfied: p > bound,
    formulaGainPerTask: formula.seedModel,
    onChainGainPerTask: formula.onChain,
    monteCarlo: { tasks, seed, gainPerTask: seedModel.mean, stderr: seedModel.stderr, onChainGainPerTask: onChain.mean, onChainStderr: onChain.stderr, caught },
  };
}

/** Running mean and standard error of the mean. */
export class Moments {
  n = 0; private sum = 0; private sumSq = 0;
  add(x: number): void { this.n++; this.sum += x; this.sumSq += x * x; }
  get mean(): number { return this.n ? this.sum / this.n : 0; }
  get stderr(): number { return this.n ? Math.sqrt(Math.max(0, this.sumSq / this.n - this.mean ** 2) / this.n) : 0; }
}

/**
 * Expected net gain per task (units of C) of each strategy in the role its attack is about, under the
 * program's payouts (validators and arbiters honest unless said): the sim's measured figures are these
 * mixed with the honest roles the strategy also plays.
 *   honest asserter   paid C, computes: 0; honest validator or arbiter: R − C.
 *   cheater           (lazy asserter) (1 − p)C − p(R + S) = C − p(C + R + S).
 *   late              a settle after the window counts as sampled: at best the cheater's.
 *   colluder          per asserted task of a pair, the validator being the partner with r = 1/(N − 1):
 *                     C − p(1 − r)(C + R + S) + p·r·R (the partner's R without work).
 *   lazy, framer      per validation: its result is outvoted by the arbiters: −(R + S) (honest: R − C).
 *   griefer           as asserter: −(1 − p)C (lapse) − p(R + S) (sampled, not revealed); elsewhere −C (lapse).
 */
export function strategyFormulas(o: { p: number; R: number; S: number; nodes: number }): Record<'honestAsserter' | 'honestValidator' | 'cheater' | 'late' | 'colluder' | 'lazy' | 'framer' | 'griefer', number> {
  const { p, R, S } = o, r = o.nodes > 1 ? 1 / (o.nodes - 1) : 0;
  const cheater = 1 - p * (1 + R + S);
  return {
    honestAsserter: 0, honestValidator: R - 1, cheater, late: cheater,
    colluder: 1 - p * (1 - r) * (1 + R + S) + p * r * R,
    lazy: -(R + S), framer: -(R + S), griefer: -(1 - p) - p * (R + S),
  };
}
