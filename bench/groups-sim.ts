// Task groups against per-task assignment in virtual time (`sim chain`): the deep chain and its grouped
// twin, 4 executions requested 500 ms apart on 4 oracles and 6 compute nodes of 48 GB, the real program
// (LiteSVM), the oracles' real chain loops and the simulator's compute agents (a group's node computes its
// held tasks right after the first). Per seed: completion p50 / max and makespan (virtual ms), selections
// checked (each against the ECVRF proof over its eligible set) and compute runs. No machine load in
// these figures: the same seed gives the same run.
//
//   npx tsx bench/groups-sim.ts [--seeds 5] [--compute-ms-per-kcu MS] [--out bench/results/groups-sim.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { runChainSim } from '../src/sim/chain-sim.js';
import { parseManifest } from '../src/model/manifest.js';

const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1]! : dflt; };
const SEEDS = Number(arg('seeds', '5'));
const MS_PER_KCU = arg('compute-ms-per-kcu', '');
const OUT = arg('out', 'bench/results/groups-sim.json');
const rows: Array<Record<string, unknown>> = [];
for (let seed = 1; seed <= SEEDS; seed++) {
  for (const name of ['deep-chain', 'deep-chain-grouped']) {
    const r = await runChainSim({
      n: 4, seed, computeNodes: 6, requests: 4, requestEveryMs: 500, agents: { cheaters: [] }, nodeVramGb: 48,
      ...(MS_PER_KCU ? { computeMsPerKcu: Number(MS_PER_KCU) } : {}),
      model: parseManifest(JSON.parse(readFileSync(new URL(`../models/${name}.json`, import.meta.url), 'utf8'))),
      params: { epochMs: 1000, liveness: { intervalMs: 1000, missedForOffline: 3, graceMs: 200 } }, network: { minDelayMs: 1, maxDelayMs: 20 },
    }, 60_000);
    const row = { model: name, seed, safe: r.safe, executionsDone: r.executionsDone, completionP50Ms: r.completionMs.p50, completionMaxMs: r.completionMs.max, makespanMs: r.makespanMs, selectionsChecked: r.assignmentsChecked, computeRuns: r.computeRuns };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
const mean = (name: string, k: string) => { const xs = rows.filter((r) => r.model === name).map((r) => r[k] as number); return Math.round(xs.reduce((a, b) => a + b, 0) / xs.length); };
const summary = Object.fromEntries(['deep-chain', 'deep-chain-grouped'].map((n) => [n, { completionP50Ms: mean(n, 'completionP50Ms'), completionMaxMs: mean(n, 'completionMaxMs'), makespanMs: mean(n, 'makespanMs'), selectionsChecked: mean(n, 'selectionsChecked') }]));
console.log(JSON.stringify(summary, null, 2));
writeFileSync(OUT, JSON.stringify({ bench: 'groups-sim', seeds: SEEDS, computeMsPerKcu: MS_PER_KCU || null, summary, rows }, null, 2) + '\n');
