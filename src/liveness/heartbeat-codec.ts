// splitup/heartbeat/v1 — the signed heartbeat wire format (PROTOCOL §2).
//
// JSON on the wire (POST /api/heartbeat):
//   { payload: { nodeId: base58(32-byte ed25519 pubkey), timestamp: ms integer,
//                seq: u64 as decimal string or safe integer, nodeStatus: "idle"|"busy"|"draining",
//                hasCapacity: boolean, vramFreeMb: u32 integer },
//     signature: hex(64 bytes), publicKey: base58(32 bytes) }
//
// Signed bytes (74 bytes, all integers big-endian):
//   "splitup/heartbeat/v1"   20 bytes ASCII domain tag
//   nodeId                   32 bytes raw public key
//   timestamp                u64
//   seq                      u64
//   nodeStatus               u8   (idle=0, busy=1, draining=2)
//   hasCapacity              u8   (0 or 1)
//   vramFreeMb               u32
import { concatBytes, fromBase58, u32be, u64be, u8, utf8, toBase58, toHex, U64_MAX } from '../common/bytes.js';
import { Ed25519Signer } from '../common/ed25519.js';

export const HEARTBEAT_DOMAIN = 'splitup/heartbeat/v1';
export const HEARTBEAT_DOMAIN_BYTES = utf8(HEARTBEAT_DOMAIN);
export const HEARTBEAT_SIGNED_LENGTH = HEARTBEAT_DOMAIN_BYTES.length + 32 + 8 + 8 + 1 + 1 + 4;

export const NODE_STATUSES = ['idle', 'busy', 'draining'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

export interface HeartbeatData {
  nodeId: string;
  timestamp: number;
  seq: bigint;
  nodeStatus: NodeStatus;
  hasCapacity: boolean;
  vramFreeMb: number;
}

/** The JSON form (seq as decimal string so u64 survives JSON). */
export interface HeartbeatDataJson {
  nodeId: string;
  timestamp: number;
  seq: string | number;
  nodeStatus: NodeStatus;
  hasCapacity: boolean;
  vramFreeMb: number;
}

export interface SignedHeartbeatData {
  payload: HeartbeatDataJson;
  signature: string;
  publicKey: string;
}

export interface HeartbeatResponse {
  success: boolean;
  message: string;
  timestamp: number;
  status: string;
}

/** Canonical bytes that are signed. Throws on out-of-range fields. */
export function heartbeatSigningBytes(hb: HeartbeatData, nodeKey?: Uint8Array): Uint8Array {
  const key = nodeKey ?? fromBase58(hb.nodeId, 32);
  const status = NODE_STATUSES.indexOf(hb.nodeStatus);
  if (status < 0) throw new TypeError(`invalid nodeStatus: ${hb.nodeStatus}`);
  const { timestamp: ts, seq, vramFreeMb: vram } = hb;
  // Hot path (every heartbeat is verified): one allocation when every field is in range;
  // anything unusual takes the general encoding below, which also reports range errors.
  if (key.length === 32 && Number.isSafeInteger(ts) && ts >= 0 && typeof seq === 'bigint' && seq >= 0n && seq <= U64_MAX && Number.isInteger(vram) && vram >= 0 && vram <= 0xffffffff) {
    const out = new Uint8Array(HEARTBEAT_SIGNED_LENGTH);
    const dv = new DataView(out.buffer);
    out.set(HEARTBEAT_DOMAIN_BYTES, 0);
    out.set(key, 20);
    dv.setUint32(52, Math.floor(ts / 0x100000000)); dv.setUint32(56, ts >>> 0);
    dv.setBigUint64(60, seq);
    out[68] = status; out[69] = hb.hasCapacity ? 1 : 0;
    dv.setUint32(70, vram);
    return out;
  }
  return concatBytes(
    HEARTBEAT_DOMAIN_BYTES,
    key,
    u64be(hb.timestamp),
    u64be(hb.seq),
    u8(status),
    u8(hb.hasCapacity ? 1 : 0),
    u32be(hb.vramFreeMb),
  );
}

export function heartbeatToJson(hb: HeartbeatData): HeartbeatDataJson {
  return { ...hb, seq: hb.seq.toString() };
}

export function heartbeatFromJson(j: HeartbeatDataJson): HeartbeatData {
  return { ...j, seq: BigInt(j.seq) };
}

/** Builds a signed heartbeat (the compute-node side). */
export function signHeartbeat(signer: Ed25519Signer, hb: Omit<HeartbeatData, 'nodeId'>): SignedHeartbeatData {
  const nodeId = toBase58(signer.publicKey);
  const full: HeartbeatData = { ...hb, nodeId };
  const sig = signer.sign(heartbeatSigningBytes(full, signer.publicKey));
  return { payload: heartbeatToJson(full), signature: toHex(sig), publicKey: nodeId };
}

