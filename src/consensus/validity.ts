// What a round's LivenessTable may contain, and how a proposer builds one.
//
// A table is evaluated at `asOf` (≥ the end of the round's epoch): every entry's
// status must equal statusAt(lastSeen, asOf), so statuses are not a proposer's
// choice. A proposer can only choose, per node, which accepted heartbeat to cite;
// every entry whose (lastSeen, lastSeq) changes must carry that heartbeat, signed
// by the node, as evidence. So a Byzantine proposer cannot resurrect a dead node
// (it would need a fresh node-signed heartbeat) nor invent one; what it can do is
// omit fresh heartbeats (censorship by omission), which proposer rotation limits.
import { bytesEqual } from '../common/bytes.js';
import { verifyNodeSignature } from '../liveness/verify.js';
import { decodeHeartbeatSigningBytes } from '../liveness/heartbeat-codec.js';
import { statusAt } from '../liveness/status.js';
import { applyUpdates, diffTables, encodeTable, tableHash, ZERO_HASH, type TableEntry } from '../liveness/table.js';
import { epochEnd, type Committee } from './committee.js';
import type { Certificate, Evidence } from './messages.js';

/** A committed round (or the genesis pseudo-round −1). */
export interface CommittedRound {
  round: bigint;
  asOf: number;
  prevHash: Uint8Array;
  hash: Uint8Array;
  entries: TableEntry[];
  /** Updates against round − 1 (what a catching-up peer needs). */
  updates: TableEntry[];
  cert: Certificate | null;
}

export function genesis(c: Committee): CommittedRound {
  return { round: -1n, asOf: c.params.genesisMs, prevHash: ZERO_HASH, hash: ZERO_HASH, entries: [], updates: [], cert: null };
}

export interface HeartbeatCandidate {
  nodeId: Uint8Array;
  lastSeen: number;
  lastSeq: bigint;
  evidence: Evidence | null;
}

