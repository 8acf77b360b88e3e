import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { fromHex, toHex } from '../src/common/bytes.js';
import { SUITES, VrfError } from '../src/vrf/index.js';
import { availableVrfImplementations, currentVrfImplementation, vrfImplementation } from '../src/vrf/ecvrf.js';

const vectors = JSON.parse(readFileSync(new URL('./vectors/rfc9381-edwards25519.json', import.meta.url), 'utf8'));
const L = ed25519.Point.Fn.ORDER;

// sodium-native is a dependency: where it is installed native and noble must load; ref10 loads
// where `npm install` could build its addon (.ci/run makes sure it does). Every test below runs
// on each implementation that loads.
const available = availableVrfImplementations();
t.same(available.filter((n) => n !== 'ref10'), ['native', 'noble'], 'native (sodium-native) and noble implementations load');
t.equal(currentVrfImplementation(), process.env.SPLITUP_VRF_IMPL === 'noble' ? 'noble' : available[0], 'default: the fastest that loads');

t.test('without the addon, auto falls back to native and asking for ref10 names the reason', async (t) => {
  const script = `import { availableVrfImplementations, currentVrfImplementation, vrfImplementation } from './src/vrf/ecvrf.ts';
    let err = ''; try { vrfImplementation('ref10'); } catch (e) { err = e.message; }
    console.log(JSON.stringify({ available: availableVrfImplementations(), current: currentVrfImplementation(), err }));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url).pathname, env: { ...process.env, SPLITUP_ECVRF_ADDON: '/nonexistent/ecvrf-ref10.node', SPLITUP_VRF_IMPL: 'auto' } });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const code = await new Promise((res) => child.on('exit', res));
  t.equal(code, 0);
  const r = JSON.parse(out);
  t.same(r.available, ['native', 'noble']);
  t.equal(r.current, 'native');
  t.match(r.err, /"ref10" is unavailable: \/nonexistent\/ecvrf-ref10.node not built/);
});

for (const implName of availableVrfImplementations()) {
  const { prove, verify, proofToHash, publicKeyFromSecret, validatePublicKey, proveWithNonce } = vrfImplementation(implName);
  t.test(`implementation: ${implName}`, async (t) => {
    t.test('RFC 9381 Appendix B vectors, both edwards25519 suites', async (t) => {
      t.match(vectors.source, /RFC 9381/);
      for (const suite of SUITES) {
        t.equal(vectors[suite].length, 3, `${suite}: three examples`);
        for (const v of vectors[suite]) {
          const sk = fromHex(v.SK), alpha = fromHex(v.alpha), pk = fromHex(v.PK);
          t.equal(toHex(publicKeyFromSecret(sk)), v.PK, `example ${v.example}: PK`);
          const pi = prove(suite, sk, alpha);
          t.equal(toHex(pi), v.pi, `example ${v.example}: pi`);
          t.equal(toHex(proofToHash(suite, pi)), v.beta, `example ${v.example}: proof_to_hash`);
          const r = verify(suite, pk, alpha, fromHex(v.pi));
          t.ok(r.valid && toHex(r.beta) === v.beta, `example ${v.example}: verify returns beta`);
        }
      }
    });

    t.test('rejections: flipped bits, other alpha, other key, wrong lengths, bad keys', async (t) => {
      for (const suite of SUITES) {
        const v = vectors[suite][1];
        const pk = fromHex(v.PK), alpha = fromHex(v.alpha), pi = fromHex(v.pi);
        for (const bit of [0, 7, 100, 255, 256, 300, 383, 384, 500, 600, 637]) {
          const bad = new Uint8Array(pi);
          bad[bit >> 3]! ^= 1 << (bit & 7);
          const r = verify(suite, pk, alpha, bad);
          t.equal(r.valid, false, `${suite}: bit ${bit} flipped`);
        }
        t.match(verify(suite, pk, fromHex('73'), pi), { valid: false, code: 'INVALID_PROOF' }, 'other alpha');
        t.match(verify(suite, fromHex(vectors[suite][0].PK), alpha, pi), { valid: false, code: 'INVALID_PROOF' }, 'other key');
        t.match(verify(suite, pk, alpha, pi.subarray(0, 79)), { valid: false, code: 'INVALID_PROOF_ENCODING' }, '79 bytes');
        t.match(verify(suite, pk, alpha, new Uint8Array([...pi, 0])), { valid: false, code: 'INVALID_PROOF_ENCODING' }, '81 bytes');
        t.match(verify(suite, pk.subarray(0, 31), alpha, pi), { valid: false, code: 'INVALID_PUBLIC_KEY' }, '31-byte key');
        // s ≥ q is not a valid encoding (s + q would otherwise be a second proof)
        const sPlusL = new Uint8Array(pi);
        let s = 0n; for (let i = 79; i >= 48; i--) s = (s << 8n) | BigInt(pi[i]!);
        s += L; for (let i = 48; i < 80; i++) { sPlusL[i] = Number(s & 0xffn); s >>= 8n; }
        t.match(verify(suite, pk, alpha, sPlusL), { valid: false, code: 'INVALID_PROOF_ENCODING' }, 's + q rejected');
        t.throws(() => proofToHash(suite, pi.subarray(1)), VrfError);
        t.match(verify('nope' as never, pk, alpha, pi), { valid: false, code: 'INVALID_SUITE' });
      }
      // small-order keys: all 8 torsion points, including the identity
      t.equal(ED25519_TORSION_SUBGROUP.length, 8);
      for (const h of ED25519_TORSION_SUBGROUP) {
        const r = validatePublicKey(fromHex(h));
        t.equal(r.valid, false, `torsion point ${h.slice(0, 8)}… rejected`);
      }
      // non-canonical encodings: y = p (non-canonical 0), y = p + 1, and x = 0 with the sign bit set
      const p = (1n << 255n) - 19n;
      const enc = (y: bigint, sign = 0) => { const b = new Uint8Array(32); for (let i = 0; i < 32; i++) { b[i] = Number(y & 0xffn); y >>= 8n; } b[31]! |= sign << 7; return b; };
      for (const [name, b] of [['y = p', enc(p)], ['y = p + 1', enc(p + 1n)], ['x = 0 with sign bit', enc(1n, 1)], ['not on curve', enc(2n)]] as const) {
        t.equal(validatePublicKey(b).valid, false, `${name} rejected`);
        t.match(verify(SUITES[0], b, new Uint8Array(), fromHex(vectors[SUITES[0]][0].pi)), { valid: false, code: 'INVALID_PUBLIC_KEY' });
      }
      t.throws(() => prove(SUITES[0], new Uint8Array(31), new Uint8Array()), /32 bytes/);
    });

    t.test('property: prove → verify round trip over random keys and alphas', async (t) => {
      for (const suite of SUITES) {
        fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 64 }), (sk, alpha) => {
          const pi = prove(suite, sk, alpha);
          const r = verify(suite, publicKeyFromSecret(sk), alpha, pi);
          return r.valid && toHex(r.beta) === toHex(proofToHash(suite, pi));
        }), { numRuns: 25, seed: 9381 });
        t.pass(`${suite}: 25 random round trips`);
        fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ minLength: 1, maxLength: 16 }), (sk, a, extra) => {
          const pi = prove(suite, sk, a);
          return !verify(suite, publicKeyFromSecret(sk), new Uint8Array([...a, ...extra]), pi).valid;
        }), { numRuns: 15, seed: 42 });
        t.pass(`${suite}: proofs never verify for another alpha`);
      }
    });

    t.test('uniqueness: every valid proof for (pk, alpha) gives the same beta; malleations fail', async (t) => {
      for (const suite of SUITES) {
        const sk = new Uint8Array(32).fill(7), alpha = new Uint8Array([1, 2, 3]);
        const pk = publicKeyFromSecret(sk);
        const pi = prove(suite, sk, alpha);
        t.same(prove(suite, sk, alpha), pi, 'deterministic');
        const other = proveWithNonce(suite, sk, alpha, 123456789n);
        t.not(toHex(other), toHex(pi), 'a proof made with another nonce differs');
        const r1 = verify(suite, pk, alpha, pi), r2 = verify(suite, pk, alpha, other);
        t.ok(r1.valid && r2.valid, 'both verify');
        if (r1.valid && r2.valid) t.equal(toHex(r2.beta), toHex(r1.beta), 'but yield the same beta');
        // Gamma + T for a torsion point T keeps 8·Gamma (and so beta) but must not verify
        const Gamma = ed25519.Point.fromBytes(pi.subarray(0, 32));
        for (const h of ED25519_TORSION_SUBGROUP.slice(1)) {
          const mauled = new Uint8Array(pi);
          mauled.set(Gamma.add(ed25519.Point.fromBytes(fromHex(h), true)).toBytes(), 0);
          t.equal(verify(suite, pk, alpha, mauled).valid, false, `Gamma + torsion ${h.slice(0, 6)} rejected`);
        }
      }
    });
  });
}

t.test('CLI: hex arguments and JSON lines on stdin', async (t) => {
  const bin = new URL('../bin/vrf.js', import.meta.url).pathname;
  const runCli = (args: string[], input?: string) => new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const c = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { err += d; });
    c.on('exit', (code) => resolve({ code, out, err }));
    c.stdin.end(input ?? '');
  });
  const lines = SUITES.flatMap((suite) => vectors[suite].map((v: any) => JSON.stringify({ suite, pk: v.PK, alpha: v.alpha, pi: v.pi })));
  lines.push(JSON.stringify({ suite: 'ELL2', pk: vectors[SUITES[0]][0].PK, alpha: '', pi: vectors[SUITES[0]][0].pi }));
  lines.push('not json');
  const r = await runCli(['verify'], lines.join('\n') + '\n');
  const outs = r.out.trim().split('\n').map((l) => JSON.parse(l));
  t.equal(outs.length, 8);
  SUITES.forEach((suite, si) => vectors[suite].forEach((v: any, i: number) => t.match(outs[si * 3 + i], { valid: true, beta: v.beta })));
  t.match(outs[6], { valid: false, code: 'INVALID_PROOF' }, 'TAI proof under ELL2 rejected');
  t.match(outs[7], { error: String });
  t.equal(r.code, 1, 'exit 1 when any line fails');
  const v = vectors[SUITES[1]][2];
  const p = await runCli(['prove', '--suite', 'ELL2', '--sk', v.SK, '--alpha', v.alpha]);
  t.equal(p.code, 0, p.err);
  t.match(JSON.parse(p.out), { pi: v.pi, beta: v.beta, pk: v.PK });
  const h = await runCli(['hash', '--suite', 'ECVRF-EDWARDS25519-SHA512-ELL2', '--pi', v.pi]);
  t.equal(JSON.parse(h.out).beta, v.beta);
  const bad = await runCli(['prove', '--suite', 'XYZ', '--sk', v.SK]);
  t.equal(bad.code, 2);
  t.match(bad.err, /unknown suite/);
  // a malformed proof given as an option: one line, exit 2, no stack trace
  const long = await runCli(['hash', '--pi', 'ff'.repeat(80)]);
  t.equal(long.code, 2);
  t.match(long.err, /^error: proof is not 80 bytes/);
  t.notMatch(long.err, /VrfError|\n\s+at /, 'no stack trace');
  // in JSON lines the same input answers its line with the error code; "op" picks the operation
  const jl = await runCli(['verify'], [JSON.stringify({ op: 'hash', pi: 'ff'.repeat(80) }), JSON.stringify({ op: 'hash', pi: v.pi, suite: 'ELL2' })].join('\n') + '\n');
  const [e1, e2] = jl.out.trim().split('\n').map((l) => JSON.parse(l));
  t.match(e1, { error: /not 80 bytes/, code: 'INVALID_PROOF_ENCODING' });
  t.match(e2, { beta: v.beta });
  t.equal(jl.code, 1, 'exit 1: a line failed, every line answered');
});
