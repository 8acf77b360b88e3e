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

t.test('npm start: --help (exit 0) and an unknown option (one line, exit 2)', async (t) => {
  const [help, bogus] = await Promise.all([run('local.js', ['--help']), run('local.js', ['--bogus'])]);
  t.equal(help.status, 0, help.stderr);
  t.match(help.stdout, /usage: npm start[\s\S]*--fresh[\s\S]*--base-port P/);
  noStack(t, help.stdout + help.stderr);
  t.equal(bogus.status, 2);
  t.match(bogus.stderr, /error: Unknown option '--bogus'.*\n?.*--help/);
  noStack(t, bogus.stderr);
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

t.test('a taken port: the validator\'s error is classified in-process; the oracle CLI names it, exit 2', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const port = await freePort();
  const srv = await hold(port);
  t.teardown(() => new Promise((r) => srv.close(r)));
  const { LocalValidator } = await import('../src/validator/server.js');
  const { loadProgramBinary } = await import('../src/chain/program.js');
  const { PublicKey } = await import('@solana/web3.js');
  const { describeFailure } = await import('../src/cli/args.js');
  const err = await LocalValidator.start({ dataDir: join(dir, 'v'), programs: [{ id: new PublicKey('SpLitUp111111111111111111111111111111111111'), so: loadProgramBinary() }], port, slotMs: 0 }).then(() => null, (e: unknown) => e);
  t.ok(err, 'the validator cannot listen');
  const f = describeFailure(err, { portHint: 'choose another with --port P' });
  t.same(f, { code: 2, message: `error: 127.0.0.1:${port} is already in use (another process is listening there); choose another with --port P` });
  // the oracle as a process: the whole path from its config to the message and the exit status
  mkdirSync(join(dir, 'o'));
  const { configFile } = makeOracleDir(join(dir, 'o'), [new TestNode()]);
  const o = await run('oracle.js', ['start', '--config', configFile], { SPLITUP_HTTP_PORT: String(port) });
  t.equal(o.status, 2);
  t.match(o.stderr, new RegExp(`error: 127\\.0\\.0\\.1:${port} is already in use.*http\\.port`));
  noStack(t, o.stderr);
});
