// sim: the real consensus core under the deterministic simulator, for researchers.
//   sim run      [scenario options | --scenario FILE] [--seed 1]       one run, JSON report
//   sim sweep    [scenario options | --scenario FILE] --seeds K        K seeds; unsafe seeds listed
//   sim minimize [scenario options | --scenario FILE] --seed S [--kind divergence|bad-certificate|double-sign]
//                shrink a failing scenario (keeping a violation of that kind, if given)
//   sim report   --out DIR [--seeds 20] [--n 4]                        JSON + SVG charts
//   sim chain    [scenario options | --scenario FILE] [--seed 1] [--requests 20] [--request-every-ms 400] [--vote-other I]...
//                [--agents] [--cheaters 0,1] [--p 0.3] [--compute-ms 200..800] [--seeds K]
//                [--model MANIFEST] [--priority critical-path|fifo] [--selections-per-tick N] [--serial-nodes] [--compute-ms-per-kcu MS] [--node-vram GB]
//                selection and the SplitUp program in virtual time: the real chain loops, ECVRF proofs
//                over the simulated network, the program in LiteSVM; assignment checks and latency.
//                With --agents (or --cheaters) compute nodes report, PoSP samples, verifies, pays and
//                slashes on chain, and the report holds each strategy's measured economics; the makespan
//                of the executions and the compute runs (re-executions after a node dies) are reported
//   sim chaos    --scenario FILE [--out DIR] [--dir DATA]             the scenario's partitions and crashes on
//                real oracle processes in network namespaces (root); the same checkers; JSON + SVG
//   sim adversaries [--adversary NAME,...|all] [--n 4,5,7,10] [--seeds 300] [--byzantine K] [--bound-ms MS] [--out FILE]
//                each adversary followed by f members while each seed draws loss, partitions (also
//                one-way), crashes between effects, wiped data dirs, disk failures, clock skew,
//                processing time and 100+-round outages; safety, liveness and resource checkers
//   sim economics [--p 0.08] [--r 0.1] [--R 1.2] [--S 10] [--C 1] [--tasks 100000] [--seed 1]
// Scenario options: --n --duration-ms --epoch-ms --nodes --drop --dup --delay-ms MIN..MAX
//   --partition FROM-TO:0,1|2,3 --crash I@FROM-TO --byzantine I:equivocate|silent|forge|spam --flap NODE@FROM-TO
//   --plant quorum-off-by-one (a deliberately broken build, to see the checkers fire)
// Exit 1 when a run violates safety (the report names the seed that reproduces it).
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, runMain, UsageError } from './args.js';
import type { Byzantine } from '../sim/consensus-sim.js';
import { ADVERSARIES, ADVERSARY_NAMES } from '../sim/adversaries.js';
import { adversarySweep, type SweepSummary } from '../sim/adversary-sweep.js';
import { DEFAULT_SCENARIO, minimize, parseScenario, runScenario, ScenarioError, type Scenario } from '../sim/scenario.js';
import { economics, SEED_ECONOMICS } from '../sim/economics.js';
import { lineChart } from '../sim/svg.js';
import { strategyFormulas } from '../sim/economics.js';
// The chain simulator (LiteSVM, the program, the chain loops) and the chaos lab (real processes)
// are imported by the commands that use them: loading them costs ~1.8 s, which every other
// command (run, sweep, economics, --help) would otherwise pay at start-up.
import type { ChainSimReport } from '../sim/chain-sim.js';
import type { Strategy } from '../sim/compute-agents.js';
import type { ManifestDoc } from '../model/manifest.js';
import type { PriorityPolicy } from '../chain/priority.js';

