import t from 'tap';
import { spawnSync } from 'node:child_process';

const bin = new URL('../bin/sim.js', import.meta.url).pathname;
const sim = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

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
  const bad = sim('run', '--byzantine', '9:equivocate');
  t.equal(bad.status, 2);
  t.match(bad.stderr, /I < n/);
});
