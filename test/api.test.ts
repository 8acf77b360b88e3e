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
import { TokenBucket } from '../src/api/token-bucket.js';

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

t.test('GET /api/nodes pages through every registered node in id order with a cursor', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const nodes = Array.from({ length: 25 }, () => new TestNode());
  const { config } = makeOracleDir(dir, nodes, { intervalMs: 1000 });
  const oracle = await Oracle.start(config, { logger: false });
  t.teardown(() => oracle.close());
  const seen: string[] = [];
  let after: string | null = null, pages = 0;
  do {
    const r = await fetch(`${oracle.url}/api/nodes?limit=10${after ? `&after=${after}` : ''}`);
    t.equal(r.status, 200);
    const body = await r.json() as { nodes: Array<{ nodeId: string }>; nextCursor: string | null; total: number };
    t.equal(body.total, 25);
    t.ok(body.nodes.length <= 10, 'at most limit nodes per page');
    seen.push(...body.nodes.map((n) => n.nodeId));
    after = body.nextCursor;
    pages++;
  } while (after !== null && pages < 10);
  t.equal(pages, 3, '25 nodes in pages of 10');
  t.same(seen, nodes.map((n) => n.nodeId).sort(), 'every node once, in id order');
  const all = await (await fetch(`${oracle.url}/api/nodes`)).json() as { nodes: unknown[]; nextCursor: string | null };
  t.equal(all.nodes.length, 25, 'the default page holds 1000');
  t.equal(all.nextCursor, null);
  for (const q of ['limit=0', 'limit=10001', 'limit=x', 'after=', 'bogus=1']) {
    const bad = await fetch(`${oracle.url}/api/nodes?${q}`);
    t.equal(bad.status, 400, `${q}: 400`);
    t.equal(((await bad.json()) as { code: string }).code, 'MALFORMED', `${q}: machine-readable code`);
  }
});

