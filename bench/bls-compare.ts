// The alternative issue #14 names, measured: BLS-aggregated heartbeats (@noble/curves bls12-381)
// instead of oracle attestations. Per node and round a node would BLS-sign (its own heartbeat, or a
// common round message) and a validator would check the aggregate: with one common message, one
// pairing check after adding N public keys; with per-node messages (what a heartbeat is), a pairing
// per node. Timed on a sample, extrapolated linearly to 100,000 nodes.
//   npx tsx bench/bls-compare.ts [--sample 200]
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { bls12_381 } from '@noble/curves/bls12-381.js';

// public keys in G1 (48 bytes), signatures in G2 (96 bytes): the variant whose keys aggregate cheaply
const bls = bls12_381.longSignatures;

const { values } = parseArgs({ options: { sample: { type: 'string', default: '200' } } });
const N = Number(values.sample), M = Math.min(50, N);
const ms = (f: () => unknown) => { const t = performance.now(); f(); return performance.now() - t; };
const sks = Array.from({ length: N }, () => bls12_381.utils.randomSecretKey());
const pks = sks.map((sk) => bls.getPublicKey(sk));
const msg = bls.hash(new TextEncoder().encode('splitup/heartbeat-round/v1 round 42'));
let sigs: ReturnType<typeof bls.sign>[] = [];
const signMs = ms(() => { sigs = sks.map((sk) => bls.sign(msg, sk)); }) / N;
let aggSig!: ReturnType<typeof bls.aggregateSignatures>, aggPk!: ReturnType<typeof bls.aggregatePublicKeys>;
const aggSigMs = ms(() => { aggSig = bls.aggregateSignatures(sigs); }) / N;
const aggPkMs = ms(() => { aggPk = bls.aggregatePublicKeys(pks); }) / N;
let ok = false;
const verifyMs = ms(() => { ok = bls.verify(aggSig, msg, aggPk); });
const msgs = Array.from({ length: M }, (_, i) => bls.hash(new TextEncoder().encode(`splitup/heartbeat/v1 node ${i}`)));
const sigs2 = msgs.map((m, i) => bls.sign(m, sks[i]!));
let ok2 = false;
const distinctMs = ms(() => { ok2 = bls.verifyBatch(bls.aggregateSignatures(sigs2), msgs.map((message, i) => ({ message, publicKey: pks[i]! }))); }) / M;
const r = {
  at: new Date().toISOString(), sample: N, ok: ok && ok2,
  perNodeSignMs: signMs, perSignatureAggregateMs: aggSigMs, perKeyAggregateMs: aggPkMs, pairingCheckMs: verifyMs, perMessagePairingMs: distinctMs,
  at100k: { commonMessageValidateS: (aggPkMs * 100_000 + verifyMs) / 1000, perNodeMessagesValidateS: (distinctMs * 100_000) / 1000, proposerAggregateS: (aggSigMs * 100_000) / 1000 },
};
console.log(JSON.stringify(r, null, 2));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/bls-compare.json', import.meta.url), JSON.stringify(r, null, 2) + '\n');
