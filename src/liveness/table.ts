// splitup/liveness-table/v1 — the LivenessTable that the committee agrees on
// each round (PROTOCOL §3).
//
// A table is the full, sorted set of entries; a round's candidate carries the
// `updates` (entries whose status/heartbeat changed against the table of
// round r−1) and `tableHash`, which commits to the full resulting table and to
// the previous table's hash, so committed tables form a hash chain.
//
// Canonical bytes hashed with SHA-256 (integers big-endian):
//   "splitup/liveness-table/v1"  25 bytes ASCII
//   roundId                      u64
//   asOf                         u64 ms: the epoch-boundary time the statuses are evaluated at
//   prevHash                     32 bytes (all zero for the genesis round)
//   count                        u32
//   count × entry, sorted by nodeId bytes ascending, nodeIds unique:
//     nodeId      32 bytes
//     status      u8 (online=0, suspect=1, offline=2)
//     lastSeen    u64 timestamp (ms) of the newest accepted heartbeat, 0 = never
//     lastSeq     u64 seq of that heartbeat
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, compareBytes, concatBytes, readU32be, readU64be, u32be, u64be, u8, utf8 } from '../common/bytes.js';

export const TABLE_DOMAIN_BYTES = utf8('splitup/liveness-table/v1');
export const LIVENESS_STATUSES = ['online', 'suspect', 'offline'] as const;
export type LivenessStatus = (typeof LIVENESS_STATUSES)[number];
export const ZERO_HASH = new Uint8Array(32);

export interface TableEntry {
  nodeId: Uint8Array; // 32-byte public key
  status: LivenessStatus;
  lastSeen: number;
  lastSeq: bigint;
}

export interface LivenessTable {
  roundId: bigint;
  /** Time (ms) the statuses are evaluated at: status = statusAt(lastSeen, asOf). */
  asOf: number;
  prevHash: Uint8Array;
  entries: TableEntry[]; // sorted by nodeId, unique
}

export function sortEntries(entries: TableEntry[]): TableEntry[] {
  return [...entries].sort((a, b) => compareBytes(a.nodeId, b.nodeId));
}

export function encodeTable(t: LivenessTable): Uint8Array {
  const parts: Uint8Array[] = [TABLE_DOMAIN_BYTES, u64be(t.roundId), u64be(t.asOf), t.prevHash, u32be(t.entries.length)];
  let prev: Uint8Array | undefined;
  for (const e of t.entries) {
    if (e.nodeId.length !== 32) throw new TypeError('nodeId must be 32 bytes');
    if (prev && compareBytes(prev, e.nodeId) >= 0) throw new TypeError('table entries must be sorted and unique');
    prev = e.nodeId;
    parts.push(e.nodeId, u8(LIVENESS_STATUSES.indexOf(e.status)), u64be(e.lastSeen), u64be(e.lastSeq));
  }
  if (t.prevHash.length !== 32) throw new TypeError('prevHash must be 32 bytes');
  return concatBytes(...parts);
}

export function tableHash(t: LivenessTable): Uint8Array {
  return sha256(encodeTable(t));
}

function entryEqual(a: TableEntry, b: TableEntry): boolean {
  return a.status === b.status && a.lastSeen === b.lastSeen && a.lastSeq === b.lastSeq;
}

/** Entries of `next` that are new or differ from `prev` (both sorted). */
export function diffTables(prev: TableEntry[], next: TableEntry[]): TableEntry[] {
  const byId = new Map(prev.map((e) => [Buffer.from(e.nodeId).toString('hex'), e]));
  return next.filter((e) => {
    const p = byId.get(Buffer.from(e.nodeId).toString('hex'));
    return !p || !entryEqual(p, e);
  });
}

/** Applies updates to a previous table's entries (updates replace by nodeId). */
export function applyUpdates(prev: TableEntry[], updates: TableEntry[]): TableEntry[] {
  const m = new Map(prev.map((e) => [Buffer.from(e.nodeId).toString('hex'), e]));
  for (const u of updates) m.set(Buffer.from(u.nodeId).toString('hex'), u);
  return sortEntries([...m.values()]);
}

/** Inverse of encodeTable (checks domain, sizes, order). */
export function decodeTable(b: Uint8Array): LivenessTable {
  const D = TABLE_DOMAIN_BYTES.length;
  if (b.length < D + 8 + 8 + 32 + 4 || !bytesEqual(b.subarray(0, D), TABLE_DOMAIN_BYTES)) throw new TypeError('not a splitup/liveness-table/v1 encoding');
  const roundId = readU64be(b, D);
  const asOf = Number(readU64be(b, D + 8));
  const prevHash = b.slice(D + 16, D + 48);
  const count = readU32be(b, D + 48);
  if (b.length !== D + 52 + count * 49) throw new TypeError('table length does not match its entry count');
  const entries: TableEntry[] = [];
  for (let i = 0, o = D + 52; i < count; i++, o += 49) {
    const status = LIVENESS_STATUSES[b[o + 32]!];
    if (!status) throw new TypeError('invalid status');
    entries.push({ nodeId: b.slice(o, o + 32), status, lastSeen: Number(readU64be(b, o + 33)), lastSeq: readU64be(b, o + 41) });
  }
  const t = { roundId, asOf, prevHash, entries };
  encodeTable(t); // re-checks order and uniqueness
  return t;
}