const USAGE = `usage: sim <run|sweep|minimize|report|chain|chaos|adversaries|economics> [options]
  scenario: --scenario FILE | --n N --duration-ms MS --epoch-ms MS --nodes M --drop P --dup P --delay-ms MIN..MAX
            --partition FROM-TO:0,1|2,3 --crash I@FROM-TO --byzantine I:equivocate|silent|forge|spam
            --flap NODE@FROM-TO --plant quorum-off-by-one
  run [--seed S]; sweep --seeds K [--seed FIRST]; minimize --seed S [--kind K]; report --out DIR [--seeds K];
  chain [--seed S] [--requests N] [--request-every-ms MS] [--vote-other I] [--agents] [--cheaters I,J] [--strategy I:NAME ...] [--p P] [--compute-ms MIN..MAX] [--seeds K [--progress FILE]]
        [--model MANIFEST] [--priority critical-path|fifo] [--selections-per-tick N] [--serial-nodes] [--compute-ms-per-kcu MS] [--node-vram GB];
        strategies: honest cheater lazy framer colluder late griefer (see src/sim/compute-agents.ts);
  chaos --scenario FILE [--out DIR] [--dir DATA] (root: network namespaces, real oracle processes);
  adversaries [--adversary NAME,...|all] [--n 4,5,7,10] [--seeds K] [--byzantine K] [--bound-ms MS] [--out FILE];
  economics [--p P --r R --R R --S S --C C --tasks N --seed S]
  Every command ends with a short human summary; --json prints the full report as JSON on stdout
  instead (the summary then goes to stderr). Exit 1 when a run found a safety violation.`;

const OPTS = {
  scenario: { type: 'string' }, n: { type: 'string' }, seed: { type: 'string' }, seeds: { type: 'string' }, 'duration-ms': { type: 'string' }, 'epoch-ms': { type: 'string' },
  nodes: { type: 'string' }, drop: { type: 'string' }, dup: { type: 'string' }, 'delay-ms': { type: 'string' }, partition: { type: 'string', multiple: true },
  crash: { type: 'string', multiple: true }, byzantine: { type: 'string', multiple: true }, flap: { type: 'string', multiple: true }, plant: { type: 'string' }, out: { type: 'string' },
  kind: { type: 'string' }, 'vote-other': { type: 'string', multiple: true }, requests: { type: 'string' }, 'request-every-ms': { type: 'string' }, p: { type: 'string' }, r: { type: 'string' }, R: { type: 'string' }, S: { type: 'string' }, C: { type: 'string' }, tasks: { type: 'string' },
  dir: { type: 'string' }, verbose: { type: 'boolean' }, json: { type: 'boolean' }, progress: { type: 'string' },
  agents: { type: 'boolean' }, cheaters: { type: 'string' }, strategy: { type: 'string', multiple: true }, 'compute-ms': { type: 'string' },
  adversary: { type: 'string' }, 'bound-ms': { type: 'string' },
  model: { type: 'string' }, priority: { type: 'string' }, 'selections-per-tick': { type: 'string' }, 'serial-nodes': { type: 'boolean' }, 'compute-ms-per-kcu': { type: 'string' }, 'node-vram': { type: 'string' },
} as const;

/** The scenario from --scenario FILE, or built from the command-line options (then validated alike). */
function scenarioOf(v: Record<string, unknown>): Scenario {
  if (v.scenario) {
    let raw: unknown;
    try { raw = JSON.parse(readFileSync(String(v.scenario), 'utf8')); } catch (e) { throw new UsageError(`--scenario ${String(v.scenario)}: ${(e as Error).message}`); }
    return parseScenario(raw, String(v.scenario));
  }
  const num = (k: string, d: number) => { const x = v[k] === undefined ? d : Number(v[k]); if (!Number.isFinite(x)) throw new UsageError(`--${k} must be a number`); return x; };
  const [dmin, dmax] = String(v['delay-ms'] ?? '1..20').split('..').map(Number);
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
  const byzantine: Record<string, Byzantine> = {};
  for (const b of (v.byzantine as string[] | undefined) ?? []) {
    const m = /^(\d+):([a-z-]+)$/.exec(b);
    if (!m || !ADVERSARY_NAMES.includes(m[2] as Byzantine)) throw new UsageError(`--byzantine ${b}: expected I:${ADVERSARY_NAMES.join('|')} with I < n`);
    byzantine[m[1]!] = m[2] as Byzantine;
  }
  const flapping = ((v.flap as string[] | undefined) ?? []).map((f) => {
    const m = /^(\d+)@(\d+)-(\d+)$/.exec(f);
    if (!m) throw new UsageError(`--flap ${f}: expected NODE@FROM-TO`);
    return { node: +m[1]!, from: +m[2]!, to: +m[3]! };
  });
  const raw = {
    n: num('n', DEFAULT_SCENARIO.n), durationMs: num('duration-ms', DEFAULT_SCENARIO.durationMs), epochMs: num('epoch-ms', DEFAULT_SCENARIO.epochMs), nodes: num('nodes', DEFAULT_SCENARIO.nodes),
    drop: num('drop', 0), dup: num('dup', 0), delayMs: [dmin ?? 1, dmax ?? 20], partitions, crashes, byzantine, ...(flapping.length ? { flapping } : {}), ...(v.plant ? { plant: v.plant } : {}),
  };
  try { return parseScenario(raw, 'options'); } catch (e) { throw new UsageError(e instanceof ScenarioError && /byzantine/.test(e.message) ? `--byzantine: ${e.message} (I:equivocate|silent|forge|spam with I < n)` : (e as Error).message); }
}

