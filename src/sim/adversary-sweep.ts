// Sweeps of one adversary over seeds: f = ⌊(n−1)/3⌋ members follow the adversary while each seed
// draws the faults around them — message loss, duplication and delay; a partition (symmetric or
// one-way) or none; an honest oracle crashed between two effects and restarted (its data dir kept
// or wiped); disk-write failures; per-oracle clock skew within maxSkew/4; processing time that
// competes with the timeouts; every 32nd seed, an honest oracle down for 100+ rounds (its data dir kept or wiped). Around the
// compute nodes: one of them flaps (down for a while during the faults), one is never heard by one
// honest oracle (the oracles disagree on it), one is registered but never heartbeats. All faults
// end at healedAt; the safety checker runs throughout, the liveness checker from healedAt on,
// the resource checker at every timer of every honest oracle.
import { maxFaulty } from '../common/quorum.js';
import { Rng } from '../common/rng.js';
import type { Byzantine } from './adversaries.js';
import { ConsensusSim } from './consensus-sim.js';

export interface SweepOptions {
  adversary: Byzantine | 'none';
  n: number;
  seeds: number;
  firstSeed?: number;
  /** Byzantine members (default f; more than f shows what the checkers catch) */
  byzantine?: number;
  /** the liveness bound after max(epoch end, heal) */
  boundMs?: number;
}

export interface SweepRun {
  seed: number; safe: boolean; live: boolean; resourcesOk: boolean;
  violations: Array<{ kind: string; round: string; detail: string }>;
  /** ms past max(epoch end, heal + backlog allowance) at which each honest oracle reached each round after the heal */
  delayP50: number | null; delayMax: number | null;
  headAtEnd: number; longOutage: boolean;
}

export interface SweepSummary {
  adversary: string; n: number; f: number; byzantine: number; seeds: number;
  unsafe: number; notLive: number; resourceViolations: number;
  delayP50Ms: number | null; delayP99Ms: number | null; delayMaxMs: number | null; boundMs: number;
  failingSeeds: number[];
}

export const SWEEP_EPOCH_MS = 1000;
const PARAMS = { epochMs: SWEEP_EPOCH_MS, proposeTimeoutMs: 80, prevoteTimeoutMs: 40, precommitTimeoutMs: 40, timeoutDeltaMs: 40, maxSkewMs: 200, liveness: { intervalMs: SWEEP_EPOCH_MS, missedForOffline: 3, graceMs: 50 } };
/** Stated liveness bound: every honest oracle reaches round r by max(epochEnd(r), heal + backlog) + this. */
export const DEFAULT_BOUND_MS = 8_000;
/** Rounds left uncommitted by the faults are caught up at least this fast (virtual ms per round). */
export const BACKLOG_MS_PER_ROUND = 500;

