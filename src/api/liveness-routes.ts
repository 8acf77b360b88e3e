// Committed liveness rounds over HTTP, and consensus messages as a second
// transport (POST /api/liveness/propose).
//   GET  /api/liveness/latest        the newest committed round
//   GET  /api/liveness/rounds/:id    a committed round: table, certificate, the signed decision
//                                    message and the table's canonical bytes (base64), which a
//                                    peer verifies and applies (catch-up; throttled per client)
//   GET  /api/liveness/evidence      equivocations seen: both signed messages of the member
//   POST /api/liveness/propose       {message: base64 consensus/v1 message} → 202, or 400 with a code
import type { FastifyPluginAsync } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { toBase58, toHex } from '../common/bytes.js';
import { encodeTable, NEVER_ONLINE } from '../liveness/table.js';
import type { CatchUpSource, ConsensusService, FetchedRound } from '../consensus/service.js';
import type { CommittedRound } from '../consensus/validity.js';
import type { Message } from '../consensus/messages.js';

/** What a round view holds: `full` (default) everything; `summary` no entries and no table bytes (counts per status); `catchup` the signed decision and the table bytes, no entries JSON. */
export type RoundViewKind = 'full' | 'summary' | 'catchup';

export function roundView(c: CommittedRound, decision: Message | null, signers: Uint8Array[], kind: RoundViewKind = 'full') {
  const counts = { online: 0, suspect: 0, offline: 0 };
  if (kind === 'summary') for (const e of c.entries) counts[e.status]++;
  return {
    round: c.round.toString(),
    asOf: c.asOf,
    prevHash: toHex(c.prevHash),
    tableHash: toHex(c.hash),
    ...(kind === 'full' ? { entries: c.entries.map((e) => ({ nodeId: toBase58(e.nodeId), status: e.status, missed: e.missed === NEVER_ONLINE ? null : e.missed, since: e.since })) } : {}),
    ...(kind === 'summary' ? { counts } : {}),
    ...(kind !== 'catchup' ? { certificate: c.cert ? { view: c.cert.view, signatures: c.cert.sigs.map((s) => ({ index: s.index, signer: toBase58(signers[s.index]!), signature: toHex(s.sig) })) } : null } : {}),
    ...(kind !== 'summary' ? {
      decision: decision ? Buffer.from(decision.bytes).toString('base64') : null,
      table: Buffer.from(encodeTable({ roundId: c.round, asOf: c.asOf, prevHash: c.prevHash, entries: c.entries })).toString('base64'),
    } : {}),
  };
}

const viewQuery = { type: 'object', additionalProperties: false, properties: { view: { type: 'string', enum: ['full', 'summary', 'catchup'], default: 'full' } } };

const evidenceView = (e: { a: Message; b: Message }) => ({
  sender: e.a.sender, round: e.a.round.toString(), view: e.a.view, kind: e.a.kind,
  a: Buffer.from(e.a.bytes).toString('base64'), b: Buffer.from(e.b.bytes).toString('base64'),
});

export interface LivenessRouteOptions {
  /** Catch-up reads (rounds, latest) per client IP per minute. */
  catchUpPerMinute?: number;
}

export function livenessRoutes(service: ConsensusService, opts: LivenessRouteOptions = {}): FastifyPluginAsync {
  return async (app) => {
    const signers = service.o.committee.members.map((m) => m.signingKey);
    // serving catch-up costs disk reads and bytes: throttled per client so one peer cannot monopolise it
    const perMinute = opts.catchUpPerMinute ?? 1200;
    if (!app.hasDecorator('rateLimit')) await app.register(rateLimit, { global: false });
    const throttle = { config: { rateLimit: { max: perMinute, timeWindow: 60_000 } } };
    app.get<{ Querystring: { view?: RoundViewKind } }>('/api/liveness/latest', { ...throttle, schema: { summary: 'Newest committed liveness round', querystring: viewQuery } }, async (req, reply) => {
      const h = service.latest;
      if (h.committed.round < 0n) return reply.code(404).send({ success: false, code: 'NO_COMMITTED_ROUND', message: 'no round committed yet' });
      return roundView(h.committed, h.decision, signers, req.query.view);
    });
    app.get<{ Params: { id: string }; Querystring: { view?: RoundViewKind } }>('/api/liveness/rounds/:id', {
      ...throttle,
      schema: { summary: 'A committed liveness round with its certificate', params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]{1,20}$' } } }, querystring: viewQuery },
    }, async (req, reply) => {
      const c = await service.getCommitted(BigInt(req.params.id));
      if (!c) return reply.code(404).send({ success: false, code: 'ROUND_NOT_COMMITTED', message: `round ${req.params.id} is not committed here` });
      return roundView(c.committed, c.decision, signers, req.query.view);
    });
    app.get<{ Querystring: { limit?: number } }>('/api/liveness/evidence', {
      schema: { summary: 'Equivocation evidence: two different signed messages of one member for one (round, view, kind), newest first', querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } } },
    }, async (req) => ({ evidence: (await service.evidence(req.query.limit ?? 100)).map(evidenceView) }));
    app.post<{ Body: { message: string } }>('/api/liveness/propose', {
      bodyLimit: 6 * 1024 * 1024,
      schema: { summary: 'Submit a signed consensus message (second transport)', body: { type: 'object', required: ['message'], additionalProperties: false, properties: { message: { type: 'string', maxLength: 6 * 1024 * 1024 } } } },
    }, async (req, reply) => {
      const bytes = new Uint8Array(Buffer.from(req.body.message, 'base64'));
      const err = service.receive(bytes);
      if (err) return reply.code(400).send({ success: false, code: 'INVALID_CONSENSUS_MESSAGE', message: err });
      return reply.code(202).send({ success: true, message: 'accepted' });
    });
  };
}

/** Catch-up over HTTP from the peers' liveness routes (ConsensusService tries them in random order). */
export function httpCatchUp(peerUrls: string[] | (() => string[]), timeoutMs = 2000): CatchUpSource {
  const get = async (url: URL): Promise<FetchedRound | null> => {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!r.ok) return null;
      const body = (await r.json()) as { decision?: unknown; table?: unknown };
      if (typeof body.decision !== 'string') return null;
      return { decision: new Uint8Array(Buffer.from(body.decision, 'base64')), table: typeof body.table === 'string' ? new Uint8Array(Buffer.from(body.table, 'base64')) : null };
    } catch { return null; }
  };
  return {
    get peers() { return typeof peerUrls === 'function' ? peerUrls() : peerUrls; },
    round: (peer, round) => get(new URL(`/api/liveness/rounds/${round}?view=catchup`, peer)),
    latest: (peer) => get(new URL('/api/liveness/latest?view=catchup', peer)),
  };
}
