// Heartbeat ingest throughput: a real oracle (fastify + level + signature
// verification) in this process, a load generator in a separate process on
// 127.0.0.1 (wrk with a Lua script when installed — `apt-get install wrk` —
// because a Node HTTP client costs as much CPU per request as the server and
// would take half of this 2-core machine; otherwise bench/heartbeat-load.ts),
// real Ed25519 signatures pre-signed by many registered nodes.
//   npx tsx bench/heartbeat.ts [--duration S] [--count N] [--nodes N] [--concurrency N] [--sync]
// --sync measures the fsync'ed acknowledgement mode (heartbeat.syncWrites) against the default,
// single requests and batches, verify on the main thread (results/heartbeat-http-sync.json).
// Reports verified heartbeats/s, p50/p99 request latency, and the ratio to raw
// node:crypto verify/s measured in this same run on one core.
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { toHex } from '../src/common/bytes.js';
import { Ed25519Signer, generateKeyPair } from '../src/common/ed25519.js';
import { signHeartbeat } from '../src/liveness/heartbeat-codec.js';
import { CONFIG_VERSION, resolveConfig } from '../src/oracle/config.js';
import { generateOracleKeys, writeOracleKeys } from '../src/oracle/keys.js';
import { Oracle } from '../src/oracle/oracle.js';
import { formatRegistry } from '../src/registry/file-registry.js';
import { toBase58 } from '../src/common/bytes.js';
import { tempDir } from '../test/helpers/oracle.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '6' }, count: { type: 'string', default: '150000' }, nodes: { type: 'string', default: '5000' }, concurrency: { type: 'string', default: '64' }, sync: { type: 'boolean', default: false } } });
const duration = Number(values.duration), count = Number(values.count), nodeCount = Number(values.nodes), concurrency = Number(values.concurrency);

function rawVerifyRate(ms = 1500): number {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const msg = Buffer.alloc(74, 1);
  const sig = sign(null, msg, privateKey);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) { verify(null, msg, publicKey, sig); n++; }
  return n / ((performance.now() - t0) / 1000);
}

const { dir, cleanup } = tempDir('splitup-bench-');
const seeds = Array.from({ length: nodeCount }, () => generateKeyPair());
writeFileSync(join(dir, 'seeds.json'), JSON.stringify(seeds.map((k) => toHex(k.secretKey))));
writeFileSync(join(dir, 'registry.json'), formatRegistry(seeds.map((k) => ({ nodeId: toBase58(k.publicKey), active: true, specializations: [1] }))));

// Pre-signed bodies, one per line: single heartbeats, and batches of 64 for /api/heartbeats.
const signersForLoad = seeds.map((k) => new Ed25519Signer(k.secretKey));
const signedAt = Date.now();
const lines: string[] = [];
for (let i = 0; i < count; i++) {
  const s = signersForLoad[i % nodeCount]!;
  lines.push(JSON.stringify(signHeartbeat(s, { timestamp: signedAt, seq: BigInt(Math.floor(i / nodeCount) + 1), nodeStatus: 'idle', hasCapacity: true, vramFreeMb: 1024 })));
}
writeFileSync(join(dir, 'single.jsonl'), lines.join('\n') + '\n');
const batched: string[] = [];
for (let i = 0; i < lines.length; i += 64) batched.push(`{"heartbeats":[${lines.slice(i, i + 64).join(',')}]}`);
writeFileSync(join(dir, 'batch.jsonl'), batched.join('\n') + '\n');
const haveWrk = spawnSync('wrk', ['--version']).error === undefined;

async function run(label: string, verifyWorkers: number, batch: number, syncWrites = false) {
  const d = join(dir, label);
  mkdirSync(d);
  writeOracleKeys(join(d, 'key.json'), generateOracleKeys());
  const config = resolveConfig({ version: CONFIG_VERSION, dataDir: d, keyFile: 'key.json', registryFile: '../registry.json', http: { host: '127.0.0.1', port: 0 }, heartbeat: { maxSkewMs: 600_000, rateBurst: 1000, ipRateLimitPerMinute: 0, verifyWorkers, syncWrites } }, d);
  const oracle = await Oracle.start(config, { logger: false });
  const conns = batch > 1 ? 8 : concurrency;
  const child = haveWrk
    ? spawn('wrk', ['-t1', `-c${conns}`, `-d${duration}s`, '--timeout', '10s', '-s', new URL('./heartbeat-wrk.lua', import.meta.url).pathname, oracle.url], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, HB_BODIES: join(dir, batch > 1 ? 'batch.jsonl' : 'single.jsonl'), HB_THREADS: '1', HB_PATH: batch > 1 ? '/api/heartbeats' : '/api/heartbeat' },
    })
    : spawn(process.execPath, ['--import', 'tsx', new URL('./heartbeat-load.ts', import.meta.url).pathname, oracle.url, join(dir, 'seeds.json'), String(count), String(conns), String(batch)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c) => { out += c; });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await new Promise((r) => child.on('exit', r));
  clearTimeout(timeout);
  const accepted = (await oracle.metrics.heartbeatsAccepted.get()).values[0]?.value ?? 0;
  await oracle.close();
  if (code !== 0) throw new Error(`load generator failed (${code})`);
  const r = JSON.parse(out.trim().split('\n').pop()!);
  return { label, verifyWorkers, batch, syncWrites, loadGenerator: haveWrk ? 'wrk' : 'node', ...r, accepted, verifiedPerSec: accepted / r.seconds };
}

const rawVerifyPerSec = rawVerifyRate();
const runs = [];
const plan: ReadonlyArray<readonly [string, number, number, boolean]> = values.sync
  ? [['single-request, default acks', 0, 1, false], ['single-request, fsync\'ed acks', 0, 1, true], ['batch of 64, default acks', 0, 64, false], ['batch of 64, fsync\'ed acks', 0, 64, true]]
  : [['single-request, verify on main thread', 0, 1, false], ['single-request, 2 verify workers', 2, 1, false], ['batch of 64, verify on main thread', 0, 64, false], ['batch of 64, 2 verify workers', 2, 64, false]];
for (const [label, workers, batch, syncWrites] of plan) {
  const r = await run(label.replace(/[^a-z0-9]+/gi, '-'), workers, batch, syncWrites);
  runs.push({ ...r, label });
  console.log(`${label.padEnd(40)} ${r.verifiedPerSec.toFixed(0).padStart(7)} verified/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  (${r.accepted} accepted in ${r.seconds.toFixed(1)} s, ratio to raw 1-core verify ${(r.verifiedPerSec / rawVerifyPerSec).toFixed(2)})`);
}
console.log(`raw node:crypto Ed25519 verify, one core: ${rawVerifyPerSec.toFixed(0)}/s`);
const result = { bench: values.sync ? 'heartbeat-sync' : 'heartbeat', loadGenerator: haveWrk ? 'wrk (1 thread)' : 'node', date: new Date().toISOString(), cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, count, nodes: nodeCount, concurrency, rawVerifyPerSec, runs };
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL(values.sync ? './results/heartbeat-http-sync.json' : './results/heartbeat.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
cleanup();
