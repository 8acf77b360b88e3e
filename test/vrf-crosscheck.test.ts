// Each native ECVRF (libsodium's ref10 addon where it is built, libsodium's
// public API) against the pure-JS reference (@noble/curves): identical pk, pi
// and beta on thousands of random inputs, identical verdicts on tampered proofs,
// and identical acceptance of the RFC-valid but unusual proofs (mixed-order
// Gamma and public key: the public-API variant hands them to the reference,
// ref10 computes them itself).
import t from 'tap';
import { createHash } from 'node:crypto';
import { ed25519, ed25519_hasher } from '@noble/curves/ed25519.js';
import { concatBytes, toHex, utf8 } from '../src/common/bytes.js';
import { SUITES, type Suite } from '../src/vrf/index.js';
import { availableVrfImplementations, vrfImplementation } from '../src/vrf/ecvrf.js';

const natives = availableVrfImplementations().filter((n) => n !== 'noble').map(vrfImplementation);
const noble = vrfImplementation('noble');
t.ok(natives.some((v) => v.name === 'native'), 'sodium-native loads (a dependency)');
const Point = ed25519.Point;
const L = Point.Fn.ORDER;
// Order-2 point (0, −1) and an order-4 point: torsion components RFC 9381's validate_key lets through.
const T2 = Point.fromBytes(Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0xec : i === 31 ? 0x7f : 0xff)));
t.ok(T2.double().is0() && !T2.is0(), 'T2 has order 2');

/** Deterministic byte stream (SHA-256 in counter mode) so that failures replay. */
function stream(seed: string) {
  let ctr = 0;
  return (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let o = 0; o < n; o += 32) out.set(createHash('sha256').update(`${seed}/${ctr++}`).digest().subarray(0, Math.min(32, n - o)), o);
    return out;
  };
}

const leToInt = (b: Uint8Array) => { let x = 0n; for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!); return x; };
const intToLe = (x: bigint, len: number) => { const o = new Uint8Array(len); for (let i = 0; i < len; i++) { o[i] = Number(x & 0xffn); x >>= 8n; } return o; };
const sha512 = (...p: Uint8Array[]) => new Uint8Array(createHash('sha512').update(concatBytes(...p)).digest());

// Cases per suite: two suites × 1000 = 2000 random (sk, alpha) pairs, each proved and verified by
// both implementations; a quarter also have a tampered proof verified by both. About 15 s alone
// on this 2-core machine (the reference is the slow side), bounded by the counts, not by time.
const CASES = 1000;

for (const suite of SUITES) {
  t.test(`${suite}: ${natives.map((v) => v.name).join(' and ')} agree with noble on ${CASES} random inputs`, async (t) => {
    const rnd = stream(`crosscheck/${suite}`);
    let mismatches = 0, tampered = 0;
    for (let i = 0; i < CASES; i++) {
      const sk = rnd(32), alpha = rnd(rnd(1)[0]! % 100);
      const pkJ = noble.publicKeyFromSecret(sk), piJ = noble.prove(suite, sk, alpha), betaJ = noble.proofToHash(suite, piJ);
      const bad = new Uint8Array(piJ);
      const bit = rnd(2)[0]! * 3 % 640;
      bad[bit >> 3]! ^= 1 << (bit & 7);
      const otherAlpha = concatBytes(alpha, Uint8Array.of(i & 0xff));
      // a tampered proof (one flipped bit anywhere) or the proof under another alpha, for a quarter of the cases
      const wrong = i % 4 === 0 ? ([[alpha, bad], [otherAlpha, piJ]] as const).map(([a, p]) => ({ a, p, rj: noble.verify(suite, pkJ, a, p) })) : [];
      for (const native of natives) {
        const pk = native.publicKeyFromSecret(sk);
        const pi = native.prove(suite, sk, alpha);
        const vn = native.verify(suite, pk, alpha, pi);
        const ok = toHex(pk) === toHex(pkJ) && toHex(pi) === toHex(piJ)
          && vn.valid && toHex(vn.beta) === toHex(betaJ)
          && toHex(native.proofToHash(suite, pi)) === toHex(vn.beta);
        if (!ok) { mismatches++; if (mismatches < 5) t.fail(`${native.name} case ${i}: sk ${toHex(sk)} alpha ${toHex(alpha)}`); }
        for (const { a, p, rj } of wrong) {
          const rn = native.verify(suite, pk, a, p);
          tampered++;
          if (rn.valid !== rj.valid || (!rn.valid && !rj.valid && rn.code !== rj.code) || rn.valid) { mismatches++; t.fail(`${native.name} tampered case ${i} bit ${bit}: ${JSON.stringify(rn)} noble ${JSON.stringify(rj)}`); }
        }
      }
    }
    t.equal(mismatches, 0, `${CASES} identical pk/pi/beta, ${tampered} tampered proofs rejected alike`);
  });
}

/** RFC 9381 encode_to_curve with the noble primitives (for crafting proofs under keys no prover accepts). */
function encodeToCurve(suite: Suite, pk: Uint8Array, alpha: Uint8Array) {
  if (suite === 'ECVRF-EDWARDS25519-SHA512-ELL2') return ed25519_hasher.encodeToCurve(concatBytes(pk, alpha), { DST: concatBytes(utf8('ECVRF_edwards25519_XMD:SHA-512_ELL2_NU_'), Uint8Array.of(4)) });
  for (let ctr = 0; ctr < 256; ctr++) {
    try { return Point.fromBytes(sha512(Uint8Array.of(3, 1), pk, alpha, Uint8Array.of(ctr, 0)).subarray(0, 32), false).clearCofactor(); } catch { /* next */ }
  }
  throw new Error('unreachable');
}

