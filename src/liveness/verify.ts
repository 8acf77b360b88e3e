// Stateless checks of a SignedHeartbeatData: shape, key = nodeId, signature.
// Used by the oracle's intake (before its stateful rules); also the node-signature
// check anyone can apply to a heartbeat an oracle keeps as proof of what a node sent.
import type { KeyObject } from 'node:crypto';
import { fromBase58, fromHex, U64_MAX } from '../common/bytes.js';
import { publicKeyObject, verify as edVerify } from '../common/ed25519.js';
import { loadSodium } from '../common/sodium.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { heartbeatSigningBytes, NODE_STATUSES, type HeartbeatData, type SignedHeartbeatData } from './heartbeat-codec.js';

export type HeartbeatFault = 'MALFORMED' | 'KEY_MISMATCH' | 'BAD_SIGNATURE';

export type ParsedHeartbeat =
  | { ok: true; data: HeartbeatData; nodeKey: Uint8Array; signature: Uint8Array }
  | { ok: false; code: HeartbeatFault; message: string };

const fail = (code: HeartbeatFault, message: string): ParsedHeartbeat => ({ ok: false, code, message });
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const SEQ_RE = /^(?:0|[1-9][0-9]{0,19})$/;
// base58 → key bytes for node ids seen (base58 decoding is ~2 µs of a heartbeat's parse). The
// cached arrays are shared: callers never write into nodeKey. Bounded: cleared at 100 000 ids.
const nodeKeys = new Map<string, Uint8Array>();

/** Shape and encoding checks (no signature). Mirrors the JSON schema of the HTTP API. */
export function parseSignedHeartbeat(body: unknown): ParsedHeartbeat {
  if (!isObj(body)) return fail('MALFORMED', 'body must be an object');
  const { payload: p, signature, publicKey } = body;
  if (!isObj(p)) return fail('MALFORMED', 'payload must be an object');
  if (typeof signature !== 'string' || signature.length !== 128) return fail('MALFORMED', 'signature must be 64 bytes of hex');
  if (typeof publicKey !== 'string') return fail('MALFORMED', 'publicKey must be a base58 string');
  if (typeof p.nodeId !== 'string') return fail('MALFORMED', 'payload.nodeId must be a base58 string');
  if (typeof p.timestamp !== 'number' || !Number.isSafeInteger(p.timestamp) || p.timestamp < 0) return fail('MALFORMED', 'payload.timestamp must be a non-negative integer (ms)');
  let seq: bigint;
  if (typeof p.seq === 'number' && Number.isSafeInteger(p.seq) && p.seq >= 0) seq = BigInt(p.seq);
  else if (typeof p.seq === 'string' && SEQ_RE.test(p.seq) && BigInt(p.seq) <= U64_MAX) seq = BigInt(p.seq);
  else return fail('MALFORMED', 'payload.seq must be a u64 (decimal string or safe integer)');
  if (typeof p.nodeStatus !== 'string' || !(NODE_STATUSES as readonly string[]).includes(p.nodeStatus)) return fail('MALFORMED', `payload.nodeStatus must be one of ${NODE_STATUSES.join(', ')}`);
  if (typeof p.hasCapacity !== 'boolean') return fail('MALFORMED', 'payload.hasCapacity must be a boolean');
  if (typeof p.vramFreeMb !== 'number' || !Number.isInteger(p.vramFreeMb) || p.vramFreeMb < 0 || p.vramFreeMb > 0xffffffff) return fail('MALFORMED', 'payload.vramFreeMb must be a u32');
  let nodeKey: Uint8Array, sig: Uint8Array;
  const cachedKey = nodeKeys.get(p.nodeId);
  if (cachedKey) nodeKey = cachedKey;
  else {
    try { nodeKey = fromBase58(p.nodeId, 32); } catch { return fail('MALFORMED', 'payload.nodeId must encode a 32-byte public key'); }
    if (nodeKeys.size >= 100_000) nodeKeys.clear();
    nodeKeys.set(p.nodeId, nodeKey);
  }
  try { sig = fromHex(signature); } catch { return fail('MALFORMED', 'signature must be hex'); }
  if (publicKey !== p.nodeId) return fail('KEY_MISMATCH', 'publicKey must equal payload.nodeId');
  const data: HeartbeatData = { nodeId: p.nodeId, timestamp: p.timestamp, seq, nodeStatus: p.nodeStatus as HeartbeatData['nodeStatus'], hasCapacity: p.hasCapacity, vramFreeMb: p.vramFreeMb };
  return { ok: true, data, nodeKey, signature: sig };
}