/** `inspect` sees the simulation after the run (researchers' debugging of a failing seed). */
export function sweepRun(o: SweepOptions, seed: number, inspect?: (sim: ConsensusSim, faults: string[]) => void): SweepRun {
  const n = o.n, f = maxFaulty(n);
  const r = new Rng(seed * 7919 + n);
  const byzCount = o.adversary === 'none' ? 0 : o.byzantine ?? f;
  const order = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) { const j = r.int(i + 1); [order[i], order[j]] = [order[j]!, order[i]!]; }
  const byz = order.slice(0, byzCount);
  const honest = order.slice(byzCount).sort((a, b) => a - b);
  const longOutage = seed % 32 === 0;
  const faultFrom = 2_000, healedAt = longOutage ? faultFrom + 110 * SWEEP_EPOCH_MS : 8_000;
  const bound = o.boundMs ?? DEFAULT_BOUND_MS;
  const endMs = healedAt + bound + (longOutage ? 110 * BACKLOG_MS_PER_ROUND : 0) + 2_000;
  const victim = honest[r.int(honest.length)]!;
  // the compute nodes' faults come from their own generator (the oracles' faults above keep their draws)
  const rn = new Rng(seed * 104_729 + n);
  const flap = { node: rn.int(6), from: faultFrom + rn.int(3000), to: 0 };
  flap.to = flap.from + 1500 + rn.int(3000);
  const grey = { oracle: honest[rn.int(honest.length)]!, node: rn.int(6) };
  const sim = new ConsensusSim({
    n, seed, computeNodes: 6, params: PARAMS, flapping: [flap], deaf: { [grey.oracle]: [grey.node] }, dormantNodes: 1,
    byzantine: Object.fromEntries(byz.map((i) => [i, o.adversary as Byzantine])),
    network: { dropRate: r.int(4) * 0.03, dupRate: 0.05, minDelayMs: 1, maxDelayMs: 5 + r.int(40) },
    skewMs: r.int(51),
    cpu: { perInputMs: 0.05, perSignatureMs: [0, 0.15, 0.5][r.int(3)]! },
    diskFaults: r.chance(0.25) ? [{ i: victim, from: faultFrom + r.int(3000), to: faultFrom + 3000 + r.int(2900) }] : [],
  });
  // the faults of this seed, all over by healedAt
  const kind = r.int(4);
  const faults: string[] = [`byzantine ${byz.join(',')}`, `victim ${victim}`, `disk ${JSON.stringify(sim.o.diskFaults)}`, `node ${flap.node} down ${flap.from}–${flap.to}`, `oracle ${grey.oracle} never hears node ${grey.node}`];
  if (kind === 0) {
    const a = order.filter(() => r.chance(0.5));
    const b = order.filter((i) => !a.includes(i));
    faults.push(`partition ${a.join(',')} | ${b.join(',')}`);
    sim.at(faultFrom, () => sim.partition([a, b]));
    sim.at(healedAt, () => sim.heal());
  } else if (kind === 1) {
    const from = order.filter(() => r.chance(0.4)), to = order.filter(() => r.chance(0.4));
    faults.push(`cut ${from.join(',')} -> ${to.join(',')}`);
    sim.at(faultFrom, () => sim.cut(from, to));
    sim.at(healedAt, () => sim.heal());
  }
  if (longOutage) {
    sim.at(faultFrom, () => sim.crash(victim, true));
    sim.at(healedAt - 100, () => { if (r.chance(0.5)) sim.wipe(victim); sim.restart(victim); });
  } else if (kind === 2 || kind === 3) {
    const at = faultFrom + r.int(5000);
    faults.push(`crash at ${at}`);
    sim.at(at, () => sim.crash(victim, true));
    sim.at(Math.min(healedAt - 100, at + 200 + r.int(2000)), () => sim.restart(victim));
  }
  if (o.adversary === 'amnesia') for (const b of byz) for (let t = 1_000; t < endMs; t += 1500 + r.int(1500)) sim.at(t, () => sim.restart(b));
  sim.runUntil(endMs);
  inspect?.(sim, faults);
  const liveness = sim.liveness.check(honest, healedAt, bound, endMs, BACKLOG_MS_PER_ROUND);
  const delays = sim.liveness.delays(honest, healedAt, endMs, BACKLOG_MS_PER_ROUND).sort((a, b) => a - b);
  const doubleSigns = honest.reduce((a, i) => a + sim.doubleSigns(i), 0);
  const safetyV = sim.violations.filter((v) => v.kind !== 'resources');
  const resV = sim.violations.filter((v) => v.kind === 'resources');
  return {
    seed, safe: safetyV.length === 0 && doubleSigns === 0, live: liveness.length === 0, resourcesOk: resV.length === 0,
    violations: [...safetyV, ...liveness, ...resV].slice(0, 3).map((v) => ({ kind: v.kind, round: v.round.toString(), detail: v.detail })),
    delayP50: delays.length ? delays[Math.floor(delays.length / 2)]! : null, delayMax: delays.at(-1) ?? null,
    headAtEnd: Number(sim.headOfAll(honest)), longOutage,
  };
}

export function adversarySweep(o: SweepOptions, onRun?: (r: SweepRun) => void): SweepSummary {
  const f = maxFaulty(o.n);
  const first = o.firstSeed ?? 1;
  const all: SweepRun[] = [];
  const p50s: number[] = [], maxes: number[] = [];
  for (let s = first; s < first + o.seeds; s++) {
    const run = sweepRun(o, s);
    all.push(run); onRun?.(run);
    if (run.delayP50 !== null) p50s.push(run.delayP50);
    if (run.delayMax !== null) maxes.push(run.delayMax);
  }
  p50s.sort((a, b) => a - b); maxes.sort((a, b) => a - b);
  return {
    adversary: o.adversary, n: o.n, f, byzantine: o.adversary === 'none' ? 0 : o.byzantine ?? f, seeds: o.seeds,
    unsafe: all.filter((x) => !x.safe).length, notLive: all.filter((x) => !x.live).length, resourceViolations: all.filter((x) => !x.resourcesOk).length,
    delayP50Ms: p50s.length ? p50s[Math.floor(p50s.length / 2)]! : null, delayP99Ms: maxes.length ? maxes[Math.min(maxes.length - 1, Math.floor(0.99 * maxes.length))]! : null, delayMaxMs: maxes.at(-1) ?? null,
    boundMs: o.boundMs ?? DEFAULT_BOUND_MS,
    failingSeeds: all.filter((x) => !x.safe || !x.live || !x.resourcesOk).map((x) => x.seed),
  };
}
