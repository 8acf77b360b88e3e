// `npm start -- --netns`: the committee (validator, oracles, CAS server) in one network namespace,
// each compute node in its own, joined by a veth pair: the nodes reach the committee only over
// their link (10.91.i.2 → 10.91.i.1) and share tensors only through the CAS server. Needs Linux,
// root and iproute2 (CI runs as root); skipped elsewhere, saying why.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { netnsUnavailable } from '../src/common/netns.js';
import { freeBasePort, tempDir } from './helpers/oracle.js';

const why = netnsUnavailable();
t.test('a committee with its compute nodes in separate network namespaces completes executions; the namespaces are deleted at the end', { timeout: 200_000, skip: why ?? false }, async (t) => {
  const { dir, cleanup } = tempDir('splitup-netns-');
  t.teardown(cleanup);
  const summaryFile = join(dir, 'summary.json'), local = join(dir, 'local');
  const requests = 2, nodes = 3;
  const child = spawn(process.execPath, [new URL('../bin/local.js', import.meta.url).pathname,
    '--netns', '--dir', local, '--base-port', String(await freeBasePort(20000, 30000)), '--oracles', '3', '--nodes', String(nodes), '--cheaters', '0', '--no-crash-node',
    '--interval-ms', '1000', '--slot-ms', '200', '--requests', String(requests), '--request-every-ms', '800', '--exit-when-done', '--summary', summaryFile],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', stderr = '';
  child.stdout.on('data', (b) => { out += b; });
  child.stderr.on('data', (b) => { stderr += b; });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  const killer = setTimeout(() => child.kill('SIGTERM'), 180_000); // the launcher still stops everything and deletes the namespaces
  t.teardown(() => clearTimeout(killer));
  const code = await exited;
  t.equal(code, 0, `the launcher exited cleanly\n${stderr.slice(-2000)}${out.slice(-1500)}`);
  const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
  t.equal(s.done, requests, 'every execution completed');
  t.equal(s.tensors, 'CAS server (a directory per node)');
  t.equal(s.network.nodes.length, nodes, 'a namespace per node');
  s.network.nodes.forEach((n: { namespace: string; address: string; committeeAddress: string }, i: number) => {
    t.match(n, { address: `10.91.${i + 1}.2`, committeeAddress: `10.91.${i + 1}.1` }, `node ${i + 1} reaches the committee over its own link`);
  });
  t.equal(s.audit.quorumOk, s.audit.checked, 'every selection had q matching votes');
  t.equal(s.audit.proofOk, s.audit.checked, 'every selected node is the one its ECVRF proof selects');
  t.ok(s.usdc.vaultMatchesBooks, 'vault = books');
  // each node kept its own directory: what it holds came through the CAS server
  const dirs = Array.from({ length: nodes }, (_, i) => join(local, 'nodes', `cas-${i + 1}`)).filter((d) => existsSync(d) && readdirSync(d).length > 0);
  t.ok(dirs.length >= 2, `the nodes' own tensor directories (${dirs.length} non-empty)`);
  t.match(out, /network namespaces deleted \(4\)/, 'the launcher deleted its namespaces');
  const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  t.notOk([s.network.committee, ...s.network.nodes.map((n: { namespace: string }) => n.namespace)].some((ns) => left.includes(ns)), 'none of them is left');
});
