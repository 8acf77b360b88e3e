// splitup/liveness-table/v2 — the LivenessTable that the committee agrees on
// each round (PROTOCOL §3, as revised by issue #14: statuses follow from oracle
// attestations, see src/liveness/attestation.ts and docs/consensus.md).
//
// A table is the round's roster — every node the committee tracks, sorted by
// public key — with each node's status and two round numbers. `tableHash`
// commits to the full table and to the previous table's hash, so committed
// tables form a hash chain.
//
// Canonical bytes hashed with SHA-256 (integers big-endian):
//   "splitup/liveness-table/v2"  25 bytes ASCII
//   roundId                      u64
//   asOf                         u64 ms: the end of the round's epoch (fixed by the round, not chosen)
//   prevHash                     32 bytes (all zero for the genesis round)
//   count                        u32
//   count × entry (45 bytes), sorted by nodeId bytes ascending, nodeIds unique:
//     nodeId      32 bytes
//     status      u8 (online=0, suspect=1, offline=2)
//     missed      u32 rounds since the node was last online (0 = online now; 0xffffffff = never online)
//     since       u64 the round in which the node entered the roster
// An entry changes only when its status or missed count does, so a node that stays online keeps
// the same entry (and bytes) from round to round.
import { createHash } from 'node:crypto';
import { bytesEqual, compareBytes, readU32be, readU64be } from '../common/bytes.js';

const TABLE_DOMAIN = 'splitup/liveness-table/v2';
export const TABLE_DOMAIN_BYTES = Uint8Array.from(Buffer.from(TABLE_DOMAIN, 'ascii'));
export const LIVENESS_STATUSES = ['online', 'suspect', 'offline'] as const;
export type LivenessStatus = (typeof LIVENESS_STATUSES)[number];
export const ZERO_HASH = new Uint8Array(32);
export const ENTRY_BYTES = 45;
export const NEVER_ONLINE = 0xffff_ffff;
const HEAD_BYTES = TABLE_DOMAIN_BYTES.length + 8 + 8 + 32 + 4;

export interface TableEntry {
  nodeId: Uint8Array; // 32-byte public key
  status: LivenessStatus;
  /** Rounds since the node was last online: 0 = online in this round, NEVER_ONLINE = not yet. */
  missed: number;
  /** The round in which the node entered the roster (a safe integer: plain numbers are far faster than bigint at 100,000 entries). */
  since: number;
}

export interface LivenessTable {
  roundId: bigint;
  /** The end of the round's epoch: the time the attestations speak about. */
  asOf: number;
  prevHash: Uint8Array;
  entries: TableEntry[]; // sorted by nodeId, unique
}

export function sortEntries(entries: TableEntry[]): TableEntry[] {
  return [...entries].sort((a, b) => compareBytes(a.nodeId, b.nodeId));
}

const STATUS_CODE: Record<LivenessStatus, number> = { online: 0, suspect: 1, offline: 2 };

/**
 * The entries' canonical bytes (count × 45), kept per entries array: a round's entries are built
 * from the previous round's bytes (src/liveness/attestation.ts), so the ids of a 100,000-node roster
 * are copied from one contiguous buffer instead of being gathered from 100,000 scattered arrays.
 * Entries arrays are never mutated once built or decoded.
 */
const BODIES = new WeakMap<readonly TableEntry[], Uint8Array>();

/** Records the canonical bytes of an entries array (built alongside it, trusted). */
export function rememberBody(entries: readonly TableEntry[], body: Uint8Array): void { BODIES.set(entries, body); }

/** The entries' canonical bytes (checked sorted and unique when computed). */
export function tableBody(entries: readonly TableEntry[]): Uint8Array {
  let body = BODIES.get(entries);
  if (!body) { body = encodeBody(entries); BODIES.set(entries, body); }
  return body;
}

function tableHead(t: LivenessTable): Buffer {
  if (t.prevHash.length !== 32) throw new TypeError('prevHash must be 32 bytes');
  const out = Buffer.allocUnsafe(HEAD_BYTES);
  out.set(TABLE_DOMAIN_BYTES, 0);
  let o = TABLE_DOMAIN_BYTES.length;
  out.writeBigUInt64BE(t.roundId, o); o += 8;
  out.writeBigUInt64BE(BigInt(t.asOf), o); o += 8;
  out.set(t.prevHash, o); o += 32;
  out.writeUInt32BE(t.entries.length, o);
  return out;
}

