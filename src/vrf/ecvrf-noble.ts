// ECVRF on edwards25519 per RFC 9381 in pure JavaScript: curve arithmetic and
// hash-to-curve come from @noble/curves, the VRF logic is ours. This is the
// reference implementation: the native one (ecvrf-sodium.ts) hands every input
// it cannot decide on its own fast path to it, and a test compares the two on
// thousands of random inputs.
//
// Suites: ECVRF-EDWARDS25519-SHA512-TAI (suite_string 0x03, try-and-increment
// encode_to_curve) and ECVRF-EDWARDS25519-SHA512-ELL2 (0x04, RFC 9380
// edwards25519_XMD:SHA-512_ELL2_NU_). Both use the RFC 8032-style nonce
// (RFC 9381 §5.4.2.2), cLen = 16, ptLen = qLen = 32.
//
// Proof pi = Gamma (32) ‖ c (16, little-endian) ‖ s (32, little-endian) = 80 bytes.
// Output beta = SHA-512(suite ‖ 0x03 ‖ encode(8·Gamma) ‖ 0x00) = 64 bytes.
import { createHash } from 'node:crypto';
import { ed25519, ed25519_hasher } from '@noble/curves/ed25519.js';
import { concatBytes } from '../common/bytes.js';
import { C_LEN, ELL2_DST, PROOF_LENGTH, SUITES, SUITE_BYTE, VrfError, type EcvrfImpl, type Suite, type VerifyResult } from './ecvrf-common.js';

const Point = ed25519.Point;
type EdPoint = InstanceType<typeof Point>;
const L = Point.Fn.ORDER; // prime order q of the base point subgroup

function sha512(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

function leToInt(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
}

function intToLe(x: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) { out[i] = Number(x & 0xffn); x >>= 8n; }
  return out;
}

function suiteByte(suite: Suite): number {
  const b = SUITE_BYTE[suite];
  if (b === undefined) throw new VrfError('INVALID_SUITE', `unknown suite ${String(suite)}`);
  return b;
}

/** Strict RFC 8032 decoding (rejects y ≥ p and the non-canonical x = 0 sign bit). */
function decodePoint(b: Uint8Array): EdPoint | null {
  if (b.length !== 32) return null;
  try { return Point.fromBytes(b, false); } catch { return null; }
}

interface Expanded { x: bigint; nonceKey: Uint8Array; Y: EdPoint; pk: Uint8Array }

function expandSecret(sk: Uint8Array): Expanded {
  if (!(sk instanceof Uint8Array) || sk.length !== 32) throw new VrfError('INVALID_SECRET_KEY', 'secret key must be 32 bytes');
  const h = sha512(sk);
  const a = h.slice(0, 32);
  a[0]! &= 248; a[31]! &= 127; a[31]! |= 64; // RFC 8032 §5.1.5 clamping
  const x = leToInt(a) % L;
  const Y = Point.BASE.multiply(x);
  return { x, nonceKey: h.slice(32, 64), Y, pk: Y.toBytes() };
}

/** Public key (32 bytes) of a 32-byte secret key: same derivation as Ed25519. */
function publicKeyFromSecret(sk: Uint8Array): Uint8Array { return expandSecret(sk).pk; }

/** ECVRF_validate_key: canonical point encoding, not of small order. */
function validatePublicKey(pk: Uint8Array): { valid: true; point: EdPoint } | { valid: false; message: string } {
  const Y = decodePoint(pk);
  if (!Y) return { valid: false, message: 'public key is not a canonical edwards25519 point encoding' };
  if (Y.isSmallOrder()) return { valid: false, message: 'public key has small order' };
  return { valid: true, point: Y };
}

/** encode_to_curve with salt = PK string (RFC 9381 §5.4.1.1 / §5.4.1.2). */
function encodeToCurve(suite: Suite, pk: Uint8Array, alpha: Uint8Array): EdPoint {
  const sb = suiteByte(suite);
  if (sb === 0x04) return ed25519_hasher.encodeToCurve(concatBytes(pk, alpha), { DST: ELL2_DST }) as EdPoint;
  // try_and_increment: ctr from 0 until the first 32 bytes of the hash decode to a point
  for (let ctr = 0; ctr < 256; ctr++) {
    const h = sha512(Uint8Array.of(sb, 0x01), pk, alpha, Uint8Array.of(ctr, 0x00));
    const P = decodePoint(h.subarray(0, 32));
    if (P) return P.clearCofactor();
  }
  throw new VrfError('INVALID_PROOF', 'encode_to_curve failed after 256 attempts'); // probability 2^-256
}

