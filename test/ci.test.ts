// .ci/test-summary: the closing "N passed, N failed" line is printed whether the tests pass or
// fail, and the script's exit status stays the test command's.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers/oracle.js';

const script = join(import.meta.dirname, '..', '.ci', 'test-summary');
const run = (js: string) => {
  const { dir, cleanup } = tempDir('splitup-ci-');
  try {
    const r = spawnSync('bash', [script, process.execPath, '-e', js], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, lines: r.stdout.trim().split('\n'), log: existsSync(join(dir, '.ci-test.log')) };
  } finally { cleanup(); }
};

t.test('a failing run still prints its summary and exits non-zero', async (t) => {
  const r = run('console.log("# { total: 5, pass: 3, fail: 2 }"); process.exit(3)');
  t.equal(r.lines.at(-1), '3 passed, 2 failed');
  t.equal(r.status, 3, 'the test command\'s exit status');
  t.ok(r.log, 'the output is kept in .ci-test.log');
});

t.test('a passing run prints its summary and exits 0', async (t) => {
  const r = run('console.log("# { total: 4, pass: 4 }")');
  t.equal(r.lines.at(-1), '4 passed, 0 failed');
  t.equal(r.status, 0);
});

t.test('no tap summary is a failure even when the command exits 0', async (t) => {
  const r = run('console.log("nothing here")');
  t.equal(r.status, 1);
});
