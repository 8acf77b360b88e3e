// Committed liveness rounds over HTTP, and consensus messages as a second
// transport (POST /api/liveness/propose).
//   GET  /api/liveness/latest        the newest committed round
//   GET  /api/liveness/rounds/:id    a committed round: table, certificate, and the signed
//                                    decision message (base64) a peer can verify and apply
//   POST /api/liveness/propose       {message: base64 consensus/v1 message} → 202, or 400 with a code
import type { FastifyPluginAsync } from 'fastify';
import { toBase58, toHex } from '../common/bytes.js';
import type { ConsensusService } from '../consensus/service.js';
import type { CommittedRound } from '../consensus/validity.js';
import type { Message } from '../consensus/messages.js';

export function roundView(c: CommittedRound, decision: Message | null, signers: Uint8Array[]) {
  return {
    round: c.round.toString(),
    asOf: c.asOf,
    prevHash: toHex(c.prevHash),
    tableHash: toHex(c.hash),
    entries: c.entries.map((e) => ({ nodeId: toBase58(e.nodeId), status: e.status, lastSeen: e.lastSeen, lastSeq: e.lastSeq.toString() })),
    certificate: c.cert ? { view: c.cert.view, signatures: c.cert.sigs.map((s) => ({ index: s.index, signer: toBase58(signers[s.index]!), signature: toHex(s.sig) })) } : null,
    decision: decision ? Buffer.from(decision.bytes).toString('base64') : null,
  };
}

export function livenessRoutes(service: ConsensusService): FastifyPluginAsync {
  return async (app) => {
    const signers = service.o.committee.members.map((m) => m.signingKey);
    app.get('/api/liveness/latest', { schema: { summary: 'Newest committed liveness round' } }, async (_req, reply) => {
      const h = service.latest;
      if (h.committed.round < 0n) return reply.code(404).send({ success: false, code: 'NO_COMMITTED_ROUND', message: 'no round committed yet' });
      return roundView(h.committed, h.decision, signers);
    });
    app.get<{ Params: { id: string } }>('/api/liveness/rounds/:id', {
      schema: { summary: 'A committed liveness round with its certificate', params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]{1,20}$' } } } },
    }, async (req, reply) => {
      const c = await service.getCommitted(BigInt(req.params.id));
      if (!c) return reply.code(404).send({ success: false, code: 'ROUND_NOT_COMMITTED', message: `round ${req.params.id} is not committed here` });
      return roundView(c.committed, c.decision, signers);
    });
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

/** HTTP fetcher for ConsensusService.fetchDecision: asks each peer in turn. */
export function httpDecisionFetcher(peerUrls: string[], timeoutMs = 2000): (round: bigint) => Promise<Uint8Array | null> {
  return async (round) => {
    for (const u of peerUrls) {
      try {
        const r = await fetch(new URL(`/api/liveness/rounds/${round}`, u), { signal: AbortSignal.timeout(timeoutMs) });
        if (!r.ok) continue;
        const body = (await r.json()) as { decision?: string | null };
        if (body.decision) return new Uint8Array(Buffer.from(body.decision, 'base64'));
      } catch { /* next peer */ }
    }
    return null;
  };
}
