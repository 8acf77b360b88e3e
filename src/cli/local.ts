// `npm start`: a local committee on embedded defaults, for a first look.
// Generates (once) under ./.splitup/local: 4 oracle identities and configs, a
// node registry, and compute-node keys; starts the 4 oracle processes and
// the nodes' heartbeat services, and shows a live view of what every oracle
// believes about every node. One node is stopped after a while and restarted
// later so the online → suspect → offline → online transitions show.
// Ctrl-C (SIGINT) or SIGTERM stops everything cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SystemClock } from '../common/clock.js';
import { Ed25519Signer } from '../common/ed25519.js';
import { CONFIG_VERSION } from '../oracle/config.js';
import { generateOracleKeys, readOracleKeys, writeOracleKeys } from '../oracle/keys.js';
import { memberEntry } from '../oracle/member.js';
import { peerIdFromSeed } from '../p2p/libp2p.js';
import { COMMITTEE_VERSION } from '../consensus/committee.js';
import { formatRegistry } from '../registry/file-registry.js';
import { FileSeq, HeartbeatClient } from '../node/heartbeat-client.js';
import { readNodeKey, writeNodeKey } from '../node/keys.js';

const { values } = parseArgs({ options: {
  dir: { type: 'string', default: '.splitup/local' },
  oracles: { type: 'string', default: '4' },
  nodes: { type: 'string', default: '6' },
  'base-port': { type: 'string', default: '7700' },
  'interval-ms': { type: 'string', default: '2000' },
  'duration-s': { type: 'string' },
} });
const dir = resolve(values.dir!);
const nOracles = Number(values.oracles), nNodes = Number(values.nodes), basePort = Number(values['base-port']), intervalMs = Number(values['interval-ms']);
if (!(nOracles >= 1 && nNodes >= 1 && intervalMs >= 100)) { console.error('error: --oracles ≥ 1, --nodes ≥ 1, --interval-ms ≥ 100'); process.exit(2); }

// ---- first run: generate identities and configs
mkdirSync(dir, { recursive: true, mode: 0o700 });
const nodeKeys = Array.from({ length: nNodes }, (_, i) => {
  const f = join(dir, 'nodes', `node-${i + 1}.json`);
  if (!existsSync(f)) writeNodeKey(f);
  return readNodeKey(f);
});
writeFileSync(join(dir, 'registry.json'), formatRegistry(nodeKeys.map((k, i) => ({ nodeId: k.nodeId, active: true, specializations: [1 + (i % 3)] }))));
const oracleDirs = Array.from({ length: nOracles }, (_, i) => {
  const d = join(dir, `oracle-${i + 1}`);
  mkdirSync(d, { recursive: true, mode: 0o700 });
  if (!existsSync(join(d, 'oracle-key.json'))) writeOracleKeys(join(d, 'oracle-key.json'), generateOracleKeys());
  writeFileSync(join(d, 'oracle.json'), JSON.stringify({
    version: CONFIG_VERSION, dataDir: '.', keyFile: 'oracle-key.json', registryFile: '../registry.json',
    http: { host: '127.0.0.1', port: basePort + i },
    heartbeat: { intervalMs, graceMs: Math.floor(intervalMs / 4) },
    log: { level: 'warn' },
  }, null, 2) + '\n');
  return d;
});
const urls = oracleDirs.map((_, i) => `http://127.0.0.1:${basePort + i}`);
const p2pAddrs = oracleDirs.map((_, i) => `/ip4/127.0.0.1/tcp/${basePort + 100 + i}`);

// ---- the committee file: members' public keys, peer ids and addresses; rounds of one heartbeat interval
const committeeFile = join(dir, 'committee.json');
const members = await Promise.all(oracleDirs.map(async (d, i) => {
  const keys = readOracleKeys(join(d, 'oracle-key.json'));
  return memberEntry(keys, `oracle-${i + 1}`, [p2pAddrs[i]!], urls[i]!, await peerIdFromSeed(keys.libp2pSeed));
}));
let previous: { members?: unknown; params?: { epochMs?: number } } = {};
try { previous = JSON.parse(readFileSync(committeeFile, 'utf8')); } catch { /* first run */ }
if (JSON.stringify(previous.members) !== JSON.stringify(members) || previous.params?.epochMs !== intervalMs) {
  writeFileSync(committeeFile, JSON.stringify({
    version: COMMITTEE_VERSION,
    params: { epochMs: intervalMs, genesisMs: Date.now() - (Date.now() % intervalMs), proposeTimeoutMs: 1000, prevoteTimeoutMs: 500, precommitTimeoutMs: 500, timeoutDeltaMs: 500, maxSkewMs: 2000, liveness: { intervalMs, missedForOffline: 3, graceMs: Math.floor(intervalMs / 4) } },
    members,
  }, null, 2) + '\n');
}
for (const d of oracleDirs) {
  const cfg = JSON.parse(readFileSync(join(d, 'oracle.json'), 'utf8'));
  writeFileSync(join(d, 'oracle.json'), JSON.stringify({ ...cfg, committeeFile: '../committee.json' }, null, 2) + '\n');
}