function challenge(sb: number, points: EdPoint[]): bigint {
  const h = sha512(Uint8Array.of(sb, 0x02), ...points.map((p) => p.toBytes()), Uint8Array.of(0x00));
  return leToInt(h.subarray(0, C_LEN));
}

function gammaToHash(sb: number, gamma: EdPoint): Uint8Array {
  return sha512(Uint8Array.of(sb, 0x03), gamma.clearCofactor().toBytes(), Uint8Array.of(0x00));
}

/** ECVRF_prove: an 80-byte proof for alpha under the secret key. */
function prove(suite: Suite, sk: Uint8Array, alpha: Uint8Array): Uint8Array {
  return proveWithNonce(suite, sk, alpha);
}

/**
 * prove() with the RFC nonce replaced by `nonce` when given. Test hook: a
 * proof made with any nonce verifies, and the uniqueness tests use it to show
 * that every valid proof for (pk, alpha) yields the same beta.
 */
function proveWithNonce(suite: Suite, sk: Uint8Array, alpha: Uint8Array, nonce?: bigint): Uint8Array {
  const sb = suiteByte(suite);
  const { x, nonceKey, Y, pk } = expandSecret(sk);
  const H = encodeToCurve(suite, pk, alpha);
  const hString = H.toBytes();
  const Gamma = H.multiply(x);
  const k = nonce ?? leToInt(sha512(nonceKey, hString)) % L;
  const c = challenge(sb, [Y, H, Gamma, Point.BASE.multiply(k), H.multiply(k)]);
  const s = (k + c * x) % L;
  return concatBytes(Gamma.toBytes(), intToLe(c, C_LEN), intToLe(s, 32));
}

function decodeProof(pi: Uint8Array): { Gamma: EdPoint; c: bigint; s: bigint } | null {
  if (!(pi instanceof Uint8Array) || pi.length !== PROOF_LENGTH) return null;
  const Gamma = decodePoint(pi.subarray(0, 32));
  if (!Gamma) return null;
  const s = leToInt(pi.subarray(48, 80));
  if (s >= L) return null;
  return { Gamma, c: leToInt(pi.subarray(32, 48)), s };
}

/** ECVRF_proof_to_hash: beta (64 bytes) of a well-formed proof. Does NOT verify the proof. */
function proofToHash(suite: Suite, pi: Uint8Array): Uint8Array {
  const d = decodeProof(pi);
  if (!d) throw new VrfError('INVALID_PROOF_ENCODING', 'proof is not 80 bytes of Gamma ‖ c ‖ s with a canonical point and s < q');
  return gammaToHash(suiteByte(suite), d.Gamma);
}

/** ECVRF_verify: beta when pi is a valid proof for alpha under pk (validate_key = true). */
function verify(suite: Suite, pk: Uint8Array, alpha: Uint8Array, pi: Uint8Array): VerifyResult {
  if (!SUITES.includes(suite)) return { valid: false, code: 'INVALID_SUITE', message: `unknown suite ${String(suite)}` };
  const sb = SUITE_BYTE[suite];
  const key = validatePublicKey(pk);
  if (!key.valid) return { valid: false, code: 'INVALID_PUBLIC_KEY', message: key.message };
  const d = decodeProof(pi);
  if (!d) return { valid: false, code: 'INVALID_PROOF_ENCODING', message: 'proof is not 80 bytes of Gamma ‖ c ‖ s with a canonical point and s < q' };
  const Y = key.point;
  const H = encodeToCurve(suite, pk, alpha);
  // U = s·B − c·Y, V = s·H − c·Gamma (public values: variable-time arithmetic is fine here)
  const U = Point.BASE.multiplyUnsafe(d.s).add(Y.multiplyUnsafe(d.c).negate());
  const V = H.multiplyUnsafe(d.s).add(d.Gamma.multiplyUnsafe(d.c).negate());
  if (challenge(sb, [Y, H, d.Gamma, U, V]) !== d.c) return { valid: false, code: 'INVALID_PROOF', message: 'proof does not verify for this public key and alpha' };
  return { valid: true, beta: gammaToHash(sb, d.Gamma) };
}

export const nobleEcvrf: EcvrfImpl = {
  name: 'noble',
  publicKeyFromSecret,
  validatePublicKey: (pk) => { const r = validatePublicKey(pk); return r.valid ? { valid: true } : r; },
  prove,
  proveWithNonce,
  proofToHash,
  verify,
};
