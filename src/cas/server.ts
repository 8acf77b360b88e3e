// An HTTP content-addressed blob server: the CAS that compute nodes and requesters on different
// machines share. A blob's name is its SHA-256, so the server needs no trust from readers (they
// verify what they get, src/cas/blobs.ts) and can refuse every write whose bytes do not hash to the
// name it is PUT under. Writes need the bearer token when one is configured (a public server would
// otherwise store anything for anyone); reads are open, like the URIs on chain that name them.
//
//   GET  /cas/<hex>    200 the bytes | 400 BAD_NAME | 404 NOT_FOUND
//   HEAD /cas/<hex>    200 | 404
//   PUT  /cas/<hex>    201 stored (200 already there) | 400 BAD_NAME | 401 UNAUTHORIZED |
//                      413 PAYLOAD_TOO_LARGE | 415 UNSUPPORTED_MEDIA_TYPE | 422 HASH_MISMATCH
//   GET  /healthz      200 {blobs, bytes}
//
// Time to live: a blob not written or read for ttlMs is deleted by the collector (every
// gcIntervalMs); reading or re-writing one renews it. The TTL must cover an execution from its
// request to its last reveal (the default, 24 h, does with a wide margin); blobs are never deleted
// earlier, whatever their content.
import Fastify, { type FastifyInstance } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { readdirSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_MAX_BLOB_BYTES } from './blobs.js';
import { CasError, CasStore, sha256hex } from './store.js';

export interface CasServerOptions {
  dir: string;
  /** bearer token PUT requires (none: open writes, for a private network only) */
  token?: string;
  maxBytes?: number;
  /** delete blobs not written or read for this long (ms; default 24 h; 0 keeps everything) */
  ttlMs?: number;
  gcIntervalMs?: number;
  now?: () => number;
  logger?: boolean | object;
}

export interface CasServer {
  app: FastifyInstance;
  store: CasStore;
  /** one collector pass; returns how many blobs it deleted */
  collect(): { deleted: number; kept: number };
  close(): Promise<void>;
}

const NAME = /^[0-9a-f]{64}$/;
const BAD_NAME = { code: 'BAD_NAME', message: 'a blob is named by 64 lowercase hex digits (its SHA-256)' };

export async function createCasServer(o: CasServerOptions): Promise<CasServer> {
  const store = new CasStore(o.dir);
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
  const ttlMs = o.ttlMs ?? 24 * 3600_000;
  const now = o.now ?? Date.now;
  const token = o.token ? Buffer.from(o.token) : null;
  const app = Fastify({ logger: o.logger ?? false, bodyLimit: maxBytes });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));
  const fail = (status: number, code: string, message: string) => ({ status, body: { code, message } });
  app.setErrorHandler((err: { code?: string; statusCode?: number; message: string }, _req, reply) => {
    const e = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? fail(413, 'PAYLOAD_TOO_LARGE', `a blob is at most ${maxBytes} bytes`)
      : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? fail(415, 'UNSUPPORTED_MEDIA_TYPE', 'PUT blobs as application/octet-stream')
        : (err.statusCode ?? 500) < 500 ? fail(err.statusCode!, 'BAD_REQUEST', err.message) : fail(500, 'INTERNAL', err.message);
    return reply.code(e.status).send(e.body);
  });
  const touch = (hex: string) => { const t = new Date(now()); try { utimesSync(join(store.dir, hex.slice(0, 2), hex), t, t); } catch { /* deleted meanwhile */ } };

  app.get<{ Params: { hex: string } }>('/cas/:hex', async (req, reply) => {
    const { hex } = req.params;
    if (!NAME.test(hex)) return reply.code(400).send(BAD_NAME);
    if (!store.has(hex)) return reply.code(404).send({ code: 'NOT_FOUND', message: `no blob ${hex}` });
    let bytes: Uint8Array;
    try { bytes = store.get(hex); } catch (e) { return reply.code(404).send({ code: 'NOT_FOUND', message: (e as CasError).message }); }
    touch(hex);
    return reply.type('application/octet-stream').send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  });

  app.put<{ Params: { hex: string }; Body: Buffer }>('/cas/:hex', async (req, reply) => {
    if (token) {
      const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
      if (given.length !== token.length || !timingSafeEqual(given, token)) return reply.code(401).send({ code: 'UNAUTHORIZED', message: 'PUT needs the server\'s bearer token' });
    }
    const { hex } = req.params;
    if (!NAME.test(hex)) return reply.code(400).send(BAD_NAME);
    if (!Buffer.isBuffer(req.body)) return reply.code(415).send({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'PUT blobs as application/octet-stream' });
    const got = sha256hex(req.body);
    if (got !== hex) return reply.code(422).send({ code: 'HASH_MISMATCH', message: `the body hashes to ${got}, not to the name it was PUT under` });
    const existed = store.has(hex);
    store.put(req.body);
    if (!existed) { totals.blobs++; totals.bytes += req.body.length; }
    touch(hex);
    return reply.code(existed ? 200 : 201).send({ name: `cas://${hex}`, bytes: req.body.length });
  });

  const scan = () => {
    let blobs = 0, bytes = 0;
    const old: Array<{ path: string; size: number }> = [], torn: string[] = [];
    const cutoff = now() - ttlMs;
    for (const fan of readdirSync(store.dir)) {
      if (!/^[0-9a-f]{2}$/.test(fan)) continue;
      for (const f of readdirSync(join(store.dir, fan))) {
        const p = join(store.dir, fan, f);
        let st; try { st = statSync(p); } catch { continue; }
        if (!NAME.test(f)) { if (f.endsWith('.tmp') && st.mtimeMs < now() - 3600_000) torn.push(p); continue; } // a torn write's leftovers
        blobs++; bytes += st.size;
        if (ttlMs > 0 && st.mtimeMs < cutoff) old.push({ path: p, size: st.size });
      }
    }
    return { blobs, bytes, old, torn };
  };
  // what the store holds: counted once at start and by every collector pass, kept up to date by
  // writes in between, so a health probe costs no directory walk
  let totals = (({ blobs, bytes }) => ({ blobs, bytes }))(scan());
  app.get('/healthz', async () => ({ ...totals }));

  const collect = () => {
    const s = scan();
    let deleted = 0, freed = 0;
    for (const b of s.old) { try { unlinkSync(b.path); deleted++; freed += b.size; } catch { /* gone already */ } }
    for (const p of s.torn) { try { unlinkSync(p); } catch { /* gone already */ } }
    totals = { blobs: s.blobs - deleted, bytes: s.bytes - freed };
    return { deleted, kept: totals.blobs };
  };
  const gc = ttlMs > 0 ? setInterval(collect, o.gcIntervalMs ?? Math.min(ttlMs, 3600_000)) : null;
  gc?.unref();
  return { app, store, collect, close: async () => { if (gc) clearInterval(gc); await app.close(); } };
}
