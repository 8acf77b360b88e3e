// A real-process committee at scale (issue #14): 4 oracle processes (bin/oracle.js start) on
// loopback — real libp2p gossipsub, level, fastify — with N registered compute nodes (a registry
// file) and a load generator that signs and posts every node's heartbeat to every oracle once per
// heartbeat interval, spread evenly over it, in batches (POST /api/heartbeats). Reports, per round,
// whether every oracle committed it, the same table hash, how many nodes were online, and the
// oracles' CPU and memory.
//   npx tsx bench/committee-scale.ts [--nodes 100000] [--epoch-ms 10000] [--interval-ms 60000]
//                                    [--rounds 12] [--batch 250] [--dir DIR]
// The heartbeat interval is what this machine sustains: N / interval heartbeats per second, each
// verified by every oracle (4 × N / interval Ed25519 verifications per second, plus the signing).
// --readers K: for the second half of the measured rounds, K clients page through GET /api/nodes
// of oracle 0 without pause; the heartbeat posts' latency at oracle 0 is reported before and during.
// The generator signs with libsodium (sodium-native): 100,000 key pairs in seconds, not minutes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { toBase58, toHex } from '../src/common/bytes.js';
import { heartbeatSigningBytes, heartbeatToJson, type HeartbeatData } from '../src/liveness/heartbeat-codec.js';
import { CONFIG_VERSION } from '../src/oracle/config.js';
import { generateOracleKeys, writeOracleKeys } from '../src/oracle/keys.js';
import { COMMITTEE_VERSION } from '../src/consensus/committee.js';
import { REGISTRY_VERSION } from '../src/registry/file-registry.js';

const { values } = parseArgs({ options: {
  nodes: { type: 'string', default: '100000' }, 'epoch-ms': { type: 'string', default: '10000' }, 'interval-ms': { type: 'string', default: '60000' },
  rounds: { type: 'string', default: '12' }, batch: { type: 'string', default: '250' }, dir: { type: 'string' }, readers: { type: 'string', default: '8' },
} });
const N = Number(values.nodes), epochMs = Number(values['epoch-ms']), intervalMs = Number(values['interval-ms']);
const rounds = Number(values.rounds), batch = Number(values.batch);
const oracleBin = new URL('../bin/oracle.js', import.meta.url).pathname;
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'splitup-scale-'));
mkdirSync(dir, { recursive: true });
const log = (...a: unknown[]) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

async function freePort(): Promise<number> {
  return new Promise((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); }); });
}

// compute nodes: deterministic keys, one registry file for every oracle
const sodium = createRequire(import.meta.url)('sodium-native') as { crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void; crypto_sign_detached(sig: Uint8Array, m: Uint8Array, sk: Uint8Array): void };
const t0 = performance.now();
const keys = Array.from({ length: N }, (_, i) => {
  const pk = new Uint8Array(32), sk = new Uint8Array(64);
  sodium.crypto_sign_seed_keypair(pk, sk, new Uint8Array(createHash('sha256').update(`scale-node-${i}`).digest()));
  return { pk, sk };
});
const ids = keys.map((k) => toBase58(k.pk));
function signed(i: number, hb: Omit<HeartbeatData, 'nodeId'>): string {
  const full: HeartbeatData = { ...hb, nodeId: ids[i]! };
  const sig = new Uint8Array(64);
  sodium.crypto_sign_detached(sig, heartbeatSigningBytes(full, keys[i]!.pk), keys[i]!.sk);
  return JSON.stringify({ payload: heartbeatToJson(full), signature: toHex(sig), publicKey: ids[i] });
}
writeFileSync(join(dir, 'registry.json'), JSON.stringify({ version: REGISTRY_VERSION, nodes: ids.map((nodeId) => ({ nodeId, active: true, specializations: [1] })) }));
log(`${N} node keys and the registry file in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// four oracles: keys, configs, member info, the committee file
const n = 4;
const ports = await Promise.all(Array.from({ length: 2 * n }, freePort));
const members = [];
const heartbeat = { intervalMs, missedForOffline: 3, graceMs: 5000, maxSkewMs: 10_000, rateBurst: 6, rateRefillMs: Math.floor(intervalMs / 6) };
for (let i = 0; i < n; i++) {
  const d = join(dir, `oracle-${i}`);
  mkdirSync(d, { recursive: true });
  writeOracleKeys(join(d, 'oracle-key.json'), generateOracleKeys(), { overwrite: true });
  writeFileSync(join(d, 'oracle.json'), JSON.stringify({ version: CONFIG_VERSION, dataDir: '.', keyFile: 'oracle-key.json', registryFile: '../registry.json', committeeFile: '../committee.json', http: { host: '127.0.0.1', port: ports[i] }, heartbeat, log: { level: 'warn' } }));
  const r = spawnSync(process.execPath, [oracleBin, 'member-info', '--config', join(d, 'oracle.json'), '--p2p-addr', `/ip4/127.0.0.1/tcp/${ports[n + i]}`, '--http-url', `http://127.0.0.1:${ports[i]}`, '--name', `oracle-${i}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  members.push(JSON.parse(r.stdout));
}
const genesisMs = Math.floor(Date.now() / epochMs) * epochMs;
const params = { epochMs, genesisMs, proposeTimeoutMs: 2000, prevoteTimeoutMs: 1000, precommitTimeoutMs: 1000, timeoutDeltaMs: 1000, maxSkewMs: heartbeat.maxSkewMs, liveness: { intervalMs, missedForOffline: 3, graceMs: heartbeat.graceMs } };
writeFileSync(join(dir, 'committee.json'), JSON.stringify({ version: COMMITTEE_VERSION, params, members }, null, 2));

