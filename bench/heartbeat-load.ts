// Load generator for bench/heartbeat.ts, run as a separate process so its
// CPU is not charged to the oracle's event loop. Pre-signs every heartbeat
// before the clock starts, then sends them over keep-alive connections.
//   tsx bench/heartbeat-load.ts <url> <seedsFile> <count> <concurrency> <batch>
// Prints one JSON line: {sent, accepted, rejected, seconds, p50Ms, p99Ms}.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Ed25519Signer } from '../src/common/ed25519.js';
import { fromHex } from '../src/common/bytes.js';
import { signHeartbeat } from '../src/liveness/heartbeat-codec.js';

const [url, seedsFile, countS, concS, batchS] = process.argv.slice(2);
const count = Number(countS), concurrency = Number(concS), batch = Number(batchS);
const signers = (JSON.parse(readFileSync(seedsFile!, 'utf8')) as string[]).map((s) => new Ed25519Signer(fromHex(s)));
const now = Date.now();
// round-robin over nodes so one node's consecutive seqs are far apart in the stream
const bodies: string[] = [];
const items: string[] = [];
for (let i = 0; i < count; i++) {
  const s = signers[i % signers.length]!;
  items.push(JSON.stringify(signHeartbeat(s, { timestamp: now, seq: BigInt(Math.floor(i / signers.length) + 1), nodeStatus: 'idle', hasCapacity: true, vramFreeMb: 1024 })));
}
if (batch > 1) for (let i = 0; i < items.length; i += batch) bodies.push(`{"heartbeats":[${items.slice(i, i + batch).join(',')}]}`);
else bodies.push(...items);

const u = new URL(url!);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const path = batch > 1 ? '/api/heartbeats' : '/api/heartbeat';
const lat: number[] = [];
let accepted = 0, rejected = 0, next = 0;

function send(body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: u.hostname, port: u.port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        lat.push(performance.now() - t0);
        if (batch > 1) {
          const { results } = JSON.parse(Buffer.concat(chunks).toString());
          for (const r of results) if (r.success) accepted++; else rejected++;
        } else if (res.statusCode === 200) accepted++; else rejected++;
        resolve();
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function worker() { while (next < bodies.length) await send(bodies[next++]!); }
const t0 = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (performance.now() - t0) / 1000;
lat.sort((a, b) => a - b);
const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
console.log(JSON.stringify({ sent: count, requests: bodies.length, accepted, rejected, seconds, p50Ms: q(0.5), p99Ms: q(0.99) }));
agent.destroy();
