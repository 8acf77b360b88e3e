// The oracle's HTTP API (fastify). Heartbeat intake, node views, health,
// readiness, Prometheus metrics and an OpenAPI document. Other components
// (consensus, chain) add their routes as plugins.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import rateLimit from '@fastify/rate-limit';
import { Ajv } from 'ajv';
import type { LivenessTracker, RejectCode } from '../liveness/tracker.js';
import { REJECT_HTTP_STATUS } from '../liveness/tracker.js';
import type { OracleMetrics } from './metrics.js';
import { heartbeatStream, type HeartbeatStreamOptions } from './heartbeat-stream.js';
import { heartbeatIntake } from './intake.js';
import { TokenBucket } from './token-bucket.js';
import { batchResponseSchema, errorSchema, heartbeatResponseSchema, nodeViewSchema, readinessSchema, signedHeartbeatSchema } from './schemas.js';

export interface ApiOptions {
  tracker: LivenessTracker;
  metrics: OracleMetrics;
  /** fastify logger option (pino); false in tests. */
  logger?: FastifyServerOptions['logger'];
  /** Maximum heartbeat body in bytes (default 1 KiB: a valid heartbeat is ~400 bytes). */
  heartbeatBodyLimit?: number;
  /** Per-source-IP limit on heartbeat requests (requests per minute; 0 disables). Default 6000. */
  ipRateLimitPerMinute?: number;
  /** Extra route plugins (consensus, chain). */
  plugins?: FastifyPluginAsync[];
  /** Extra readiness checks; each returns an error string when not ready. */
  readiness?: Array<() => string | undefined>;
  version?: string;
  /** Maximum heartbeats in one POST /api/heartbeats (default 256). */
  maxBatch?: number;
  /**
   * Node views GET /api/nodes may serve per second, all clients together (default 20,000; 0: no
   * limit). Listing costs the event loop that heartbeat intake runs on: measured with 100,000 nodes,
   * 8 clients paging without pause (~80,000 views/s) held back oracle 0's heartbeat posts from p50
   * 82 ms to 1.9 s. Beyond the budget a page is refused with 429 NODES_READ_BUDGET and Retry-After.
   */
  nodesPerSecond?: number;
  /**
   * A request whose declared content-length is over its route's limit but at most this many bytes
   * is read to the end and discarded before the 413 is sent, so a client that does not wait for
   * `100 Continue` reads the 413 instead of failing to write (EPIPE). Larger bodies are cut off at
   * once. Default 16 MiB.
   */
  drainLimit?: number;
  /** GET /api/heartbeat/stream (WebSocket intake) limits; `false` leaves the route out. */
  stream?: Pick<HeartbeatStreamOptions, 'maxPerIp' | 'maxTotal' | 'maxInFlight' | 'idleMs' | 'maxBufferedBytes'> | false;
}

/** Routes whose rejections count in splitup_heartbeats_rejected_total. */
const HEARTBEAT_ROUTES = new Set(['/api/heartbeat', '/api/heartbeats']);

/** Codes for errors fastify raises before our handler runs. */
/** Nodes per page of GET /api/nodes: default and maximum (a page of 10,000 is ≈ 2.4 MB of JSON). */
export const DEFAULT_NODES_PAGE = 1000;
export const MAX_NODES_PAGE = 10_000;

function frameworkErrorCode(err: { code?: string; statusCode?: number; validation?: unknown }): { status: number; code: string } {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, code: 'PAYLOAD_TOO_LARGE' };
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' };
  if (err.statusCode === 429) return { status: 429, code: 'IP_RATE_LIMITED' };
  if (err.validation || err.code?.startsWith('FST_ERR_CTP_') || err.statusCode === 400) return { status: 400, code: 'MALFORMED' };
  if (err.statusCode === 404) return { status: 404, code: 'NOT_FOUND' };
  return { status: err.statusCode && err.statusCode >= 400 ? err.statusCode : 500, code: 'INTERNAL' };
}