/**
 * A proof that RFC 9381 verification accepts although Gamma (torsion = 'gamma') or the public key
 * (torsion = 'key') carries an order-2 component: the key holder retries nonces until c is even,
 * so c·T2 vanishes from U and V. libsodium refuses such points; the native implementation must then
 * defer to the reference and agree with it.
 */
function craft(suite: Suite, sk: Uint8Array, alpha: Uint8Array, torsion: 'gamma' | 'key') {
  const sb = suite === 'ECVRF-EDWARDS25519-SHA512-TAI' ? 3 : 4;
  const a = sha512(sk).slice(0, 32);
  a[0]! &= 248; a[31]! &= 127; a[31]! |= 64;
  const x = leToInt(a) % L;
  const Y = Point.BASE.multiply(x).add(torsion === 'key' ? T2 : Point.ZERO);
  const pk = Y.toBytes();
  const H = encodeToCurve(suite, pk, alpha);
  const Gamma = H.multiply(x).add(torsion === 'gamma' ? T2 : Point.ZERO);
  for (let k = 1n; k < 200n; k++) {
    const c = leToInt(sha512(Uint8Array.of(sb, 2), pk, H.toBytes(), Gamma.toBytes(), Point.BASE.multiply(k).toBytes(), H.multiply(k).toBytes(), Uint8Array.of(0)).subarray(0, 16));
    if (c % 2n !== 0n) continue;
    return { pk, pi: concatBytes(Gamma.toBytes(), intToLe(c, 16), intToLe((k + c * x) % L, 32)) };
  }
  throw new Error('no even challenge in 200 nonces'); // probability 2^-200
}

for (const native of natives) t.test(`RFC-valid proofs with mixed-order Gamma or key: ${native.name} agrees with the reference`, async (t) => {
  const rnd = stream('crosscheck/mixed');
  for (const suite of SUITES) {
    for (const torsion of ['gamma', 'key'] as const) {
      for (let i = 0; i < 3; i++) {
        const sk = rnd(32), alpha = rnd(9);
        const { pk, pi } = craft(suite, sk, alpha, torsion);
        const rj = noble.verify(suite, pk, alpha, pi), rn = native.verify(suite, pk, alpha, pi);
        t.ok(rj.valid, `${suite} ${torsion} #${i}: the reference accepts`);
        t.same(rn, rj, `${suite} ${torsion} #${i}: ${native.name} gives the same verdict and beta`);
        t.equal(native.validatePublicKey(pk).valid, noble.validatePublicKey(pk).valid, 'same validate_key');
        // and flipping c's lowest bit (c odd: c·T2 ≠ 0) is rejected by both alike
        const bad = new Uint8Array(pi); bad[32]! ^= 1;
        t.same(native.verify(suite, pk, alpha, bad), noble.verify(suite, pk, alpha, bad), 'tampered: same verdict');
      }
    }
  }
});

for (const native of natives) t.test(`encoding edge cases: ${native.name} and noble give the same verdict and code`, async (t) => {
  const sk = new Uint8Array(32).fill(1), alpha = utf8('edge');
  const p = (1n << 255n) - 19n;
  const pts: Array<[string, Uint8Array]> = [
    ['y = p', intToLe(p, 32)], ['y = p + 1', intToLe(p + 1n, 32)], ['x = 0, sign bit (y = 1)', (() => { const b = intToLe(1n, 32); b[31]! |= 0x80; return b; })()],
    ['identity', intToLe(1n, 32)], ['order 2', T2.toBytes()], ['not on curve', intToLe(2n, 32)], ['2^255 − 1', intToLe((1n << 255n) - 1n, 32)],
  ];
  for (const suite of SUITES) {
    const pk = native.publicKeyFromSecret(sk), pi = native.prove(suite, sk, alpha);
    for (const [name, b] of pts) {
      const asGamma = concatBytes(b, pi.subarray(32));
      t.same(native.verify(suite, pk, alpha, asGamma), noble.verify(suite, pk, alpha, asGamma), `${suite}: Gamma ${name}`);
      t.same(native.verify(suite, b, alpha, pi), noble.verify(suite, b, alpha, pi), `${suite}: key ${name}`);
      let hn: string, hj: string;
      try { hn = toHex(native.proofToHash(suite, asGamma)); } catch (e) { hn = (e as Error).message; }
      try { hj = toHex(noble.proofToHash(suite, asGamma)); } catch (e) { hj = (e as Error).message; }
      t.equal(hn, hj, `${suite}: proof_to_hash with Gamma ${name}`);
    }
    const sBig = concatBytes(pi.subarray(0, 48), intToLe(L + leToInt(pi.subarray(48)), 32));
    t.same(native.verify(suite, pk, alpha, sBig), noble.verify(suite, pk, alpha, sBig), `${suite}: s + q`);
    const zeroC = concatBytes(pi.subarray(0, 32), new Uint8Array(16), pi.subarray(48));
    t.same(native.verify(suite, pk, alpha, zeroC), noble.verify(suite, pk, alpha, zeroC), `${suite}: c = 0`);
    const zeroS = concatBytes(pi.subarray(0, 48), new Uint8Array(32));
    t.same(native.verify(suite, pk, alpha, zeroS), noble.verify(suite, pk, alpha, zeroS), `${suite}: s = 0`);
  }
});
