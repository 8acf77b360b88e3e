// ECVRF prove/verify throughput for both suites next to node:crypto Ed25519
// sign/verify measured in the same run, one core.
//   npx tsx bench/vrf.ts [--ms 1500]
import { generateKeyPairSync, sign, verify as edVerify } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { ed25519 } from '@noble/curves/ed25519.js';
import { SUITES, prove, verify, publicKeyFromSecret } from '../src/vrf/index.js';

const { values } = parseArgs({ options: { ms: { type: 'string', default: '1500' } } });
const ms = Number(values.ms);

function rate(fn: (i: number) => void): number {
  for (let i = 0; i < 20; i++) fn(i); // warm up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) fn(n++);
  return n / ((performance.now() - t0) / 1000);
}

const msg = new Uint8Array(97).fill(5); // the size of a selection alpha
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const sig = sign(null, msg, privateKey);
const base = { edSign: rate(() => sign(null, msg, privateKey)), edVerify: rate(() => edVerify(null, msg, publicKey, sig)) };
const nobleSk = new Uint8Array(32).fill(9);
const nobleSig = ed25519.sign(msg, nobleSk), noblePk = ed25519.getPublicKey(nobleSk);
const noble = { sign: rate(() => ed25519.sign(msg, nobleSk)), verify: rate(() => ed25519.verify(nobleSig, msg, noblePk)) };

const sk = new Uint8Array(32).fill(3), pk = publicKeyFromSecret(sk);
const rows = SUITES.map((suite) => {
  const alphas = Array.from({ length: 64 }, (_, i) => new Uint8Array([...msg.subarray(1), i]));
  const proofs = alphas.map((a) => prove(suite, sk, a));
  const p = rate((i) => prove(suite, sk, alphas[i % 64]!));
  const v = rate((i) => { if (!verify(suite, pk, alphas[i % 64]!, proofs[i % 64]!).valid) throw new Error('bench proof invalid'); });
  return { suite, proveOpsPerSec: p, verifyOpsPerSec: v, proveVsEd25519Sign: p / base.edSign, verifyVsEd25519Verify: v / base.edVerify };
});

console.log(`node:crypto Ed25519: sign ${base.edSign.toFixed(0)}/s, verify ${base.edVerify.toFixed(0)}/s; @noble/curves Ed25519: sign ${noble.sign.toFixed(0)}/s, verify ${noble.verify.toFixed(0)}/s`);
for (const r of rows) console.log(`${r.suite.padEnd(32)} prove ${r.proveOpsPerSec.toFixed(0).padStart(5)}/s (${(1 / r.proveVsEd25519Sign).toFixed(1)}× slower than node:crypto sign)  verify ${r.verifyOpsPerSec.toFixed(0).padStart(5)}/s (${(1 / r.verifyVsEd25519Verify).toFixed(1)}× slower than node:crypto verify)`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/vrf.json', import.meta.url), JSON.stringify({ bench: 'vrf', date: new Date().toISOString(), cpuModel: cpus()[0]?.model, node: process.version, nodeCryptoEd25519: base, nobleEd25519: noble, rows }, null, 2) + '\n');
