// The content-addressed blob server and its client: what nodes on different machines share tensors
// through. Names are hashes, so a write under the wrong name is refused and a read that does not
// hash to its name is never used; writes need the token; old blobs expire.
import t, { type Test } from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { createCasServer } from '../src/cas/server.js';
import { HttpBlobs } from '../src/cas/blobs.js';
import { CasStore, sha256hex } from '../src/cas/store.js';
import { tempDir } from './helpers/oracle.js';

const TOKEN = 'secret-token-for-tests';

async function server(t: Test, o: { ttlMs?: number; maxBytes?: number; now?: () => number } = {}) {
  const { dir, cleanup } = tempDir('splitup-cas-server-');
  const s = await createCasServer({ dir, token: TOKEN, ...o });
  const address = await s.app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(async () => { await s.close(); cleanup(); });
  return { s, url: address, dir };
}

function cache(t: Test): CasStore {
  const { dir, cleanup } = tempDir('splitup-cas-cache-');
  t.teardown(cleanup);
  return new CasStore(dir);
}

const put = (url: string, hex: string, body: Uint8Array, token: string | null = TOKEN, type = 'application/octet-stream') =>
  fetch(`${url}/cas/${hex}`, { method: 'PUT', body: Buffer.from(body), headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) } });

t.test('PUT under its hash, GET it back; the HTTP errors are named', async (t) => {
  const { url } = await server(t, { maxBytes: 1024 });
  const blob = new TextEncoder().encode('a tensor bundle');
  const hex = sha256hex(blob);
  let r = await put(url, hex, blob);
  t.equal(r.status, 201, 'stored');
  t.same(await r.json(), { name: `cas://${hex}`, bytes: blob.length });
  t.equal((await put(url, hex, blob)).status, 200, 'the same blob again: already there');
  r = await fetch(`${url}/cas/${hex}`);
  t.equal(r.status, 200);
  t.same(new Uint8Array(await r.arrayBuffer()), blob, 'the bytes come back');
  t.equal((await fetch(`${url}/cas/${hex}`, { method: 'HEAD' })).status, 200, 'HEAD');

  const code = async (res: Response) => ({ status: res.status, code: ((await res.json()) as { code: string }).code });
  t.same(await code(await put(url, hex, blob, null)), { status: 401, code: 'UNAUTHORIZED' }, 'no token');
  t.same(await code(await put(url, hex, blob, 'wrong-token-for-tests!')), { status: 401, code: 'UNAUTHORIZED' }, 'a wrong token');
  const other = new TextEncoder().encode('something else');
  t.same(await code(await put(url, sha256hex(other).replace(/^./, (c) => (c === '0' ? '1' : '0')), other)), { status: 422, code: 'HASH_MISMATCH' }, 'bytes that do not hash to the name');
  t.equal((await fetch(`${url}/cas/${sha256hex(other)}`)).status, 404, 'and nothing was stored');
  t.same(await code(await put(url, 'ABC', blob)), { status: 400, code: 'BAD_NAME' }, 'a name that is not a hash');
  t.same(await code(await fetch(`${url}/cas/xyz`)), { status: 400, code: 'BAD_NAME' });
  t.same(await code(await fetch(`${url}/cas/${'0'.repeat(64)}`)), { status: 404, code: 'NOT_FOUND' }, 'unknown blob');
  const big = new Uint8Array(2048).fill(1);
  t.same(await code(await put(url, sha256hex(big), big)), { status: 413, code: 'PAYLOAD_TOO_LARGE' }, 'over the size limit');
  t.same(await code(await put(url, hex, blob, TOKEN, 'text/plain')), { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }, 'not application/octet-stream');
  const h = await (await fetch(`${url}/healthz`)).json() as { blobs: number; bytes: number };
  t.same(h, { blobs: 1, bytes: blob.length }, 'healthz counts what is stored');
});