t.test('GET /api/nodes shares one read budget across clients: beyond it 429 NODES_READ_BUDGET with Retry-After, and heartbeats are still taken', async (t) => {
  const budget = new TokenBucket(50, 10_000);
  t.equal(budget.take(10_000, 0), 0, 'a full burst');
  t.equal(budget.take(1, 0), 20, 'then one view per 20 ms');
  t.equal(budget.take(50, 1000), 0, 'a second later, 50 more');
  t.equal(new TokenBucket(0, 0).take(1e9, 0), 0, '0 per second: no limit');
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const nodes = Array.from({ length: 5 }, () => new TestNode());
  const { config } = makeOracleDir(dir, nodes, { intervalMs: 1000 });
  const oracle = await Oracle.start({ ...config, http: { ...config.http, nodesPerSecond: 50 } }, { logger: false });
  t.teardown(() => oracle.close());
  t.equal((await fetch(`${oracle.url}/api/nodes?limit=6000`)).status, 200, 'a page within the burst');
  const refused = await fetch(`${oracle.url}/api/nodes?limit=6000`);
  t.equal(refused.status, 429, 'the next one is over the budget');
  t.match(await refused.json(), { code: 'NODES_READ_BUDGET' });
  const retry = Number(refused.headers.get('retry-after'));
  t.ok(retry >= 39 && retry <= 41, `Retry-After ${retry} s: the 2,000 views missing at 50 per second`);
  const hb = await fetch(`${oracle.url}/api/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(nodes[0]!.heartbeat(Date.now())) });
  t.equal(hb.status, 200, 'heartbeats are not charged to the read budget');
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

  // one malformed item costs only its own result: the others are judged and accepted
  const mixed = await fetch(`${oracle.url}/api/heartbeats`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ heartbeats: [
    a.heartbeat(now), { ...b.heartbeat(now), extra: 1 }, { payload: { nodeId: b.nodeId }, signature: 'aa', publicKey: b.nodeId }, 'not a heartbeat', b.heartbeat(now),
  ] }) });
  t.equal(mixed.status, 200);
  const m = await mixed.json() as any;
  t.same(m.results.map((x: any) => x.code ?? x.status), ['online', 'MALFORMED', 'MALFORMED', 'MALFORMED', 'online']);
  t.match(m.results[1].message, /additional properties/);
  t.match(m, { accepted: 2, rejected: 3 });
  // whole-batch rejections count in the rejection metric, once per request
  const notJson = await fetch(`${oracle.url}/api/heartbeats`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"heartbeats": [' });
  t.equal(notJson.status, 400);
  const notArray = await fetch(`${oracle.url}/api/heartbeats`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ heartbeats: {} }) });
  t.equal(notArray.status, 400);
  t.equal(((await notArray.json()) as any).code, 'MALFORMED');
  const text = await fetch(`${oracle.url}/api/heartbeats`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
  t.equal(text.status, 415);
  const metrics = await (await fetch(`${oracle.url}/metrics`)).text();
  // item rejections: UNREGISTERED_NODE, REPLAYED_SEQ, 3 malformed items; whole batches: 257 items, not JSON, not an array
  t.match(metrics, /splitup_heartbeats_rejected_total\{code="MALFORMED"\} 6\n/, '3 malformed items and 3 malformed batches');
  t.match(metrics, /splitup_heartbeats_rejected_total\{code="UNSUPPORTED_MEDIA_TYPE"\} 1\n/);
  t.match(metrics, /splitup_heartbeats_accepted_total 4\n/);
});

t.test('u64 bounds: seq above 18446744073709551615 is malformed, the maximum is accepted', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const a = new TestNode();
  const { config } = makeOracleDir(dir, [a], { rateBurst: 100 });
  const oracle = await Oracle.start(config, { logger: false });
  t.teardown(() => oracle.close());
  const now = Date.now();
  const over = a.heartbeat(now, { seq: 1n });
  const r = await post(oracle.url, { ...over, payload: { ...over.payload, seq: '18446744073709551616' } });
  t.equal(r.status, 400);
  t.equal(r.body.code, 'MALFORMED');
  const max = await post(oracle.url, a.heartbeat(now, { seq: 2n ** 64n - 1n }));
  t.equal(max.status, 200, JSON.stringify(max.body));
});

t.test('an 8 MiB body sent without waiting for 100-continue gets the 413, not a broken pipe', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const a = new TestNode();
  const { config } = makeOracleDir(dir, [a]);
  const oracle = await Oracle.start(config, { logger: false });
  t.teardown(() => oracle.close());
  // a raw HTTP/1.1 client that writes the whole body in 64 KiB chunks and then reads the answer,
  // as curl does (Node's own client reads an early response, which hides the problem)
  const { port } = new URL(oracle.url);
  const body = Buffer.alloc(8 * 1024 * 1024, 0x20);
  const send = (path: string) => new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
    const sock = connect(Number(port), '127.0.0.1');
    let answer = '', failed = '';
    sock.on('data', (d) => { answer += d; });
    sock.on('error', (e) => { failed ||= String(e); }); // a write that fails: EPIPE / ECONNRESET
    sock.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})[^]*?\r\n\r\n([^]*)$/.exec(answer);
      resolve(failed ? { error: failed } : m ? { status: Number(m[1]), body: m[2]! } : { error: `no HTTP answer: ${answer.slice(0, 80)}` });
    });
    sock.write(`POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`);
    let off = 0;
    const pump = () => {
      while (off < body.length) {
        const chunk = body.subarray(off, off + 65536);
        off += chunk.length;
        if (!sock.write(chunk)) { sock.once('drain', pump); return; }
      }
    };
    pump();
  });
  for (const path of ['/api/heartbeat', '/api/heartbeats']) {
    const res = await send(path);
    t.notOk('error' in res, `${path}: the client read an answer (${'error' in res ? res.error : ''})`);
    if ('status' in res) {
      t.equal(res.status, 413, path);
      t.match(res.body, /"code":"PAYLOAD_TOO_LARGE"/);
    }
  }
  const metrics = await (await fetch(`${oracle.url}/metrics`)).text();
  t.match(metrics, /splitup_heartbeats_rejected_total\{code="PAYLOAD_TOO_LARGE"\} 2\n/, 'both counted');
});

t.test('OpenAPI document: valid OpenAPI 3.0, every status each route answers, servers', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const { config } = makeOracleDir(dir, [new TestNode()]);
  const oracle = await Oracle.start(config, { logger: false });
  t.teardown(() => oracle.close());
  const doc = await (await fetch(`${oracle.url}/openapi.json`)).json() as any;
  const { default: SwaggerParser } = await import('@apidevtools/swagger-parser');
  await t.resolves(SwaggerParser.validate(structuredClone(doc)), 'validated by @apidevtools/swagger-parser');
  t.ok(Array.isArray(doc.servers) && doc.servers.length >= 1, 'servers');
  const statuses = (path: string, method = 'get') => Object.keys(doc.paths[path]?.[method]?.responses ?? {}).sort();
  t.same(statuses('/api/heartbeat', 'post'), ['200', '400', '401', '403', '409', '412', '413', '415', '422', '423', '425', '429', '503']);
  t.same(statuses('/api/heartbeats', 'post'), ['200', '400', '413', '415', '429']);
  t.same(statuses('/readyz'), ['200', '503']);
  t.same(statuses('/healthz'), ['200']);
  t.ok(doc.paths['/metrics']?.get?.responses['200']?.content?.['text/plain'], '/metrics documented as text/plain');
  t.ok(doc.paths['/openapi.json']?.get, '/openapi.json documented');
  t.same(statuses('/api/nodes/{id}'), ['200', '404']);
  // the published seq pattern stops at u64 max
  const hb = doc.components.schemas.SignedHeartbeatData ?? Object.values(doc.components.schemas).find((x: any) => x.properties?.payload);
  const seqPattern = new RegExp(hb.properties.payload.properties.seq.anyOf[0].pattern);
  t.ok(seqPattern.test('18446744073709551615') && !seqPattern.test('18446744073709551616') && !seqPattern.test('99999999999999999999') && !seqPattern.test('01'), 'seq pattern bounded to u64');
  // the metrics page passes promtool's lint, when promtool is installed (.ci/run installs it)
  const { spawnSync } = await import('node:child_process');
  const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (promtool.error) t.comment('promtool not installed: the promtool check is skipped');
  else {
    const text = await (await fetch(`${oracle.url}/metrics`)).text();
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    t.equal(lint.status, 0, `promtool check metrics: ${lint.stdout}${lint.stderr}`);
    t.notMatch(text, /splitup_process_process_/, 'no doubled name prefix');
  }
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
