import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SystemClock } from '../src/common/clock.js';
import { Ed25519Signer } from '../src/common/ed25519.js';
import { FileSeq, HeartbeatClient, MemorySeq } from '../src/node/heartbeat-client.js';
import { readNodeKey, writeNodeKey } from '../src/node/keys.js';
import { Oracle } from '../src/oracle/oracle.js';
import { TestNode, waitFor } from './helpers/heartbeat.js';
import { makeOracleDir, tempDir } from './helpers/oracle.js';

async function twoOracles(t: { teardown: (fn: () => unknown) => void }, nodes: TestNode[]) {
  const oracles = [];
  for (let i = 0; i < 2; i++) {
    const { dir, cleanup } = tempDir();
    const { config } = makeOracleDir(dir, nodes, { rateBurst: 50, intervalMs: 200, graceMs: 50 });
    const o = await Oracle.start(config, { logger: false });
    t.teardown(async () => { await o.close(); cleanup(); });
    oracles.push(o);
  }
  return oracles;
}

t.test('client heartbeats reach every oracle each interval', async (t) => {
  const node = new TestNode();
  const oracles = await twoOracles(t, [node]);
  const rounds: number[] = [];
  const client = new HeartbeatClient({ signer: node.signer, oracles: oracles.map((o) => o.url), clock: SystemClock, seq: new MemorySeq(), intervalMs: 100, onRound: (outs) => rounds.push(outs.filter((o) => o.ok).length) });
  client.start();
  await waitFor(() => rounds.length >= 3, 5000);
  await client.stop();
  t.ok(rounds.every((n) => n === 2), 'every round accepted by both oracles');
  for (const o of oracles) t.equal(o.tracker.status(node.nodeId), 'online');
});

t.test('stream transport: one WebSocket per oracle carries every round; POST where an oracle refuses the stream', async (t) => {
  const node = new TestNode(), stranger = new TestNode();
  const oracles = await twoOracles(t, [node]);
  // the second oracle serves no streams (streamsPerIp 0 leaves the route out): the client POSTs there
  const { dir, cleanup } = tempDir();
  const { config } = makeOracleDir(dir, [node], { rateBurst: 50, intervalMs: 200, graceMs: 50, streamsPerIp: 0 });
  const plain = await Oracle.start(config, { logger: false });
  t.teardown(async () => { await plain.close(); cleanup(); });
  const rounds: Array<Array<{ ok: boolean; transport?: string }>> = [];
  const client = new HeartbeatClient({ signer: node.signer, oracles: [oracles[0]!.url, plain.url], clock: SystemClock, seq: new MemorySeq(), intervalMs: 100, transport: 'stream', onRound: (outs) => rounds.push(outs) });
  client.start();
  await waitFor(() => rounds.length >= 3, 10_000);
  await client.stop();
  t.ok(rounds.every((r) => r.every((o) => o.ok)), 'every round accepted by both oracles');
  t.ok(rounds.every((r) => r[0]!.transport === 'stream'), 'the streaming oracle got every heartbeat over the stream');
  t.ok(rounds.every((r) => r[1]!.transport === 'http'), 'the other one by POST');
  const metrics = await (await fetch(`${oracles[0]!.url}/metrics`)).text();
  t.match(metrics, /splitup_heartbeat_streams [01]\b/, 'one stream at most was open at the streaming oracle');
  t.equal(oracles[0]!.tracker.status(node.nodeId), 'online');
  t.equal(plain.tracker.status(node.nodeId), 'online');
  // a rejection over the stream is definitive (not retried) and carries the POST route's status and code
  const c2 = new HeartbeatClient({ signer: stranger.signer, oracles: [oracles[1]!.url], clock: SystemClock, seq: new MemorySeq(), transport: 'stream', sleep: async () => {} });
  const [o2] = await c2.beat();
  await c2.stop();
  t.match(o2, { ok: false, status: 403, code: 'UNREGISTERED_NODE', attempts: 1, transport: 'stream' });
});

