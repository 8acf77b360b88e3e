// Heartbeat ingest throughput: a real oracle (fastify + level + signature
// verification) in this process, a load generator in a separate process on
// 127.0.0.1 (wrk with a Lua script when installed — `apt-get install wrk` —
// because a Node HTTP client costs as much CPU per request as the server and
// would take half of this 2-core machine; otherwise bench/heartbeat-load.ts),
// real Ed25519 signatures pre-signed by many registered nodes.
//   npx tsx bench/heartbeat.ts [--duration S] [--count N] [--nodes N] [--concurrency N] [--only LABEL-SUBSTRING]
// Reports per configuration: accepted heartbeats/s, accepted heartbeats per
// server CPU-second (process.cpuUsage of the oracle's process: main thread,
// verify workers, libuv threads), p50/p99 request latency, and ratios to raw
// single-core Ed25519 verify (node:crypto, and the intake's own verifier)
// measured in this same run before and after the runs; plus the load average,
// since the machine is shared.
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { heartbeatResponseSchema, signedHeartbeatSchema } from '../src/api/schemas.js';
import { toHex } from '../src/common/bytes.js';
import { Ed25519Signer, generateKeyPair } from '../src/common/ed25519.js';
import { signHeartbeat } from '../src/liveness/heartbeat-codec.js';
import { checkHeartbeatSignatureIntake, INTAKE_VERIFIER, parseSignedHeartbeat } from '../src/liveness/verify.js';
import { loadavg } from 'node:os';
import { CONFIG_VERSION, resolveConfig } from '../src/oracle/config.js';
import { generateOracleKeys, writeOracleKeys } from '../src/oracle/keys.js';
import { Oracle } from '../src/oracle/oracle.js';
import { formatRegistry } from '../src/registry/file-registry.js';
import { toBase58 } from '../src/common/bytes.js';
import { tempDir } from '../test/helpers/oracle.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '6' }, count: { type: 'string', default: '150000' }, nodes: { type: 'string', default: '5000' }, concurrency: { type: 'string', default: '64' }, only: { type: 'string' } } });
const duration = Number(values.duration), count = Number(values.count), nodeCount = Number(values.nodes), concurrency = Number(values.concurrency);

/** Single-thread rate of `fn`: per wall-clock second and per CPU-second of this process (only this thread is busy meanwhile). */
function measure(fn: () => void, ms = 1500): { perSec: number; perCpuSec: number } {
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < ms) { fn(); n++; }
  const wall = (performance.now() - t0) / 1000, c = process.cpuUsage(c0);
  return { perSec: n / wall, perCpuSec: n / ((c.user + c.system) / 1e6) };
}

function rawVerifyRate() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const msg = Buffer.alloc(74, 1);
  const sig = sign(null, msg, privateKey);
  return measure(() => { verify(null, msg, publicKey, sig); });
}