/**
 * Closes a fastify server gracefully but in bounded time: new requests are refused, requests in
 * flight get `graceMs` to finish, then every remaining connection is dropped. Without the deadline a
 * client holding a socket open without a request (a peer's aborted fetch, for one) keeps close()
 * waiting for the server's header timeout, about 70 s (measured in the consensus tests).
 */
export async function closeWithin(app: FastifyInstance, graceMs = 2000): Promise<void> {
  const closing = app.close();
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([closing.then(() => false), new Promise<boolean>((r) => { timer = setTimeout(() => r(true), graceMs); })]);
  clearTimeout(timer);
  if (late) app.server.closeAllConnections();
  await closing;
}

export async function buildApiServer(opts: ApiOptions): Promise<FastifyInstance> {
  const { tracker, metrics } = opts;
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 64 * 1024, ajv: { customOptions: { allErrors: false, removeAdditional: false, coerceTypes: false } } });
  const clock = tracker.clock;
  // POST, batch items and stream messages: judged and answered alike
  const intake = heartbeatIntake(tracker, metrics);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'SplitUp oracle API', version: opts.version ?? '0.1.0', description: 'Heartbeat intake, node liveness and committee state of one SplitUp oracle.' },
      servers: [{ url: '/', description: 'the oracle serving this document (default http://127.0.0.1:8080; set by http.host and http.port)' }],
    },
  });
  const perMinute = opts.ipRateLimitPerMinute ?? 6000;
  if (perMinute > 0) await app.register(rateLimit, { global: false });

  // Only JSON bodies: anything else is answered 415 instead of failing schema validation.
  app.removeContentTypeParser('text/plain');
  app.addSchema(signedHeartbeatSchema);
  app.addSchema(heartbeatResponseSchema);
  app.addSchema(errorSchema);
  app.addSchema(nodeViewSchema);
  app.addSchema(batchResponseSchema);
  app.addSchema(readinessSchema);

  app.setErrorHandler((err, req, reply) => {
    const { status, code } = frameworkErrorCode(err as { code?: string; statusCode?: number; validation?: unknown });
    // a whole-batch rejection of POST /api/heartbeats (not JSON, too large, no array) counts once
    if (HEARTBEAT_ROUTES.has(req.routeOptions.url ?? '')) metrics.heartbeatsRejected.inc({ code });
    if (status >= 500) req.log.error({ err }, 'request failed');
    reply.code(status).send({ success: false, code, message: (err as Error).message, timestamp: clock.now(), status: 'rejected' });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ success: false, code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}`, timestamp: clock.now(), status: 'rejected' });
  });

  // A declared body over the route's limit: fastify answers 413 at once and closes the connection
  // while the client is still sending, which such a client sees as EPIPE/ECONNRESET, not as the
  // 413. Read (and discard) a body up to drainLimit first; beyond it, cut the connection as before.
  const drainLimit = opts.drainLimit ?? 16 * 1024 * 1024;
  app.addHook('onRequest', async (req, reply) => {
    const declared = Number(req.headers['content-length']);
    const limit = req.routeOptions.bodyLimit;
    if (!(declared > limit) || declared > drainLimit || req.headers.expect) return;
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      req.raw.once('end', done).once('error', done).once('close', done);
      req.raw.resume();
    });
    const code = 'PAYLOAD_TOO_LARGE';
    if (HEARTBEAT_ROUTES.has(req.routeOptions.url ?? '')) metrics.heartbeatsRejected.inc({ code });
    return reply.code(413).header('connection', 'close').send({ success: false, code, message: `body of ${declared} bytes exceeds this route's limit of ${limit} bytes`, timestamp: clock.now(), status: 'rejected' });
  });

  const rejection = (code: RejectCode) => ({ $ref: 'Error#', description: code });
  const wholeRequestErrors = {
    413: { $ref: 'Error#', description: 'PAYLOAD_TOO_LARGE: body over the limit' },
    415: { $ref: 'Error#', description: 'UNSUPPORTED_MEDIA_TYPE: the body is not application/json' },
    ...(perMinute > 0 ? { 429: { $ref: 'Error#', description: 'IP_RATE_LIMITED (per source IP), or RATE_LIMITED (per node, single heartbeat only)' } } : {}),
  };
  app.post('/api/heartbeat', {
    bodyLimit: opts.heartbeatBodyLimit ?? 1024,
    ...(perMinute > 0 ? { config: { rateLimit: { max: perMinute, timeWindow: 60_000 } } } : {}),
    schema: {
      summary: 'Submit a signed heartbeat',
      body: { $ref: 'SignedHeartbeatData#' },
      response: {
        200: { $ref: 'HeartbeatResponse#' },
        ...Object.fromEntries(Object.entries(REJECT_HTTP_STATUS).map(([code, status]) => [status, rejection(code as RejectCode)])),
        ...wholeRequestErrors,
        ...(perMinute > 0 ? { 429: { $ref: 'Error#', description: 'RATE_LIMITED (per-node token bucket) or IP_RATE_LIMITED (per source IP)' } } : {}),
      },
    },
  }, async (req, reply) => {
    const r = await tracker.submit(req.body);
    const body = intake.answer(r);
    return r.ok ? body : (reply as FastifyReply).code(REJECT_HTTP_STATUS[r.code]).send(body);
  });

  // Batch intake for gateways/relays that aggregate many nodes: each item is judged exactly like
  // a single POST /api/heartbeat (the same schema, then the same checks) and answered in order, so
  // one malformed item costs only its own result. The request as a whole is rejected only when it
  // is not a JSON {heartbeats: [1..maxBatch items]} (400), too large (413), not JSON (415) or over
  // the per-IP limit (429).
  const maxBatch = opts.maxBatch ?? 256;
  const itemAjv = new Ajv({ allErrors: false, coerceTypes: false, removeAdditional: false });
  const batchEnvelope = { type: 'object', additionalProperties: false, required: ['heartbeats'], properties: { heartbeats: { type: 'array', minItems: 1, maxItems: maxBatch } } };
  const validEnvelope = itemAjv.compile(batchEnvelope);
  app.post<{ Body: { heartbeats: unknown[] } }>('/api/heartbeats', {
    bodyLimit: (opts.heartbeatBodyLimit ?? 1024) * maxBatch + 64,
    ...(perMinute > 0 ? { config: { rateLimit: { max: perMinute, timeWindow: 60_000 } } } : {}),
    // the documented body names the item schema; the request is validated against the envelope
    // only, and each item on its own below
    validatorCompiler: () => (data: unknown) => (validEnvelope(data) ? { value: data } : { error: Object.assign(new Error(`body${itemAjv.errorsText(validEnvelope.errors, { dataVar: '' })}`), { statusCode: 400 }) }),
    schema: {
      summary: `Submit up to ${maxBatch} signed heartbeats (from many nodes) in one request; each is judged on its own`,
      body: { type: 'object', additionalProperties: false, required: ['heartbeats'], properties: { heartbeats: { type: 'array', minItems: 1, maxItems: maxBatch, items: { $ref: 'SignedHeartbeatData#' } } } },
      response: {
        200: { $ref: 'HeartbeatBatchResponse#', description: 'one result per item, in order (an item\'s rejection carries its code, as POST /api/heartbeat would)' },
        400: { $ref: 'Error#', description: 'MALFORMED: the body is not {heartbeats: [1..maxBatch items]}' },
        ...wholeRequestErrors,
      },
    },
  }, async (req) => {
    const rs = await Promise.all(req.body.heartbeats.map((h) => intake.judge(h)));
    const now = clock.now();
    const results = rs.map((r) => intake.answer(r, now));
    const accepted = rs.filter((r) => r.ok).length;
    return { results, accepted, rejected: results.length - accepted };
  });

  if (opts.stream !== false) {
    await app.register(heartbeatStream({ intake, clock, registry: metrics.registry, maxMessageBytes: opts.heartbeatBodyLimit ?? 1024, ipRatePerMinute: perMinute, ...opts.stream }));
  }

  // one budget for every client of the node listing: what it may cost the intake's event loop
  const nodesPerSecond = opts.nodesPerSecond ?? 20_000;
  const readBudget = new TokenBucket(nodesPerSecond, Math.max(nodesPerSecond, MAX_NODES_PAGE));

  // query strings are strings and the API's validator does not coerce types (heartbeats are parsed
  // strictly): `limit` is checked as digits here and as a number in the handler
  app.get<{ Querystring: { limit?: string; after?: string } }>('/api/nodes', {
    schema: {
      summary: 'Known nodes (registered or seen) with liveness, in node-id order, one page at a time',
      description: 'Pass `nextCursor` as `after` for the next page; `nextCursor` is null on the last page.',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { limit: { type: 'string', pattern: '^[1-9][0-9]{0,5}$', description: `1 to ${MAX_NODES_PAGE} (default ${DEFAULT_NODES_PAGE})` }, after: { type: 'string', minLength: 1, maxLength: 64 } },
      },
      response: {
        200: { type: 'object', required: ['nodes', 'nextCursor', 'total', 'timestamp'], properties: { nodes: { type: 'array', items: { $ref: 'NodeView#' } }, nextCursor: { type: ['string', 'null'] }, total: { type: 'integer' }, timestamp: { type: 'integer' } } },
        400: { $ref: 'Error#' },
        429: { $ref: 'Error#' },
      },
    },
  }, async (req, reply) => {
    const limit = req.query.limit === undefined ? DEFAULT_NODES_PAGE : Number(req.query.limit);
    if (limit > MAX_NODES_PAGE) return reply.code(400).send({ success: false, code: 'MALFORMED', message: `limit must be at most ${MAX_NODES_PAGE}`, timestamp: clock.now(), status: 'rejected' });
    const wait = readBudget.take(limit, clock.now());
    if (wait > 0) {
      return reply.code(429).header('retry-after', String(Math.ceil(wait / 1000))).send({ success: false, code: 'NODES_READ_BUDGET', message: `node listing is limited to ${nodesPerSecond} views per second across all clients (heartbeat intake comes first); retry in ${wait} ms`, timestamp: clock.now(), status: 'rejected' });
    }
    return { ...tracker.page(req.query.after ?? null, limit), timestamp: clock.now() };
  });

  app.get<{ Params: { id: string } }>('/api/nodes/:id', {
    schema: { summary: 'One node', params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } } }, response: { 200: { $ref: 'NodeView#' }, 404: { $ref: 'Error#' } } },
  }, async (req, reply) => {
    const v = tracker.view(req.params.id);
    if (!v) return reply.code(404).send({ success: false, code: 'UNKNOWN_NODE', message: `node ${req.params.id} is neither registered nor seen`, timestamp: clock.now(), status: 'rejected' });
    return v;
  });

  app.get('/healthz', { schema: { summary: 'Process liveness', response: { 200: { type: 'object', required: ['ok'], properties: { ok: { type: 'boolean' } } } } } }, async () => ({ ok: true }));
  app.get('/readyz', {
    schema: {
      summary: 'Ready to serve (store open, components started)',
      response: { 200: { $ref: 'Readiness#', description: 'ready' }, 503: { $ref: 'Readiness#', description: 'not ready: problems say why' } },
    },
  }, async (_req, reply) => {
    const problems = (opts.readiness ?? []).map((c) => c()).filter((x): x is string => !!x);
    if (problems.length) return reply.code(503).send({ ok: false, problems });
    return { ok: true };
  });
  app.get('/metrics', {
    schema: {
      summary: 'Prometheus metrics (text exposition format 0.0.4)',
      response: { 200: { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  }, async (_req, reply) => {
    const counts = tracker.countByStatus();
    for (const [s, n] of Object.entries(counts)) metrics.nodesByStatus.set({ status: s }, n);
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get('/openapi.json', {
    schema: { summary: 'This OpenAPI 3.0 document', response: { 200: { description: 'the document', content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } } } } },
  }, async (_req, reply) => reply.type('application/json').send(JSON.stringify(app.swagger())));

  for (const p of opts.plugins ?? []) await app.register(p);
  await app.ready();
  return app;
}
