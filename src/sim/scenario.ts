// Simulation scenarios (`splitup/scenario/v1`, JSON): the committee, the network, the fault
// schedule; one seed fixes everything random, so (scenario, seed) reproduces a run exactly.
// runScenario applies the schedule to the deterministic simulator and the checkers;
// minimize shrinks a failing scenario to a smaller one that still fails with the same seed.
import { Ajv } from 'ajv';
import { epochEnd } from '../consensus/committee.js';
import { ConsensusSim, type Byzantine, type ConsensusSimOptions } from './consensus-sim.js';
import { ADVERSARY_NAMES } from './adversaries.js';

export const SCENARIO_VERSION = 'splitup/scenario/v1';

export interface Scenario {
  version?: typeof SCENARIO_VERSION;
  name?: string;
  n: number;
  durationMs: number;
  epochMs: number;
  nodes: number;
  drop: number;
  dup: number;
  delayMs: [number, number];
  partitions: Array<{ from: number; to: number; groups: number[][] }>;
  crashes: Array<{ i: number; from: number; to: number }>;
  byzantine: Record<string, Byzantine>;
  /** compute nodes that stop heartbeating during [from, to) */
  flapping?: Array<{ node: number; from: number; to: number }>;
  /** oracle → compute nodes whose heartbeats never reach it (the oracles disagree on what they heard) */
  deaf?: Record<string, number[]>;
  plant?: ConsensusSimOptions['plant'];
}

export const DEFAULT_SCENARIO: Scenario = { n: 4, durationMs: 12_000, epochMs: 1000, nodes: 6, drop: 0, dup: 0, delayMs: [1, 20], partitions: [], crashes: [], byzantine: {} };

const schema = {
  type: 'object', additionalProperties: false,
  properties: {
    version: { const: SCENARIO_VERSION }, name: { type: 'string' },
    n: { type: 'integer', minimum: 1, maximum: 64 }, durationMs: { type: 'integer', minimum: 1 }, epochMs: { type: 'integer', minimum: 10 },
    nodes: { type: 'integer', minimum: 0, maximum: 1_000_000 }, drop: { type: 'number', minimum: 0, maximum: 1 }, dup: { type: 'number', minimum: 0, maximum: 1 },
    delayMs: { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 2 },
    partitions: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['from', 'to', 'groups'], properties: { from: { type: 'integer', minimum: 0 }, to: { type: 'integer', minimum: 0 }, groups: { type: 'array', items: { type: 'array', items: { type: 'integer', minimum: 0 } } } } } },
    crashes: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['i', 'from', 'to'], properties: { i: { type: 'integer', minimum: 0 }, from: { type: 'integer', minimum: 0 }, to: { type: 'integer', minimum: 0 } } } },
    byzantine: { type: 'object', additionalProperties: { enum: ADVERSARY_NAMES } },
    flapping: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['node', 'from', 'to'], properties: { node: { type: 'integer', minimum: 0 }, from: { type: 'integer', minimum: 0 }, to: { type: 'integer', minimum: 0 } } } },
    deaf: { type: 'object', additionalProperties: { type: 'array', items: { type: 'integer', minimum: 0 } } },
    plant: { enum: ['quorum-off-by-one'] },
  },
};
const validate = new Ajv({ allErrors: true }).compile(schema);

export class ScenarioError extends Error { override name = 'ScenarioError'; }

