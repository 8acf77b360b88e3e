// Makespan with and without critical-path prioritization, in the chain simulator (virtual time):
// R executions of a model requested at once, n oracles that each act on B selections per tick,
// compute nodes that run one task at a time for MS virtual ms per thousand compute units. The same
// seeds run under both orders; a run's makespan is first request → last execution finished.
//   npx tsx bench/priority.ts [--model models/wide-dag.json] [--seeds 1..5] [--requests 8] [--nodes 4]
//       [--n 4] [--selections-per-tick 1] [--compute-ms-per-kcu 25] [--out bench/results/priority-makespan.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runChainSim } from '../src/sim/chain-sim.js';
import { parseManifest } from '../src/model/manifest.js';
import type { PriorityPolicy } from '../src/chain/priority.js';

const { values: v } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/wide-dag.json' }, seeds: { type: 'string', default: '1..5' }, requests: { type: 'string', default: '8' },
    nodes: { type: 'string', default: '4' }, n: { type: 'string', default: '4' }, 'selections-per-tick': { type: 'string', default: '1' },
    'compute-ms-per-kcu': { type: 'string', default: '25' }, 'duration-ms': { type: 'string', default: '120000' }, out: { type: 'string' },
  },
});
const [lo, hi] = v.seeds.split('..').map(Number) as [number, number];
const model = parseManifest(JSON.parse(readFileSync(v.model, 'utf8')));
const config = { model: v.model, requests: Number(v.requests), nodes: Number(v.nodes), n: Number(v.n), selectionsPerTick: Number(v['selections-per-tick']), computeMsPerKcu: Number(v['compute-ms-per-kcu']), serialNodes: true };
const runs: Array<{ seed: number; priority: PriorityPolicy; makespanMs: number | null; completionP50Ms: number | null; safe: boolean; done: number }> = [];
for (let seed = lo; seed <= (hi ?? lo); seed++) {
  for (const priority of ['critical-path', 'fifo'] as const) {
    const r = await runChainSim({
      n: config.n, seed, computeNodes: config.nodes, requests: config.requests, requestEveryMs: 100, agents: { cheaters: [] },
      model, priority, selectionsPerTick: config.selectionsPerTick, serialNodes: true, computeMsPerKcu: config.computeMsPerKcu,
    }, Number(v['duration-ms']));
    runs.push({ seed, priority, makespanMs: r.makespanMs, completionP50Ms: r.completionMs.p50, safe: r.safe, done: r.executionsDone });
    console.error(`seed ${seed} ${priority}: makespan ${r.makespanMs} ms, completion p50 ${r.completionMs.p50} ms, ${r.executionsDone}/${config.requests} done, ${r.safe ? 'safe' : 'UNSAFE'}`);
  }
}
const of = (p: PriorityPolicy) => runs.filter((r) => r.priority === p);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const summary = Object.fromEntries((['critical-path', 'fifo'] as const).map((p) => [p, {
  makespanMeanMs: mean(of(p).map((r) => r.makespanMs ?? NaN)), completionP50MeanMs: mean(of(p).map((r) => r.completionP50Ms ?? NaN)),
}]));
const paired = of('critical-path').map((c) => { const f = of('fifo').find((x) => x.seed === c.seed)!; return (f.makespanMs! - c.makespanMs!) / f.makespanMs!; });
const out = { config, runs, summary, makespanReduction: { mean: mean(paired), min: Math.min(...paired), max: Math.max(...paired), betterSeeds: paired.filter((x) => x > 0).length, seeds: paired.length } };
console.log(JSON.stringify(out, null, 2));
if (v.out) writeFileSync(v.out, JSON.stringify(out, null, 2) + '\n');
