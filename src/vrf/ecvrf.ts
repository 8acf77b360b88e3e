// ECVRF on edwards25519 per RFC 9381 (suites TAI and ELL2), with two
// interchangeable implementations that give identical keys, proofs and outputs:
//   native  libsodium's curve arithmetic through sodium-native (ecvrf-sodium.ts), ~7–10× faster;
//   noble   pure JavaScript on @noble/curves (ecvrf-noble.ts), the reference.
// Which one runs is configuration: SPLITUP_VRF_IMPL=auto|native|noble in the
// environment, or useVrfImplementation() (the oracle applies its config's
// `vrf.implementation`). `auto` (the default) takes native where sodium-native
// loads and falls back to noble; asking for `native` where it cannot load is an error.
import { loadSodium } from '../common/sodium.js';
import { createSodiumEcvrf } from './ecvrf-sodium.js';
import { nobleEcvrf } from './ecvrf-noble.js';
import type { EcvrfImpl, Suite, VerifyResult, VrfImplementationName } from './ecvrf-common.js';

export { SUITES, PROOF_LENGTH, BETA_LENGTH, VrfError } from './ecvrf-common.js';
export type { Suite, VerifyResult, VrfFailure, EcvrfImpl, VrfImplementationName } from './ecvrf-common.js';

export const VRF_IMPLEMENTATION_CHOICES = ['auto', 'native', 'noble'] as const;
export type VrfImplementationChoice = (typeof VRF_IMPLEMENTATION_CHOICES)[number];

const loaded = loadSodium();
const native: EcvrfImpl | null = 'sodium' in loaded ? createSodiumEcvrf(loaded.sodium) : null;

/** The implementation `name` names, or why it is unavailable. */
export function vrfImplementation(name: VrfImplementationChoice): EcvrfImpl {
  if (name === 'noble') return nobleEcvrf;
  if (name === 'native') {
    if (!native) throw new Error(`ECVRF implementation "native" is unavailable: sodium-native did not load (${'error' in loaded ? loaded.error : ''})`);
    return native;
  }
  if (name === 'auto') return native ?? nobleEcvrf;
  throw new Error(`unknown ECVRF implementation "${String(name)}" (use ${VRF_IMPLEMENTATION_CHOICES.join(', ')})`);
}

/** Names of the implementations that load here (noble always does). */
export function availableVrfImplementations(): VrfImplementationName[] {
  return native ? ['native', 'noble'] : ['noble'];
}

let current: EcvrfImpl = vrfImplementation((process.env.SPLITUP_VRF_IMPL || 'auto') as VrfImplementationChoice);

/** Selects the implementation used by prove/verify/… below; returns the one now in use. */
export function useVrfImplementation(name: VrfImplementationChoice): VrfImplementationName {
  current = vrfImplementation(name);
  return current.name;
}

/** Name of the implementation in use. */
export function currentVrfImplementation(): VrfImplementationName { return current.name; }

/** Public key (32 bytes) of a 32-byte secret key: same derivation as Ed25519. */
export function publicKeyFromSecret(sk: Uint8Array): Uint8Array { return current.publicKeyFromSecret(sk); }

/** ECVRF_validate_key: canonical point encoding, not of small order. */
export function validatePublicKey(pk: Uint8Array): { valid: true } | { valid: false; message: string } { return current.validatePublicKey(pk); }

/** ECVRF_prove: an 80-byte proof for alpha under the secret key. */
export function prove(suite: Suite, sk: Uint8Array, alpha: Uint8Array): Uint8Array { return current.prove(suite, sk, alpha); }

/**
 * prove() with the RFC nonce replaced by `nonce` when given. Test hook: a
 * proof made with any nonce verifies, and the uniqueness tests use it to show
 * that every valid proof for (pk, alpha) yields the same beta.
 */
export function proveWithNonce(suite: Suite, sk: Uint8Array, alpha: Uint8Array, nonce?: bigint): Uint8Array { return current.proveWithNonce(suite, sk, alpha, nonce); }

/** ECVRF_proof_to_hash: beta (64 bytes) of a well-formed proof. Does NOT verify the proof. */
export function proofToHash(suite: Suite, pi: Uint8Array): Uint8Array { return current.proofToHash(suite, pi); }

/** ECVRF_verify: beta when pi is a valid proof for alpha under pk (validate_key = true). */
export function verify(suite: Suite, pk: Uint8Array, alpha: Uint8Array, pi: Uint8Array): VerifyResult { return current.verify(suite, pk, alpha, pi); }
