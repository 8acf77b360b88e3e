import t from 'tap';
import { spawnSync } from 'node:child_process';

const bin = new URL('../bin/sim.js', import.meta.url).pathname;
const sim = (...args: string[]) => spawnSync(process.execPath, [bin, ...args, '--json'], { encoding: 'utf8' });
/** Without --json: the human summary alone. */
const simText = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

t.test('sim run: a partition scenario reproduces exactly from its seed', async (t) => {
  const args = ['run', '--n', '4', '--seed', '9', '--partition', '2500-5000:0,1|2,3', '--byzantine', '3:equivocate', '--drop', '0.05', '--duration-ms', '9000'];
  const a = sim(...args), b = sim(...args);
  t.equal(a.status, 0, a.stderr);
  const r = JSON.parse(a.stdout);
  t.match(r, { seed: 9, safe: true, violations: [], doubleSigns: 0 });
  t.ok(r.committedByAllHonest >= 4, `committed through ${r.committedByAllHonest}`);
  t.equal(a.stdout, b.stdout, 'same seed, same report');
});

t.test('sim sweep and usage errors', async (t) => {
  const s = sim('sweep', '--seeds', '5', '--n', '4', '--crash', '1@2000-3500', '--duration-ms', '5000');
  t.equal(s.status, 0, s.stderr);
  t.match(JSON.parse(s.stdout), { runs: 5, unsafe: [] });
  t.match(s.stderr, /^safe: 5\/5 seeds safe; every honest oracle committed through round \d+/m, 'with --json the summary goes to stderr');
  const h = simText('sweep', '--seeds', '2', '--n', '4', '--crash', '1@2000-3500', '--duration-ms', '5000');
  t.equal(h.status, 0, h.stderr);
  t.match(h.stdout, /^safe: 2\/2 seeds safe; every honest oracle committed through round \d+ at least \(median \d+\); [\d.]+ s, \d+ runs\/min\n$/, 'without --json: a one-line verdict');
  const bad = sim('run', '--byzantine', '9:equivocate');
  t.equal(bad.status, 2);
  t.match(bad.stderr, /I < n/);
});

t.test('sim economics: the seed\'s p = 0.08 lets cheating pay; p = 0.10 does not', async (t) => {
  const at = (p: string) => { const r = sim('economics', '--p', p, '--tasks', '200000'); t.equal(r.status, 0, r.stderr); return JSON.parse(r.stdout); };
  const seed = at('0.08'), ours = at('0.10');
  t.ok(Math.abs(seed.bound - 1 / (0.9 * 11.2)) < 1e-12, 'bound C/((1-r)(R+S)) = 0.0992');
  t.equal(seed.satisfied, false);
  t.ok(seed.formulaGainPerTask > 0.19 && seed.formulaGainPerTask < 0.2, 'cheating gains ~0.19 C per task at p = 0.08');
  t.ok(Math.abs(seed.monteCarlo.gainPerTask - seed.formulaGainPerTask) < 4 * seed.monteCarlo.stderr, 'Monte Carlo agrees with the formula');
  t.equal(ours.satisfied, true);
  t.ok(ours.formulaGainPerTask < 0, 'at p = 0.10 cheating loses in expectation');
});

t.test('sim report: JSON and SVG charts', async (t) => {
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const out = mkdtempSync(tmpdir() + '/splitup-report-');
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const r = sim('report', '--out', out, '--seeds', '2');
  t.equal(r.status, 0, r.stderr);
  const data = JSON.parse(readFileSync(out + '/report.json', 'utf8'));
  t.equal(data.recovery.length, 5);
  t.ok(data.recovery.every((x: { unsafe: number }) => x.unsafe === 0), 'every run safe');
  t.ok(data.recovery.filter((x: { partitionEpochs: number }) => x.partitionEpochs > 0).every((x: { recoveryMs: { max: number | null } }) => x.recoveryMs.max !== null), 'commits resume after every heal');
  t.equal(data.selection.assigned, data.selection.requests, 'every request assigned in the selection run');
  t.equal(data.selection.unsafe, 0);
  for (const f of ['recovery.svg', 'latency-vs-loss.svg', 'assignment-latency.svg', 'selection-fairness.svg']) t.match(readFileSync(`${out}/${f}`, 'utf8'), /^<svg [^>]*>[\s\S]*<polyline[\s\S]*<\/svg>\n$/, `${f} is a chart`);
});
