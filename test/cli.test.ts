// The CLIs' edges: --help everywhere (exit 0, no stack trace), a taken port named with the flag
// that changes it (exit 2), bad input as one line (exit 2), and `npm start`'s state options.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeBasePort, freePort, makeOracleDir, tempDir } from './helpers/oracle.js';
import { TestNode } from './helpers/heartbeat.js';

const bin = (f: string) => new URL(`../bin/${f}`, import.meta.url).pathname;
const run = (f: string, args: string[], env: Record<string, string> = {}) => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
  // asynchronous: a port held by this process must keep answering while the child runs
  const child = spawn(process.execPath, [bin(f), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  child.on('exit', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
});
const hold = (port: number) => new Promise<Server>((resolve, reject) => { const s = createServer(); s.once('error', reject); s.listen(port, '127.0.0.1', () => resolve(s)); });
const noStack = (t: { notMatch: (s: string, re: RegExp, m: string) => unknown }, s: string) => t.notMatch(s, /\n\s+at .+\(.*:\d+:\d+\)|ERR_PARSE_ARGS|ReferenceError/, 'no stack trace');

t.test('--help prints the usage and exits 0 (npm start, and a subcommand of a CLI)', async (t) => {
  // two real processes; every other CLI goes through the same parse()/runMain() tested below
  const cases: Array<[string, string[], RegExp]> = [
    ['local.js', ['--help'], /usage: npm start[\s\S]*--fresh[\s\S]*--base-port P/],
    ['oracle.js', ['start', '--help'], /usage: splitup-oracle/],
  ];
  const results = await Promise.all(cases.map(([f, args]) => run(f, args)));
  cases.forEach(([f, args, usage], i) => {
    const r = results[i]!;
    t.equal(r.status, 0, `${f} ${args.join(' ')}: exit 0 (${r.stderr})`);
    t.match(r.stdout, usage);
    noStack(t, r.stdout + r.stderr);
  });
});

t.test('parse/runMain: --help or -h anywhere → usage, exit 0; bad options → one line, exit 2', async (t) => {
  const { parse, runMain, HelpRequested, UsageError, addressInUse } = await import('../src/cli/args.js');
  for (const argv of [['--help'], ['--out', 'x', '-h'], ['-h', '--bogus']]) t.throws(() => parse(argv, { out: { type: 'string' } }), HelpRequested, argv.join(' '));
  t.throws(() => parse(['--bogus'], {}), UsageError);
  t.throws(() => parse(['--bogus'], {}), /see --help/);
  const logs: string[] = [];
  const log = console.log;
  console.log = (m: string) => { logs.push(m); };
  const before = process.exitCode;
  try { await runMain(async () => { parse(['--help'], {}); }, { usage: 'usage: demo' }); } finally { console.log = log; }
  t.same(logs, ['usage: demo']);
  t.equal(process.exitCode, 0);
  process.exitCode = before;
  // a taken address, as Node and libp2p report it
  t.equal(addressInUse(Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:7700'), { code: 'EADDRINUSE', address: '127.0.0.1', port: 7700 })), '127.0.0.1:7700');
  t.equal(addressInUse(new Error('failed', { cause: new Error('listen EADDRINUSE: address already in use 127.0.0.1:7801') })), '127.0.0.1:7801');
  t.equal(addressInUse(new Error('something else')), null);
});

t.test('an unknown option is one line and exit 2', async (t) => {
  const files = ['local.js', 'validator.js'];
  const results = await Promise.all(files.map((f) => run(f, [...(f === 'local.js' ? [] : ['start']), '--bogus'])));
  for (const [i, f] of files.entries()) {
    const r = results[i]!;
    t.equal(r.status, 2, f);
    t.match(r.stderr, /error: Unknown option '--bogus'.*\n?.*--help/);
    noStack(t, r.stderr);
  }
});

t.test('npm start on a taken port names the port and --base-port, exits 2, starts nothing', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const base = await freeBasePort(20000, 29000);
  const srv = await hold(base + 200);
  t.teardown(() => new Promise((r) => srv.close(r)));
  const r = await run('local.js', ['--dir', dir, '--base-port', String(base), '--oracles', '3', '--nodes', '3']);
  t.equal(r.status, 2);
  t.match(r.stderr, new RegExp(`port ${base + 200} on 127.0.0.1 \\(the local validator's JSON-RPC\\) is already in use`));
  t.match(r.stderr, /--base-port P/);
  noStack(t, r.stdout + r.stderr);
  t.notMatch(r.stdout + r.stderr, /summary/, 'no summary of a run that never started');
  t.notOk(existsSync(join(dir, 'validator')), 'nothing was started or created');
});

t.test('npm start --fresh refuses a directory it did not create', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  mkdirSync(join(dir, 'oracle-1'));
  writeFileSync(join(dir, 'precious.txt'), 'keep me');
  const r = await run('local.js', ['--dir', dir, '--fresh', '--base-port', String(await freeBasePort(20000, 29000))]);
  t.equal(r.status, 2);
  t.match(r.stderr, /holds files this launcher did not create \(precious\.txt\); not deleting it/);
  t.ok(existsSync(join(dir, 'precious.txt')) && existsSync(join(dir, 'oracle-1')), 'nothing deleted');
});

t.test('validator and oracle on a taken port: the address and how to change it, exit 2', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const port = await freePort();
  const srv = await hold(port);
  t.teardown(() => new Promise((r) => srv.close(r)));
  const v = await run('validator.js', ['start', '--dir', join(dir, 'v'), '--port', String(port)]);
  t.equal(v.status, 2);
  t.match(v.stderr, new RegExp(`error: 127\\.0\\.0\\.1:${port} is already in use.*--port P`));
  noStack(t, v.stderr);
  mkdirSync(join(dir, 'o'));
  const { configFile } = makeOracleDir(join(dir, 'o'), [new TestNode()]);
  const o = await run('oracle.js', ['start', '--config', configFile], { SPLITUP_HTTP_PORT: String(port) });
  t.equal(o.status, 2);
  t.match(o.stderr, new RegExp(`error: 127\\.0\\.0\\.1:${port} is already in use.*http\\.port`));
  noStack(t, o.stderr);
});