/**
 * Contention in `sim chain`: --model MANIFEST (every request runs it), --priority critical-path|fifo
 * (the chain loops' order), --selections-per-tick N (each oracle's throughput), --serial-nodes (a
 * node computes one task at a time), --compute-ms-per-kcu MS (a computation's length by its compute units),
 * --node-vram GB (every compute node's VRAM: a model with task groups needs nodes with the groups').
 */
async function contentionOptions(v: Record<string, unknown>) {
  const { PRIORITY_POLICIES } = await import('../chain/priority.js');
  const out: { model?: ManifestDoc; priority?: PriorityPolicy; selectionsPerTick?: number; serialNodes?: boolean; computeMsPerKcu?: number; nodeVramGb?: number } = {};
  if (v.model !== undefined) {
    const { parseManifest, planManifest, ManifestError } = await import('../model/manifest.js');
    try {
      out.model = parseManifest(JSON.parse(readFileSync(String(v.model), 'utf8')));
      planManifest(out.model, () => undefined, { check: false });
    } catch (e) { throw new UsageError(`--model ${String(v.model)}: ${e instanceof ManifestError ? e.message : (e as Error).message}`); }
  }
  if (v.priority !== undefined) {
    if (!(PRIORITY_POLICIES as readonly string[]).includes(String(v.priority))) throw new UsageError(`--priority ${String(v.priority)}: one of ${PRIORITY_POLICIES.join(', ')}`);
    out.priority = v.priority as PriorityPolicy;
  }
  const positive = (k: string) => { const x = Number(v[k]); if (!(Number.isInteger(x) && x > 0)) throw new UsageError(`--${k} ${String(v[k])}: a positive integer`); return x; };
  if (v['selections-per-tick'] !== undefined) out.selectionsPerTick = positive('selections-per-tick');
  if (v['compute-ms-per-kcu'] !== undefined) out.computeMsPerKcu = positive('compute-ms-per-kcu');
  if (v['node-vram'] !== undefined) { out.nodeVramGb = positive('node-vram'); if (out.nodeVramGb > 4096) throw new UsageError(`--node-vram ${out.nodeVramGb}: at most 4096 GB`); }
  if (v['serial-nodes']) out.serialNodes = true;
  return out;
}

/** Compute agents for `sim chain`: --agents, --cheaters I,J (implies agents), --p, --compute-ms MIN..MAX. */
function agentOptions(v: Record<string, unknown>, nodes: number, STRATEGIES: readonly Strategy[]): { agents?: { cheaters: number[]; strategies?: Record<number, Strategy>; computeMs?: [number, number] }; pPpm?: number } {
  const out: ReturnType<typeof agentOptions> = {};
  const given = (v.strategy as string[] | undefined) ?? [];
  if (v.agents || v.cheaters !== undefined || given.length) {
    const cheaters = v.cheaters === undefined || v.cheaters === '' ? [] : String(v.cheaters).split(',').map(Number);
    if (cheaters.some((c) => !Number.isInteger(c) || c < 0 || c >= nodes)) throw new UsageError(`--cheaters ${String(v.cheaters)}: node indices below --nodes (${nodes}), comma-separated`);
    out.agents = { cheaters };
    if (given.length) {
      const strategies: Record<number, Strategy> = {};
      for (const g of given) {
        const m = /^(\d+):(\w+)$/.exec(g);
        if (!m || +m[1]! >= nodes || !(STRATEGIES as readonly string[]).includes(m[2]!)) throw new UsageError(`--strategy ${g}: expected I:NAME with I < --nodes (${nodes}) and NAME one of ${STRATEGIES.join(', ')}`);
        strategies[+m[1]!] = m[2] as Strategy;
      }
      out.agents.strategies = strategies;
    }
    if (v['compute-ms'] !== undefined) {
      const m = /^(\d+)\.\.(\d+)$/.exec(String(v['compute-ms']));
      if (!m || +m[1]! > +m[2]!) throw new UsageError(`--compute-ms ${String(v['compute-ms'])}: expected MIN..MAX (virtual ms)`);
      out.agents.computeMs = [+m[1]!, +m[2]!];
    }
  }
  if (v.p !== undefined) {
    const p = Number(v.p);
    if (!(p > 0 && p <= 1)) throw new UsageError(`--p ${String(v.p)}: a probability in (0, 1]`);
    out.pPpm = Math.round(p * 1e6);
  }
  return out;
}

