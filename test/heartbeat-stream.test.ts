// GET /api/heartbeat/stream: signed heartbeats over a WebSocket, judged as POST /api/heartbeat
// judges them, answered one message each in order; its bounds against a hostile client.
import t from 'tap';
import { WebSocket } from 'ws';
import { Oracle } from '../src/oracle/oracle.js';
import { TestNode, until } from './helpers/heartbeat.js';
import { makeOracleDir, tempDir } from './helpers/oracle.js';

/** A client stream that collects answers and close events. */
async function openStream(url: string): Promise<{ ws: WebSocket; answers: any[]; closed: Promise<{ code: number }> }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/heartbeat/stream`);
  const answers: any[] = [];
  ws.on('message', (m) => answers.push(JSON.parse(m.toString())));
  const closed = new Promise<{ code: number }>((r) => ws.on('close', (code) => r({ code })));
  await new Promise<void>((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return { ws, answers, closed };
}

t.test('every heartbeat is judged as the POST route judges it, answered in order on the same stream', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const a = new TestNode(), b = new TestNode(), stranger = new TestNode();
  const { config } = makeOracleDir(dir, [a, b], { rateBurst: 100, maxSkewMs: 5_000, intervalMs: 1000 });
  const oracle = await Oracle.start(config, { logger: false });
  t.teardown(() => oracle.close());
  const s = await openStream(oracle.url);
  const now = Date.now();
  const forged = (() => { const h = a.heartbeat(now); return { ...h, payload: { ...h.payload, vramFreeMb: 7 } }; })();
  const sent: Array<[string, string | Buffer, string | null]> = [
    ['valid (a, seq 1)', JSON.stringify(a.heartbeat(now)), null],
    ['replayed seq', JSON.stringify(a.heartbeat(now, { seq: 1n })), 'REPLAYED_SEQ'],
    ['forged signature', JSON.stringify(forged), 'BAD_SIGNATURE'],
    ['unregistered node', JSON.stringify(stranger.heartbeat(now)), 'UNREGISTERED_NODE'],
    ['stale timestamp', JSON.stringify(a.heartbeat(now - 60_000)), 'STALE_TIMESTAMP'],
    ['not JSON', '{"payload":', 'MALFORMED'],
    ['schema: extra field', JSON.stringify({ ...b.heartbeat(now), extra: 1 }), 'MALFORMED'],
    ['binary frame', Buffer.from(JSON.stringify(b.heartbeat(now))), 'MALFORMED'],
    ['valid (b)', JSON.stringify(b.heartbeat(now)), null],
    ['valid (a, next seq)', JSON.stringify(a.heartbeat(now)), null],
  ];
  for (const [, m] of sent) s.ws.send(m);
  await until('every message answered', () => s.answers.length === sent.length || null);
  sent.forEach(([name, , code], i) => {
    const ans = s.answers[i];
    if (code === null) t.match(ans, { success: true, status: 'online', message: 'heartbeat accepted', seq: /^\d+$/ }, `${name}: accepted`);
    else t.match(ans, { success: false, code, message: String, status: 'rejected' }, `${name}: ${code}`);
  });
  t.equal(s.answers[0].seq, JSON.parse(sent[0]![1] as string).payload.seq, 'the answer carries the accepted seq');
  const view = await (await fetch(`${oracle.url}/api/nodes/${a.nodeId}`)).json() as any;
  t.equal(view.lastSeq, s.answers[9].seq, 'the node view holds the newest heartbeat accepted over the stream');
  const metrics = await (await fetch(`${oracle.url}/metrics`)).text();
  t.match(metrics, /splitup_heartbeats_accepted_total 3/, 'accepted heartbeats counted with the POST route\'s');
  t.match(metrics, /splitup_heartbeats_rejected_total\{code="MALFORMED"\} 3/);
  t.match(metrics, /splitup_heartbeat_streams 1/, 'open streams gauge');
  t.equal(s.ws.readyState, WebSocket.OPEN, 'rejections keep the stream open');

  // a frame over the heartbeat body limit closes the stream (1009), nothing of it judged
  s.ws.send(JSON.stringify({ ...b.heartbeat(now), pad: 'x'.repeat(4096) }));
  t.equal((await s.closed).code, 1009, 'oversized message: 1009 Message Too Big');
  await until('the closed stream is no longer counted', async () => /splitup_heartbeat_streams 0/.test(await (await fetch(`${oracle.url}/metrics`)).text()) || null);

  // the OpenAPI document names the route
  const doc = await (await fetch(`${oracle.url}/openapi.json`)).json() as any;
  t.ok(doc.paths['/api/heartbeat/stream']?.get, 'documented in the OpenAPI document');
  const plain = await fetch(`${oracle.url}/api/heartbeat/stream`);
  t.equal(plain.status, 426, 'a plain GET: 426 Upgrade Required');
  t.match(await plain.json(), { success: false, code: 'UPGRADE_REQUIRED' });
});

t.test('bounds: streams per address, messages per minute per address, idle streams, server close', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const a = new TestNode(), b = new TestNode(), c = new TestNode();
  const { config } = makeOracleDir(dir, [a, b, c], { rateBurst: 100, maxSkewMs: 5_000, intervalMs: 1000, streamsPerIp: 2, ipRateLimitPerMinute: 3, streamIdleMs: 1000 });
  const oracle = await Oracle.start(config, { logger: false });
  let closed = false;
  t.teardown(() => (closed ? undefined : oracle.close()));
  const s1 = await openStream(oracle.url), s2 = await openStream(oracle.url);
  // a third stream from the same address is refused at the upgrade, with a JSON error
  const third = new WebSocket(`${oracle.url.replace(/^http/, 'ws')}/api/heartbeat/stream`);
  const refused = await new Promise<{ status: number; body: any }>((resolve, reject) => {
    third.once('unexpected-response', (_req, res) => { let b = ''; res.on('data', (c) => { b += c; }); res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(b) })); });
    third.once('open', () => reject(new Error('a third stream was opened')));
  });
  t.equal(refused.status, 429);
  t.match(refused.body, { success: false, code: 'TOO_MANY_STREAMS', message: String });

  // 3 messages per minute from this address, both streams together: the 4th is refused, the stream kept
  const now = Date.now();
  // (three nodes: two streams' messages may be judged in either order, and one node's seqs must rise)
  s1.ws.send(JSON.stringify(a.heartbeat(now)));
  s2.ws.send(JSON.stringify(b.heartbeat(now)));
  s1.ws.send(JSON.stringify(c.heartbeat(now)));
  await until('three answers', () => s1.answers.length + s2.answers.length === 3 || null);
  t.ok([...s1.answers, ...s2.answers].every((x) => x.success === true), 'the first three accepted');
  s2.ws.send(JSON.stringify(a.heartbeat(now)));
  await until('the fourth answered', () => s2.answers.length === 2 || null);
  t.match(s2.answers[1], { success: false, code: 'IP_RATE_LIMITED' }, 'the fourth refused by the per-address budget');
  t.equal(s2.ws.readyState, WebSocket.OPEN, 'and the stream kept');

  // silent streams are closed after streamIdleMs (1001 Going Away); closing one frees its slot
  const [c1, c2] = await Promise.all([s1.closed, s2.closed]);
  t.same([c1.code, c2.code], [1001, 1001], 'idle streams closed with 1001');
  const s3 = await openStream(oracle.url);
  t.equal(s3.ws.readyState, WebSocket.OPEN, 'a new stream opens once the idle ones are gone');

  // closing the oracle closes its streams
  closed = true;
  await oracle.close();
  t.ok([1001, 1005, 1006].includes((await s3.closed).code), 'server close ends the stream');
});

t.test('an oracle at its maximum of streams refuses the upgrade with 503 STREAMS_FULL, and serves POSTs', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const a = new TestNode();
  const { config } = makeOracleDir(dir, [a], { maxSkewMs: 5_000, intervalMs: 1000, maxStreams: 1 });
  const oracle = await Oracle.start(config, { logger: false });
  t.teardown(() => oracle.close());
  const s1 = await openStream(oracle.url);
  const second = new WebSocket(`${oracle.url.replace(/^http/, 'ws')}/api/heartbeat/stream`);
  const refused = await new Promise<{ status: number; body: any }>((resolve, reject) => {
    second.once('unexpected-response', (_req, res) => { let b = ''; res.on('data', (c) => { b += c; }); res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(b) })); });
    second.once('open', () => reject(new Error('a second stream was opened')));
  });
  t.equal(refused.status, 503);
  t.match(refused.body, { success: false, code: 'STREAMS_FULL' });
  const post = await fetch(`${oracle.url}/api/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(a.heartbeat(Date.now())) });
  t.equal(post.status, 200, 'POST still served');
  s1.ws.close();
});

