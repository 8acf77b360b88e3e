// splitup/consensus/v2 — signed consensus messages. Every message is
//   header ‖ body ‖ signature(64)
// and the Ed25519 signature (by committee member `sender`) covers header ‖ body,
// so a message stays valid when relayed by anyone.
//
// header (67 bytes, integers big-endian):
//   "splitup/consensus/v2" 20 · kind u8 · committeeId 32 · round u64 · view u32 · sender u16
// kinds and bodies:
//   1 proposal    validView+1 u32 (0 = none) · asOf u64 · prevHash 32 · tableHash 32 · roster changes ·
//                 attestations
//   2 prevote     u8 hasValue · [tableHash 32]
//   3 precommit   u8 hasValue · [tableHash 32]
//   4 decision    asOf u64 · prevHash 32 · tableHash 32 · roster changes · attestations · u16 count ·
//                 signatures (u16 member index ‖ 64-byte precommit signature) — a commit certificate
//                 with what it certifies, for catch-up; `view` is the certificate's view.
//   5 head        tableHash 32 · u16 count · signatures (as in decision) — the sender's newest commit
//                 certificate without the table: lets an oracle any distance behind learn that the
//                 round exists (anyone can verify it) and fetch it; sent every few seconds.
//   6 attestation prevHash 32 · rosterSize u32 · bitmap (src/liveness/attestation.ts: mode u8 ·
//                 length u32 · data) — which nodes of the previous table's roster the sender heard
//                 from in this round (view 0).
// roster changes = u32 count · count × nodeId 32 (sorted, nodes added to the roster)
// attestations   = u16 count · count × (u32 length ‖ a whole signed attestation message)
//
// A certificate for (committeeId, round, view, tableHash) is q precommit signatures from
// distinct members; each verifies against the precommit bytes of that member. The view is
// part of what is signed: precommits from different views must not be combinable.
// v1 (until issue #14) carried per-node entries with node-signed heartbeats as evidence.
import { bytesEqual, concatBytes, readU32be, readU64be, u32be, u64be, u8, utf8 } from '../common/bytes.js';
import { Ed25519Signer, publicKeyObject, verify as edVerify } from '../common/ed25519.js';
import type { Committee } from './committee.js';
import type { KeyObject } from 'node:crypto';

export const CONSENSUS_DOMAIN = utf8('splitup/consensus/v2');
const HEADER = CONSENSUS_DOMAIN.length + 1 + 32 + 8 + 4 + 2;
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export type Kind = 'proposal' | 'prevote' | 'precommit' | 'decision' | 'head' | 'attestation';
const KIND_CODE: Record<Kind, number> = { proposal: 1, prevote: 2, precommit: 3, decision: 4, head: 5, attestation: 6 };
const CODE_KIND = ['', 'proposal', 'prevote', 'precommit', 'decision', 'head', 'attestation'] as const;

export interface CertSig { index: number; sig: Uint8Array }

interface Base { committeeId: Uint8Array; round: bigint; view: number; sender: number }
/** What a proposal and its decision carry besides the hashes: the roster additions and the attestations the table follows from. */
export interface RoundContent { asOf: number; prevHash: Uint8Array; tableHash: Uint8Array; added: Uint8Array[]; attestations: AttestationMessage[] }
export interface Proposal extends Base, RoundContent { kind: 'proposal'; validView: number }
export interface Vote extends Base { kind: 'prevote' | 'precommit'; value: Uint8Array | null }
export interface Decision extends Base, RoundContent { kind: 'decision'; sigs: CertSig[] }
/** A commit certificate announcement: (round, view) in the header, the certified table hash and its q signatures. */
export interface Head extends Base { kind: 'head'; tableHash: Uint8Array; sigs: CertSig[] }
/** Which nodes of the previous table's roster (rosterSize of them) the sender heard from this round; `bitmap` encoded. */
export interface Attestation extends Base { kind: 'attestation'; prevHash: Uint8Array; rosterSize: number; bitmap: Uint8Array }
export type Body = Proposal | Vote | Decision | Head | Attestation;
export type Message = Body & { bytes: Uint8Array; signature: Uint8Array };
export type AttestationMessage = Attestation & { bytes: Uint8Array; signature: Uint8Array };

export class MessageError extends Error { override name = 'MessageError'; }

