// What a round's LivenessTable may contain, and how oracles build one.
//
// A round's table follows from the previous committed table, the proposal's
// roster additions and at least q attestations (src/liveness/attestation.ts has
// the rule and its argument). asOf is fixed by the round (the end of its epoch);
// a proposer chooses only which q attestations to carry and which registered
// nodes to add to the roster — new nodes start offline, so neither choice sets a
// status. Validators check every attestation's signature, round, previous table
// and roster size, every addition against their node registry, and recompute the
// table: the bytes per round grow by bits per node, never by signatures.
import { bytesEqual, compareBytes } from '../common/bytes.js';
import type { Ed25519Signer } from '../common/ed25519.js';
import { BitmapError, countBits, decodeBitmap, encodeBitmap, MAX_ADDED_PER_ROUND, MAX_ROSTER, nextEntries, rosterRule } from '../liveness/attestation.js';
import { tableHash, ZERO_HASH, type TableEntry } from '../liveness/table.js';
import { epochEnd, type Committee } from './committee.js';
import { signMessage, type Attestation, type AttestationMessage, type Certificate, type CommitteeKeys, type RoundContent } from './messages.js';

/** A committed round (or the genesis pseudo-round −1). */
export interface CommittedRound {
  round: bigint;
  asOf: number;
  prevHash: Uint8Array;
  hash: Uint8Array;
  entries: TableEntry[];
  cert: Certificate | null;
}

export function genesis(c: Committee): CommittedRound {
  return { round: -1n, asOf: c.params.genesisMs, prevHash: ZERO_HASH, hash: ZERO_HASH, entries: [], cert: null };
}

/** What an oracle heard: its liveness tracker seen through the roster (injected into the core). */
export interface LivenessSource {
  /** Bitmap over `roster` (⌈N/8⌉ bytes): bit i set iff an accepted heartbeat of roster[i] has timestamp ≥ since. */
  attest(roster: readonly TableEntry[], since: number): Uint8Array;
  /** Registered nodes outside `roster` with an accepted heartbeat of timestamp ≥ since: sorted by id, at most `max`. */
  newcomers(roster: readonly TableEntry[], since: number, max: number): Uint8Array[];
  isRegistered(nodeId: Uint8Array): boolean;
}

/** The time round r's attestations speak about, and the oldest heartbeat timestamp that counts. */
export function attestationWindow(c: Committee, round: bigint): { asOf: number; since: number } {
  const asOf = epochEnd(c, round);
  return { asOf, since: asOf - rosterRule(c).windowMs };
}

/** This oracle's attestation for the round after `prev` (unsigned). */
export function attestationBody(c: Committee, me: number, prev: CommittedRound, source: LivenessSource): Attestation {
  const round = prev.round + 1n;
  const bits = source.attest(prev.entries, attestationWindow(c, round).since);
  return { kind: 'attestation', committeeId: c.id, round, view: 0, sender: me, prevHash: prev.hash, rosterSize: prev.entries.length, bitmap: encodeBitmap(bits, prev.entries.length) };
}

/** This oracle's signed attestation for the round after `prev`. */
export function signAttestation(c: Committee, me: number, signer: Ed25519Signer, prev: CommittedRound, source: LivenessSource): AttestationMessage {
  return signMessage(attestationBody(c, me, prev, source), signer) as AttestationMessage;
}

/** Whether an attestation is one for the round after `prev` (signature not checked here). */
export function attestationFits(c: Committee, prev: CommittedRound, a: AttestationMessage): string | null {
  if (!bytesEqual(a.committeeId, c.id)) return 'attestation for another committee';
  if (a.round !== prev.round + 1n || a.view !== 0) return `attestation for round ${a.round} view ${a.view}`;
  if (!bytesEqual(a.prevHash, prev.hash)) return 'attestation over another previous table';
  if (a.rosterSize !== prev.entries.length) return `attestation over a roster of ${a.rosterSize}, the previous table has ${prev.entries.length}`;
  return null;
}

/** Which carried attestations a proposer picks: its own first, then by member index; exactly q. */
export function pickAttestations(c: Committee, me: number, have: Map<number, AttestationMessage>): AttestationMessage[] | null {
  if (have.size < c.q) return null;
  const order = [...have.keys()].sort((a, b) => (a === me ? -1 : b === me ? 1 : a - b));
  return order.slice(0, c.q).map((i) => have.get(i)!).sort((a, b) => a.sender - b.sender);
}

export interface BuiltRound extends RoundContent { entries: TableEntry[] }