/** The verifier the intake path uses (libsodium where sodium-native loads), on one core. */
function rawIntakeVerifyRate() {
  const seed = generateKeyPair();
  const signer = new Ed25519Signer(seed.secretKey);
  const hb = parseSignedHeartbeat(signHeartbeat(signer, { timestamp: 1, seq: 1n, nodeStatus: 'idle', hasCapacity: true, vramFreeMb: 1 }));
  if (!hb.ok) throw new Error('bench heartbeat malformed');
  return measure(() => { if (!checkHeartbeatSignatureIntake(hb)) throw new Error('bench signature invalid'); });
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

async function run(label: string, verifyWorkers: number, batch: number, stream = 0) {
  const d = join(dir, label);
  mkdirSync(d);
  writeOracleKeys(join(d, 'key.json'), generateOracleKeys());
  const config = resolveConfig({ version: CONFIG_VERSION, dataDir: d, keyFile: 'key.json', registryFile: '../registry.json', http: { host: '127.0.0.1', port: 0 }, heartbeat: { maxSkewMs: 600_000, rateBurst: 1000, ipRateLimitPerMinute: 0, verifyWorkers } }, d);
  const oracle = await Oracle.start(config, { logger: false });
  const cpu0 = process.cpuUsage(); // this process = the oracle: main thread, verify workers, libuv (level) threads
  const elu0 = performance.eventLoopUtilization(), wElu0 = oracle.pool?.utilization().now;
  const conns = batch > 1 ? 8 : concurrency;
  const child = stream
    ? spawn(process.execPath, ['--import', 'tsx', new URL('./heartbeat-stream-load.ts', import.meta.url).pathname, oracle.url, join(dir, 'single.jsonl'), String(stream > 1 ? 8 : concurrency), String(duration), String(stream)], { stdio: ['ignore', 'pipe', 'inherit'] })
    : haveWrk
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
  const cpu = process.cpuUsage(cpu0);
  const mainThreadBusy = performance.eventLoopUtilization(elu0).utilization, workersBusy = oracle.pool?.utilization(wElu0).busy ?? [];
  const serverCpuSeconds = (cpu.user + cpu.system) / 1e6;
  const accepted = (await oracle.metrics.heartbeatsAccepted.get()).values[0]?.value ?? 0;
  await oracle.close();
  if (code !== 0) throw new Error(`load generator failed (${code})`);
  const r = JSON.parse(out.trim().split('\n').pop()!);
  return { label, verifyWorkers, batch, transport: stream ? 'stream' : 'http', loadGenerator: stream ? 'node ws (one heartbeat in flight per stream)' : haveWrk ? 'wrk' : 'node', ...r, accepted, verifiedPerSec: accepted / r.seconds, serverCpuSeconds, acceptedPerServerCpuSecond: accepted / serverCpuSeconds, mainThreadBusy, workersBusy };
}

/**
 * The HTTP layer's own cost on this machine: a fastify server with the same heartbeat route schema
 * whose handler answers a constant (no parse, registry, verify or store). Its CPU per request is a
 * floor under the oracle's CPU per single-request heartbeat.
 */
async function httpFloor() {
  const app = Fastify({ logger: false });
  app.addSchema(signedHeartbeatSchema); app.addSchema(heartbeatResponseSchema);
  app.post('/api/heartbeat', { schema: { body: { $ref: 'SignedHeartbeatData#' }, response: { 200: { $ref: 'HeartbeatResponse#' } } } }, async () => ({ success: true, message: 'heartbeat accepted', timestamp: 1, status: 'online', seq: '1' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const cpu0 = process.cpuUsage();
  const child = spawn('wrk', ['-t1', `-c${concurrency}`, `-d${duration}s`, '--timeout', '10s', '-s', new URL('./heartbeat-wrk.lua', import.meta.url).pathname, `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HB_BODIES: join(dir, 'single.jsonl'), HB_THREADS: '1', HB_PATH: '/api/heartbeat' },
  });
  let out = '';
  child.stdout!.on('data', (c) => { out += c; });
  await new Promise((r) => child.on('exit', r));
  const cpu = process.cpuUsage(cpu0);
  await app.close();
  const r = JSON.parse(out.trim().split('\n').pop()!);
  return { requestsPerSec: r.requests / r.seconds, cpuMicrosPerRequest: (cpu.user + cpu.system) / r.requests, p99Ms: r.p99Ms };
}

// Raw single-core verify rates before and after the runs (the machine is shared: the spread shows the drift).
const load0 = loadavg()[0];
const rawBefore = { nodeCrypto: rawVerifyRate(), intake: rawIntakeVerifyRate() };
const runs = [];
const configs = [
  ['single-request, verify on main thread', 0, 1], ['single-request, 1 verify worker', 1, 1], ['single-request, 2 verify workers', 2, 1],
  ['batch of 64, verify on main thread', 0, 64], ['batch of 64, 1 verify worker', 1, 64], ['batch of 64, 2 verify workers', 2, 64],
  ['stream, verify on main thread', 0, 1, 1], ['stream, 1 verify worker', 1, 1, 1],
  ['stream pipelined 8 x 8, verify on main thread', 0, 1, 8],
] as const;
for (const [label, workers, batch, stream] of configs) {
  if (values.only && !label.includes(values.only)) continue;
  const r = await run(label.replace(/[^a-z0-9]+/gi, '-'), workers, batch, stream ?? 0);
  runs.push({ ...r, label });
}
const floor = haveWrk && !values.only ? await httpFloor() : null;
const rawAfter = { nodeCrypto: rawVerifyRate(), intake: rawIntakeVerifyRate() };
const load1 = loadavg()[0];
// The ratios use the mean of the before/after raw rates: accepted/s against raw verifies per
// wall-clock second, accepted per server CPU-second against raw verifies per CPU-second.
const mean = (k: 'nodeCrypto' | 'intake', f: 'perSec' | 'perCpuSec') => (rawBefore[k][f] + rawAfter[k][f]) / 2;
const raw = { nodeCryptoPerSec: mean('nodeCrypto', 'perSec'), nodeCryptoPerCpuSec: mean('nodeCrypto', 'perCpuSec'), intakePerSec: mean('intake', 'perSec'), intakePerCpuSec: mean('intake', 'perCpuSec') };
for (const r of runs) {
  Object.assign(r, {
    acceptedPerSecVsRawNodeVerify: r.verifiedPerSec / raw.nodeCryptoPerSec,
    acceptedPerCpuSecondVsRawNodeVerify: r.acceptedPerServerCpuSecond / raw.nodeCryptoPerCpuSec,
    acceptedPerCpuSecondVsRawIntakeVerify: r.acceptedPerServerCpuSecond / raw.intakePerCpuSec,
  });
  console.log(`${r.label.padEnd(40)} ${r.verifiedPerSec.toFixed(0).padStart(6)} accepted/s (${(r.verifiedPerSec / raw.nodeCryptoPerSec).toFixed(2)}× raw node:crypto verify/s)  ${r.acceptedPerServerCpuSecond.toFixed(0).padStart(6)} per server CPU-s (${(r.acceptedPerServerCpuSecond / raw.nodeCryptoPerCpuSec).toFixed(2)}× raw node:crypto, ${(r.acceptedPerServerCpuSecond / raw.intakePerCpuSec).toFixed(2)}× raw ${INTAKE_VERIFIER} verify per CPU-s)  p50 ${r.p50Ms.toFixed(1)} ms  p99 ${r.p99Ms.toFixed(1)} ms  busy: main ${(r.mainThreadBusy * 100).toFixed(0)}%${r.workersBusy.map((b: number, i: number) => `, worker ${i + 1} ${(b * 100).toFixed(0)}%`).join('')}`);
}
const f = (x: { perSec: number; perCpuSec: number }) => `${x.perSec.toFixed(0)}/s (${x.perCpuSec.toFixed(0)} per CPU-s)`;
console.log(`raw Ed25519 verify, one core, before → after the runs: node:crypto ${f(rawBefore.nodeCrypto)} → ${f(rawAfter.nodeCrypto)}; intake (${INTAKE_VERIFIER}) ${f(rawBefore.intake)} → ${f(rawAfter.intake)}; 1-min load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on ${cpus().length} cores`);
if (floor) console.log(`HTTP floor (fastify, same route schema, constant answer): ${floor.requestsPerSec.toFixed(0)} requests/s, ${floor.cpuMicrosPerRequest.toFixed(0)} µs CPU per request (raw node:crypto verify: ${(1e6 / raw.nodeCryptoPerCpuSec).toFixed(0)} µs, ${INTAKE_VERIFIER}: ${(1e6 / raw.intakePerCpuSec).toFixed(0)} µs)`);
const result = { bench: 'heartbeat', loadGenerator: haveWrk ? 'wrk (1 thread)' : 'node', date: new Date().toISOString(), cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadAverage1m: { before: load0, after: load1 }, count, nodes: nodeCount, concurrency, intakeVerifier: INTAKE_VERIFIER, raw, rawBefore, rawAfter, httpFloor: floor, runs };
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/heartbeat.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
cleanup();