/** Canonical bytes (a 100,000-node table is 4.9 MB). */
export function encodeTable(t: LivenessTable): Uint8Array {
  const head = tableHead(t), body = tableBody(t.entries);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0); out.set(body, head.length);
  return out;
}

function encodeBody(entries: readonly TableEntry[]): Uint8Array {
  const out = Buffer.allocUnsafe(entries.length * ENTRY_BYTES);
  for (let i = 0, o = 0; i < entries.length; i++, o += ENTRY_BYTES) {
    const e = entries[i]!;
    const id = e.nodeId;
    if (id.length !== 32) throw new TypeError('nodeId must be 32 bytes');
    for (let k = 0; k < 32; k++) out[o + k] = id[k]!; // a loop beats set() for 32 bytes
    // sorted and unique: compared in place, against the id just written
    if (i > 0 && out.compare(out, o - ENTRY_BYTES, o - ENTRY_BYTES + 32, o, o + 32) <= 0) throw new TypeError('table entries must be sorted and unique');
    writeFields(out, o, e);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** An entry's status, missed and since at o + 32 … o + 44 (its id at o … o + 31). */
export function writeFields(out: Uint8Array, o: number, e: TableEntry): void {
  out[o + 32] = STATUS_CODE[e.status];
  const m = e.missed;
  if (!Number.isInteger(m) || m < 0 || m > NEVER_ONLINE) throw new RangeError(`missed out of range: ${m}`);
  out[o + 33] = m >>> 24; out[o + 34] = (m >>> 16) & 0xff; out[o + 35] = (m >>> 8) & 0xff; out[o + 36] = m & 0xff;
  writeU64(out, o + 37, e.since);
}

function writeU64(b: Uint8Array, o: number, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`round number out of range: ${v}`);
  const hi = Math.floor(v / 0x1_0000_0000), lo = v >>> 0;
  b[o] = hi >>> 24; b[o + 1] = (hi >>> 16) & 0xff; b[o + 2] = (hi >>> 8) & 0xff; b[o + 3] = hi & 0xff;
  b[o + 4] = lo >>> 24; b[o + 5] = (lo >>> 16) & 0xff; b[o + 6] = (lo >>> 8) & 0xff; b[o + 7] = lo & 0xff;
}

function readU64(b: Uint8Array, o: number): number {
  const v = readU64be(b, o);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TypeError('round number out of range');
  return Number(v);
}

/** SHA-256 of the canonical bytes (node:crypto: ~5× @noble's speed on multi-megabyte tables). */
export function tableHash(t: LivenessTable): Uint8Array {
  return new Uint8Array(createHash('sha256').update(tableHead(t)).update(tableBody(t.entries)).digest());
}

/** Inverse of encodeTable (checks domain, sizes, order). */
export function decodeTable(b: Uint8Array): LivenessTable {
  const D = TABLE_DOMAIN_BYTES.length;
  if (b.length < HEAD_BYTES || !bytesEqual(b.subarray(0, D), TABLE_DOMAIN_BYTES)) throw new TypeError(`not a ${TABLE_DOMAIN} encoding`);
  const roundId = readU64be(b, D);
  const asOf = Number(readU64be(b, D + 8));
  const prevHash = b.slice(D + 16, D + 48);
  const count = readU32be(b, D + 48);
  if (b.length !== HEAD_BYTES + count * ENTRY_BYTES) throw new TypeError('table length does not match its entry count');
  const entries: TableEntry[] = new Array(count);
  for (let i = 0, o = HEAD_BYTES; i < count; i++, o += ENTRY_BYTES) {
    const status = LIVENESS_STATUSES[b[o + 32]!];
    if (!status) throw new TypeError('invalid status');
    const nodeId = b.slice(o, o + 32);
    if (i > 0 && compareBytes(entries[i - 1]!.nodeId, nodeId) >= 0) throw new TypeError('table entries must be sorted and unique');
    entries[i] = { nodeId, status, missed: readU32be(b, o + 33), since: readU64(b, o + 37) };
  }
  BODIES.set(entries, b.slice(HEAD_BYTES));
  return { roundId, asOf, prevHash, entries };
}
