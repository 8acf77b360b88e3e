// sim: runs the real consensus core under the deterministic simulator.
//   sim run   [--n 4] [--seed 1] [--duration-ms 12000] [--epoch-ms 1000] [--drop 0] [--dup 0]
//             [--delay-ms 1..20] [--partition FROM-TO:0,1|2,3]... [--crash I@FROM-TO]...
//             [--byzantine I:equivocate|silent]... [--nodes 6]
//   sim sweep --seeds 100 [same options; a seed's faults are fixed, only the seed varies]
// Prints a JSON report: rounds committed by all honest oracles, commit latency
// percentiles, safety violations (divergent tables, bad certificates, double signs).
// Exit 1 if any run violates safety, with the seed to reproduce it.
import { ConsensusSim, type Byzantine } from '../sim/consensus-sim.js';
import { epochEnd } from '../consensus/committee.js';
import { parse, runMain, UsageError } from './args.js';

const USAGE = `usage: sim <run|sweep> [--n N] [--seed S] [--seeds K] [--duration-ms MS] [--epoch-ms MS] [--nodes M]
           [--drop P] [--dup P] [--delay-ms MIN..MAX] [--partition FROM-TO:0,1|2,3] [--crash I@FROM-TO] [--byzantine I:equivocate|silent]`;

interface Scenario { n: number; durationMs: number; epochMs: number; nodes: number; drop: number; dup: number; delay: [number, number]; partitions: Array<{ from: number; to: number; groups: number[][] }>; crashes: Array<{ i: number; from: number; to: number }>; byzantine: Record<number, Byzantine> }

function scenarioOf(v: Record<string, unknown>): Scenario {
  const num = (k: string, d: number) => { const x = v[k] === undefined ? d : Number(v[k]); if (!Number.isFinite(x)) throw new UsageError(`--${k} must be a number`); return x; };
  const [dmin, dmax] = String(v['delay-ms'] ?? '1..20').split('..').map(Number);
  const n = num('n', 4);
  const partitions = ((v.partition as string[] | undefined) ?? []).map((p) => {
    const m = /^(\d+)-(\d+):([\d,|]+)$/.exec(p);
    if (!m) throw new UsageError(`--partition ${p}: expected FROM-TO:0,1|2,3`);
    return { from: +m[1]!, to: +m[2]!, groups: m[3]!.split('|').map((g) => g.split(',').map(Number)) };
  });
  const crashes = ((v.crash as string[] | undefined) ?? []).map((c) => {
    const m = /^(\d+)@(\d+)-(\d+)$/.exec(c);
    if (!m) throw new UsageError(`--crash ${c}: expected I@FROM-TO`);
    return { i: +m[1]!, from: +m[2]!, to: +m[3]! };
  });
  const byzantine: Record<number, Byzantine> = {};
  for (const b of (v.byzantine as string[] | undefined) ?? []) {
    const m = /^(\d+):(equivocate|silent)$/.exec(b);
    if (!m || +m[1]! >= n) throw new UsageError(`--byzantine ${b}: expected I:equivocate|silent with I < n`);
    byzantine[+m[1]!] = m[2] as Byzantine;
  }
  return { n, durationMs: num('duration-ms', 12_000), epochMs: num('epoch-ms', 1000), nodes: num('nodes', 6), drop: num('drop', 0), dup: num('dup', 0), delay: [dmin ?? 1, dmax ?? 20], partitions, crashes, byzantine };
}

function runOne(s: Scenario, seed: number) {
  const sim = new ConsensusSim({ n: s.n, seed, computeNodes: s.nodes, byzantine: s.byzantine, params: { epochMs: s.epochMs, liveness: { intervalMs: s.epochMs, missedForOffline: 3, graceMs: Math.floor(s.epochMs / 5) } }, network: { dropRate: s.drop, dupRate: s.dup, minDelayMs: s.delay[0], maxDelayMs: s.delay[1] } });
  for (const p of s.partitions) { sim.at(p.from, () => sim.partition(p.groups)); sim.at(p.to, () => sim.heal()); }
  for (const c of s.crashes) { sim.at(c.from, () => sim.crash(c.i)); sim.at(c.to, () => sim.restart(c.i)); }
  sim.runUntil(s.durationMs);
  const honest = [...Array(s.n).keys()].filter((i) => !(i in s.byzantine));
  const lat: number[] = [];
  for (const [r, times] of sim.commitTimes) for (const t of times) lat.push(t - epochEnd(sim.committee, r));
  lat.sort((a, b) => a - b);
  const q = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : null);
  const doubleSigns = honest.reduce((a, i) => a + sim.doubleSigns(i), 0);
  return { seed, committedByAllHonest: Number(sim.committedBy(honest)), commitLatencyMs: { p50: q(0.5), p99: q(0.99), max: lat.at(-1) ?? null }, messages: sim.messagesSent, violations: sim.violations.map((v) => ({ ...v, round: v.round.toString() })), doubleSigns, safe: sim.violations.length === 0 && doubleSigns === 0 };
}

async function main(): Promise<number> {
  const [cmd, ...rest] = process.argv.slice(2);
  const opts = { n: { type: 'string' }, seed: { type: 'string' }, seeds: { type: 'string' }, 'duration-ms': { type: 'string' }, 'epoch-ms': { type: 'string' }, nodes: { type: 'string' }, drop: { type: 'string' }, dup: { type: 'string' }, 'delay-ms': { type: 'string' }, partition: { type: 'string', multiple: true }, crash: { type: 'string', multiple: true }, byzantine: { type: 'string', multiple: true } } as const;
  if (cmd === 'run') {
    const { values } = parse(rest, opts);
    const r = runOne(scenarioOf(values), Number(values.seed ?? 1));
    console.log(JSON.stringify(r, null, 2));
    return r.safe ? 0 : 1;
  }
  if (cmd === 'sweep') {
    const { values } = parse(rest, opts);
    const s = scenarioOf(values);
    const k = Number(values.seeds ?? 100), base = Number(values.seed ?? 1);
    const t0 = performance.now();
    const runs = [];
    for (let i = 0; i < k; i++) runs.push(runOne(s, base + i));
    const secs = (performance.now() - t0) / 1000;
    const unsafe = runs.filter((r) => !r.safe);
    const committed = runs.map((r) => r.committedByAllHonest).sort((a, b) => a - b);
    console.log(JSON.stringify({ runs: k, unsafe: unsafe.map((r) => ({ seed: r.seed, violations: r.violations, doubleSigns: r.doubleSigns })), committedByAllHonest: { min: committed[0], median: committed[Math.floor(k / 2)] }, seconds: +secs.toFixed(1), runsPerMinute: Math.round((k / secs) * 60) }, null, 2));
    return unsafe.length ? 1 : 0;
  }
  console.log(USAGE);
  return 2;
}

await runMain(main);
