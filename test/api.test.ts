import t from 'tap';
import { writeFileSync } from 'node:fs';
import { Oracle } from '../src/oracle/oracle.js';
import { formatRegistry } from '../src/registry/file-registry.js';
import { TestNode, waitFor } from './helpers/heartbeat.js';
import { makeOracleDir, tempDir } from './helpers/oracle.js';
import Fastify from 'fastify';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { closeWithin } from '../src/api/server.js';

const post = (url: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${url}/api/heartbeat`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: await r.json() as any }));

t.test('HTTP API over a real listener', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const a = new TestNode(), b = new TestNode(), stranger = new TestNode();
  const { config, registryFile } = makeOracleDir(dir, [a, b], { rateBurst: 3, rateRefillMs: 60_000, maxSkewMs: 5_000, intervalMs: 1000 });
  const oracle = await Oracle.start(config, { logger: false });
  t.teardown(() => oracle.close());
  const url = oracle.url;
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const now = Date.now();

  const ok = await post(url, a.heartbeat(now));
  t.equal(ok.status, 200);
  t.match(ok.body, { success: true, status: 'online', seq: '1', message: String });
  t.type(ok.body.timestamp, 'number');

  const cases: Array<[string, unknown, number, string]> = [
    ['replayed seq', a.heartbeat(now, { seq: 1n }), 409, 'REPLAYED_SEQ'],
    ['forged signature', (() => { const h = a.heartbeat(now); return { ...h, payload: { ...h.payload, vramFreeMb: 1 } }; })(), 401, 'BAD_SIGNATURE'],
    ['wrong key', { ...a.heartbeat(now), publicKey: b.nodeId }, 412, 'KEY_MISMATCH'],
    ['unregistered node', stranger.heartbeat(now), 403, 'UNREGISTERED_NODE'],
    ['stale timestamp', a.heartbeat(now - 60_000), 422, 'STALE_TIMESTAMP'],
    ['future timestamp', a.heartbeat(now + 60_000), 425, 'FUTURE_TIMESTAMP'],
    ['malformed: missing field', { payload: { nodeId: a.nodeId }, signature: 'aa', publicKey: a.nodeId }, 400, 'MALFORMED'],
    ['malformed: extra field', { ...a.heartbeat(now), extra: 1 }, 400, 'MALFORMED'],
    ['malformed: not JSON', '{"payload":', 400, 'MALFORMED'],
    ['oversized body', { ...a.heartbeat(now), pad: 'x'.repeat(4096) }, 413, 'PAYLOAD_TOO_LARGE'],
  ];
  for (const [name, body, status, code] of cases) {
    const r = await post(url, body);
    t.equal(r.status, status, `${name}: status`);
    t.match(r.body, { success: false, code, message: String, status: 'rejected' }, `${name}: body`);
  }
  const media = await post(url, 'hello', { 'content-type': 'text/plain' });
  t.equal(media.status, 415);
  t.equal(media.body.code, 'UNSUPPORTED_MEDIA_TYPE');

  // flood from one node: burst of 3 (one already used), then 429
  const flood = [];
  for (let i = 0; i < 6; i++) flood.push(await post(url, a.heartbeat(Date.now())));
  t.same(flood.map((r) => r.status), [200, 200, 429, 429, 429, 429]);
  t.equal(flood[2]!.body.code, 'RATE_LIMITED');
  t.equal((await post(url, b.heartbeat(Date.now()))).status, 200, 'another node is not limited');

  const nodes = await (await fetch(`${url}/api/nodes`)).json() as any;
  t.equal(nodes.nodes.length, 2);
  const one = await (await fetch(`${url}/api/nodes/${a.nodeId}`)).json() as any;
  t.match(one, { nodeId: a.nodeId, registered: true, active: true, status: 'online', lastSeq: flood[1]!.body.seq, nodeStatus: 'idle', specializations: [1] });
  const missing = await fetch(`${url}/api/nodes/${stranger.nodeId}`);
  t.equal(missing.status, 404);
  t.equal(((await missing.json()) as any).code, 'UNKNOWN_NODE');

  t.equal((await fetch(`${url}/healthz`)).status, 200);
  t.equal((await fetch(`${url}/readyz`)).status, 200);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  t.match(metrics, /splitup_heartbeats_accepted_total 4/);
  t.match(metrics, /splitup_heartbeats_rejected_total\{code="REPLAYED_SEQ"\} 1/);
  t.match(metrics, /splitup_heartbeats_rejected_total\{code="RATE_LIMITED"\} 4/);
  t.match(metrics, /splitup_heartbeats_rejected_total\{code="PAYLOAD_TOO_LARGE"\} 1/);
  t.match(metrics, /splitup_nodes\{status="online"\} 2/);
  t.match(metrics, /splitup_heartbeat_verify_seconds_count \d+/);
  const openapi = await (await fetch(`${url}/openapi.json`)).json() as any;
  t.ok(openapi.paths['/api/heartbeat'].post, 'OpenAPI documents the heartbeat route');
  t.ok(openapi.components.schemas.SignedHeartbeatData || openapi.components.schemas['def-0'], 'with its schema');
  t.equal((await fetch(`${url}/nope`)).status, 404);

  // registry file reload admits a new node
  writeFileSync(registryFile, formatRegistry([a, b, stranger].map((n) => ({ nodeId: n.nodeId, active: true, specializations: [2] }))));
  t.equal(oracle.registry.reload(), undefined);
  t.equal((await post(url, stranger.heartbeat(Date.now()))).status, 200, 'newly registered node accepted');
  // a broken registry file keeps the previous snapshot
  writeFileSync(registryFile, '{"version": "nope"}');
  t.type(oracle.registry.reload(), Error);
  t.ok(oracle.registry.get(stranger.nodeId), 'previous registry kept');
});

t.test('verify worker pool gives the same answers', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const nodes = Array.from({ length: 8 }, () => new TestNode());
  const { config } = makeOracleDir(dir, nodes, { verifyWorkers: 2, rateBurst: 100 });
  const oracle = await Oracle.start(config, { logger: false });
  t.teardown(() => oracle.close());
  const now = Date.now();
  const bodies = nodes.flatMap((n, i) => { const h = n.heartbeat(now); return i % 2 ? [h] : [{ ...h, payload: { ...h.payload, vramFreeMb: 3 } }]; });
  const rs = await Promise.all(bodies.map((b) => post(oracle.url, b)));
  t.same(rs.map((r) => r.status), nodes.map((_, i) => (i % 2 ? 200 : 401)));
  await waitFor(() => oracle.tracker.views().filter((v) => v.status === 'online').length === 4, 2000);
});

t.test('batch intake judges each heartbeat like the single route', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const a = new TestNode(), b = new TestNode(), stranger = new TestNode();
  const { config } = makeOracleDir(dir, [a, b], { rateBurst: 100 });
  const oracle = await Oracle.start(config, { logger: false });
  t.teardown(() => oracle.close());
  const now = Date.now();
  const r = await fetch(`${oracle.url}/api/heartbeats`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ heartbeats: [a.heartbeat(now), b.heartbeat(now), stranger.heartbeat(now), a.heartbeat(now, { seq: 1n })] }) });
  t.equal(r.status, 200);
  const { results } = await r.json() as any;
  t.same(results.map((x: any) => x.code ?? x.status), ['online', 'online', 'UNREGISTERED_NODE', 'REPLAYED_SEQ']);
  const tooMany = await fetch(`${oracle.url}/api/heartbeats`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ heartbeats: Array(257).fill(a.heartbeat(now)) }) });
  t.equal(tooMany.status, 400, 'more than maxBatch items rejected');
  t.equal(((await tooMany.json()) as any).code, 'MALFORMED');
});

t.test('closeWithin: a client holding a socket open without a request cannot stall shutdown', async (t) => {
  const app = Fastify();
  app.get('/x', async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const sock = connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const closedBySocket = new Promise((r) => sock.once('close', r));
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    closeWithin(app, 300).then(() => 'closed'),
    new Promise((r) => { timer = setTimeout(() => r('still waiting after 10 s'), 10_000); }),
  ]);
  clearTimeout(timer);
  t.equal(result, 'closed', 'close() returns after the grace period (plain app.close() waits ~70 s here)');
  await closedBySocket;
  t.pass('the idle client\'s socket was dropped');
});
