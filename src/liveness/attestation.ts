// Attestations: what each oracle says it heard, and the rule that turns q of
// them into a round's statuses (issue #14; the argument is in docs/consensus.md,
// "Liveness from attestations").
//
// In round r every oracle signs one attestation: a bitmap over the roster of the
// table committed for r − 1 (its entries in table order), bit i set iff the
// oracle holds an accepted heartbeat from roster[i] whose timestamp is at least
// asOf − intervalMs − graceMs, asOf = the end of round r's epoch. A proposal
// carries at least q attestations of distinct members for (r, prevHash), and
//   node i is online in round r  ⇔  at least f + 1 of the carried attestations set bit i.
// Among any q attestations at least q − f ≥ f + 1 are honest, so a node every
// honest oracle heard from is online whatever the proposer picks, and a node no
// honest oracle heard from (at most f Byzantine bits) never is. A node that is not
// online is suspect while its last online round is at most `suspectRounds` ago,
// then offline; it leaves the roster after `pruneRounds` rounds without being
// online (counted from its last online round, or from joining if it never was). New nodes enter the roster through a proposal's `added` list (registered
// nodes only, checked by every validator) and start offline: they are attested
// from the next round on. Nothing the proposer chooses sets a status.
//
// Bitmap wire encoding (inside a signed attestation):
//   mode u8 · length u32 · data
//   mode 0 (raw):  ⌈N/8⌉ bytes, bit i = data[i >> 3] & (0x80 >> (i & 7)), padding bits zero
//   mode 1 (runs): LEB128 varints: run lengths alternating zeros, ones, zeros, … starting with
//                  zeros (the first run may be 0, every later one is > 0), summing to N
// The encoder picks runs only when strictly shorter; a decoder accepts either.
import { compareBytes } from '../common/bytes.js';
import type { Committee } from '../consensus/committee.js';
import { ENTRY_BYTES, NEVER_ONLINE, rememberBody, tableBody, writeFields, type TableEntry, type LivenessStatus } from './table.js';

/** Most nodes one proposal may add to the roster (32 bytes each: 2 MiB). */
export const MAX_ADDED_PER_ROUND = 65_536;
/** Largest roster an attestation may cover. */
export const MAX_ROSTER = 16_000_000;

export class BitmapError extends Error { override name = 'BitmapError'; }

export function bitmapBytes(n: number): number { return (n + 7) >> 3; }
export function getBit(bits: Uint8Array, i: number): boolean { return (bits[i >> 3]! & (0x80 >> (i & 7))) !== 0; }
export function setBit(bits: Uint8Array, i: number): void { bits[i >> 3]! |= 0x80 >> (i & 7); }

function varintLength(v: number): number { let n = 1; while (v >= 0x80) { v = Math.floor(v / 128); n++; } return n; }

/** The run lengths of a bitmap over n bits (zeros first). */
function runs(bits: Uint8Array, n: number): number[] {
  const out: number[] = [];
  let cur = false, len = 0;
  for (let i = 0; i < n; i++) {
    const b = getBit(bits, i);
    if (b === cur) { len++; continue; }
    out.push(len); cur = b; len = 1;
  }
  out.push(len);
  return out;
}

/** Canonical encoding of a bitmap over n bits: mode ‖ u32 length ‖ data. */
export function encodeBitmap(bits: Uint8Array, n: number): Uint8Array {
  if (bits.length !== bitmapBytes(n)) throw new BitmapError('bitmap length does not match the roster size');
  const rs = runs(bits, n);
  let runBytes = 0;
  for (const r of rs) runBytes += varintLength(r);
  if (runBytes < bits.length) {
    const out = new Uint8Array(5 + runBytes);
    out[0] = 1;
    new DataView(out.buffer).setUint32(1, runBytes, false);
    let o = 5;
    for (let r of rs) { while (r >= 0x80) { out[o++] = (r & 0x7f) | 0x80; r = Math.floor(r / 128); } out[o++] = r; }
    return out;
  }
  const out = new Uint8Array(5 + bits.length);
  new DataView(out.buffer).setUint32(1, bits.length, false);
  out.set(bits, 5);
  return out;
}

/** Decodes an encoded bitmap over exactly n bits; throws BitmapError on anything malformed. */
export function decodeBitmap(enc: Uint8Array, n: number): Uint8Array {
  if (enc.length < 5) throw new BitmapError('bitmap truncated');
  const mode = enc[0]!;
  const len = new DataView(enc.buffer, enc.byteOffset, enc.byteLength).getUint32(1, false);
  if (enc.length !== 5 + len) throw new BitmapError('bitmap length field does not match');
  const data = enc.subarray(5);
  if (mode === 0) {
    if (len !== bitmapBytes(n)) throw new BitmapError(`raw bitmap of ${len} bytes for a roster of ${n}`);
    if (n & 7 && (data[len - 1]! & (0xff >> (n & 7))) !== 0) throw new BitmapError('padding bits set');
    return data.slice();
  }
  if (mode !== 1) throw new BitmapError(`unknown bitmap mode ${mode}`);
  const bits = new Uint8Array(bitmapBytes(n));
  let o = 0, at = 0, one = false, first = true;
  while (o < data.length) {
    let v = 0, mul = 1, k = 0;
    for (;;) {
      if (o >= data.length) throw new BitmapError('varint truncated');
      const b = data[o++]!;
      v += (b & 0x7f) * mul; mul *= 128;
      if (!(b & 0x80)) break;
      if (++k >= 5) throw new BitmapError('varint too long');
    }
    if (v === 0 && !first) throw new BitmapError('empty run');
    if (at + v > n) throw new BitmapError('runs exceed the roster');
    if (one) for (let i = at; i < at + v; i++) setBit(bits, i);
    at += v; one = !one; first = false;
  }
  if (at !== n) throw new BitmapError(`runs cover ${at} of ${n} bits`);
  return bits;
}