t.test('two nodes with their own directories share blobs through the server', async (t) => {
  const { url } = await server(t);
  const a = new HttpBlobs(cache(t), { url, token: TOKEN });
  const bCache = cache(t);
  const b = new HttpBlobs(bCache, { url, token: TOKEN });
  const blob = new Uint8Array(100_000).map((_, i) => i * 7);
  const hex = await a.put(blob);
  t.equal(hex, sha256hex(blob));
  t.notOk(bCache.has(hex), 'b does not have it yet');
  t.same(await b.get(hex), blob, 'b reads it from the server');
  t.ok(bCache.has(hex), 'and keeps a verified copy');
  await t.rejects(b.get('1'.repeat(64)), /HTTP 404 NOT_FOUND/, 'a blob nobody stored: a named error');
  const noToken = new HttpBlobs(cache(t), { url });
  await t.rejects(noToken.put(new Uint8Array([1, 2, 3])), /HTTP 401 UNAUTHORIZED/, 'writes need the token');
});

t.test('a server that sends other bytes than the name says is refused (nothing cached)', async (t) => {
  const lie = new TextEncoder().encode('not what you asked for');
  const liar = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/octet-stream' }); res.end(lie); });
  await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => liar.close(() => r())));
  const c = cache(t);
  const client = new HttpBlobs(c, { url: `http://127.0.0.1:${(liar.address() as AddressInfo).port}` });
  const wanted = sha256hex(new TextEncoder().encode('the real tensor'));
  await t.rejects(client.get(wanted), /^HASH_MISMATCH: .* the bytes do not hash to the name/);
  t.notOk(c.has(wanted), 'nothing cached');
  const big = new HttpBlobs(cache(t), { url: `http://127.0.0.1:${(liar.address() as AddressInfo).port}`, maxBytes: 4 });
  await t.rejects(big.get(wanted), /over the 4-byte limit/, 'and a blob over the client\'s limit is refused');
  // a server that sends no length and more bytes than the limit: the client stops reading at the limit
  const stream = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/octet-stream' }); for (let i = 0; i < 64; i++) res.write(Buffer.alloc(16_384, 1)); res.end(); });
  await new Promise<void>((r) => stream.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => stream.close(() => r())));
  const capped = new HttpBlobs(cache(t), { url: `http://127.0.0.1:${(stream.address() as AddressInfo).port}`, maxBytes: 100_000 });
  await t.rejects(capped.get(wanted), /TOO_LARGE: .*more than 100000 bytes/, 'a chunked body past the limit is cut off');
});

t.test('blobs not written or read for the TTL are collected; a read renews one', async (t) => {
  let now = 1_000_000_000_000;
  const { s, url, dir } = await server(t, { ttlMs: 60_000, now: () => now });
  const client = new HttpBlobs(cache(t), { url, token: TOKEN });
  const old = await client.put(new TextEncoder().encode('old'));
  const kept = await client.put(new TextEncoder().encode('kept'));
  // a torn write's leftover from long ago
  const torn = join(dir, old.slice(0, 2), `${old}.abc.tmp`);
  (await import('node:fs')).writeFileSync(torn, 'x');
  utimesSync(torn, new Date(now - 7200_000), new Date(now - 7200_000));
  now += 50_000;
  t.equal((await fetch(`${url}/cas/${kept}`)).status, 200, 'kept is read 50 s later');
  t.match(await s.collect(), { deleted: 0, kept: 2 }, 'nothing is past the TTL yet');
  now += 20_000; // old: 70 s since written; kept: 20 s since read
  t.match(await s.collect(), { deleted: 1, kept: 1, byReason: { expired: 1, recent: 1 } }, 'the blob past its TTL is deleted');
  t.equal((await fetch(`${url}/cas/${old}`)).status, 404, 'old is gone');
  t.equal((await fetch(`${url}/cas/${kept}`)).status, 200, 'kept stays');
  t.notOk((await import('node:fs')).existsSync(torn), 'the torn write\'s leftover is removed too');
});
