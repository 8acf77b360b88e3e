// The simulator CLI on the shipped scenario files: safe sweeps, the planted bug found and minimized.
// (Its own file: these sweeps are the slowest CLI runs.)
import t from 'tap';
import { spawnSync } from 'node:child_process';

const bin = new URL('../bin/sim.js', import.meta.url).pathname;
const sim = (...args: string[]) => spawnSync(process.execPath, [bin, ...args, '--json'], { encoding: 'utf8' });

t.test('scenario files: the shipped scenarios are safe, the planted bug is found and minimized', async (t) => {
  const dir = new URL('../scenarios/', import.meta.url).pathname;
  for (const f of ['partition-heal.json', 'byzantine-n7.json']) {
    const r = sim('sweep', '--scenario', dir + f, '--seeds', '5');
    t.equal(r.status, 0, `${f}: ${r.stderr}`);
    t.same(JSON.parse(r.stdout).unsafe, [], `${f}: no violation in 5 seeds`);
  }
  const planted = sim('sweep', '--scenario', dir + 'planted-quorum-bug.json', '--seeds', '5');
  t.equal(planted.status, 1, 'the sweep fails on the planted bug');
  t.match(planted.stderr, /^UNSAFE: \d\/5 seeds safe \(unsafe seeds: [\d, ]+; reproduce one with sim run --seed S/m, 'the verdict names the unsafe seeds');
  const unsafe = JSON.parse(planted.stdout).unsafe as Array<{ seed: number; violations: Array<{ kind: string }> }>;
  t.ok(unsafe.some((u) => u.violations.some((v) => v.kind === 'divergence')), 'two honest oracles committed different tables');
  const seed = String(unsafe.find((u) => u.violations.some((v) => v.kind === 'divergence'))!.seed);
  const min = sim('minimize', '--scenario', dir + 'planted-quorum-bug.json', '--seed', seed, '--kind', 'divergence');
  t.equal(min.status, 0, min.stderr);
  const m = JSON.parse(min.stdout);
  t.ok(m.report.violations.some((v: { kind: string }) => v.kind === 'divergence'), 'the minimized scenario still diverges with the same seed');
  t.same(m.scenario.byzantine, {}, 'the Byzantine oracle was not needed');
  t.equal(m.scenario.drop, 0, 'nor the loss');
  t.equal(m.scenario.crashes.length, 0, 'nor the crash');
  t.equal(m.scenario.partitions.length, 1, 'the partition is what makes two sides commit different tables');
  // any violation: a fault-free run already fails, because every certificate is one signature short
  const any = JSON.parse(sim('minimize', '--scenario', dir + 'planted-quorum-bug.json', '--seed', seed).stdout);
  t.equal(any.scenario.partitions.length, 0);
  t.ok(any.report.violations.some((v: { kind: string }) => v.kind === 'bad-certificate'), 'the certificate checker catches the bug without any fault');
  const bad = sim('run', '--scenario', dir + 'nope.json');
  t.equal(bad.status, 2);
});
