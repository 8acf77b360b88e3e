// `npm start` brings up the local committee: every oracle sees every node online and commits
// the same tables; Ctrl-C (SIGINT to the whole process group, as a terminal sends it) still
// yields the summary read from the chain and shuts every process down.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { freeBasePort, tempDir } from './helpers/oracle.js';
import { until } from './helpers/heartbeat.js';

t.test('local committee runs (tensors through the CAS server), shows every node online on every oracle, stops cleanly', { timeout: 220_000 }, async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const basePort = await freeBasePort(10000, 20000);
  const child = spawn(process.execPath, [new URL('../bin/local.js', import.meta.url).pathname, '--dir', dir, '--oracles', '3', '--nodes', '3', '--interval-ms', '500', '--slot-ms', '200', '--base-port', String(basePort), '--requests', '2', '--cheaters', '0', '--no-crash-node', '--cas-http'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => child.on('exit', r));
  // whatever fails below, the launcher stops its processes (they run in their own process groups)
  t.teardown(async () => { if (child.exitCode === null && !child.signalCode) { child.kill('SIGTERM'); await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]); } });
  const timer = setTimeout(() => child.kill('SIGKILL'), 210_000);
  // both requests done and every node online on every oracle in the newest frame, then Ctrl-C
  // (bounded for a loaded CI machine, where another test file's processes start alongside these)
  const lastFrame = () => out.split('SplitUp local committee').at(-1) ?? '';
  await until('both executions done and every node online', async () => /executions \[#+\] 2\/2/.test(lastFrame()) && lastFrame().split('\n').filter((l) => (l.match(/online/g) ?? []).length === 3).length === 3, 180_000, 200);
  process.kill(-child.pid!, 'SIGINT');
  const code = await exited;
  clearTimeout(timer);
  t.equal(code, 0, err);
  const frames = out.split('SplitUp local committee').slice(1);
  t.ok(frames.length >= 1, 'rendered at least one frame');
  const last = frames[frames.length - 1]!;
  const rows = last.split('\n').filter((l) => l.includes('…  ') && !l.trimStart().startsWith('oracle-'));
  t.equal(rows.length, 3, 'one row per node');
  t.ok(rows.every((r) => (r.match(/online/g) ?? []).length === 3), 'every node online on all 3 oracles');
  t.ok(rows.every((r) => / active /.test(r)), 'every node registered and active on chain');
  t.match(out, /summary: 2\/2 executions done/, 'the summary is read from the chain after Ctrl-C');
  t.match(out, /audit of every selection on the ledger \((\d+) of \1 quorums, covering (\d+)\/\2 tasks: \d+ compute, \d+ reassignments, \d+ verification, \d+ arbiter\): \1\/\1 with q matching votes, \1\/\1 re-derived/);
  const before = out.split('SplitUp local committee')[0]!;
  t.match(before, /state: .* \(new: generating oracle identities[\s\S]*starting the local validator[\s\S]*setting up the chain[\s\S]*starting 3 oracles[\s\S]*starting 3 compute nodes[\s\S]*requesting 2 executions/, 'what is starting is said before the first screen');
  t.match(frames[0], /— t=0 s \(Ctrl-C to stop\)/, 'the clock starts at 0 with the first screen');
  t.match(out, /stopped: validator, 3 oracles and 3 compute nodes and the CAS server shut down/);
  // --cas-http: no shared directory; every tensor a node read that it did not write came through the server
  t.notOk(existsSync(join(dir, 'cas')), 'no directory shared by the processes');
  const blobs = (d: string) => existsSync(d) ? readdirSync(d).filter((f) => /^[0-9a-f]{2}$/.test(f)).flatMap((f) => readdirSync(join(d, f))).filter((f) => /^[0-9a-f]{64}$/.test(f)) : [];
  const served = new Set(blobs(join(dir, 'cas-server')));
  t.ok(served.size >= 2 + 2 * 4, `the server holds both model inputs and the accepted outputs (${served.size} blobs)`);
  const perNode = [1, 2, 3].map((i) => blobs(join(dir, 'nodes', `cas-${i}`)));
  t.ok(perNode.every((b) => b.every((h) => served.has(h))), 'every blob a node holds is on the server (written through or fetched from it)');
  t.ok(perNode.filter((b) => b.length > 0).length >= 2, `nodes keep their own copies (${perNode.map((b) => b.length).join(', ')} blobs)`);
  // the final frame: every oracle has committed rounds, and the same table for the same round
  const rounds = [...last.matchAll(/oracle-\d+ {2}round (\d+) {2}table ([0-9a-f]{16})/g)].map((m) => [m[1], m[2]]);
  t.equal(rounds.length, 3, 'every oracle reports a committed round');
  const byRound = new Map<string, Set<string>>();
  for (const [r, h] of rounds) byRound.set(r!, (byRound.get(r!) ?? new Set()).add(h!));
  for (const [r, hs] of byRound) t.equal(hs.size, 1, `round ${r}: one table`);
});
