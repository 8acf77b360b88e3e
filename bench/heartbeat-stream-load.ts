// Load generator for bench/heartbeat.ts's stream runs (GET /api/heartbeat/stream), run as a
// separate process so its CPU is not charged to the oracle. Each of `connections` WebSockets
// behaves like a node's stream: one heartbeat in flight, the next sent when its answer arrives.
// Bodies are the pre-signed heartbeats of the file (one JSON per line), in order, wrapping around.
// With a window w > 1, each stream keeps w heartbeats in flight (a relay carrying many nodes' heartbeats).
//   tsx bench/heartbeat-stream-load.ts <url> <bodiesFile> <connections> <seconds> [window]
// Prints one JSON line like the wrk script's: {requests, accepted, rejected, socketErrors, seconds, p50Ms, p99Ms}.
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';

const [url, file, connS, secS, windowS] = process.argv.slice(2);
const connections = Number(connS), seconds = Number(secS), window = Number(windowS ?? 1);
const bodies = readFileSync(file!, 'utf8').trim().split('\n');
const wsUrl = new URL('/api/heartbeat/stream', url!.replace(/^http/, 'ws'));
const lat: number[] = [];
let next = 0, accepted = 0, rejected = 0, socketErrors = 0;
const t0 = performance.now();
const end = t0 + seconds * 1000;

await Promise.all(Array.from({ length: connections }, () => new Promise<void>((resolve) => {
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
  const sentAt: number[] = [];
  const send = () => { sentAt.push(performance.now()); ws.send(bodies[next++ % bodies.length]!); };
  ws.on('open', () => { for (let i = 0; i < window; i++) send(); });
  ws.on('message', (m) => {
    lat.push(performance.now() - sentAt.shift()!);
    if ((JSON.parse(m.toString()) as { success: boolean }).success) accepted++; else rejected++;
    if (performance.now() < end) send(); else if (sentAt.length === 0) ws.close();
  });
  ws.on('error', () => { socketErrors++; });
  ws.on('close', () => resolve());
})));
const secondsTaken = (performance.now() - t0) / 1000;
lat.sort((a, b) => a - b);
const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0;
console.log(JSON.stringify({ requests: lat.length, accepted, rejected, socketErrors, seconds: secondsTaken, p50Ms: q(0.5), p99Ms: q(0.99) }));