const u16 = (n: number) => { if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError('u16 out of range'); return Uint8Array.of(n >> 8, n & 0xff); };
const encAdded = (ids: Uint8Array[]) => concatBytes(u32be(ids.length), ...ids);
const encAttestations = (as: AttestationMessage[]) => concatBytes(u16(as.length), ...as.flatMap((a) => [u32be(a.bytes.length), a.bytes]));
const encContent = (b: RoundContent) => concatBytes(u64be(b.asOf), b.prevHash, b.tableHash, encAdded(b.added), encAttestations(b.attestations));

const encSigs = (sigs: CertSig[]) => concatBytes(u16(sigs.length), ...sigs.flatMap((s) => [u16(s.index), s.sig]));

function header(b: Body): Uint8Array {
  if (b.committeeId.length !== 32) throw new TypeError('committeeId must be 32 bytes');
  return concatBytes(CONSENSUS_DOMAIN, u8(KIND_CODE[b.kind]), b.committeeId, u64be(b.round), u32be(b.view), u16(b.sender));
}

/** The bytes a sender signs (header ‖ body). */
export function signingBytes(b: Body): Uint8Array {
  switch (b.kind) {
    case 'proposal':
      return concatBytes(header(b), u32be(b.validView + 1), encContent(b));
    case 'prevote': case 'precommit':
      return concatBytes(header(b), b.value ? concatBytes(u8(1), b.value) : u8(0));
    case 'decision':
      return concatBytes(header(b), encContent(b), encSigs(b.sigs));
    case 'head':
      return concatBytes(header(b), b.tableHash, encSigs(b.sigs));
    case 'attestation':
      return concatBytes(header(b), b.prevHash, u32be(b.rosterSize), b.bitmap);
  }
}

export function signMessage(b: Body, signer: Ed25519Signer): Message {
  const sb = signingBytes(b);
  const signature = signer.sign(sb);
  return { ...b, bytes: concatBytes(sb, signature), signature } as Message;
}

