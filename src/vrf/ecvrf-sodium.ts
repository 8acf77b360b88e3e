// ECVRF on edwards25519 per RFC 9381 (suites TAI and ELL2) on libsodium's
// native curve arithmetic, in two variants that share every RFC step here:
//   native  libsodium's public API through the `sodium-native` package;
//   ref10   libsodium's ref10 group code through this project's Node-API addon
//           (native/ecvrf_ref10.c, built by native/build.mjs): multiplications
//           without the public API's subgroup proof (half the cost of each),
//           a double-scalar multiplication for U, the cofactor in one call and
//           a faster ELL2 map (below). SHA-512 and scalars still go through
//           sodium-native.
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

/** x (0 ≤ x < 2^(8·len)) as `len` little-endian bytes. */
function leBytes(x: bigint, len: number): Uint8Array {
  return Buffer.from(x.toString(16).padStart(2 * len, '0'), 'hex').reverse();
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

/**
 * The Node-API addon over libsodium's ref10 group code (native/ecvrf_ref10.c).
 * Each call writes its first argument and returns false when a point does not
 * decode (not on the curve) or a scalar is ≥ 2^255; all buffers 32 bytes.
 */
export interface Ref10Addon {
  /** n·P for any curve point P. */
  mul(out: Uint8Array, n: Uint8Array, p: Uint8Array): boolean;
  /** n·B. */
  mulBase(out: Uint8Array, n: Uint8Array): boolean;
  /** 8·P. */
  mul8(out: Uint8Array, p: Uint8Array): boolean;
  /** a·A + b·B (variable time). */
  mulAddBase(out: Uint8Array, a: Uint8Array, A: Uint8Array, b: Uint8Array): boolean;
  /** a·A + b·C. */
  mulAdd(out: Uint8Array, a: Uint8Array, A: Uint8Array, b: Uint8Array, C: Uint8Array): boolean;
  /** The x-coordinate of P (canonical little-endian). */
  xOf(out: Uint8Array, p: Uint8Array): boolean;
  /** gamma = x·H, u = k·B, v = k·H. */
  proveCore(gamma: Uint8Array, u: Uint8Array, v: Uint8Array, x: Uint8Array, k: Uint8Array, H: Uint8Array): boolean;
  /** a⁻¹ mod p (0 for 0), a < 2^255 little-endian. */
  invert(out: Uint8Array, a: Uint8Array): boolean;
}

/** Montgomery A of curve25519. */
const MONT_A = 486662n;


export function createSodiumEcvrf(sodium: Sodium, ref10?: Ref10Addon): EcvrfImpl {
  const s = sodium;
  const sha512 = (...parts: Uint8Array[]): Uint8Array => { const out = new Uint8Array(64); s.crypto_hash_sha512(out, parts.length === 1 ? parts[0]! : concat(parts)); return out; };
  const reduce64 = (h: Uint8Array): Uint8Array => { const r = new Uint8Array(32); s.crypto_core_ed25519_scalar_reduce(r, h); return r; };
  /** The group operations: libsodium's public API (refusing all but canonical prime-order points) or the ref10 addon. */
  const ops = ref10 ? ref10Ops(ref10) : publicApiOps(s);
  const { mulBase, clearCofactor } = ops;

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
    const fast = ref10 && ell2Ref10(ref10, u);
    if (fast) return fast;
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
      const k = nonce === undefined ? reduce64(sha512(nonceKey, H)) : leBytes(((nonce % L) + L) % L, 32);
      const { Gamma, U, V } = ops.proveCore(x, k, H);
      const c = challenge(sb, [pk, H, Gamma, U, V]);
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
    if (!canonicalY(gamma) || zeroXWithSign(gamma)) return nobleEcvrf.verify(suite, pk, alpha, pi); // the reference names the failure
    try {
      const H = encodeToCurve(sb, pk, alpha);
      const c32 = new Uint8Array(32); c32.set(c);
      // U = s·B − c·Y, V = s·H − c·Gamma; libsodium refuses Gamma unless it is a canonical
      // prime-order point (then the reference decides: it may still be valid, or malformed).
      const { U, V } = ops.uv(sc, c32, pk, H, gamma);
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
    name: ref10 ? 'ref10' : 'native',
    publicKeyFromSecret: (sk) => Uint8Array.from(expand(sk).pk),
    validatePublicKey: (pk) => (pk instanceof Uint8Array && keyInSubgroup(pk) ? { valid: true } : nobleEcvrf.validatePublicKey(pk)),
    prove: (suite, sk, alpha) => proveWithNonce(suite, sk, alpha),
    proveWithNonce,
    proofToHash,
    verify,
  };
}

interface GroupOps {
  mulBase(n: Uint8Array): Uint8Array;
  /** 8·P, or null when the bytes are not on the curve (canonicity is checked by the caller). */
  clearCofactor(p: Uint8Array): Uint8Array | null;
  /** Gamma = x·H, U = k·B, V = k·H of RFC 9381 §5.1. */
  proveCore(x: Uint8Array, k: Uint8Array, H: Uint8Array): { Gamma: Uint8Array; U: Uint8Array; V: Uint8Array };
  /** U = s·B − c·Y and V = s·H − c·Gamma of RFC 9381 §5.3 step 7–8 (c as a 32-byte scalar). */
  uv(sc: Uint8Array, c: Uint8Array, pk: Uint8Array, H: Uint8Array, gamma: Uint8Array): { U: Uint8Array; V: Uint8Array };
}

/** libsodium's public API: every variable-base multiplication first proves its point is in the prime-order subgroup. */
function publicApiOps(s: Sodium): GroupOps {
  const mul = (n: Uint8Array, p: Uint8Array): Uint8Array => { const q = new Uint8Array(32); try { s.crypto_scalarmult_ed25519_noclamp(q, n, p); } catch { throw new Refused(); } return q; };
  const mulBase = (n: Uint8Array): Uint8Array => { const q = new Uint8Array(32); try { s.crypto_scalarmult_ed25519_base_noclamp(q, n); } catch { throw new Refused(); } return q; };
  const sub = (a: Uint8Array, b: Uint8Array): Uint8Array => { const r = new Uint8Array(32); try { s.crypto_core_ed25519_sub(r, a, b); } catch { throw new Refused(); } return r; };
  const dbl = (p: Uint8Array): Uint8Array | null => { const r = new Uint8Array(32); try { s.crypto_core_ed25519_add(r, p, p); } catch { return null; } return r; };
  return {
    mulBase,
    proveCore: (x, k, H) => ({ Gamma: mul(x, H), U: mulBase(k), V: mul(k, H) }),
    clearCofactor: (p) => { const a = dbl(p); const b = a && dbl(a); return b && dbl(b); },
    // libsodium refuses Gamma unless it is a canonical prime-order point (then the reference decides).
    uv: (sc, c, pk, H, gamma) => {
      const cGamma = mul(c, gamma);
      return { U: sub(mulBase(sc), mul(c, pk)), V: sub(mul(sc, H), cGamma) };
    },
  };
}

/** The ref10 addon: exact group arithmetic on any curve point (mixed-order Gammas included, as RFC 9381 computes them). */
function ref10Ops(a: Ref10Addon): GroupOps {
  const call = (f: (out: Uint8Array) => boolean): Uint8Array => { const out = new Uint8Array(32); if (!f(out)) throw new Refused(); return out; };
  // −c·P as c·(−P): (L − c)·P would differ from −c·P by a torsion component when P has one.
  const negate = (p: Uint8Array): Uint8Array => {
    const y = Uint8Array.from(p); y[31]! &= 0x7f;
    if (Buffer.compare(y, Y_ONE) === 0 || Buffer.compare(y, Y_MINUS_ONE) === 0) return p; // x = 0: −P = P
    const q = Uint8Array.from(p); q[31]! ^= 0x80; return q;
  };
  return {
    mulBase: (n) => call((o) => a.mulBase(o, n)),
    proveCore: (x, k, H) => {
      const Gamma = new Uint8Array(32), U = new Uint8Array(32), V = new Uint8Array(32);
      if (!a.proveCore(Gamma, U, V, x, k, H)) throw new Refused();
      return { Gamma, U, V };
    },
    clearCofactor: (p) => { const out = new Uint8Array(32); return a.mul8(out, p) ? out : null; },
    uv: (sc, c, pk, H, gamma) => {
      return { U: call((o) => a.mulAddBase(o, c, negate(pk), sc)), V: call((o) => a.mulAdd(o, sc, H, c, negate(gamma))) };
    },
  };
}

/**
 * RFC 9380's Elligator 2 map to edwards25519 followed by the cofactor
 * (encode_to_curve's map_to_curve and clear_cofactor, G.2.1/G.2.2), with the
 * square roots done by libsodium's point decoding and the inversions by
 * libsodium, instead of field exponentiations in BigInt:
 *   t = 1 + 2u², x1 = −A/t, x2 = −x1 − A = A(1 − t)/t. The Edwards point with
 *   y = (x − 1)/(x + 1) exists iff g(x) = x³ + A·x² + x is a square (the
 *   birational map), so decoding y1 = (−A − t)/(t − A) decides the RFC's branch:
 *   xM = x1 with sgn0(yM) = 1, else xM = x2 with y2 = (A(1−t) − t)/(A(1−t) + t)
 *   and sgn0(yM) = 0. Decoding gives x0, the even root; the RFC's x is c1·xM/yM,
 *   so x = x0 when yM0 = c1·xM/x0 has the RFC's sign, else −x0.
 * Two inversions: (t − A)·(A(1−t) + t) (both y denominators at once), then t·x0.
 * Returns null in the map's exceptional case (a zero denominator: xM = −1),
 * which the caller computes with the general code.
 */
function ell2Ref10(a: Ref10Addon, u: bigint): Uint8Array | null {
  const inv = (v: bigint): bigint => { const out = new Uint8Array(32); a.invert(out, leBytes(v, 32)); return leToInt(out); };
  const t = Fp.add(1n, Fp.mul(2n, Fp.sqr(u))); // ≠ 0: −1/2 is not a square mod p
  const at = Fp.mul(MONT_A, Fp.sub(1n, t)); // x2 = at/t
  const d1 = Fp.sub(t, MONT_A), d2 = Fp.add(at, t);
  const d12 = Fp.mul(d1, d2);
  if (Fp.is0(d12)) return null;
  const invD12 = inv(d12);
  const x0 = new Uint8Array(32);
  let xMn = Fp.neg(MONT_A), wantOdd = true; // xM = xMn/t
  let enc = leBytes(Fp.mul(Fp.neg(Fp.add(MONT_A, t)), Fp.mul(invD12, d2)), 32);
  if (!a.xOf(x0, enc)) {
    xMn = at; wantOdd = false;
    enc = leBytes(Fp.mul(Fp.sub(at, t), Fp.mul(invD12, d1)), 32);
    if (!a.xOf(x0, enc)) throw new Error('ELL2: neither Elligator 2 candidate is on the curve'); // cannot happen: g(x1)·g(x2) is a non-square times a square
  }
  const x0Int = leToInt(x0);
  if (x0Int !== 0n) { // x0 = 0 only at y = ±1, which xM ≠ 0, −1 excludes
    const yM0 = Fp.mul(Fp.mul(ELL2_EDWARDS_C1, xMn), inv(Fp.mul(t, x0Int)));
    if (((yM0 & 1n) === 1n) !== wantOdd) enc[31]! |= 0x80; // the RFC's x is −x0 (odd)
  }
  const H = new Uint8Array(32);
  if (!a.mul8(H, enc)) throw new Error('ELL2 map produced a point off the curve'); // cannot happen: decoded above
  return H;
}
