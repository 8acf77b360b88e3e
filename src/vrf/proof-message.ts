// splitup/selection-proof/v1 — what a prover publishes over gossip so that the
// other oracles (and anyone) can verify the selection and submit the same vote.
// It needs no signature: only the holder of the prover's VRF key can produce a
// valid pi, and everything else in it is checked against chain state and the
// committed table.
//
// Canonical bytes (integers big-endian), 252 bytes:
//   "splitup/selection-proof/v1"  26 bytes ASCII
//   suite                         u8 (0x03 TAI, 0x04 ELL2: the RFC 9381 suite_string)
//   executionId                   u64
//   taskId                        u32
//   attempt                       u32
//   seed                          32
//   roundId                       u64  the committed liveness round the selection is bound to
//   tableHash                     32
//   proverIndex                   u16  position of the prover in the committee
//   pi                            80
//   selected                      32   the selected node's key; all zero = no eligible node
//   excludeCount + excludes       u16, then 32 bytes each (sorted)  [variable]
import { bytesEqual, compareBytes, concatBytes, readU32be, readU64be, u32be, u64be, u8, utf8 } from '../common/bytes.js';
import type { Suite } from './ecvrf.js';
import type { SelectionRequest } from './selection.js';

export const PROOF_MESSAGE_DOMAIN = utf8('splitup/selection-proof/v1');
const SUITE_CODE: Record<Suite, number> = { 'ECVRF-EDWARDS25519-SHA512-TAI': 3, 'ECVRF-EDWARDS25519-SHA512-ELL2': 4 };
const ZERO32 = new Uint8Array(32);

export interface SelectionProofMessage {
  suite: Suite;
  request: SelectionRequest;
  roundId: bigint;
  tableHash: Uint8Array;
  proverIndex: number;
  proof: Uint8Array;
  selected: Uint8Array | null;
}

const u16be = (n: number) => { if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError('u16 out of range'); return Uint8Array.of(n >> 8, n & 0xff); };

export function encodeSelectionProof(m: SelectionProofMessage): Uint8Array {
  const r = m.request;
  if (r.seed.length !== 32 || m.tableHash.length !== 32 || m.proof.length !== 80 || (m.selected && m.selected.length !== 32)) throw new TypeError('field of wrong length');
  const excludes = [...r.exclude].sort(compareBytes);
  return concatBytes(
    PROOF_MESSAGE_DOMAIN, u8(SUITE_CODE[m.suite]), u64be(r.executionId), u32be(r.taskId), u32be(r.attempt), r.seed,
    u64be(m.roundId), m.tableHash, u16be(m.proverIndex), m.proof, m.selected ?? ZERO32, u16be(excludes.length), ...excludes,
  );
}

export class ProofMessageError extends Error { override name = 'ProofMessageError'; }

export function decodeSelectionProof(b: Uint8Array): SelectionProofMessage {
  const D = PROOF_MESSAGE_DOMAIN.length;
  const fixed = D + 1 + 8 + 4 + 4 + 32 + 8 + 32 + 2 + 80 + 32 + 2;
  if (b.length < fixed) throw new ProofMessageError(`selection proof too short (${b.length} bytes)`);
  if (!bytesEqual(b.subarray(0, D), PROOF_MESSAGE_DOMAIN)) throw new ProofMessageError('wrong domain tag');
  let o = D;
  const code = b[o++]!;
  const suite = (Object.entries(SUITE_CODE).find(([, c]) => c === code)?.[0]) as Suite | undefined;
  if (!suite) throw new ProofMessageError(`unknown suite 0x${code.toString(16)}`);
  const executionId = readU64be(b, o); o += 8;
  const taskId = readU32be(b, o); o += 4;
  const attempt = readU32be(b, o); o += 4;
  const seed = b.slice(o, o + 32); o += 32;
  const roundId = readU64be(b, o); o += 8;
  const tableHash = b.slice(o, o + 32); o += 32;
  const proverIndex = (b[o]! << 8) | b[o + 1]!; o += 2;
  const proof = b.slice(o, o + 80); o += 80;
  const sel = b.slice(o, o + 32); o += 32;
  const count = (b[o]! << 8) | b[o + 1]!; o += 2;
  if (b.length !== fixed + 32 * count) throw new ProofMessageError(`length ${b.length} does not match ${count} excludes`);
  const exclude: Uint8Array[] = [];
  for (let i = 0; i < count; i++) { exclude.push(b.slice(o, o + 32)); o += 32; }
  for (let i = 1; i < count; i++) if (compareBytes(exclude[i - 1]!, exclude[i]!) >= 0) throw new ProofMessageError('excludes must be sorted and unique');
  return { suite, request: { executionId, taskId, attempt, seed, exclude }, roundId, tableHash, proverIndex, proof, selected: bytesEqual(sel, ZERO32) ? null : sel };
}
