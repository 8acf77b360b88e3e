// ECVRF on edwards25519 per RFC 9381 (suites TAI and ELL2) on libsodium's
// native curve arithmetic, through the `sodium-native` package.
//
// libsodium does the expensive parts: scalar multiplications, point addition,
// point validation, SHA-512 and scalar reduction. The RFC's own steps stay
// here, written from the RFC:
//   - TAI encode_to_curve: try-and-increment with a strict RFC 8032 decoding
//     (y < p and no x = 0 with the sign bit checked here; on-curve by libsodium's
//     point addition), then the cofactor cleared by three doublings;
//   - ELL2 encode_to_curve: RFC 9380 hash_to_field (expand_message_xmd,
//     SHA-512) and the Elligator 2 map to edwards25519 (RFC 9380 G.2.1/G.2.2,
//     field arithmetic from @noble/curves), then the cofactor cleared by
//     libsodium. libsodium's own from_uniform/from_hash are NOT used: their
//     sign conventions differ from RFC 9380's;
//   - the RFC 8032-style nonce, the challenge and the proof encoding.
//
// Fast path and reference. libsodium's variable-base multiplication accepts
// only canonical points of the prime-order subgroup, and refuses the zero
// scalar and an identity result. RFC 9381 also accepts mixed-order public keys
// and Gammas (validate_key only rejects small order). So whenever libsodium
// refuses an input — a malformed or unusual key or proof, or a zero scalar
// (probability ~2^-128 for honest inputs) — the whole operation is handed to
// the @noble/curves implementation, which then decides exactly per the RFC.
// Honest inputs never take that path; hostile ones cost one pure-JS operation.
import { _map_to_curve_elligator2_curve25519, ed25519 } from '@noble/curves/ed25519.js';
import { loadSodium, type Sodium } from '../common/sodium.js';
import { nobleEcvrf } from './ecvrf-noble.js';
import { C_LEN, ELL2_DST, L, PROOF_ENCODING_MESSAGE, PROOF_LENGTH, SUITE_BYTE, SUITES, VrfError, type EcvrfImpl, type Suite, type VerifyResult } from './ecvrf-common.js';

const Fp = ed25519.Point.Fp;
const P = Fp.ORDER;
/** sqrt(-486664) with sgn0 = 0 (RFC 9380 G.2.2 c1, Errata 4730). */
const ELL2_EDWARDS_C1 = (() => { const r = Fp.sqrt(Fp.neg(486664n)); return (r & 1n) === 0n ? r : Fp.neg(r); })();
/** Bytes of p−1 and 1: the two y values with x = 0. */
const Y_ONE = leBytes(1n, 32), Y_MINUS_ONE = leBytes(P - 1n, 32);
const INVALID_PROOF_MESSAGE = 'proof does not verify for this public key and alpha';

function leBytes(x: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) { out[i] = Number(x & 0xffn); x >>= 8n; }
  return out;
}

function leToInt(b: Uint8Array): bigint {
  return BigInt('0x' + (Buffer.from(b).reverse().toString('hex') || '0'));
}