t.test('upgrades racing past the per-address check: never more streams than the cap stay open', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const nodes = Array.from({ length: 6 }, () => new TestNode());
  const { config } = makeOracleDir(dir, nodes, { maxSkewMs: 5_000, intervalMs: 1000, streamsPerIp: 2 });
  const oracle = await Oracle.start(config, { logger: false });
  t.teardown(() => oracle.close());
  // six upgrades at once; each ends refused (429), closed after opening (1013), or open and answering
  const outcomes = await Promise.all(nodes.map((n) => new Promise<string>((resolve) => {
    const ws = new WebSocket(`${oracle.url.replace(/^http/, 'ws')}/api/heartbeat/stream`);
    ws.once('unexpected-response', (_req, res) => { res.resume(); resolve(`refused ${res.statusCode}`); });
    ws.once('open', () => ws.send(JSON.stringify(n.heartbeat(Date.now()))));
    ws.once('message', () => { resolve('open'); t.teardown(() => ws.close()); });
    ws.once('close', (code) => resolve(`closed ${code}`));
    ws.on('error', () => {});
  })));
  const open = outcomes.filter((o) => o === 'open').length;
  t.ok(open >= 1 && open <= 2, `at most 2 streams kept (${outcomes.join(', ')})`);
  t.ok(outcomes.every((o) => ['open', 'refused 429', 'closed 1013'].includes(o)), 'the others refused (429) or closed (1013)');
});
