// An HTTP content-addressed blob server: the CAS that compute nodes and requesters on different
// machines share. A blob's name is its SHA-256, so the server needs no trust from readers (they
// verify what they get, src/cas/blobs.ts) and can refuse every write whose bytes do not hash to the
// name it is PUT under. Writes need the bearer token when one is configured (a public server would
// otherwise store anything for anyone); reads are open, like the URIs on chain that name them.
//
//   GET  /cas/<hex>    200 the bytes | 400 BAD_NAME | 404 NOT_FOUND | 500 HASH_MISMATCH (its copy is corrupt: not served)
//   HEAD /cas/<hex>    200 | 404
//   PUT  /cas/<hex>    201 stored (200 already there) | 400 BAD_NAME | 401 UNAUTHORIZED |
//                      413 PAYLOAD_TOO_LARGE | 415 UNSUPPORTED_MEDIA_TYPE | 422 HASH_MISMATCH
//   GET  /healthz      200 {blobs, bytes}
//
//   POST /release      a requester's signed release of an execution's final outputs (src/cas/release.ts):
//                      200 | 400 BAD_RELEASE | 401 BAD_SIGNATURE | 403 NOT_REQUESTER | 404 UNKNOWN_EXECUTION |
//                      409 NOT_SETTLED | 429 (over releasesPerMinute from one address) | 501 NO_CHAIN
//
// Garbage collection (src/cas/gc.ts), every gcIntervalMs: with a chain reader (`cas-serve --rpc
// ...`) the server is the collector of its directory and deletes an execution's intermediate
// tensors once it settles, keeps final outputs until their requester releases them or they are
// unused for finalTtlMs, and never deletes what a running execution references. Without one, and
// for blobs no execution names, a blob not written or read for ttlMs is deleted. Reading or
// re-writing a blob renews it.
import Fastify, { type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { timingSafeEqual } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { DEFAULT_MAX_BLOB_BYTES, dirTarget } from './blobs.js';
import { BLOB_NAME, CasError, CasStore, sha256hex } from './store.js';
import { collectGarbage, DEFAULT_GC_POLICY, type ChainView, type GcPolicy, type GcReport } from './gc.js';
import { decodeRelease, encodeRelease, releaseName, ReleaseError, verifyRelease } from './release.js';
import { ExecStatus } from '../chain/layout.js';

export interface CasServerOptions {
  dir: string;
  /** bearer token PUT requires (none: open writes, for a private network only) */
  token?: string;
  maxBytes?: number;
  /** delete blobs no execution names, not written or read for this long (ms; default 24 h; 0 keeps them) */
  ttlMs?: number;
  /** delete a final output its requester has not released once unused this long (ms; default 7 days; 0: until released) */
  finalTtlMs?: number;
  /** never delete a blob written or read this recently (ms; default 10 min, at most ttlMs) */
  graceMs?: number;
  /** the chain reader that makes the collector chain-aware (none: time to live only) */
  chain?: ChainView;
  gcIntervalMs?: number;
  now?: () => number;
  logger?: boolean | object;
  /** each collector pass's report (for logs) */
  onCollect?: (r: GcReport) => void;
  /** POST /release requests per client address per minute (each costs a chain read; default 120) */
  releasesPerMinute?: number;
}

export interface CasServer {
  app: FastifyInstance;
  store: CasStore;
  policy: GcPolicy;
  /** one collector pass */
  collect(): Promise<GcReport>;
  close(): Promise<void>;
}

const BAD_NAME = { code: 'BAD_NAME', message: 'a blob is named by 64 lowercase hex digits (its SHA-256)' };

export async function createCasServer(o: CasServerOptions): Promise<CasServer> {
  const store = new CasStore(o.dir);
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
  const ttlMs = o.ttlMs ?? DEFAULT_GC_POLICY.ttlMs;
  const policy: GcPolicy = {
    ttlMs, finalTtlMs: o.finalTtlMs ?? DEFAULT_GC_POLICY.finalTtlMs,
    graceMs: Math.min(o.graceMs ?? DEFAULT_GC_POLICY.graceMs, ttlMs > 0 ? ttlMs : Infinity),
  };
  const now = o.now ?? Date.now;
  const token = o.token ? Buffer.from(o.token) : null;
  const app = Fastify({ logger: o.logger ?? false, bodyLimit: maxBytes });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));
  const fail = (status: number, code: string, message: string) => ({ status, body: { code, message } });
  app.setErrorHandler((err: { code?: string; statusCode?: number; message: string }, _req, reply) => {
    const e = err.statusCode === 429 ? fail(429, 'RATE_LIMITED', 'too many releases from this address; retry in a minute')
      : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? fail(413, 'PAYLOAD_TOO_LARGE', `a blob is at most ${maxBytes} bytes`)
      : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? fail(415, 'UNSUPPORTED_MEDIA_TYPE', 'PUT blobs as application/octet-stream')
        : (err.statusCode ?? 500) < 500 ? fail(err.statusCode!, 'BAD_REQUEST', err.message) : fail(500, 'INTERNAL', err.message);
    return reply.code(e.status).send(e.body);
  });

  app.get<{ Params: { hex: string } }>('/cas/:hex', async (req, reply) => {
    const { hex } = req.params;
    if (!BLOB_NAME.test(hex)) return reply.code(400).send(BAD_NAME);
    if (!store.has(hex)) return reply.code(404).send({ code: 'NOT_FOUND', message: `no blob ${hex}` });
    let bytes: Uint8Array;
    try { bytes = store.get(hex); } catch (e) {
      // the stored copy does not hash to its name (disk corruption, tampering): never served
      const c = e as CasError;
      return c.code === 'HASH_MISMATCH' ? reply.code(500).send({ code: 'HASH_MISMATCH', message: `the stored copy of ${hex} does not hash to its name: not served` }) : reply.code(404).send({ code: 'NOT_FOUND', message: `no blob ${hex}` });
    }
    store.touch(hex, now());
    return reply.type('application/octet-stream').send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  });

  app.put<{ Params: { hex: string }; Body: Buffer }>('/cas/:hex', async (req, reply) => {
    if (token) {
      const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
      if (given.length !== token.length || !timingSafeEqual(given, token)) return reply.code(401).send({ code: 'UNAUTHORIZED', message: 'PUT needs the server\'s bearer token' });
    }
    const { hex } = req.params;
    if (!BLOB_NAME.test(hex)) return reply.code(400).send(BAD_NAME);
    if (!Buffer.isBuffer(req.body)) return reply.code(415).send({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'PUT blobs as application/octet-stream' });
    const got = sha256hex(req.body);
    if (got !== hex) return reply.code(422).send({ code: 'HASH_MISMATCH', message: `the body hashes to ${got}, not to the name it was PUT under` });
    const existed = store.has(hex);
    store.put(req.body);
    if (!existed) { totals.blobs++; totals.bytes += req.body.length; }
    store.touch(hex, now());
    return reply.code(existed ? 200 : 201).send({ name: `cas://${hex}`, bytes: req.body.length });
  });

  // a requester's release: checked against the chain before it is kept (the signature alone would
  // let anyone fill the directory with releases of their own making)
  await app.register(rateLimit, { global: false });
  app.post('/release', { bodyLimit: 4096, config: { rateLimit: { max: o.releasesPerMinute ?? 120, timeWindow: 60_000 } } }, async (req, reply) => {
    if (!o.chain) return reply.code(501).send({ code: 'NO_CHAIN', message: 'this server has no chain reader: it cannot check releases; its blobs expire by time to live' });
    let r;
    try { r = decodeRelease(req.body); } catch (e) { return reply.code(400).send({ code: 'BAD_RELEASE', message: (e as ReleaseError).message }); }
    if (!verifyRelease(o.chain.committee, r)) return reply.code(401).send({ code: 'BAD_SIGNATURE', message: 'the signature is not the requester\'s over splitup/cas-release/v1, the committee and the execution id' });
    const e = await o.chain.execution(r.execId);
    if (!e) return reply.code(404).send({ code: 'UNKNOWN_EXECUTION', message: `no execution ${r.execId} of this committee on chain` });
    if (!e.requester.equals(r.requester)) return reply.code(403).send({ code: 'NOT_REQUESTER', message: `execution ${r.execId} was requested by ${e.requester.toBase58()}` });
    if (e.status !== ExecStatus.Done) return reply.code(409).send({ code: 'NOT_SETTLED', message: `execution ${r.execId} is still running` });
    store.putRecord('releases', releaseName(r), encodeRelease(r));
    return { released: r.execId.toString() };
  });

  // what the store holds: counted once at start and by every collector pass, kept up to date by
  // writes in between, so a health probe costs no directory walk
  const count = () => store.scan().blobs.reduce((t, b) => ({ blobs: t.blobs + 1, bytes: t.bytes + b.size }), { blobs: 0, bytes: 0 });
  let totals = count();
  app.get('/healthz', async () => ({ ...totals }));

  let running: Promise<GcReport> | null = null;
  const collect = (): Promise<GcReport> => {
    // one pass at a time; a torn write's leftovers (a crash between write and rename) go after an hour
    running ??= (async () => {
      for (const t of store.scan().torn) if (t.touchedMs < now() - 3600_000) { try { unlinkSync(t.path); } catch { /* gone already */ } }
      const r = await collectGarbage(dirTarget(store), o.chain ?? null, policy, now());
      totals = count();
      o.onCollect?.(r);
      return r;
    })().finally(() => { running = null; });
    return running;
  };
  const everyMs = o.gcIntervalMs ?? Math.min(ttlMs > 0 ? ttlMs : 3600_000, o.chain ? 60_000 : 3600_000);
  const gc = ttlMs > 0 || o.chain ? setInterval(() => { collect().catch((e) => app.log.warn({ err: String(e) }, 'collector pass failed')); }, everyMs) : null;
  gc?.unref();
  return { app, store, policy, collect, close: async () => { if (gc) clearInterval(gc); await running?.catch(() => undefined); await app.close(); } };
}