function beToInt(b: Uint8Array): bigint {
  return BigInt('0x' + (Buffer.from(b).toString('hex') || '0'));
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

/** s < L for a 32-byte little-endian scalar (variable time: s is public). */
function scalarBelowL(s: Uint8Array): boolean {
  return leToInt(s) < L;
}

/** y < p for the 255 low bits of a point encoding (RFC 8032 §5.1.3 step 1). */
function canonicalY(b: Uint8Array): boolean {
  if ((b[31]! & 0x7f) !== 0x7f) return true;
  for (let i = 30; i > 0; i--) if (b[i] !== 0xff) return true;
  return b[0]! < 0xed;
}

/** x = 0 with the sign bit set is not a valid encoding (RFC 8032 §5.1.3 step 4). */
function zeroXWithSign(b: Uint8Array): boolean {
  if ((b[31]! & 0x80) === 0) return false;
  const y = Uint8Array.from(b); y[31]! &= 0x7f;
  return Buffer.compare(y, Y_ONE) === 0 || Buffer.compare(y, Y_MINUS_ONE) === 0;
}

/** Thrown inside the fast path when libsodium refuses an input: the reference implementation decides. */
class Refused extends Error {}

export function createSodiumEcvrf(sodium: Sodium): EcvrfImpl {
  const s = sodium;
  const sha512 = (...parts: Uint8Array[]): Uint8Array => { const out = new Uint8Array(64); s.crypto_hash_sha512(out, parts.length === 1 ? parts[0]! : concat(parts)); return out; };
  const reduce64 = (h: Uint8Array): Uint8Array => { const r = new Uint8Array(32); s.crypto_core_ed25519_scalar_reduce(r, h); return r; };
  const mul = (n: Uint8Array, p: Uint8Array): Uint8Array => { const q = new Uint8Array(32); try { s.crypto_scalarmult_ed25519_noclamp(q, n, p); } catch { throw new Refused(); } return q; };
  const mulBase = (n: Uint8Array): Uint8Array => { const q = new Uint8Array(32); try { s.crypto_scalarmult_ed25519_base_noclamp(q, n); } catch { throw new Refused(); } return q; };
  const sub = (a: Uint8Array, b: Uint8Array): Uint8Array => { const r = new Uint8Array(32); try { s.crypto_core_ed25519_sub(r, a, b); } catch { throw new Refused(); } return r; };
  /** 2·P, or null when the bytes are not on the curve (libsodium decodes y mod p: canonicity is checked by the caller). */
  const dbl = (p: Uint8Array): Uint8Array | null => { const r = new Uint8Array(32); try { s.crypto_core_ed25519_add(r, p, p); } catch { return null; } return r; };
  const clearCofactor = (p: Uint8Array): Uint8Array | null => { const a = dbl(p); const b = a && dbl(a); return b && dbl(b); };

  // Public keys seen by verify: the committee's few VRF keys, validated once.
  const keyCache = new Map<string, boolean>();
  const keyInSubgroup = (pk: Uint8Array): boolean => {
    const h = Buffer.from(pk).toString('hex');
    let ok = keyCache.get(h);
    if (ok === undefined) {
      ok = pk.length === 32 && s.crypto_core_ed25519_is_valid_point(pk);
      if (keyCache.size >= 4096) keyCache.clear();
      keyCache.set(h, ok);
    }
    return ok;
  };

  // The prover's expanded secret (one oracle uses one key): the last one is kept.
  let lastSk: Uint8Array | null = null;
  let lastExpanded: { x: Uint8Array; xInt: bigint; nonceKey: Uint8Array; pk: Uint8Array } | null = null;
  const expand = (sk: Uint8Array) => {
    if (!(sk instanceof Uint8Array) || sk.length !== 32) throw new VrfError('INVALID_SECRET_KEY', 'secret key must be 32 bytes');
    if (lastSk && lastExpanded && Buffer.compare(lastSk, sk) === 0) return lastExpanded;
    const h = sha512(sk);
    const a = new Uint8Array(64);
    a.set(h.subarray(0, 32));
    a[0]! &= 248; a[31]! &= 127; a[31]! |= 64; // RFC 8032 §5.1.5 clamping
    const x = reduce64(a); // x mod q: the same multiple of the base point
    const e = { x, xInt: leToInt(x), nonceKey: h.slice(32, 64), pk: mulBase(x) };
    lastSk = Uint8Array.from(sk); lastExpanded = e;
    return e;
  };

  const suiteByte = (suite: Suite): number => {
    const b = SUITE_BYTE[suite];
    if (b === undefined) throw new VrfError('INVALID_SUITE', `unknown suite ${String(suite)}`);
    return b;
  };

  /** RFC 9381 §5.4.1.1: try-and-increment; the first hash that decodes, times the cofactor. */
  const encodeTai = (pk: Uint8Array, alpha: Uint8Array): Uint8Array => {
    const prefix = Uint8Array.of(0x03, 0x01);
    const tail = Uint8Array.of(0, 0x00);
    for (let ctr = 0; ctr < 256; ctr++) {
      tail[0] = ctr;
      const cand = sha512(prefix, pk, alpha, tail).subarray(0, 32);
      if (!canonicalY(cand) || zeroXWithSign(cand)) continue;
      const H = clearCofactor(cand);
      if (H) return H;
    }
    throw new VrfError('INVALID_PROOF', 'encode_to_curve failed after 256 attempts'); // probability 2^-256
  };

  /** RFC 9380 expand_message_xmd with SHA-512, 48 bytes (one field element, k = 128). */
  const xmdDstPrime = concat([ELL2_DST, Uint8Array.of(ELL2_DST.length)]);
  const zPad = new Uint8Array(128);
  const hashToField = (msg: Uint8Array[]): bigint => {
    const b0 = sha512(zPad, ...msg, Uint8Array.of(0, 48, 0), xmdDstPrime);
    const b1 = sha512(b0, Uint8Array.of(1), xmdDstPrime);
    return Fp.create(beToInt(b1.subarray(0, 48)));
  };

  /** RFC 9381 §5.4.1.2: RFC 9380 encode_to_curve, edwards25519_XMD:SHA-512_ELL2_NU_, with the PK as salt. */
  const encodeEll2 = (pk: Uint8Array, alpha: Uint8Array): Uint8Array => {
    const u = hashToField([pk, alpha]);
    // Montgomery point (xn/xd, y), then the rational map to edwards25519 (G.2.2):
    // x = c1·xM/yM, y = (xM − 1)/(xM + 1). Both denominators inverted at once.
    const { xMn, xMd, yMn } = _map_to_curve_elligator2_curve25519(u);
    const exd = Fp.mul(xMd, yMn), eyn = Fp.sub(xMn, xMd), eyd = Fp.add(xMn, xMd);
    let x: bigint, y: bigint;
    if (Fp.is0(Fp.mul(exd, eyd))) { x = 0n; y = 1n; } // RFC 9380 G.2.2 steps 8–12 (exceptional case)
    else {
      const inv = Fp.inv(Fp.mul(exd, eyd));
      x = Fp.mul(Fp.mul(Fp.mul(xMn, ELL2_EDWARDS_C1), eyd), inv);
      y = Fp.mul(Fp.mul(eyn, exd), inv);
    }
    const enc = leBytes(y, 32);
    if (x & 1n) enc[31]! |= 0x80;
    const H = clearCofactor(enc);
    if (!H) throw new Error('ELL2 map produced a point off the curve'); // cannot happen: the map lands on the curve
    return H;
  };

  const encodeToCurve = (sb: number, pk: Uint8Array, alpha: Uint8Array) => (sb === 0x04 ? encodeEll2(pk, alpha) : encodeTai(pk, alpha));

  const challenge = (sb: number, pts: Uint8Array[]): Uint8Array => sha512(Uint8Array.of(sb, 0x02), ...pts, Uint8Array.of(0x00)).subarray(0, C_LEN);

  /** 8·Gamma by libsodium (Gamma may be of mixed order: three doublings, no subgroup check). */
  const gammaToHash = (sb: number, gamma: Uint8Array): Uint8Array | null => {
    const g8 = clearCofactor(gamma);
    return g8 && sha512(Uint8Array.of(sb, 0x03), g8, Uint8Array.of(0x00));
  };

  function proveWithNonce(suite: Suite, sk: Uint8Array, alpha: Uint8Array, nonce?: bigint): Uint8Array {
    const sb = suiteByte(suite);
    const { x, xInt, nonceKey, pk } = expand(sk);
    try {
      const H = encodeToCurve(sb, pk, alpha);
      const Gamma = mul(x, H);
      const k = nonce === undefined ? reduce64(sha512(nonceKey, H)) : leBytes(((nonce % L) + L) % L, 32);
      const c = challenge(sb, [pk, H, Gamma, mulBase(k), mul(k, H)]);
      const sc = (leToInt(k) + leToInt(c) * xInt) % L;
      return concat([Gamma, c, leBytes(sc, 32)]);
    } catch (e) {
      if (e instanceof Refused) return nobleEcvrf.proveWithNonce(suite, sk, alpha, nonce); // k = 0 or H of small order: negligible
      throw e;
    }
  }

  function proofToHash(suite: Suite, pi: Uint8Array): Uint8Array {
    const sb = suiteByte(suite);
    if (!(pi instanceof Uint8Array) || pi.length !== PROOF_LENGTH) throw new VrfError('INVALID_PROOF_ENCODING', PROOF_ENCODING_MESSAGE);
    const gamma = pi.subarray(0, 32);
    if (!canonicalY(gamma) || zeroXWithSign(gamma) || !scalarBelowL(pi.subarray(48, 80))) throw new VrfError('INVALID_PROOF_ENCODING', PROOF_ENCODING_MESSAGE);
    const beta = gammaToHash(sb, gamma);
    if (!beta) throw new VrfError('INVALID_PROOF_ENCODING', PROOF_ENCODING_MESSAGE);
    return beta;
  }

  function verify(suite: Suite, pk: Uint8Array, alpha: Uint8Array, pi: Uint8Array): VerifyResult {
    if (!SUITES.includes(suite)) return { valid: false, code: 'INVALID_SUITE', message: `unknown suite ${String(suite)}` };
    const sb = SUITE_BYTE[suite];
    // Anything off the fast path (unusual key, malformed proof) is decided by the reference.
    if (!(pk instanceof Uint8Array) || !keyInSubgroup(pk)) return nobleEcvrf.verify(suite, pk, alpha, pi);
    if (!(pi instanceof Uint8Array) || pi.length !== PROOF_LENGTH) return { valid: false, code: 'INVALID_PROOF_ENCODING', message: PROOF_ENCODING_MESSAGE };
    const gamma = pi.subarray(0, 32), c = pi.subarray(32, 48), sc = pi.subarray(48, 80);
    if (!scalarBelowL(sc)) return { valid: false, code: 'INVALID_PROOF_ENCODING', message: PROOF_ENCODING_MESSAGE };
    try {
      const H = encodeToCurve(sb, pk, alpha);
      const c32 = new Uint8Array(32); c32.set(c);
      // U = s·B − c·Y, V = s·H − c·Gamma; libsodium refuses Gamma unless it is a canonical
      // prime-order point (then the reference decides: it may still be valid, or malformed).
      const cGamma = mul(c32, gamma);
      const U = sub(mulBase(sc), mul(c32, pk));
      const V = sub(mul(sc, H), cGamma);
      if (Buffer.compare(challenge(sb, [pk, H, gamma, U, V]), c) !== 0) return { valid: false, code: 'INVALID_PROOF', message: INVALID_PROOF_MESSAGE };
      const beta = gammaToHash(sb, gamma);
      if (!beta) throw new Refused();
      return { valid: true, beta };
    } catch (e) {
      if (e instanceof Refused) return nobleEcvrf.verify(suite, pk, alpha, pi);
      throw e;
    }
  }

  return {
    name: 'native',
    publicKeyFromSecret: (sk) => Uint8Array.from(expand(sk).pk),
    validatePublicKey: (pk) => (pk instanceof Uint8Array && keyInSubgroup(pk) ? { valid: true } : nobleEcvrf.validatePublicKey(pk)),
    prove: (suite, sk, alpha) => proveWithNonce(suite, sk, alpha),
    proveWithNonce,
    proofToHash,
    verify,
  };
}
