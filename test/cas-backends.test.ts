// The three CAS backends behind one interface, selected by URL (src/cas/blobs.ts openBlobStore):
// a directory, the HTTP CAS server, an S3-compatible bucket (a real s3rver on 127.0.0.1). Each must
// round-trip a blob between two parties with their own directories, refuse a tampered object with
// a named error (and keep nothing of it), and enforce the size limit; the HTTP server's writes need
// its token; unreferenced blobs expire by time to live on each collector target.
import t, { type Test } from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { openBlobStore, dirTarget, type BlobStore } from '../src/cas/blobs.js';
import { CasError, CasStore, sha256hex } from '../src/cas/store.js';
import { createCasServer } from '../src/cas/server.js';
import { parseS3Url, S3Blobs } from '../src/cas/s3.js';
import { collectGarbage, DEFAULT_GC_POLICY } from '../src/cas/gc.js';
import { tempDir } from './helpers/oracle.js';
import { S3_CREDENTIALS, startS3 } from './helpers/s3.js';

const TOKEN = 'a-test-token-for-the-cas-server';
const enc = (s: string) => new TextEncoder().encode(s);

function dir(t: Test, prefix = 'splitup-cas-b-'): string {
  const d = tempDir(prefix);
  t.teardown(d.cleanup);
  return d.dir;
}

const code = async (p: Promise<unknown>): Promise<string> => {
  try { await p; return 'resolved'; } catch (e) { return e instanceof CasError ? e.code : `not a CasError: ${String(e)}`; }
};

interface Backend {
  /** a party's store: its own directory in front of the shared backend */
  party(t: Test, o?: { maxBytes?: number; token?: string | null }): Promise<BlobStore>;
  /** replaces the backend's copy of `hex` with other bytes (an attacker with write access to the storage) */
  tamper(hex: string, bytes: Uint8Array): Promise<void>;
}

async function dirBackend(t: Test): Promise<Backend> {
  const shared = dir(t);
  return {
    party: (_t, o = {}) => openBlobStore({ dir: shared, ...(o.maxBytes ? { maxBytes: o.maxBytes } : {}) }),
    tamper: async (hex, bytes) => { mkdirSync(join(shared, hex.slice(0, 2)), { recursive: true }); writeFileSync(join(shared, hex.slice(0, 2), hex), bytes); },
  };
}

async function httpBackend(t: Test): Promise<Backend> {
  const serverDir = dir(t);
  const s = await createCasServer({ dir: serverDir, token: TOKEN, maxBytes: 100_000 });
  const url = await s.app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => s.close());
  return {
    party: (t, o = {}) => openBlobStore({ dir: dir(t), url, ...(o.token === null ? {} : { token: o.token ?? TOKEN }), ...(o.maxBytes ? { maxBytes: o.maxBytes } : {}) }),
    tamper: async (hex, bytes) => { mkdirSync(join(serverDir, hex.slice(0, 2)), { recursive: true }); writeFileSync(join(serverDir, hex.slice(0, 2), hex), bytes); },
  };
}

async function s3Backend(t: Test): Promise<Backend> {
  const s3 = await startS3();
  t.teardown(() => s3.close());
  const url = s3.url('tensors');
  return {
    party: (t, o = {}) => openBlobStore({ dir: dir(t), url, s3Credentials: S3_CREDENTIALS, ...(o.maxBytes ? { maxBytes: o.maxBytes } : {}) }),
    tamper: async (hex, bytes) => { await s3.raw.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `tensors/${hex}`, Body: bytes })); },
  };
}