t.test('retries with exponential backoff on retryable failures, not on rejections', async (t) => {
  const node = new TestNode();
  const waits: number[] = [];
  let calls = 0;
  const flaky: typeof fetch = async () => {
    calls++;
    if (calls < 3) return new Response(JSON.stringify({ code: 'STORE_UNAVAILABLE' }), { status: 503 });
    return new Response(JSON.stringify({ success: true }), { status: 200 });
  };
  const c = new HeartbeatClient({ signer: node.signer, oracles: ['http://127.0.0.1:1'], clock: SystemClock, seq: new MemorySeq(), fetchImpl: flaky, sleep: async (ms) => { waits.push(ms); }, retry: { attempts: 5, baseMs: 100, maxMs: 150 } });
  const [out] = await c.beat();
  t.match(out, { ok: true, attempts: 3, status: 200 });
  t.same(waits, [100, 150], 'doubling, capped');
  let rejected = 0;
  const c2 = new HeartbeatClient({ signer: node.signer, oracles: ['http://127.0.0.1:1'], clock: SystemClock, seq: new MemorySeq(), fetchImpl: async () => { rejected++; return new Response(JSON.stringify({ code: 'UNREGISTERED_NODE' }), { status: 403 }); }, sleep: async () => {} });
  const [o2] = await c2.beat();
  t.match(o2, { ok: false, status: 403, code: 'UNREGISTERED_NODE', attempts: 1 });
  t.equal(rejected, 1);
  const c3 = new HeartbeatClient({ signer: node.signer, oracles: ['http://127.0.0.1:1'], clock: SystemClock, seq: new MemorySeq(), sleep: async () => {}, retry: { attempts: 2, baseMs: 1, maxMs: 1 }, requestTimeoutMs: 1000 });
  const [o3] = await c3.beat();
  t.match(o3, { ok: false, attempts: 2, error: String }, 'connection refused reported after retries');
});

t.test('seq is persisted and strictly increasing across restarts', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const f = join(dir, 'seq.json');
  const a = new FileSeq(f);
  const s1 = a.next(1000), s2 = a.next(1000);
  t.ok(s2 > s1);
  const b = new FileSeq(f);
  t.ok(b.next(0) > s2, 'restart with a clock behind still increases');
  t.ok(new MemorySeq().next(5) === 5000n);
});

t.test('node CLI: keygen, id, heartbeat --once against a live oracle', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const keyFile = join(dir, 'node.json');
  const bin = new URL('../bin/node.js', import.meta.url).pathname;
  const kg = spawnSync(process.execPath, [bin, 'keygen', '--out', keyFile], { encoding: 'utf8' });
  t.equal(kg.status, 0, kg.stderr);
  const { nodeId } = JSON.parse(kg.stdout);
  t.equal(spawnSync(process.execPath, [bin, 'id', '--key', keyFile], { encoding: 'utf8' }).stdout.trim(), nodeId);
  t.equal(spawnSync(process.execPath, [bin, 'keygen', '--out', keyFile], { encoding: 'utf8' }).status, 2, 'refuses to overwrite');
  const key = readNodeKey(keyFile);
  const tn = new TestNode(key.secretKey);
  const [oracle] = await twoOracles(t, [tn]);
  const hb = await new Promise<ReturnType<typeof spawnSync>>((resolve) => {
    // async spawn so the in-process oracle can answer
    import('node:child_process').then(({ spawn }) => {
      const c = spawn(process.execPath, [bin, 'heartbeat', '--key', keyFile, '--oracles', oracle!.url, '--once', '--vram-free', '4096'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '';
      c.stdout.on('data', (d) => { out += d; });
      c.stderr.on('data', (d) => { err += d; });
      c.on('exit', (status) => resolve({ status, stdout: out, stderr: err } as any));
    });
  });
  t.equal(hb.status, 0, String(hb.stderr));
  t.match(JSON.parse(String(hb.stdout)).results[0], { ok: true, status: 200 });
  t.equal(oracle!.tracker.view(nodeId)?.vramFreeMb, 4096);
  const bad = spawnSync(process.execPath, [bin, 'heartbeat', '--key', keyFile, '--oracles', 'not a url'], { encoding: 'utf8' });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /not a URL/);
  t.throws(() => writeNodeKey(keyFile), /refusing/);
  t.ok(new Ed25519Signer(key.secretKey));
});