/** Per roster position, how many of the bitmaps set it. */
export function countBits(bitmaps: Uint8Array[], n: number): Uint16Array {
  const counts = new Uint16Array(n);
  for (const bits of bitmaps) {
    for (let j = 0; j < bits.length; j++) {
      const b = bits[j]!;
      if (b === 0) continue;
      const base = j << 3;
      for (let k = 0; k < 8; k++) if (b & (0x80 >> k)) counts[base + k]!++;
    }
  }
  return counts;
}

export interface RosterRule {
  /** Attestations that must set a bit for the node to be online: f + 1. */
  threshold: number;
  /** Rounds after its last online round in which a node is suspect (then offline). */
  suspectRounds: number;
  /** Rounds without being online after which a node leaves the roster. */
  pruneRounds: number;
  /** An attestation's heartbeat window: timestamp ≥ asOf − windowMs. */
  windowMs: number;
}

/**
 * The committee's rule. suspectRounds keeps PROTOCOL §2's timing: suspect for (missedForOffline − 1)
 * heartbeat intervals, then offline (default: 2 rounds of 30 s). A node leaves the roster after a
 * day without being online (at least 8 rounds).
 */
export function rosterRule(c: Committee): RosterRule {
  const p = c.params, l = p.liveness;
  return {
    threshold: c.f + 1,
    suspectRounds: Math.max(0, Math.floor(((l.missedForOffline - 1) * l.intervalMs) / p.epochMs)),
    pruneRounds: Math.max(8, Math.ceil(86_400_000 / p.epochMs)),
    windowMs: l.intervalMs + l.graceMs,
  };
}

function statusOf(missed: number, rule: RosterRule): LivenessStatus {
  if (missed === 0) return 'online';
  return missed <= rule.suspectRounds ? 'suspect' : 'offline'; // NEVER_ONLINE is beyond any suspectRounds
}

/**
 * Round `round`'s entries from the previous roster, the attestation counts over it (by position)
 * and the nodes added (sorted, unique, none in the roster — the caller checks). Unchanged entries
 * keep their objects, so node ids are shared from round to round.
 */
export function nextEntries(prev: TableEntry[], counts: Uint16Array, added: Uint8Array[], roundId: bigint, rule: RosterRule): TableEntry[] {
  const round = Number(roundId);
  const out: TableEntry[] = [];
  // the new table's canonical bytes, built alongside: ids copied from the previous bytes (contiguous)
  const from = tableBody(prev);
  const body = new Uint8Array((prev.length + added.length) * ENTRY_BYTES);
  let o = 0;
  // unchanged entries are copied from the previous bytes in runs (one memcpy per run)
  let runFrom = -1, runAt = 0;
  const flush = () => { if (runFrom >= 0) { body.set(from.subarray(runFrom, runFrom + (o - runAt)), runAt); runFrom = -1; } };
  const same = (e: TableEntry, at: number) => {
    if (runFrom < 0 || runFrom + (o - runAt) !== at) { flush(); runFrom = at; runAt = o; }
    out.push(e); o += ENTRY_BYTES;
  };
  const push = (e: TableEntry, src: Uint8Array, at: number) => {
    flush();
    for (let k = 0; k < 32; k++) body[o + k] = src[at + k]!;
    writeFields(body, o, e);
    out.push(e); o += ENTRY_BYTES;
  };
  let a = 0;
  for (let i = 0; i < prev.length; i++) {
    const e = prev[i]!;
    while (a < added.length && compareBytes(added[a]!, e.nodeId) < 0) { const id = added[a++]!; push(newcomer(id, round), id, 0); }
    const online = counts[i]! >= rule.threshold;
    const missed = online ? 0 : e.missed === NEVER_ONLINE ? NEVER_ONLINE : Math.min(e.missed + 1, NEVER_ONLINE - 1);
    if (!online && (missed === NEVER_ONLINE ? round - e.since : missed) >= rule.pruneRounds) continue;
    const status = statusOf(missed, rule);
    if (status === e.status && missed === e.missed) same(e, i * ENTRY_BYTES);
    else push({ nodeId: e.nodeId, status, missed, since: e.since }, from, i * ENTRY_BYTES);
  }
  while (a < added.length) { const id = added[a++]!; push(newcomer(id, round), id, 0); }
  flush();
  rememberBody(out, o === body.length ? body : body.slice(0, o));
  return out;
}

function newcomer(nodeId: Uint8Array, round: number): TableEntry {
  return { nodeId, status: 'offline', missed: NEVER_ONLINE, since: round };
}