/** A scenario from JSON (file contents or an object), with defaults filled and every problem named. */
export function parseScenario(raw: unknown, where = '<scenario>'): Scenario {
  if (!validate(raw)) throw new ScenarioError(`${where}: ${(validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`).join('; ')}`);
  const s = { ...DEFAULT_SCENARIO, ...(raw as Partial<Scenario>) };
  const bad = (m: string) => { throw new ScenarioError(`${where}: ${m}`); };
  if (s.delayMs[0] > s.delayMs[1]) bad('delayMs must be [min, max]');
  for (const i of Object.keys(s.byzantine)) if (!(Number(i) < s.n)) bad(`byzantine oracle ${i} is not < n`);
  for (const c of s.crashes) if (c.i >= s.n || c.to < c.from) bad(`crash ${JSON.stringify(c)}: need i < n and from ≤ to`);
  for (const p of s.partitions) if (p.to < p.from || p.groups.flat().some((i) => i >= s.n)) bad(`partition ${JSON.stringify(p)}: need from ≤ to and members < n`);
  for (const f of s.flapping ?? []) if (f.node >= s.nodes || f.to < f.from) bad(`flapping ${JSON.stringify(f)}: need node < nodes and from ≤ to`);
  for (const [i, js] of Object.entries(s.deaf ?? {})) if (!(Number(i) < s.n) || js.some((j) => j >= s.nodes)) bad(`deaf ${i}: need an oracle < n and nodes < nodes`);
  return s;
}

export interface RunReport {
  seed: number;
  committedByAllHonest: number;
  commitLatencyMs: { p50: number | null; p99: number | null; max: number | null };
  /** per partition: virtual ms from its heal to the next round committed by every honest oracle */
  recoveryMs: Array<number | null>;
  messages: number;
  violations: Array<{ kind: string; round: string; detail: string }>;
  doubleSigns: number;
  safe: boolean;
}

export function runScenario(s: Scenario, seed: number): RunReport {
  const byzantine = Object.fromEntries(Object.entries(s.byzantine).map(([i, b]) => [Number(i), b]));
  const sim = new ConsensusSim({
    // node ids are random 32-byte strings here (no key derivation: 100,000-node runs); the chain simulation uses real keys
    n: s.n, seed, computeNodes: s.nodes, modelledKeys: true, byzantine, ...(s.plant ? { plant: s.plant } : {}), ...(s.flapping ? { flapping: s.flapping } : {}), ...(s.deaf ? { deaf: Object.fromEntries(Object.entries(s.deaf).map(([i, js]) => [Number(i), js])) } : {}),
    params: { epochMs: s.epochMs, liveness: { intervalMs: s.epochMs, missedForOffline: 3, graceMs: Math.floor(s.epochMs / 5) } },
    network: { dropRate: s.drop, dupRate: s.dup, minDelayMs: s.delayMs[0], maxDelayMs: s.delayMs[1] },
  });
  const honest = [...Array(s.n).keys()].filter((i) => !(String(i) in s.byzantine));
  const recovery: Array<number | null> = s.partitions.map(() => null);
  s.partitions.forEach((p, k) => {
    sim.at(p.from, () => sim.partition(p.groups));
    sim.at(p.to, () => { sim.heal(); const before = sim.committedBy(honest); watchRecovery(sim, honest, before, p.to, (ms) => { recovery[k] = ms; }); });
  });
  for (const c of s.crashes) { sim.at(c.from, () => sim.crash(c.i)); sim.at(c.to, () => sim.restart(c.i)); }
  sim.runUntil(s.durationMs);
  const lat: number[] = [];
  for (const [r, times] of sim.commitTimes) for (const t of times) lat.push(t - epochEnd(sim.committee, r));
  lat.sort((a, b) => a - b);
  const pct = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]! : null);
  const doubleSigns = honest.reduce((a, i) => a + sim.doubleSigns(i), 0);
  return {
    seed, committedByAllHonest: Number(sim.committedBy(honest)), commitLatencyMs: { p50: pct(0.5), p99: pct(0.99), max: lat.at(-1) ?? null },
    recoveryMs: recovery, messages: sim.messagesSent,
    violations: sim.violations.map((v) => ({ ...v, round: v.round.toString() })), doubleSigns, safe: sim.violations.length === 0 && doubleSigns === 0,
  };
}

/** Checks every 10 virtual ms after a heal until all honest oracles committed a new round. */
function watchRecovery(sim: ConsensusSim, honest: number[], before: bigint, healedAt: number, done: (ms: number) => void): void {
  const check = () => {
    if (sim.committedBy(honest) > before) return done(sim.now - healedAt);
    sim.at(sim.now + 10, check);
  };
  sim.at(sim.now + 10, check);
}

/**
 * Greedy shrinking: drops faults one at a time (Byzantine oracles, crashes, partitions, loss,
 * duplication, delay spread) and shortens the run, keeping each change that still fails.
 */
export function minimize(s: Scenario, seed: number, fails: (r: RunReport) => boolean = (r) => !r.safe): { scenario: Scenario; runs: number } {
  let cur = s;
  let runs = 0;
  const stillFails = (c: Scenario) => { runs++; return fails(runScenario(c, seed)); };
  if (!stillFails(cur)) throw new ScenarioError(`seed ${seed} does not fail this scenario`);
  for (let changed = true; changed;) {
    changed = false;
    const candidates: Scenario[] = [
      ...Object.keys(cur.byzantine).map((i) => ({ ...cur, byzantine: Object.fromEntries(Object.entries(cur.byzantine).filter(([k]) => k !== i)) })),
      ...cur.crashes.map((_, k) => ({ ...cur, crashes: cur.crashes.filter((__, j) => j !== k) })),
      ...cur.partitions.map((_, k) => ({ ...cur, partitions: cur.partitions.filter((__, j) => j !== k) })),
      ...(cur.flapping ?? []).map((_, k) => ({ ...cur, flapping: cur.flapping!.filter((__, j) => j !== k) })),
      ...(cur.drop > 0 ? [{ ...cur, drop: 0 }] : []), ...(cur.dup > 0 ? [{ ...cur, dup: 0 }] : []),
      ...(cur.delayMs[1] > cur.delayMs[0] ? [{ ...cur, delayMs: [cur.delayMs[0], cur.delayMs[0]] as [number, number] }] : []),
      ...(cur.durationMs > 2 * cur.epochMs ? [{ ...cur, durationMs: Math.max(2 * cur.epochMs, Math.floor(cur.durationMs / 2)) }] : []),
    ];
    for (const c of candidates) if (stillFails(c)) { cur = c; changed = true; break; }
  }
  return { scenario: cur, runs };
}