for (const [name, make] of [['directory', dirBackend], ['HTTP CAS server', httpBackend], ['S3 bucket (s3rver)', s3Backend]] as const) {
  t.test(`${name}: round trip, tampered object refused, size limit`, async (t) => {
    const b = await make(t);
    const a = await b.party(t), c = await b.party(t);
    const blob = new Uint8Array(50_000).map((_, i) => (i * 31) & 0xff);
    const hex = await a.put(blob);
    t.equal(hex, sha256hex(blob), 'named by its SHA-256');
    t.same(await c.get(hex), blob, 'another party reads it back');
    t.equal(await code(c.get('7'.repeat(64))), 'NOT_FOUND', 'a blob nobody stored: NOT_FOUND');

    // someone with write access to the storage puts other bytes under a name
    const real = enc(`the real tensor of ${name}`), realHex = sha256hex(real);
    await b.tamper(realHex, enc('substituted bytes'));
    const fresh = await b.party(t);
    const err = await fresh.get(realHex).then(() => null, (e: CasError) => e);
    t.ok(err instanceof CasError && /HASH_MISMATCH/.test(err.message), `a tampered object is refused by name (${err?.message})`);
    await t.rejects(fresh.get(realHex), /HASH_MISMATCH/, 'every time: nothing of it was kept');

    // a party's own copy tampered with: refused, dropped, and the shared store's copy used
    if (name !== 'directory') {
      const own = (a as unknown as { cache: CasStore }).cache;
      writeFileSync(join(own.dir, hex.slice(0, 2), hex), enc('my copy, altered'));
      t.same(await a.get(hex), blob, 'a tampered local copy is refused and the shared copy read instead');
      t.same(own.get(hex), blob, 'the local copy is the verified one again');
    }

    // size limits: the writer refuses to send, the reader refuses to read past its limit
    const small = await b.party(t, { maxBytes: 1000 });
    t.equal(await code(small.put(new Uint8Array(1001))), 'TOO_LARGE', 'a write over the limit: TOO_LARGE');
    t.equal(await code(small.get(hex)), 'TOO_LARGE', 'a read over the reader\'s limit: TOO_LARGE');
  });
}

t.test('HTTP CAS server: PUT needs the token; the server\'s own limit', async (t) => {
  const b = await httpBackend(t);
  t.equal(await code((await b.party(t, { token: null })).put(enc('x'))), 'UNAUTHORIZED', 'no token: UNAUTHORIZED');
  t.equal(await code((await b.party(t, { token: 'wrong-token-of-the-same-len!!!!' })).put(enc('x'))), 'UNAUTHORIZED', 'a wrong token: UNAUTHORIZED');
  t.equal(await code((await b.party(t, { maxBytes: 1 << 20 })).put(new Uint8Array(100_001))), 'TOO_LARGE', 'over the server\'s 100,000 bytes: the server refuses (413)');
});

t.test('S3 URLs: parsed strictly; credentials never in the URL', async (t) => {
  t.same(parseS3Url('s3://bkt/a/b?endpoint=http://127.0.0.1:9000'), { bucket: 'bkt', prefix: 'a/b/', endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', pathStyle: true });
  t.same(parseS3Url('s3://bkt?region=eu-west-1'), { bucket: 'bkt', prefix: '', region: 'eu-west-1', pathStyle: false });
  t.throws(() => parseS3Url('s3://key:secret@bkt/'), /BAD_URL: .*credentials do not go in the URL/);
  t.throws(() => parseS3Url('s3://bkt/?endpoint=ftp://x'), /BAD_URL: .*endpoint/);
  t.throws(() => parseS3Url('s3://bkt/?bogus=1'), /BAD_URL: .*unknown parameter bogus/);
  t.equal(await code(openBlobStore({ dir: dir(t), url: 'ftp://host/' })), 'BAD_URL');
});

t.test('time to live: unreferenced blobs expire on a directory and on a bucket', async (t) => {
  const s3 = await startS3();
  t.teardown(() => s3.close());
  const bucket = S3Blobs.fromUrl(s3.url('ttl'), S3_CREDENTIALS);
  t.teardown(() => bucket.close());
  const store = new CasStore(dir(t));
  const policy = { ...DEFAULT_GC_POLICY, ttlMs: 60_000, graceMs: 10_000 };
  for (const [name, target, put] of [
    ['directory', dirTarget(store), async (b: Uint8Array) => store.put(b)],
    ['bucket', bucket, async (b: Uint8Array) => { const h = sha256hex(b); await bucket.write(h, b); return h; }],
  ] as const) {
    const hex = await put(enc(`expires on the ${name}`));
    const written = Date.now();
    t.match(await collectGarbage(target, null, policy, written + 30_000), { deleted: 0, byReason: { unreferenced: 1 } }, `${name}: within its TTL, kept`);
    t.match(await collectGarbage(target, null, policy, written + 120_000), { deleted: 1, byReason: { expired: 1 } }, `${name}: past its TTL, deleted`);
    t.same(await target.list(), [], `${name}: gone`);
    t.equal(hex.length, 64);
  }
});