class Reader {
  o = 0;
  constructor(readonly b: Uint8Array) {}
  need(n: number) { if (this.o + n > this.b.length) throw new MessageError('message truncated'); }
  bytes(n: number) { this.need(n); const v = this.b.slice(this.o, this.o + n); this.o += n; return v; }
  u8() { this.need(1); return this.b[this.o++]!; }
  u16() { this.need(2); const v = (this.b[this.o]! << 8) | this.b[this.o + 1]!; this.o += 2; return v; }
  u32() { this.need(4); const v = readU32be(this.b, this.o); this.o += 4; return v; }
  u64() { this.need(8); const v = readU64be(this.b, this.o); this.o += 8; return v; }
  num64() { const v = this.u64(); if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new MessageError('integer out of range'); return Number(v); }
  sigs(): CertSig[] {
    const n = this.u16();
    this.need(n * 66);
    const out: CertSig[] = [];
    for (let i = 0; i < n; i++) out.push({ index: this.u16(), sig: this.bytes(64) });
    return out;
  }
  added(): Uint8Array[] {
    const n = this.u32();
    this.need(n * 32);
    const out: Uint8Array[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.bytes(32);
    return out;
  }
  attestations(): AttestationMessage[] {
    const n = this.u16();
    const out: AttestationMessage[] = [];
    for (let i = 0; i < n; i++) {
      const len = this.u32();
      const m = decodeMessage(this.bytes(len));
      if (m.kind !== 'attestation') throw new MessageError('an attestation slot holds another kind of message');
      out.push(m);
    }
    return out;
  }
  content(): RoundContent {
    return { asOf: this.num64(), prevHash: this.bytes(32), tableHash: this.bytes(32), added: this.added(), attestations: this.attestations() };
  }
}

/** Parses a message (no signature check). */
export function decodeMessage(bytes: Uint8Array): Message {
  if (bytes.length > MAX_MESSAGE_BYTES) throw new MessageError('message too large');
  if (bytes.length < HEADER + 64) throw new MessageError('message too short');
  const r = new Reader(bytes.subarray(0, bytes.length - 64));
  if (!bytesEqual(r.bytes(CONSENSUS_DOMAIN.length), CONSENSUS_DOMAIN)) throw new MessageError('wrong domain tag');
  const kind = CODE_KIND[r.u8()];
  if (!kind) throw new MessageError('unknown message kind');
  const base = { committeeId: r.bytes(32), round: r.u64(), view: r.u32(), sender: r.u16() };
  let body: Body;
  if (kind === 'proposal') {
    const validView = r.u32() - 1;
    body = { kind, ...base, validView, ...r.content() };
  } else if (kind === 'decision') {
    body = { kind, ...base, ...r.content(), sigs: r.sigs() };
  } else if (kind === 'attestation') {
    const prevHash = r.bytes(32), rosterSize = r.u32();
    body = { kind, ...base, prevHash, rosterSize, bitmap: r.bytes(r.b.length - r.o) };
  } else if (kind === 'head') {
    body = { kind, ...base, tableHash: r.bytes(32), sigs: r.sigs() };
  } else {
    const has = r.u8();
    if (has > 1) throw new MessageError('invalid value flag');
    body = { kind, ...base, value: has ? r.bytes(32) : null };
  }
  if (r.o !== r.b.length) throw new MessageError('trailing bytes');
  return { ...body, bytes, signature: bytes.slice(bytes.length - 64) } as Message;
}

/**
 * Key objects per member, parsed once. `memo`: remember verdicts (the simulator delivers one
 * message object to every oracle and verifies it once; never used where inputs are untrusted
 * bytes that could alias, i.e. not in production).
 */
export class CommitteeKeys {
  private readonly keys: KeyObject[];
  private readonly msgMemo: WeakMap<Uint8Array, boolean> | null;
  private readonly certMemo: Map<string, boolean> | null;
  constructor(readonly committee: Committee, opts: { memo?: boolean } = {}) {
    this.keys = committee.members.map((m) => publicKeyObject(m.signingKey));
    this.msgMemo = opts.memo ? new WeakMap() : null;
    this.certMemo = opts.memo ? new Map() : null;
  }
  key(i: number): KeyObject | undefined { return this.keys[i]; }
  /** A whole signed message (header ‖ body ‖ signature) by member i. */
  verifyMessage(i: number, bytes: Uint8Array, signature: Uint8Array): boolean {
    const key = this.keys[i];
    if (!key || bytes.length < 64 || !bytesEqual(signature, bytes.subarray(bytes.length - 64))) return false;
    const known = this.msgMemo?.get(bytes);
    if (known !== undefined) return known;
    const ok = edVerify(key, bytes.subarray(0, bytes.length - 64), signature);
    this.msgMemo?.set(bytes, ok);
    return ok;
  }
  /** Member i's precommit signature for (round, view, tableHash), as carried in a certificate. */
  verifyPrecommit(i: number, round: bigint, view: number, tableHash: Uint8Array, sig: Uint8Array): boolean {
    const key = this.keys[i];
    if (!key) return false;
    const k = this.certMemo ? `${i}/${round}/${view}/${Buffer.from(tableHash).toString('hex')}/${Buffer.from(sig).toString('hex')}` : '';
    const known = this.certMemo?.get(k);
    if (known !== undefined) return known;
    const sb = signingBytes({ kind: 'precommit', committeeId: this.committee.id, round, view, sender: i, value: tableHash });
    const ok = edVerify(key, sb, sig);
    if (this.certMemo) { if (this.certMemo.size > 100_000) this.certMemo.clear(); this.certMemo.set(k, ok); }
    return ok;
  }
}

/** Committee membership and signature of a decoded message. */
export function checkSignature(m: Message, keys: CommitteeKeys): string | undefined {
  if (!bytesEqual(m.committeeId, keys.committee.id)) return 'message for another committee';
  if (!keys.key(m.sender)) return `sender ${m.sender} is not a committee member`;
  if (!keys.verifyMessage(m.sender, m.bytes, m.signature)) return 'bad signature';
  return undefined;
}

export interface Certificate { round: bigint; view: number; tableHash: Uint8Array; sigs: CertSig[] }

/** Anyone's check of a commit certificate against the committee's public keys. */
export function verifyCertificate(c: Certificate, keys: CommitteeKeys): { ok: true } | { ok: false; reason: string } {
  const com = keys.committee;
  const seen = new Set<number>();
  let good = 0;
  for (const s of c.sigs) {
    if (seen.has(s.index)) return { ok: false, reason: `duplicate signer ${s.index}` };
    seen.add(s.index);
    if (!keys.key(s.index)) return { ok: false, reason: `signer ${s.index} is not a member` };
    if (!keys.verifyPrecommit(s.index, c.round, c.view, c.tableHash, s.sig)) return { ok: false, reason: `bad signature from ${s.index}` };
    good++;
  }
  if (good < com.q) return { ok: false, reason: `${good} signatures, quorum is ${com.q}` };
  return { ok: true };
}
