// The oracle's HTTP API (fastify). Heartbeat intake, node views, health,
// readiness, Prometheus metrics and an OpenAPI document. Other components
// (consensus, chain) add their routes as plugins.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import rateLimit from '@fastify/rate-limit';
import type { LivenessTracker, RejectCode } from '../liveness/tracker.js';
import { REJECT_HTTP_STATUS } from '../liveness/tracker.js';
import type { OracleMetrics } from './metrics.js';
import { errorSchema, heartbeatResponseSchema, nodeViewSchema, signedHeartbeatSchema } from './schemas.js';

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
}

/** Codes for errors fastify raises before our handler runs. */
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

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'SplitUp oracle API', version: opts.version ?? '0.1.0', description: 'Heartbeat intake, node liveness and committee state of one SplitUp oracle.' },
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

  app.setErrorHandler((err, req, reply) => {
    const { status, code } = frameworkErrorCode(err as { code?: string; statusCode?: number; validation?: unknown });
    if (req.routeOptions.url === '/api/heartbeat') metrics.heartbeatsRejected.inc({ code });
    if (status >= 500) req.log.error({ err }, 'request failed');
    reply.code(status).send({ success: false, code, message: (err as Error).message, timestamp: clock.now(), status: 'rejected' });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ success: false, code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}`, timestamp: clock.now(), status: 'rejected' });
  });

  const rejection = (code: RejectCode) => ({ $ref: 'Error#', description: code });
  app.post('/api/heartbeat', {
    bodyLimit: opts.heartbeatBodyLimit ?? 1024,
    ...(perMinute > 0 ? { config: { rateLimit: { max: perMinute, timeWindow: 60_000 } } } : {}),
    schema: {
      summary: 'Submit a signed heartbeat',
      body: { $ref: 'SignedHeartbeatData#' },
      response: {
        200: { $ref: 'HeartbeatResponse#' },
        ...Object.fromEntries(Object.entries(REJECT_HTTP_STATUS).map(([code, status]) => [status, rejection(code as RejectCode)])),
        413: { $ref: 'Error#', description: 'PAYLOAD_TOO_LARGE' },
        415: { $ref: 'Error#', description: 'UNSUPPORTED_MEDIA_TYPE' },
      },
    },
  }, async (req, reply) => {
    const r = await tracker.submit(req.body);
    const now = clock.now();
    if (r.ok) {
      metrics.heartbeatsAccepted.inc();
      return { success: true, message: 'heartbeat accepted', timestamp: now, status: r.status, seq: r.seq.toString() };
    }
    metrics.heartbeatsRejected.inc({ code: r.code });
    return (reply as FastifyReply).code(REJECT_HTTP_STATUS[r.code]).send({ success: false, code: r.code, message: r.message, timestamp: now, status: 'rejected' });
  });

  // Batch intake for gateways/relays that aggregate many nodes: each item is
  // judged exactly like a single POST /api/heartbeat and answered in order.
  const maxBatch = opts.maxBatch ?? 256;
  app.post<{ Body: { heartbeats: unknown[] } }>('/api/heartbeats', {
    bodyLimit: (opts.heartbeatBodyLimit ?? 1024) * maxBatch + 64,
    ...(perMinute > 0 ? { config: { rateLimit: { max: perMinute, timeWindow: 60_000 } } } : {}),
    schema: {
      summary: 'Submit up to maxBatch signed heartbeats (from many nodes) in one request',
      body: { type: 'object', additionalProperties: false, required: ['heartbeats'], properties: { heartbeats: { type: 'array', minItems: 1, maxItems: maxBatch, items: { $ref: 'SignedHeartbeatData#' } } } },
      response: { 200: { type: 'object', properties: { results: { type: 'array', items: { $ref: 'HeartbeatResponse#' } } } } },
    },
  }, async (req) => {
    const rs = await Promise.all(req.body.heartbeats.map((h) => tracker.submit(h)));
    const now = clock.now();
    return {
      results: rs.map((r) => {
        if (r.ok) { metrics.heartbeatsAccepted.inc(); return { success: true, message: 'heartbeat accepted', timestamp: now, status: r.status, seq: r.seq.toString() }; }
        metrics.heartbeatsRejected.inc({ code: r.code });
        return { success: false, code: r.code, message: r.message, timestamp: now, status: 'rejected' };
      }),
    };
  });

  app.get('/api/nodes', {
    schema: { summary: 'All known nodes with liveness', response: { 200: { type: 'object', properties: { nodes: { type: 'array', items: { $ref: 'NodeView#' } }, timestamp: { type: 'integer' } } } } },
  }, async () => ({ nodes: tracker.views(), timestamp: clock.now() }));

  app.get<{ Params: { id: string } }>('/api/nodes/:id', {
    schema: { summary: 'One node', params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } } }, response: { 200: { $ref: 'NodeView#' }, 404: { $ref: 'Error#' } } },
  }, async (req, reply) => {
    const v = tracker.view(req.params.id);
    if (!v) return reply.code(404).send({ success: false, code: 'UNKNOWN_NODE', message: `node ${req.params.id} is neither registered nor seen`, timestamp: clock.now(), status: 'rejected' });
    return v;
  });

  app.get('/healthz', { schema: { summary: 'Process liveness' } }, async () => ({ ok: true }));
  app.get('/readyz', { schema: { summary: 'Ready to serve (store open, components started)' } }, async (_req, reply) => {
    const problems = (opts.readiness ?? []).map((c) => c()).filter((x): x is string => !!x);
    if (problems.length) return reply.code(503).send({ ok: false, problems });
    return { ok: true };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const counts = tracker.countByStatus();
    for (const [s, n] of Object.entries(counts)) metrics.nodesByStatus.set({ status: s }, n);
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  for (const p of opts.plugins ?? []) await app.register(p);
  await app.ready();
  return app;
}