function sweep(s: Scenario, k: number, base: number) {
  const t0 = performance.now();
  const runs = Array.from({ length: k }, (_, i) => runScenario(s, base + i));
  const secs = (performance.now() - t0) / 1000;
  const committed = runs.map((r) => r.committedByAllHonest).sort((a, b) => a - b);
  return { runs, summary: { runs: k, unsafe: runs.filter((r) => !r.safe).map((r) => ({ seed: r.seed, violations: r.violations, doubleSigns: r.doubleSigns })), committedByAllHonest: { min: committed[0], median: committed[Math.floor(k / 2)] }, seconds: +secs.toFixed(1), runsPerMinute: Math.round((k / secs) * 60) } };
}

/** Commit recovery after a 2+2 partition, by partition length, and commit latency vs message loss. */
async function report(out: string, seeds: number, n: number): Promise<object> {
  const epochMs = 1000;
  const lengths = [0, 1, 2, 4, 8];
  const recovery = lengths.map((len) => {
    const rs = Array.from({ length: seeds }, (_, i) => runScenario({ ...DEFAULT_SCENARIO, n, epochMs, durationMs: 4000 + len * epochMs + 6000, partitions: len ? [{ from: 3000, to: 3000 + len * epochMs, groups: [[...Array(Math.ceil(n / 2)).keys()], [...Array(n).keys()].slice(Math.ceil(n / 2))] }] : [] }, 1 + i));
    const rec = rs.map((r) => r.recoveryMs[0]).filter((x): x is number => x !== null && x !== undefined).sort((a, b) => a - b);
    return { partitionEpochs: len, unsafe: rs.filter((r) => !r.safe).length, recoveryMs: { median: rec[Math.floor(rec.length / 2)] ?? null, max: rec.at(-1) ?? null } };
  });
  const drops = [0, 0.05, 0.1, 0.2, 0.3];
  const loss = drops.map((drop) => {
    const rs = Array.from({ length: seeds }, (_, i) => runScenario({ ...DEFAULT_SCENARIO, n, epochMs, drop, durationMs: 10_000 }, 100 + i));
    const p50 = rs.map((r) => r.commitLatencyMs.p50 ?? 0).sort((a, b) => a - b), p99 = rs.map((r) => r.commitLatencyMs.p99 ?? 0).sort((a, b) => a - b);
    return { drop, unsafe: rs.filter((r) => !r.safe).length, commitLatencyMs: { p50: p50[Math.floor(seeds / 2)]!, p99: p99[Math.floor(seeds / 2)]! } };
  });
  // selection and assignment: the real chain loops and program, 80 requests
  const { runChainSim } = await import('../sim/chain-sim.js');
  const cs = await runChainSim({ n, seed: 1, computeNodes: 5, requests: 80, requestEveryMs: 100 }, 14_000);
  const selection = { requests: cs.requests, assigned: cs.assigned, unsafe: cs.safe ? 0 : 1, assignmentLatencyMs: cs.assignmentLatencyMs, selections: Object.values(cs.selections), chiSquare: cs.chiSquare };
  mkdirSync(out, { recursive: true });
  const data = { n, seeds, epochMs, recovery, loss, selection };
  writeFileSync(join(out, 'assignment-latency.svg'), lineChart({
    title: `Request → on-chain assignment (n = ${n}, ${cs.assigned} requests)`, xLabel: 'latency (virtual ms)', yLabel: 'fraction of requests assigned (%)',
    series: [{ name: 'CDF', points: cs.latenciesMs.map((l, i) => [l, Math.round(((i + 1) / cs.latenciesMs.length) * 100)]) }],
  }));
  const counts = Object.values(cs.selections);
  writeFileSync(join(out, 'selection-fairness.svg'), lineChart({
    title: `Selections per node (chi-square ${cs.chiSquare?.toFixed(2)})`, xLabel: 'node (sorted by count)', yLabel: 'times selected',
    series: [{ name: 'observed', points: counts.sort((a, b) => a - b).map((c, i) => [i + 1, c]) }, { name: 'uniform', points: counts.map((_, i) => [i + 1, cs.assigned / counts.length]) }],
  }));
  writeFileSync(join(out, 'report.json'), JSON.stringify(data, null, 2) + '\n');
  writeFileSync(join(out, 'recovery.svg'), lineChart({
    title: `Commit after heal (n = ${n}, ${seeds} seeds)`, xLabel: 'partition length (epochs of 1 s)', yLabel: 'heal → next commit (virtual ms)',
    series: [{ name: 'median', points: recovery.filter((x) => x.partitionEpochs > 0 && x.recoveryMs.median !== null).map((x) => [x.partitionEpochs, x.recoveryMs.median!]) }, { name: 'max', points: recovery.filter((x) => x.partitionEpochs > 0 && x.recoveryMs.max !== null).map((x) => [x.partitionEpochs, x.recoveryMs.max!]) }],
  }));
  writeFileSync(join(out, 'latency-vs-loss.svg'), lineChart({
    title: `Commit latency vs message loss (n = ${n})`, xLabel: 'drop rate (%)', yLabel: 'epoch end → commit (virtual ms)',
    series: [{ name: 'p50', points: loss.map((x) => [x.drop * 100, x.commitLatencyMs.p50]) }, { name: 'p99', points: loss.map((x) => [x.drop * 100, x.commitLatencyMs.p99]) }],
  }));
  return data;
}