// ---- start oracles
const children: ChildProcess[] = oracleDirs.map((d, i) => {
  const c = spawn(process.execPath, [new URL('../../bin/oracle.js', import.meta.url).pathname, 'start', '--config', join(d, 'oracle.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
  c.stderr!.on('data', (b) => process.stderr.write(`[oracle-${i + 1}] ${b}`));
  return c;
});
async function ready(url: string): Promise<boolean> { try { return (await fetch(`${url}/readyz`)).ok; } catch { return false; } }
const deadline = Date.now() + 30_000;
while (!(await Promise.all(urls.map(ready))).every(Boolean)) {
  if (Date.now() > deadline || children.some((c) => c.exitCode !== null)) { console.error('error: oracles did not become ready; see messages above'); children.forEach((c) => c.kill('SIGTERM')); process.exit(1); }
  await new Promise((r) => setTimeout(r, 100));
}

// ---- start compute nodes' heartbeat services
const clients = nodeKeys.map((k, i) => new HeartbeatClient({
  signer: new Ed25519Signer(k.secretKey), oracles: urls, clock: SystemClock, seq: new FileSeq(join(dir, 'nodes', `node-${i + 1}.seq`)), intervalMs,
  state: () => ({ nodeStatus: 'idle', hasCapacity: true, vramFreeMb: 8192 * (1 + (i % 3)) }),
}));
clients.forEach((c) => c.start());
const started = Date.now();
let flapped: 'running' | 'stopped' | 'restarted' = 'running';

// ---- live view
const tty = process.stdout.isTTY;
const colour = (s: string) => (!tty ? s : s === 'online' ? `\x1b[32m${s}\x1b[0m` : s === 'suspect' ? `\x1b[33m${s}\x1b[0m` : `\x1b[31m${s}\x1b[0m`);
async function render() {
  const t = (Date.now() - started) / 1000;
  // the last node stops heartbeating for a while, then comes back
  if (flapped === 'running' && t > intervalMs * 2 / 1000) { flapped = 'stopped'; await clients[nNodes - 1]!.stop(); }
  else if (flapped === 'stopped' && t > intervalMs * 6 / 1000) { flapped = 'restarted'; clients[nNodes - 1]!.start(); }
  const views = await Promise.all(urls.map(async (u) => { try { return (await (await fetch(`${u}/api/nodes`)).json() as { nodes: Array<{ nodeId: string; status: string; lastSeq: string | null }> }).nodes; } catch { return null; } }));
  const lines = [`SplitUp local committee — ${nOracles} oracles, ${nNodes} nodes, heartbeat every ${intervalMs} ms — t=${t.toFixed(0)} s (Ctrl-C to stop)`, ''];
  lines.push('node'.padEnd(14) + urls.map((_, i) => `oracle-${i + 1}`.padEnd(11)).join(''));
  for (const k of nodeKeys) {
    lines.push(`${k.nodeId.slice(0, 10)}…  ` + views.map((v) => { const s = v?.find((n) => n.nodeId === k.nodeId)?.status ?? 'down'; return colour(s) + ' '.repeat(Math.max(1, 11 - s.length)); }).join(''));
  }
  lines.push('', `node ${nodeKeys[nNodes - 1]!.nodeId.slice(0, 10)}… heartbeats: ${flapped}`, '');
  const latest = await Promise.all(urls.map(async (u) => { try { const r = await fetch(`${u}/api/liveness/latest`); return r.ok ? await r.json() as { round: string; tableHash: string; entries: Array<{ status: string }>; certificate: { signatures: unknown[] } | null } : null; } catch { return null; } }));
  lines.push('committed liveness rounds (BFT over libp2p gossipsub):');
  latest.forEach((l, i) => lines.push(`  oracle-${i + 1}  ${l ? `round ${l.round}  table ${l.tableHash.slice(0, 16)}…  online ${l.entries.filter((e) => e.status === 'online').length}/${l.entries.length}  certificate ${l.certificate?.signatures.length ?? 0} signatures` : 'no round committed yet'}`));
  if (tty) process.stdout.write('\x1b[2J\x1b[H' + lines.join('\n') + '\n');
  else console.log(lines.join('\n'));
}
const view = setInterval(() => { render().catch(() => {}); }, tty ? 1000 : Math.max(1000, 2 * intervalMs));

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  clearInterval(view);
  await render().catch(() => {}); // final state as the summary
  await Promise.all(clients.map((c) => c.stop()));
  await Promise.all(children.map((c) => new Promise((r) => { if (c.exitCode !== null) return r(null); c.once('exit', r); c.kill('SIGTERM'); })));
  console.log(`\nstopped: ${nOracles} oracles and ${nNodes} nodes shut down cleanly; state kept in ${dir}`);
  process.exit(code);
}
process.once('SIGINT', () => { stop(); });
process.once('SIGTERM', () => { stop(); });
if (values['duration-s']) setTimeout(() => { stop(); }, Number(values['duration-s']) * 1000);
