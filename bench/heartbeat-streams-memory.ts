// Memory an oracle holds per open heartbeat stream (GET /api/heartbeat/stream): a real oracle in
// this process, N streams opened by a child process, each sending one heartbeat and then idling, as
// a node between heartbeats does. Reports heap and RSS per stream after a forced GC.
//   node --expose-gc --import tsx bench/heartbeat-streams-memory.ts [--streams N]
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { toBase58 } from '../src/common/bytes.js';
import { Ed25519Signer, generateKeyPair } from '../src/common/ed25519.js';
import { signHeartbeat } from '../src/liveness/heartbeat-codec.js';
import { CONFIG_VERSION, resolveConfig } from '../src/oracle/config.js';
import { generateOracleKeys, writeOracleKeys } from '../src/oracle/keys.js';
import { Oracle } from '../src/oracle/oracle.js';
import { formatRegistry } from '../src/registry/file-registry.js';
import { tempDir } from '../test/helpers/oracle.js';

if (process.argv[2] === 'client') {
  // the child: open the streams, one heartbeat each, report when all are answered, then idle
  const [url, file] = process.argv.slice(3);
  const bodies = JSON.parse((await import('node:fs')).readFileSync(file!, 'utf8')) as string[];
  const sockets: WebSocket[] = [];
  let answered = 0;
  for (let i = 0; i < bodies.length; i += 200) {
    await Promise.all(bodies.slice(i, i + 200).map((b) => new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`${url!.replace(/^http/, 'ws')}/api/heartbeat/stream`, { perMessageDeflate: false });
      sockets.push(ws);
      ws.once('open', () => ws.send(b));
      ws.once('message', (m) => { if (JSON.parse(m.toString()).success) answered++; resolve(); });
      ws.once('error', reject);
    })));
  }
  process.send!({ answered });
  process.on('message', () => { for (const s of sockets) s.terminate(); process.exit(0); });
} else {
  const { values } = parseArgs({ options: { streams: { type: 'string', default: '5000' } } });
  const n = Number(values.streams);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const { dir, cleanup } = tempDir('splitup-bench-');
  const keys = Array.from({ length: n }, () => generateKeyPair());
  writeFileSync(join(dir, 'registry.json'), formatRegistry(keys.map((k) => ({ nodeId: toBase58(k.publicKey), active: true, specializations: [1] }))));
  const now = Date.now();
  writeFileSync(join(dir, 'bodies.json'), JSON.stringify(keys.map((k) => JSON.stringify(signHeartbeat(new Ed25519Signer(k.secretKey), { timestamp: now, seq: 1n, nodeStatus: 'idle', hasCapacity: true, vramFreeMb: 1 })))));
  writeOracleKeys(join(dir, 'key.json'), generateOracleKeys());
  const config = resolveConfig({ version: CONFIG_VERSION, dataDir: dir, keyFile: 'key.json', registryFile: 'registry.json', http: { host: '127.0.0.1', port: 0 }, heartbeat: { maxSkewMs: 600_000, ipRateLimitPerMinute: 0, streamsPerIp: n + 10 } }, dir);
  const oracle = await Oracle.start(config, { logger: false });
  gc(); gc();
  const before = process.memoryUsage();
  const child = fork(new URL(import.meta.url).pathname, ['client', oracle.url, join(dir, 'bodies.json')], { execArgv: ['--import', 'tsx'] });
  const { answered } = await new Promise<{ answered: number }>((r) => child.once('message', r as never));
  gc(); gc();
  const after = process.memoryUsage();
  const streams = Number(/splitup_heartbeat_streams (\d+)/.exec(await (await fetch(`${oracle.url}/metrics`)).text())![1]);
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
  await oracle.close();
  cleanup();
  const per = (k: 'heapUsed' | 'rss' | 'external') => (after[k] - before[k]) / streams;
  const result = { bench: 'heartbeat-streams-memory', date: new Date().toISOString(), node: process.version, streams, answered, bytesPerStream: { heapUsed: per('heapUsed'), external: per('external'), rss: per('rss') }, note: 'includes each node\'s first heartbeat record (in memory and in level\'s memtable)' };
  console.log(`${streams} open streams (${answered} heartbeats accepted): per stream ${(per('heapUsed') / 1024).toFixed(1)} KiB heap, ${(per('external') / 1024).toFixed(1)} KiB external, ${(per('rss') / 1024).toFixed(1)} KiB RSS (with the node's first heartbeat record)`);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/heartbeat-streams-memory.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
}