/** Ed25519 check of a parsed heartbeat (node:crypto). `key` may be a cached KeyObject. */
export function checkHeartbeatSignature(h: { data: HeartbeatData; nodeKey: Uint8Array; signature: Uint8Array }, key?: KeyObject): boolean {
  return edVerify(key ?? publicKeyObject(h.nodeKey), heartbeatSigningBytes(h.data, h.nodeKey), h.signature);
}

const sodium = loadSodium();
const keyObjects = new Map<string, KeyObject>();

/** Which Ed25519 verifier the intake path uses here. */
export const INTAKE_VERIFIER: 'libsodium' | 'node:crypto' = 'sodium' in sodium ? 'libsodium' : 'node:crypto';

/**
 * The intake path's Ed25519 check: libsodium's crypto_sign_verify_detached where
 * sodium-native loads (raw 32-byte key, no key object to build; 1.5–1.9× the
 * rate of node:crypto on this machine), node:crypto with cached key objects
 * otherwise. libsodium's rule is node:crypto's (cofactorless, s < q, R compared
 * byte for byte) plus rejection of non-canonical and small-order keys and R, so
 * a heartbeat accepted here also passes node:crypto's check (verifyNodeSignature),
 * whoever later checks the kept heartbeat.
 */
export function checkHeartbeatSignatureIntake(h: { data: HeartbeatData; nodeKey: Uint8Array; signature: Uint8Array }): boolean {
  if (h.signature.length !== 64 || h.nodeKey.length !== 32) return false;
  const msg = heartbeatSigningBytes(h.data, h.nodeKey);
  if ('sodium' in sodium) return sodium.sodium.crypto_sign_verify_detached(h.signature, msg, h.nodeKey);
  const id = Buffer.from(h.nodeKey).toString('hex');
  let key = keyObjects.get(id);
  if (!key) {
    try { key = publicKeyObject(h.nodeKey); } catch { return false; }
    if (keyObjects.size >= 100_000) keyObjects.clear();
    keyObjects.set(id, key);
  }
  return edVerify(key, msg, h.signature);
}

/**
 * A compute node's signature on raw signed bytes, by the intake's rule: what anyone checking a
 * heartbeat an oracle kept (or a node's signed bytes elsewhere) should apply. node:crypto accepts a
 * small-order key (the identity) with a signature that verifies for every message, so such a key
 * would "sign" anything: libsodium refuses small-order keys and R, and without it small-order keys
 * are refused here before node:crypto runs.
 */
export function verifyNodeSignature(nodeKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  if (sig.length !== 64 || nodeKey.length !== 32) return false;
  if ('sodium' in sodium) return sodium.sodium.crypto_sign_verify_detached(sig, msg, nodeKey);
  try { if (ed25519.Point.fromBytes(nodeKey).isSmallOrder()) return false; } catch { return false; }
  return edVerify(nodeKey, msg, sig);
}

/** Full stateless verification: parse, key = nodeId, signature. */
export function verifySignedHeartbeat(body: SignedHeartbeatData | unknown): ParsedHeartbeat {
  const parsed = parseSignedHeartbeat(body);
  if (!parsed.ok) return parsed;
  if (!checkHeartbeatSignature(parsed)) return fail('BAD_SIGNATURE', 'signature does not verify under nodeId');
  return parsed;
}
