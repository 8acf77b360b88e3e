// JSON schemas of the HTTP API (validated by fastify/ajv, published in the OpenAPI document).
import { NODE_STATUSES } from '../liveness/heartbeat-codec.js';
import { LIVENESS_STATUSES } from '../liveness/table.js';

const base58Key = { type: 'string', minLength: 32, maxLength: 44, pattern: '^[1-9A-HJ-NP-Za-km-z]+$' } as const;

/**
 * A regular expression (no anchors) for the decimal integers 0..max without leading zeros: all
 * shorter numbers, then, digit by digit, the numbers of max's length that stay below it.
 */
export function decimalUpTo(max: bigint): string {
  const d = max.toString();
  const alts = [d.length > 1 ? `0|[1-9][0-9]{0,${d.length - 2}}` : '0'];
  for (let i = 0; i < d.length; i++) {
    const digit = Number(d[i]);
    const lo = i === 0 ? 1 : 0;
    if (digit > lo) {
      const rest = d.length - i - 1;
      alts.push(`${d.slice(0, i)}[${lo}-${digit - 1}]${rest ? `[0-9]{${rest}}` : ''}`);
    }
  }
  alts.push(d);
  return alts.join('|');
}
export const U64_MAX = 2n ** 64n - 1n;
/** A u64 as a decimal string: at most 18446744073709551615. */
export const u64StringPattern = `^(${decimalUpTo(U64_MAX)})$`;

export const signedHeartbeatSchema = {
  $id: 'SignedHeartbeatData',
  type: 'object',
  additionalProperties: false,
  required: ['payload', 'signature', 'publicKey'],
  properties: {
    payload: {
      type: 'object',
      additionalProperties: false,
      required: ['nodeId', 'timestamp', 'seq', 'nodeStatus', 'hasCapacity', 'vramFreeMb'],
      properties: {
        nodeId: base58Key,
        timestamp: { type: 'integer', minimum: 0, description: 'milliseconds since the Unix epoch' },
        seq: { anyOf: [{ type: 'string', pattern: u64StringPattern }, { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }], description: 'u64 (0..18446744073709551615) as a decimal string, or a safe JSON integer; strictly increasing per node' },
        nodeStatus: { type: 'string', enum: [...NODE_STATUSES] },
        hasCapacity: { type: 'boolean' },
        vramFreeMb: { type: 'integer', minimum: 0, maximum: 4294967295 },
      },
    },
    signature: { type: 'string', minLength: 128, maxLength: 128, pattern: '^[0-9a-fA-F]+$', description: 'hex Ed25519 signature over splitup/heartbeat/v1 canonical bytes' },
    publicKey: base58Key,
  },
} as const;

export const heartbeatResponseSchema = {
  $id: 'HeartbeatResponse',
  type: 'object',
  required: ['success', 'message', 'timestamp', 'status'],
  properties: {
    success: { type: 'boolean' },
    message: { type: 'string' },
    timestamp: { type: 'integer', description: "oracle's clock (ms)" },
    status: { type: 'string', description: "the node's liveness status after acceptance, or 'rejected'" },
    code: { type: 'string', description: 'machine-readable rejection code' },
    seq: { type: 'string' },
  },
} as const;

export const batchResponseSchema = {
  $id: 'HeartbeatBatchResponse',
  type: 'object',
  required: ['results', 'accepted', 'rejected'],
  properties: {
    results: { type: 'array', items: { $ref: 'HeartbeatResponse#' }, description: 'one result per submitted item, in order; each item is judged on its own' },
    accepted: { type: 'integer' },
    rejected: { type: 'integer' },
  },
} as const;

export const readinessSchema = {
  $id: 'Readiness',
  type: 'object',
  required: ['ok'],
  properties: { ok: { type: 'boolean' }, problems: { type: 'array', items: { type: 'string' }, description: 'why the oracle is not ready (503 only)' } },
} as const;

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['success', 'code', 'message'],
  properties: { success: { type: 'boolean' }, code: { type: 'string' }, message: { type: 'string' }, timestamp: { type: 'integer' }, status: { type: 'string' } },
} as const;

export const nodeViewSchema = {
  $id: 'NodeView',
  type: 'object',
  properties: {
    nodeId: { type: 'string' },
    registered: { type: 'boolean' },
    active: { type: 'boolean' },
    status: { type: 'string', enum: [...LIVENESS_STATUSES] },
    lastSeen: { type: ['integer', 'null'] },
    receivedAt: { type: ['integer', 'null'] },
    lastSeq: { type: ['string', 'null'] },
    nodeStatus: { type: ['string', 'null'] },
    hasCapacity: { type: ['boolean', 'null'] },
    vramFreeMb: { type: ['integer', 'null'] },
    specializations: { type: 'array', items: { type: 'integer' } },
  },
} as const;