/** What the proposer's liveness tracker offers at the epoch boundary. */
export interface CandidateSource {
  candidates(): HeartbeatCandidate[];
  isRegistered(nodeId: Uint8Array): boolean;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export interface BuiltTable { asOf: number; entries: TableEntry[]; updates: TableEntry[]; evidence: Evidence[]; hash: Uint8Array }

export function buildTable(c: Committee, prev: CommittedRound, asOf: number, src: CandidateSource): BuiltTable {
  const round = prev.round + 1n;
  const timing = c.params.liveness;
  const prevById = new Map(prev.entries.map((e) => [hex(e.nodeId), e]));
  const chosen = new Map<string, { lastSeen: number; lastSeq: bigint; evidence: Evidence | null }>();
  for (const e of prev.entries) chosen.set(hex(e.nodeId), { lastSeen: e.lastSeen, lastSeq: e.lastSeq, evidence: null });
  for (const cand of src.candidates()) {
    const id = hex(cand.nodeId);
    const p = prevById.get(id);
    if (!p && !src.isRegistered(cand.nodeId)) continue;
    if (cand.lastSeen > asOf + c.params.maxSkewMs) continue;
    if (p && cand.lastSeq <= p.lastSeq) continue;
    if (cand.lastSeen > 0 && !cand.evidence) continue;
    chosen.set(id, { lastSeen: cand.lastSeen, lastSeq: cand.lastSeq, evidence: cand.lastSeen > 0 ? cand.evidence : null });
  }
  const entries = [...chosen.entries()]
    .map(([id, v]) => ({ nodeId: Uint8Array.from(Buffer.from(id, 'hex')), status: statusAt(v.lastSeen, asOf, timing), lastSeen: v.lastSeen, lastSeq: v.lastSeq }))
    .sort((a, b) => Buffer.compare(a.nodeId, b.nodeId));
  const updates = diffTables(prev.entries, entries);
  const evidence: Evidence[] = [];
  for (const u of updates) {
    const p = prevById.get(hex(u.nodeId));
    if (!p || p.lastSeq !== u.lastSeq || p.lastSeen !== u.lastSeen) {
      const ev = chosen.get(hex(u.nodeId))!.evidence;
      if (ev) evidence.push(ev);
    }
  }
  const hash = tableHash({ roundId: round, asOf, prevHash: prev.hash, entries });
  return { asOf, entries, updates, evidence, hash };
}

export type Validation = { ok: true; entries: TableEntry[]; hash: Uint8Array } | { ok: false; reason: string };

/**
 * Checks a proposed (or certified) table against the committed previous round.
 * `evidence` null means the table is certified (q signatures) and heartbeat
 * evidence is not re-checked; `now` null skips the clock check likewise.
 */
export function validateTable(
  c: Committee,
  prev: CommittedRound,
  t: { round: bigint; asOf: number; prevHash: Uint8Array; tableHash: Uint8Array; updates: TableEntry[] },
  evidence: Evidence[] | null,
  now: number | null,
  isRegistered: (nodeId: Uint8Array) => boolean,
  verifyHeartbeat: (key: Uint8Array, bytes: Uint8Array, sig: Uint8Array) => boolean = verifyNodeSignature,
): Validation {
  const fail = (reason: string): Validation => ({ ok: false, reason });
  if (t.round !== prev.round + 1n) return fail(`round ${t.round} does not follow committed round ${prev.round}`);
  if (!bytesEqual(t.prevHash, prev.hash)) return fail('prevHash is not the hash of the committed previous table');
  if (t.asOf < epochEnd(c, t.round)) return fail(`asOf ${t.asOf} is before the end of round ${t.round}'s epoch`);
  if (t.asOf <= prev.asOf) return fail('asOf does not advance');
  if (now !== null && t.asOf > now + c.params.maxSkewMs) return fail('asOf is in the future');
  const prevById = new Map(prev.entries.map((e) => [hex(e.nodeId), e]));
  let evById: Map<string, ReturnType<typeof decodeHeartbeatSigningBytes>> | null = null;
  if (evidence) {
    if (evidence.length > t.updates.length) return fail('more evidence than updates');
    evById = new Map();
    for (const ev of evidence) {
      let hb;
      try { hb = decodeHeartbeatSigningBytes(ev.bytes); } catch (e) { return fail(`malformed heartbeat evidence: ${(e as Error).message}`); }
      if (!verifyHeartbeat(hb.nodeKey, ev.bytes, ev.sig)) return fail(`heartbeat evidence for ${hb.nodeId} has a bad signature`);
      evById.set(hex(hb.nodeKey), hb);
    }
  }
  for (const u of t.updates) {
    const id = hex(u.nodeId);
    const p = prevById.get(id);
    if (!p && !isRegistered(u.nodeId)) return fail(`node ${id.slice(0, 16)}… is not registered`);
    const changed = !p || p.lastSeen !== u.lastSeen || p.lastSeq !== u.lastSeq;
    if (!changed) continue;
    if (u.lastSeen === 0 && u.lastSeq !== 0n) return fail(`node ${id.slice(0, 16)}…: a never-seen node has no seq`);
    if (p && u.lastSeq <= p.lastSeq) return fail(`node ${id.slice(0, 16)}…: lastSeq does not advance`);
    if (u.lastSeen > t.asOf + c.params.maxSkewMs) return fail(`node ${id.slice(0, 16)}…: heartbeat after asOf`);
    if (evById && u.lastSeen > 0) {
      const hb = evById.get(id);
      if (!hb) return fail(`node ${id.slice(0, 16)}…: no heartbeat evidence for its new lastSeen`);
      if (hb.timestamp !== u.lastSeen || hb.seq !== u.lastSeq) return fail(`node ${id.slice(0, 16)}…: evidence does not match the entry`);
    }
  }
  let entries: TableEntry[];
  try {
    entries = applyUpdates(prev.entries, t.updates);
    encodeTable({ roundId: t.round, asOf: t.asOf, prevHash: t.prevHash, entries }); // sorted, unique, sizes
  } catch (e) { return fail(`malformed updates: ${(e as Error).message}`); }
  for (const e of entries) {
    if (e.status !== statusAt(e.lastSeen, t.asOf, c.params.liveness)) return fail(`node ${hex(e.nodeId).slice(0, 16)}…: status ${e.status} does not follow from lastSeen at asOf`);
  }
  const hash = tableHash({ roundId: t.round, asOf: t.asOf, prevHash: t.prevHash, entries });
  if (!bytesEqual(hash, t.tableHash)) return fail('tableHash does not match the table');
  return { ok: true, entries, hash };
}
