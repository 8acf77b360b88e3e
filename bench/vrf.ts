// ECVRF prove/verify throughput for both suites and both implementations
// (native = libsodium via sodium-native, noble = pure JS) next to node:crypto
// Ed25519 sign/verify measured in the same run, one thread. Rates are counted
// per CPU-second of this process (only this thread works meanwhile), which a
// shared, busy machine disturbs far less than wall-clock rates (also recorded).
// The Ed25519 baseline is measured before and after the ECVRF rows and the
// ratios use the mean.
//   npx tsx bench/vrf.ts [--ms 1500] [--impl native,noble]
import { generateKeyPairSync, sign, verify as edVerify } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ed25519 } from '@noble/curves/ed25519.js';
import { SUITES } from '../src/vrf/index.js';
import { loadSodium } from '../src/common/sodium.js';
import { availableVrfImplementations, vrfImplementation, type VrfImplementationName } from '../src/vrf/ecvrf.js';

const { values } = parseArgs({ options: { ms: { type: 'string', default: '1500' }, impl: { type: 'string', default: availableVrfImplementations().join(',') } } });
const ms = Number(values.ms);
const impls = values.impl.split(',') as VrfImplementationName[];

/** Operations per CPU-second of this process; the wall-clock rate goes to `wall`. */
const wall: Record<string, number> = {};
function rate(fn: (i: number) => void, name?: string): number {
  for (let i = 0; i < 20; i++) fn(i); // warm up
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < ms) fn(n++);
  const c = process.cpuUsage(c0);
  if (name) wall[name] = n / ((performance.now() - t0) / 1000);
  return n / ((c.user + c.system) / 1e6);
}

const msg = new Uint8Array(97).fill(5); // the size of a selection alpha
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const sig = sign(null, msg, privateKey);
let edRound = 0;
const edRates = () => { edRound++; return { edSign: rate(() => sign(null, msg, privateKey), `ed25519 sign ${edRound}`), edVerify: rate(() => edVerify(null, msg, publicKey, sig), `ed25519 verify ${edRound}`) }; };
const load0 = loadavg()[0];
const before = edRates();
const nobleSk = new Uint8Array(32).fill(9);
const nobleSig = ed25519.sign(msg, nobleSk), noblePk = ed25519.getPublicKey(nobleSk);
const noble = { sign: rate(() => ed25519.sign(msg, nobleSk)), verify: rate(() => ed25519.verify(nobleSig, msg, noblePk)) };

const sk = new Uint8Array(32).fill(3);
const measured = impls.flatMap((impl) => {
  const v = vrfImplementation(impl);
  const pk = v.publicKeyFromSecret(sk);
  return SUITES.map((suite) => {
    const alphas = Array.from({ length: 64 }, (_, i) => new Uint8Array([...msg.subarray(1), i]));
    const proofs = alphas.map((a) => v.prove(suite, sk, a));
    const p = rate((i) => v.prove(suite, sk, alphas[i % 64]!), `${impl} ${suite} prove`);
    const ver = rate((i) => { if (!v.verify(suite, pk, alphas[i % 64]!, proofs[i % 64]!).valid) throw new Error('bench proof invalid'); }, `${impl} ${suite} verify`);
    return { implementation: impl, suite, proveOpsPerSec: p, verifyOpsPerSec: ver };
  });
});
// libsodium primitives the native implementation is built from (what limits it)
const sodiumRates = (() => {
  const l = loadSodium();
  if (!('sodium' in l)) return null;
  const so = l.sodium, n = new Uint8Array(32), p = new Uint8Array(32), q = new Uint8Array(32);
  n.fill(0x5a); n[31] = 0x0a; // a scalar < q
  so.crypto_scalarmult_ed25519_base_noclamp(p, n);
  return {
    variableBaseMul: rate(() => so.crypto_scalarmult_ed25519_noclamp(q, n, p)),
    fixedBaseMul: rate(() => so.crypto_scalarmult_ed25519_base_noclamp(q, n)),
    isValidPoint: rate(() => so.crypto_core_ed25519_is_valid_point(p)),
    pointAdd: rate(() => so.crypto_core_ed25519_add(q, p, p)),
  };
})();
const after = edRates();
const load1 = loadavg()[0];
const base = { edSign: (before.edSign + after.edSign) / 2, edVerify: (before.edVerify + after.edVerify) / 2 };
const rows = measured.map((r) => ({ ...r, proveVsEd25519Sign: r.proveOpsPerSec / base.edSign, verifyVsEd25519Verify: r.verifyOpsPerSec / base.edVerify }));

console.log('rates per CPU-second of the benchmark thread; ratios against the mean of the node:crypto rates before and after');
console.log(`node:crypto Ed25519: sign ${before.edSign.toFixed(0)} → ${after.edSign.toFixed(0)}/s, verify ${before.edVerify.toFixed(0)} → ${after.edVerify.toFixed(0)}/s (before → after the ECVRF rows); @noble/curves Ed25519: sign ${noble.sign.toFixed(0)}/s, verify ${noble.verify.toFixed(0)}/s; 1-min load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on ${cpus().length} cores`);
for (const r of rows) console.log(`${r.implementation.padEnd(6)} ${r.suite.padEnd(32)} prove ${r.proveOpsPerSec.toFixed(0).padStart(5)}/s (${r.proveVsEd25519Sign.toFixed(3)} of node:crypto sign)  verify ${r.verifyOpsPerSec.toFixed(0).padStart(5)}/s (${r.verifyVsEd25519Verify.toFixed(3)} of node:crypto verify)`);
if (sodiumRates) console.log(`libsodium per CPU-s: variable-base mul ${sodiumRates.variableBaseMul.toFixed(0)} (it also checks the point is in the prime-order subgroup), is_valid_point ${sodiumRates.isValidPoint.toFixed(0)} (that check on its own), fixed-base mul ${sodiumRates.fixedBaseMul.toFixed(0)}, point add ${sodiumRates.pointAdd.toFixed(0)}`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/vrf.json', import.meta.url), JSON.stringify({ bench: 'vrf', date: new Date().toISOString(), cpuModel: cpus()[0]?.model, cpus: cpus().length, node: process.version, loadAverage1m: { before: load0, after: load1 }, rates: 'operations per CPU-second of the benchmark thread', wallClockRates: wall, nodeCryptoEd25519: base, nodeCryptoEd25519Before: before, nodeCryptoEd25519After: after, nobleEd25519: noble, libsodium: sodiumRates, rows }, null, 2) + '\n');