const procs: ChildProcess[] = [];
const stop = () => { for (const p of procs) p.kill('SIGTERM'); };
process.on('SIGINT', () => { stop(); process.exit(130); });
for (let i = 0; i < n; i++) {
  const p = spawn(process.execPath, [oracleBin, 'start', '--config', join(dir, `oracle-${i}`, 'oracle.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
  p.stderr!.on('data', (b) => process.stderr.write(`[oracle-${i}] ${b}`));
  procs.push(p);
}
const urls = ports.slice(0, n).map((p) => `http://127.0.0.1:${p}`);
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
function post(url: string, path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
async function getJson(url: string): Promise<any> {
  const r = await fetch(url);
  return r.ok ? r.json() : null;
}
const ready = async () => { for (const u of urls) { try { if (!(await fetch(`${u}/healthz`)).ok) return false; } catch { return false; } } return true; };
for (let k = 0; k < 600 && !(await ready()); k++) await new Promise((r) => setTimeout(r, 100));
log('4 oracles up');

// the load generator: node i heartbeats at phase (i / N) · interval, to every oracle, in batches
const seq = new Uint32Array(N);
let sent = 0, accepted = 0, rejected = 0;
const genCpu0 = process.cpuUsage();
let running = true;
const started = Date.now();
async function generate() {
  const tick = 250, perTick = Math.ceil((N * tick) / intervalMs);
  let next = 0;
  for (let at = Date.now(); running; at += tick) {
    const wait = at - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const items: string[] = [];
    for (let k = 0; k < perTick; k++, next = (next + 1) % N) {
      seq[next]!++;
      items.push(signed(next, { timestamp: Date.now(), seq: BigInt(seq[next]!), nodeStatus: 'idle', hasCapacity: true, vramFreeMb: 8192 }));
    }
    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < items.length; i += batch) {
      const body = `{"heartbeats":[${items.slice(i, i + batch).join(',')}]}`;
      for (const [oi, u] of urls.entries()) { const ts = performance.now(); sends.push(post(u, '/api/heartbeats', body).then((r) => {
        if (oi === 0) (readersOn ? latDuring : latBefore).push(performance.now() - ts);
        sent += Math.min(batch, items.length - i);
        if (r.status !== 200) { rejected += Math.min(batch, items.length - i); return; }
        for (const x of JSON.parse(r.body).results) if (x.success) accepted++; else rejected++;
      }, () => { rejected += Math.min(batch, items.length - i); })); }
    }
    await Promise.all(sends);
  }
}
const gen = generate();
// API readers: page through GET /api/nodes of oracle 0 until stopped
const latBefore: number[] = [], latDuring: number[] = [];
let readersOn = false, pagesRead = 0;
let readsRefused = 0;
async function reader() {
  let after: string | null = null;
  while (readersOn) {
    const r = await fetch(`${urls[0]}/api/nodes?limit=10000${after ? `&after=${after}` : ''}`).catch(() => null);
    if (!r) { await new Promise((res) => setTimeout(res, 1000)); continue; }
    if (r.status === 429) { // a well-behaved client: waits as told
      readsRefused++;
      await r.arrayBuffer();
      await new Promise((res) => setTimeout(res, 1000 * Number(r.headers.get('retry-after') ?? 1)));
      continue;
    }
    const body: any = await r.json().catch(() => null);
    if (!body) continue;
    pagesRead++; after = body.nextCursor;
  }
}
const readers: Array<Promise<void>> = [];

// rounds: watch every oracle's newest round (summary view: no entries)
const firstRound = Math.floor((Date.now() - genesisMs) / epochMs) + Math.ceil(intervalMs / epochMs) + 1;
const seen = new Map<string, Map<number, { hash: string; counts: Record<string, number> }>>();
const lastRoundWanted = firstRound + rounds - 1;
const deadline = genesisMs + (lastRoundWanted + 2) * epochMs + 60_000;
log(`measuring rounds ${firstRound}…${lastRoundWanted} (the first full heartbeat interval is warm-up)`);
while (Date.now() < deadline) {
  for (const [i, u] of urls.entries()) {
    const v = await getJson(`${u}/api/liveness/latest?view=summary`).catch(() => null);
    if (!v) continue;
    const m = seen.get(v.round) ?? new Map();
    m.set(i, { hash: v.tableHash, counts: v.counts });
    seen.set(v.round, m);
  }
  const newest = Math.max(...[...seen.keys()].map(Number));
  if (!readersOn && Number(values.readers) > 0 && newest >= firstRound + Math.floor(rounds / 2)) {
    readersOn = true;
    log(`${values.readers} API readers start paging GET /api/nodes of oracle 0`);
    for (let k = 0; k < Number(values.readers); k++) readers.push(reader());
  }
  const done = [...seen.keys()].map(Number).filter((r) => r >= lastRoundWanted && seen.get(String(r))!.size === n);
  if (done.length) break;
  await new Promise((r) => setTimeout(r, 1000));
}
running = false; readersOn = false;
await gen; await Promise.all(readers);
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]!) : null; };
const intake = { before: { posts: latBefore.length, p50Ms: pct(latBefore, 0.5), p99Ms: pct(latBefore, 0.99) }, duringReaders: { readers: Number(values.readers), pagesRead, readsRefused, posts: latDuring.length, p50Ms: pct(latDuring, 0.5), p99Ms: pct(latDuring, 0.99) } };
const genCpu = process.cpuUsage(genCpu0);
// every round committed by every oracle, with one hash: read each round from each oracle
const rows = [];
let allCommitted = true, agree = true;
for (let r = firstRound; r <= lastRoundWanted; r++) {
  const hashes = new Set<string>();
  let counts: Record<string, number> | null = null, got = 0;
  for (const u of urls) {
    const v = await getJson(`${u}/api/liveness/rounds/${r}?view=summary`).catch(() => null);
    if (!v) continue;
    got++; hashes.add(v.tableHash); counts = v.counts;
  }
  if (got < n) allCommitted = false;
  if (hashes.size > 1) agree = false;
  rows.push({ round: r, committedBy: got, tableHash: [...hashes][0]?.slice(0, 16), ...counts });
}
const usage = procs.map((p) => {
  try { const s = readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1]!.split(' '); const st = readFileSync(`/proc/${p.pid}/status`, 'utf8'); return { cpuS: (Number(s[11]) + Number(s[12])) / 100, rssMb: Number(/VmRSS:\s+(\d+)/.exec(st)?.[1] ?? 0) / 1024 }; } catch { return null; }
});
stop();
agent.destroy();
const secs = (Date.now() - started) / 1000;
const result = { at: new Date().toISOString(), cpus: cpus().length, nodes: N, oracles: n, epochMs, heartbeatIntervalMs: intervalMs, batch, rounds: rows, allCommitted, agree,
  heartbeats: { sent, accepted, rejected, perSecond: Math.round(sent / secs), generatorCpuS: (genCpu.user + genCpu.system) / 1e6 }, oracleProcesses: usage, intakeAtOracle0: intake, seconds: secs };
console.table(rows);
log(JSON.stringify({ allCommitted, agree, heartbeats: result.heartbeats, oracles: usage, intake }));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/committee-scale.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
if (!values.dir) rmSync(dir, { recursive: true, force: true });
process.exit(allCommitted && agree ? 0 : 1);
