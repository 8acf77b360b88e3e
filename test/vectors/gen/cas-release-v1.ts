// Writes test/vectors/cas-release-v1.json: requesters' releases of an execution's final outputs
// (splitup/cas-release/v1, src/cas/release.ts) from fixed keys (Ed25519 is deterministic, so
// re-running gives the same bytes). Run: npx tsx test/vectors/gen/cas-release-v1.ts
import { writeFileSync } from 'node:fs';
import { Keypair, PublicKey } from '@solana/web3.js';
import { encodeRelease, releaseBytes, signRelease } from '../../../src/cas/release.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const committee = new PublicKey(new Uint8Array(32).fill(7));
const cases = [
  { seed: 1, execId: 0n },
  { seed: 2, execId: 4133705129367328005n },
  { seed: 3, execId: (1n << 64n) - 1n },
].map(({ seed, execId }) => {
  const requester = Keypair.fromSeed(new Uint8Array(32).fill(seed));
  const r = signRelease(committee, execId, requester);
  return {
    requesterSeed: hex(new Uint8Array(32).fill(seed)), requester: requester.publicKey.toBase58(), execId: execId.toString(),
    signingBytes: hex(releaseBytes(committee, execId)), signature: hex(r.signature), record: new TextDecoder().decode(encodeRelease(r)),
  };
});
writeFileSync(new URL('../cas-release-v1.json', import.meta.url), JSON.stringify({
  format: 'splitup/cas-release/v1',
  description: 'signing bytes = "splitup/cas-release/v1" (ASCII, 22 bytes) ‖ committee address (32) ‖ execId (u64 little-endian); signature = Ed25519 (RFC 8032) by the requester\'s key over them; record = the JSON a store keeps',
  committee: committee.toBase58(),
  cases,
}, null, 2) + '\n');
