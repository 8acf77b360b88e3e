// One judgement and one answer for every heartbeat intake route: POST /api/heartbeat (fastify has
// validated the body against the schema), each item of POST /api/heartbeats and each message of
// GET /api/heartbeat/stream (validated here against the same schema). Every answer is counted in
// splitup_heartbeats_accepted_total / splitup_heartbeats_rejected_total{code}.
import { Ajv } from 'ajv';
import type { LivenessTracker, SubmitResult } from '../liveness/tracker.js';
import type { OracleMetrics } from './metrics.js';
import { signedHeartbeatSchema } from './schemas.js';

/** A tracker's result, or a refusal of the route itself (a malformed message, a rate limit). */
export type Judged = SubmitResult | { ok: false; code: string; message: string };

export type HeartbeatAnswer =
  | { success: true; message: string; timestamp: number; status: string; seq: string }
  | { success: false; code: string; message: string; timestamp: number; status: 'rejected' };

export interface HeartbeatIntake {
  /** Schema check (MALFORMED with the reason), then the tracker's checks. */
  judge(h: unknown): Promise<SubmitResult>;
  /** The answer body for a judgement (stamped `now`, default the tracker's clock), counted in the metrics. */
  answer(r: Judged, now?: number): HeartbeatAnswer;
}

export function heartbeatIntake(tracker: LivenessTracker, metrics: OracleMetrics): HeartbeatIntake {
  const ajv = new Ajv({ allErrors: false, coerceTypes: false, removeAdditional: false });
  const valid = ajv.compile(signedHeartbeatSchema);
  const clock = tracker.clock;
  return {
    judge: (h) => (valid(h) ? tracker.submit(h) : Promise.resolve({ ok: false, code: 'MALFORMED', message: `heartbeat${ajv.errorsText(valid.errors, { dataVar: '' })}` })),
    answer: (r, now = clock.now()) => {
      if (r.ok) { metrics.heartbeatsAccepted.inc(); return { success: true, message: 'heartbeat accepted', timestamp: now, status: r.status, seq: r.seq.toString() }; }
      metrics.heartbeatsRejected.inc({ code: r.code });
      return { success: false, code: r.code, message: r.message, timestamp: now, status: 'rejected' };
    },
  };
}