/** A fresh proposal's content: the given attestations and this oracle's roster additions. */
export function buildRound(c: Committee, prev: CommittedRound, attestations: AttestationMessage[], source: LivenessSource): BuiltRound {
  const round = prev.round + 1n;
  const { asOf, since } = attestationWindow(c, round);
  const added = source.newcomers(prev.entries, since, MAX_ADDED_PER_ROUND); // registered only, by the source's contract
  return { asOf, prevHash: prev.hash, added, attestations, ...tableFor(c, prev, added, attestations) };
}

/** The table of the round after `prev` that these additions and (fitting, decodable) attestations give. */
export function tableFor(c: Committee, prev: CommittedRound, added: Uint8Array[], attestations: AttestationMessage[]): { entries: TableEntry[]; tableHash: Uint8Array } {
  return tableFromBitmaps(c, prev, added, attestations.map((a) => decodeBitmap(a.bitmap, prev.entries.length)));
}

/** The rule itself: the next entries from the decoded bitmaps, and their table's hash. */
function tableFromBitmaps(c: Committee, prev: CommittedRound, added: Uint8Array[], bitmaps: Uint8Array[]): { entries: TableEntry[]; tableHash: Uint8Array } {
  const round = prev.round + 1n;
  const entries = nextEntries(prev.entries, countBits(bitmaps, prev.entries.length), added, round, rosterRule(c));
  return { entries, tableHash: tableHash({ roundId: round, asOf: epochEnd(c, round), prevHash: prev.hash, entries }) };
}

export type Validation = { ok: true; entries: TableEntry[]; hash: Uint8Array } | { ok: false; reason: string };

function inRoster(roster: readonly TableEntry[], id: Uint8Array): boolean {
  let lo = 0, hi = roster.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const c = compareBytes(roster[mid]!.nodeId, id);
    if (c === 0) return true;
    if (c < 0) lo = mid + 1; else hi = mid;
  }
  return false;
}

/**
 * Checks a proposed (or certified) round against the committed previous round and computes its
 * table. `keys` null means the round is certified (q precommit signatures): attestation
 * signatures, the quorum of attestations and registrations are not re-checked — the table is
 * recomputed from what the decision carries and must hash to the certified hash.
 */
export function validateRound(
  c: Committee,
  prev: CommittedRound,
  t: { round: bigint } & RoundContent,
  keys: CommitteeKeys | null,
  isRegistered: (nodeId: Uint8Array) => boolean,
): Validation {
  const fail = (reason: string): Validation => ({ ok: false, reason });
  if (t.round !== prev.round + 1n) return fail(`round ${t.round} does not follow committed round ${prev.round}`);
  if (!bytesEqual(t.prevHash, prev.hash)) return fail('prevHash is not the hash of the committed previous table');
  if (t.asOf !== epochEnd(c, t.round)) return fail(`asOf ${t.asOf} is not the end of round ${t.round}'s epoch`);
  const n = prev.entries.length;
  if (t.added.length > MAX_ADDED_PER_ROUND) return fail(`${t.added.length} roster additions, at most ${MAX_ADDED_PER_ROUND} per round`);
  if (n + t.added.length > MAX_ROSTER) return fail(`the roster would exceed ${MAX_ROSTER} nodes`);
  for (let i = 0; i < t.added.length; i++) {
    const id = t.added[i]!;
    if (i > 0 && compareBytes(t.added[i - 1]!, id) >= 0) return fail('roster additions are not sorted and unique');
    if (inRoster(prev.entries, id)) return fail(`added node ${Buffer.from(id).toString('hex').slice(0, 16)}… is already in the roster`);
    if (keys && !isRegistered(id)) return fail(`added node ${Buffer.from(id).toString('hex').slice(0, 16)}… is not registered`);
  }
  if (keys && t.attestations.length < c.q) return fail(`${t.attestations.length} attestations, quorum is ${c.q}`);
  const senders = new Set<number>();
  const bitmaps: Uint8Array[] = [];
  for (const a of t.attestations) {
    const bad = attestationFits(c, prev, a);
    if (bad) return fail(bad);
    if (senders.has(a.sender)) return fail(`two attestations of member ${a.sender}`);
    senders.add(a.sender);
    if (keys && !keys.verifyMessage(a.sender, a.bytes, a.signature)) return fail(`attestation of member ${a.sender} has a bad signature`);
    try { bitmaps.push(decodeBitmap(a.bitmap, n)); } catch (e) {
      if (e instanceof BitmapError) return fail(`attestation of member ${a.sender}: ${e.message}`);
      throw e;
    }
  }
  const { entries, tableHash: hash } = tableFromBitmaps(c, prev, t.added, bitmaps);
  if (!bytesEqual(hash, t.tableHash)) return fail('tableHash does not match the table the attestations give');
  return { ok: true, entries, hash };
}