const ms = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${Math.round(x)} ms`);

async function main(): Promise<number> {
  const [cmd, ...rest] = process.argv.slice(2);
  const { values } = cmd ? parse(rest, OPTS) : { values: {} as Record<string, undefined> };
  /** The report: as JSON with --json (the summary then on stderr); otherwise the summary alone. */
  const emit = (report: unknown, summary: string) => {
    if (values.json) { console.log(JSON.stringify(report, null, 2)); console.error(summary); } else console.log(summary);
  };
  switch (cmd) {
    case 'run': {
      const sc = scenarioOf(values);
      const r = runScenario(sc, Number(values.seed ?? 1));
      emit(r, `${r.safe ? 'safe' : 'UNSAFE'}: seed ${r.seed}, ${sc.n} oracles, ${sc.durationMs} virtual ms: every honest oracle committed through round ${r.committedByAllHonest}; `
        + `commit latency p50 ${ms(r.commitLatencyMs.p50)}, p99 ${ms(r.commitLatencyMs.p99)}; ${r.recoveryMs.length ? `recovery after each heal ${r.recoveryMs.map(ms).join(', ')}; ` : ''}`
        + `${r.violations.length} violations, ${r.doubleSigns} double-signs${r.violations.length ? ` (first: ${r.violations[0]!.kind} in round ${r.violations[0]!.round})` : ''}`
        + `${values.json ? '' : '\n(--json prints the full report)'}`);
      return r.safe ? 0 : 1;
    }
    case 'sweep': {
      const { summary } = sweep(scenarioOf(values), Number(values.seeds ?? 100), Number(values.seed ?? 1));
      emit(summary, `${summary.unsafe.length ? 'UNSAFE' : 'safe'}: ${summary.runs - summary.unsafe.length}/${summary.runs} seeds safe`
        + `${summary.unsafe.length ? ` (unsafe seeds: ${summary.unsafe.slice(0, 10).map((u) => u.seed).join(', ')}${summary.unsafe.length > 10 ? ', …' : ''}; reproduce one with sim run --seed S, shrink it with sim minimize --seed S)` : ''}; `
        + `every honest oracle committed through round ${summary.committedByAllHonest.min} at least (median ${summary.committedByAllHonest.median}); ${summary.seconds} s, ${summary.runsPerMinute} runs/min`);
      return summary.unsafe.length ? 1 : 0;
    }
    case 'adversaries': {
      const names = !values.adversary || values.adversary === 'all' ? ADVERSARY_NAMES : String(values.adversary).split(',');
      for (const a of names) if (!ADVERSARIES[a]) throw new UsageError(`--adversary ${a}: one of ${ADVERSARY_NAMES.join(', ')}, all`);
      const sizes = String(values.n ?? '4,5,7,10').split(',').map(Number);
      const seeds = Number(values.seeds ?? 300);
      const rows: SweepSummary[] = [];
      for (const adversary of names) for (const n of sizes) {
        const s = adversarySweep({ adversary: adversary as Byzantine, n, seeds, firstSeed: Number(values.seed ?? 1), ...(values.byzantine ? { byzantine: Number(values.byzantine) } : {}), ...(values['bound-ms'] ? { boundMs: Number(values['bound-ms']) } : {}) });
        rows.push(s);
        (values.json ? console.error : console.log)(`${adversary.padEnd(14)} n=${String(n).padStart(2)} f=${s.f} byzantine=${s.byzantine} seeds=${s.seeds}  unsafe ${s.unsafe}  not live ${s.notLive}  resources ${s.resourceViolations}  reach-round delay p50 ${s.delayP50Ms?.toFixed(0) ?? '-'} ms, p99 ${s.delayP99Ms?.toFixed(0) ?? '-'} ms, max ${s.delayMaxMs?.toFixed(0) ?? '-'} ms (bound ${s.boundMs} ms)${s.failingSeeds.length ? `  failing seeds ${s.failingSeeds.slice(0, 10).join(',')}` : ''}`);
      }
      if (values.out) writeFileSync(String(values.out), JSON.stringify({ sweep: 'adversaries', rows }, null, 2) + '\n');
      const bad = rows.filter((r) => r.unsafe || (r.byzantine <= r.f && (r.notLive || r.resourceViolations)));
      emit({ sweep: 'adversaries', rows }, bad.length ? `FAILED: ${bad.length} of ${rows.length} sweeps had unsafe runs, or missed the liveness bound or resource bounds with ≤ f Byzantine` : `OK: ${rows.length} sweeps, ${rows.reduce((a, r) => a + r.seeds, 0)} runs: no unsafe run; liveness and resource bounds held`);
      return bad.length ? 1 : 0;
    }
    case 'minimize': {
      if (!values.seed) throw new UsageError('minimize needs --seed S (a failing seed)');
      const kind = values.kind;
      if (kind && !['divergence', 'bad-certificate', 'double-sign'].includes(kind)) throw new UsageError('--kind must be divergence, bad-certificate or double-sign');
      const { scenario, runs } = minimize(scenarioOf(values), Number(values.seed), kind ? (r) => r.violations.some((v) => v.kind === kind) || (kind === 'double-sign' && r.doubleSigns > 0) : undefined);
      const rep = runScenario(scenario, Number(values.seed));
      const doc = { seed: Number(values.seed), runs, scenario: { version: 'splitup/scenario/v1', ...scenario }, report: rep };
      emit(doc, `minimized in ${runs} runs: seed ${values.seed} still fails (${rep.violations.length} violations${rep.violations[0] ? `, first ${rep.violations[0].kind}` : ''}, ${rep.doubleSigns} double-signs) with n = ${scenario.n}, `
        + `${scenario.durationMs} ms, ${scenario.partitions.length} partitions, ${scenario.crashes.length} crashes, ${Object.keys(scenario.byzantine).length} Byzantine oracles, drop ${scenario.drop}`
        + `${values.json ? '' : '\n(--json prints the minimal scenario as a scenario file, with its report)'}`);
      return 0;
    }
    case 'report': {
      if (!values.out) throw new UsageError('report needs --out DIR');
      const out = resolve(values.out);
      const data = await report(out, Number(values.seeds ?? 20), Number(values.n ?? 4)) as { recovery: Array<{ unsafe: number }>; loss: Array<{ unsafe: number }>; selection: { requests: number; assigned: number; unsafe: number } };
      const unsafe = [...data.recovery, ...data.loss, data.selection].reduce((a, x) => a + x.unsafe, 0);
      emit(data, `report written to ${out} (report.json and 4 SVG charts): ${unsafe} unsafe runs; ${data.selection.assigned}/${data.selection.requests} requests assigned in the chain run`);
      return 0;
    }
    case 'chain': {
      const sc = scenarioOf(values);
      const [{ runChainSim, sweepEconomics }, { STRATEGIES }] = await Promise.all([import('../sim/chain-sim.js'), import('../sim/compute-agents.js')]);
      const byzantine = Object.fromEntries(Object.entries(sc.byzantine).map(([i, b]) => [Number(i), b]));
      const chainOptions = (seed: number) => ({
        n: sc.n, seed, computeNodes: sc.nodes, byzantine, ...(sc.flapping ? { flapping: sc.flapping } : {}),
        params: { epochMs: sc.epochMs, liveness: { intervalMs: sc.epochMs, missedForOffline: 3, graceMs: Math.floor(sc.epochMs / 5) } },
        network: { dropRate: sc.drop, dupRate: sc.dup, minDelayMs: sc.delayMs[0], maxDelayMs: sc.delayMs[1] },
        requests: Number(values.requests ?? 20), requestEveryMs: Number(values['request-every-ms'] ?? 400), crashes: sc.crashes, partitions: sc.partitions,
        voteOther: (values['vote-other'] ?? []).map(Number), ...agentOptions(values, sc.nodes, STRATEGIES), ...contention,
      });
      const contention = await contentionOptions(values);
      const first = Number(values.seed ?? 1);
      if (values.seeds !== undefined && Number(values.seeds) > 1) {
        // several seeds: the economics aggregated over runs (requires compute agents)
        if (!values.agents && values.cheaters === undefined) throw new UsageError('sim chain --seeds K aggregates economics: add --agents or --cheaters');
        const runs: ChainSimReport[] = [];
        for (let k = 0; k < Number(values.seeds); k++) {
          runs.push(await runChainSim(chainOptions(first + k), sc.durationMs));
          if (values.progress) appendFileSync(values.progress, JSON.stringify(runs.at(-1)) + '\n'); // each run as it ends (JSON lines), for long sweeps
          console.error(`seed ${first + k}: ${runs.at(-1)!.safe ? 'safe' : 'UNSAFE'}, ${runs.at(-1)!.tasksDone} tasks done`);
        }
        const sw = sweepEconomics(runs);
        if (values.json) console.log(JSON.stringify(sw, null, 2));
        const say = values.json ? console.error : console.log;
        say(`p = ${sw.p}, ${runs.length} seeds (${sw.unsafe.length ? `UNSAFE: ${sw.unsafe.join(',')}` : 'all safe: quorum, selection, no honest node slashed, books exact'}); gain per task = Σ net / Σ C of assignments:`);
        for (const [name, x] of Object.entries(sw.strategies)) say(`  ${name.padEnd(9)} ${x.nodes} node(s): ${x.assignments} assignments (asserted ${x.asserted}, sampled ${x.sampled}), gain ${x.gainPerTaskC.toFixed(3)} ± ${x.stderrC.toFixed(3)} C, over honest work ${x.overHonestPerTaskC.toFixed(3)} ± ${x.overHonestStderrC.toFixed(3)} C, net ${(Number(x.net) / 1e6).toFixed(2)} USDC, ${x.slashes} slashes, ${x.lapses} lapses`);
        if (sw.unfinished.length) console.error(`note: seeds ${sw.unfinished.join(',')} ended with executions unfinished; lengthen --duration-ms`);
        return sw.unsafe.length ? 1 : 0;
      }
      const r = await runChainSim(chainOptions(first), sc.durationMs);
      emit(r, `${r.safe ? 'safe' : 'UNSAFE'}: seed ${r.seed}, ${sc.n} oracles: ${r.assigned}/${r.requests} requests assigned (p50 ${ms(r.assignmentLatencyMs.p50)}, p99 ${ms(r.assignmentLatencyMs.p99)} virtual), `
        + `${r.assignmentsChecked} assignments checked, ${r.foreignVotes} foreign votes, ${r.tasksDone} tasks done, ${r.executionsDone} executions completed, ${r.reassigned} reassigned`
        + (r.computeRuns !== null ? `, ${r.computeRuns} compute runs` : '')
        + (r.executionsDone ? `; makespan ${r.makespanMs === null ? 'n/a (not all finished)' : ms(r.makespanMs)}, completion p50 ${ms(r.completionMs.p50)} max ${ms(r.completionMs.max)} (priority ${contention.priority ?? 'critical-path'})` : ''));
      const ec = r.economics;
      if (ec) {
        const say = values.json ? console.error : console.log;
        say(`p = ${ec.p}: ${r.tasksDone} tasks done, ${r.executionsDone}/${r.requests} executions (${r.executionsFailed} failed), ${r.reassigned} reassigned; gain per task = net / Σ C of assignments:`);
        for (const [name, x] of Object.entries(ec.strategies)) say(`  ${name.padEnd(9)} ${x.nodes} node(s): ${x.assignments} assignments, gain ${x.gainPerTaskC.toFixed(3)} C, over honest work ${x.overHonestPerTaskC.toFixed(3)} C, net ${(Number(x.net) / 1e6).toFixed(2)} USDC, ${x.slashes} slashes, ${x.lapses} lapses, ${x.slashedNodes} slashed below stake`);
      }
      if (!r.safe) console.error(`UNSAFE (seed ${r.seed}): ${JSON.stringify(r.violations.slice(0, 5))}`);
      return r.safe ? 0 : 1;
    }
    case 'chaos': {
      if (!values.scenario) throw new UsageError('chaos needs --scenario FILE (partitions and crashes to apply to real processes)');
      const sc = scenarioOf(values);
      const [{ checkChaosScenario, runChaos }, { netnsUnavailable }] = await Promise.all([import('../sim/chaos.js'), import('../common/netns.js')]);
      try { checkChaosScenario(sc); } catch (e) { throw new UsageError((e as Error).message); }
      const why = netnsUnavailable();
      if (why) throw new UsageError(`sim chaos: ${why}`);
      const data = values.dir ? resolve(values.dir) : mkdtempSync(join(tmpdir(), 'splitup-chaos-'));
      const r = await runChaos(sc, { dir: data, log: (m) => { if (values.verbose || !m.startsWith('[oracle')) console.error(m); } });
      if (values.out) {
        const out = resolve(values.out);
        mkdirSync(out, { recursive: true });
        writeFileSync(join(out, 'chaos.json'), JSON.stringify(r, null, 2) + '\n');
        writeFileSync(join(out, 'chaos-heads.svg'), lineChart({
          title: `Committed round per oracle (${r.events.map((e) => `${e.kind} @${(e.atMs / 1000).toFixed(1)} s`).join(', ')})`.slice(0, 90), xLabel: 'time since start (s)', yLabel: 'newest committed round',
          series: Array.from({ length: r.n }, (_, i) => ({ name: `oracle ${i}`, points: r.heads.filter((s) => s.heads[i]! >= 0).map((s) => [+(s.atMs / 1000).toFixed(2), s.heads[i]!] as [number, number]) })),
        }));
      }
      const { heads, ...summary } = r;
      emit({ ...summary, samples: heads.length, data }, `${r.safe ? 'safe' : 'UNSAFE'}: ${r.n} oracle processes, ${r.events.length} schedule events, ${heads.length} samples; `
        + `recovery after each heal ${r.recoveryMs.map((x) => ms(x.ms)).join(', ') || '-'}${values.out ? `; report in ${resolve(values.out)}` : ''}`);
      if (!r.safe) console.error(`VIOLATIONS: ${JSON.stringify(r.violations)}`);
      if (!values.dir) rmSync(data, { recursive: true, force: true });
      return r.safe ? 0 : 1;
    }
    case 'economics': {
      const num = (k: keyof typeof SEED_ECONOMICS) => (values[k] === undefined ? SEED_ECONOMICS[k] : Number(values[k]));
      const r = economics({ p: num('p'), r: num('r'), R: num('R'), S: num('S'), C: num('C') }, Number(values.tasks ?? 100_000), Number(values.seed ?? 1));
      const formulas = strategyFormulas({ p: r.params.p, R: r.params.R / r.params.C, S: r.params.S / r.params.C, nodes: 11 });
      if (values.json) console.log(JSON.stringify({ ...r, strategies: formulas }, null, 2));
      const say = values.json ? console.error : console.log;
      say(`per strategy, expected gain per task in its role under the program's payouts (11 nodes): ${Object.entries(formulas).map(([k, x]) => `${k} ${x.toFixed(3)}`).join(', ')} C`);
      say(`p = ${r.params.p}: bound C/((1-r)(R+S)) = ${r.bound.toFixed(4)} → ${r.satisfied ? 'cheating does not pay' : 'CHEATING PAYS'}: expected gain per cheated task ${r.formulaGainPerTask.toFixed(4)} C (formula), ${r.monteCarlo.gainPerTask.toFixed(4)} ± ${r.monteCarlo.stderr.toFixed(4)} C (Monte Carlo, ${r.monteCarlo.tasks} tasks); under the program's payouts (a caught cheater also forfeits C) ${r.onChainGainPerTask.toFixed(4)} C (formula), ${r.monteCarlo.onChainGainPerTask.toFixed(4)} ± ${r.monteCarlo.onChainStderr.toFixed(4)} C (Monte Carlo)`);
      return 0;
    }
    default:
      console.log(USAGE);
      return cmd === undefined || cmd === '--help' || cmd === 'help' ? 0 : 2;
  }
}

await runMain(main, { usage: USAGE });
