// A requester's release of an execution's final outputs: "I have fetched them, the store may delete
// them". Signed with the requester's key over canonical, domain-separated bytes, so only the
// requester the chain names for that execution can release it, and a release for one committee's
// execution means nothing for another's:
//
//   "splitup/cas-release/v1" (22 bytes) || committee address (32) || execId (u64 LE)
//
// The signature is Ed25519 (the requester's Solana key). Stores keep the release as a small JSON
// record ({execId, requester, signature}); the garbage collector honours it only after checking it
// against the execution on chain (src/cas/gc.ts).
import { PublicKey, type Keypair } from '@solana/web3.js';
import { sign, verify } from '../common/ed25519.js';

export const RELEASE_DOMAIN = 'splitup/cas-release/v1';

export interface SignedRelease { execId: bigint; requester: PublicKey; signature: Uint8Array }

export class ReleaseError extends Error { override name = 'ReleaseError'; }

export function releaseBytes(committee: PublicKey, execId: bigint): Uint8Array {
  const b = Buffer.alloc(RELEASE_DOMAIN.length + 32 + 8);
  b.write(RELEASE_DOMAIN, 0, 'ascii');
  Buffer.from(committee.toBytes()).copy(b, RELEASE_DOMAIN.length);
  b.writeBigUInt64LE(execId, RELEASE_DOMAIN.length + 32);
  return new Uint8Array(b);
}

export function signRelease(committee: PublicKey, execId: bigint, requester: Keypair): SignedRelease {
  return { execId, requester: requester.publicKey, signature: sign(requester.secretKey.subarray(0, 32), releaseBytes(committee, execId)) };
}

export function verifyRelease(committee: PublicKey, r: SignedRelease): boolean {
  return verify(r.requester.toBytes(), releaseBytes(committee, r.execId), r.signature);
}

export const encodeRelease = (r: SignedRelease): Uint8Array =>
  new TextEncoder().encode(JSON.stringify({ execId: r.execId.toString(), requester: r.requester.toBase58(), signature: Buffer.from(r.signature).toString('hex') }));

/** A release record from JSON (a request body or a stored record); ReleaseError when malformed. */
export function decodeRelease(v: unknown): SignedRelease {
  const o = (typeof v === 'string' || v instanceof Uint8Array ? (() => { try { return JSON.parse(typeof v === 'string' ? v : new TextDecoder().decode(v)); } catch { return null; } })() : v) as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') throw new ReleaseError('a release is JSON {execId, requester, signature}');
  const { execId, requester, signature } = o;
  if (typeof execId !== 'string' || !/^[0-9]{1,20}$/.test(execId) || BigInt(execId) >= 1n << 64n) throw new ReleaseError('execId: a u64 in decimal');
  if (typeof signature !== 'string' || !/^[0-9a-f]{128}$/.test(signature)) throw new ReleaseError('signature: 64 bytes of hex');
  let key: PublicKey;
  try { key = new PublicKey(requester as string); } catch { throw new ReleaseError('requester: a base58 public key'); }
  return { execId: BigInt(execId), requester: key, signature: Uint8Array.from(Buffer.from(signature, 'hex')) };
}

/** The record's name in a store: one per execution and requester. */
export const releaseName = (r: Pick<SignedRelease, 'execId' | 'requester'>): string => `${r.execId}-${r.requester.toBase58()}`;
