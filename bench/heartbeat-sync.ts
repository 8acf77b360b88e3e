// The cost of fsync'ed heartbeat acknowledgements (heartbeat.syncWrites), isolated from HTTP and
// signature checks: the heartbeat store's group-commit write (one level batch per group) with and
// without fsync, by group size. Per-heartbeat cost = batch latency / group size: under load the
// tracker's group commit makes groups large, so one fsync is shared by every heartbeat in it.
//   npx tsx bench/heartbeat-sync.ts [--writes N]     (results in bench/results/heartbeat-sync.json)
// The data directory is on the same file system as the repository (not a tmpfs), where an
// oracle's dataDir would normally be.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { openDb } from '../src/store/db.js';
import { LevelHeartbeatStore } from '../src/liveness/store.js';
import type { NodeRecord } from '../src/liveness/tracker.js';

const { values } = parseArgs({ options: { writes: { type: 'string', default: '200' } } });
const writes = Number(values.writes);
const base = new URL('./results/', import.meta.url).pathname;
mkdirSync(base, { recursive: true });
const dir = mkdtempSync(join(base, '.sync-bench-'));
const db = await openDb(dir);
// a record the size of a real one (the signed heartbeat is kept as evidence)
const record = (i: number): NodeRecord => ({
  lastSeq: BigInt(i), lastSeen: Date.now(), receivedAt: Date.now(),
  heartbeat: { payload: { nodeId: 'x'.repeat(44), timestamp: Date.now(), seq: String(i), nodeStatus: 'idle', hasCapacity: true, vramFreeMb: 1024 }, signature: 'ab'.repeat(64), publicKey: 'x'.repeat(44) },
});
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const rows = [];
for (const group of [1, 16, 64, 256]) {
  for (const sync of [false, true]) {
    const store = new LevelHeartbeatStore(db, { sync });
    const lat: number[] = [];
    const t0 = performance.now();
    for (let w = 0; w < writes; w++) {
      const batch = Array.from({ length: group }, (_, k) => [`node-${k}`, record(w * group + k)] as [string, NodeRecord]);
      const s = performance.now();
      await store.saveMany(batch);
      lat.push(performance.now() - s);
    }
    const secs = (performance.now() - t0) / 1000;
    lat.sort((a, b) => a - b);
    const row = { group, sync, batches: writes, p50Ms: +pct(lat, 50).toFixed(3), p99Ms: +pct(lat, 99).toFixed(3), heartbeatsPerSec: Math.round((writes * group) / secs), perHeartbeatUs: +((secs * 1e6) / (writes * group)).toFixed(1) };
    rows.push(row);
    console.log(`group ${String(group).padStart(3)} ${sync ? 'fsync   ' : 'no fsync'}  batch p50 ${row.p50Ms.toFixed(2).padStart(7)} ms  p99 ${row.p99Ms.toFixed(2).padStart(7)} ms  ${String(row.heartbeatsPerSec).padStart(8)} heartbeats/s  ${row.perHeartbeatUs} µs per heartbeat`);
  }
}
await db.close();
rmSync(dir, { recursive: true, force: true });
writeFileSync(join(base, 'heartbeat-sync.json'), JSON.stringify({ bench: 'heartbeat-sync', date: new Date().toISOString(), cpus: cpus().length, node: process.version, writes, rows }, null, 2) + '\n');
