// ECVRF on edwards25519 per RFC 9381 (suites TAI and ELL2), with three
// interchangeable implementations that give identical keys, proofs and outputs:
//   ref10   libsodium's ref10 group code through this project's addon
//           (native/ecvrf_ref10.c, built at install where a C compiler and
//           libsodium-dev exist), the fastest;
//   native  libsodium's public API through sodium-native (ecvrf-sodium.ts), no compiler needed;
//   noble   pure JavaScript on @noble/curves (ecvrf-noble.ts), the reference.
// Which one runs is configuration: SPLITUP_VRF_IMPL=auto|ref10|native|noble in
// the environment, or useVrfImplementation() (the oracle applies its config's
// `vrf.implementation`). `auto` (the default) takes the first that loads in
// that order; asking for one that cannot load is an error.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadSodium, type Sodium } from '../common/sodium.js';
import { createSodiumEcvrf, type Ref10Addon } from './ecvrf-sodium.js';
import { nobleEcvrf } from './ecvrf-noble.js';
import type { EcvrfImpl, Suite, VerifyResult, VrfImplementationName } from './ecvrf-common.js';

export { SUITES, PROOF_LENGTH, BETA_LENGTH, VrfError } from './ecvrf-common.js';
export type { Suite, VerifyResult, VrfFailure, EcvrfImpl, VrfImplementationName } from './ecvrf-common.js';

export const VRF_IMPLEMENTATION_CHOICES = ['auto', 'ref10', 'native', 'noble'] as const;
export type VrfImplementationChoice = (typeof VRF_IMPLEMENTATION_CHOICES)[number];

/** Where `npm install` (src/vrf/native/build.mjs) puts the addon; SPLITUP_ECVRF_ADDON overrides. */
const ADDON_PATH = process.env.SPLITUP_ECVRF_ADDON || new URL('../../build/ecvrf-ref10.node', import.meta.url).pathname;

/**
 * The addon, checked against libsodium's public API on fixed points before it
 * is trusted (it links to libsodium internals: a mismatched build must not
 * produce wrong proofs), or why it is unavailable.
 */
function loadRef10(sodium: Sodium): { addon: Ref10Addon } | { error: string } {
  if (!existsSync(ADDON_PATH)) return { error: `${ADDON_PATH} not built (npm run build:native)` };
  try {
    const a = createRequire(import.meta.url)(ADDON_PATH) as Ref10Addon;
    const n = new Uint8Array(32).fill(0x5a); n[31] = 0x0a;
    const one = new Uint8Array(32); one[0] = 1;
    const P = new Uint8Array(32), want = new Uint8Array(32), got = new Uint8Array(32), B = new Uint8Array(32);
    sodium.crypto_scalarmult_ed25519_base_noclamp(P, n);
    sodium.crypto_scalarmult_ed25519_base_noclamp(B, one);
    const same = (label: string, ok: boolean) => { if (!ok || Buffer.compare(got, want) !== 0) throw new Error(`self-check ${label} failed`); };
    sodium.crypto_scalarmult_ed25519_noclamp(want, n, P); same('mul', a.mul(got, n, P));
    sodium.crypto_scalarmult_ed25519_base_noclamp(want, n); same('mulBase', a.mulBase(got, n));
    sodium.crypto_core_ed25519_add(want, P, P); sodium.crypto_core_ed25519_add(want, want, want); sodium.crypto_core_ed25519_add(want, want, want); same('mul8', a.mul8(got, P));
    sodium.crypto_core_ed25519_add(want, P, B); same('mulAddBase', a.mulAddBase(got, one, P, one));
    sodium.crypto_core_ed25519_add(want, P, B); same('mulAdd', a.mulAdd(got, one, P, one, B));
    want.set(Buffer.from('1ad5258f602d56c9b2a7259560c72c695cdcd6fd31e2a4c0fe536ecdd3366921', 'hex')); same('xOf', a.xOf(got, B));
    return { addon: a };
  } catch (e) {
    return { error: `${ADDON_PATH}: ${(e as Error).message}` };
  }
}

const loaded = loadSodium();
const native: EcvrfImpl | null = 'sodium' in loaded ? createSodiumEcvrf(loaded.sodium) : null;
const addon = 'sodium' in loaded ? loadRef10(loaded.sodium) : { error: 'sodium-native did not load' };
const ref10: EcvrfImpl | null = 'sodium' in loaded && 'addon' in addon ? createSodiumEcvrf(loaded.sodium, addon.addon) : null;

/** The implementation `name` names, or why it is unavailable. */
export function vrfImplementation(name: VrfImplementationChoice): EcvrfImpl {
  if (name === 'noble') return nobleEcvrf;
  if (name === 'native') {
    if (!native) throw new Error(`ECVRF implementation "native" is unavailable: sodium-native did not load (${'error' in loaded ? loaded.error : ''})`);
    return native;
  }
  if (name === 'ref10') {
    if (!ref10) throw new Error(`ECVRF implementation "ref10" is unavailable: ${'error' in addon ? addon.error : ''}`);
    return ref10;
  }
  if (name === 'auto') return ref10 ?? native ?? nobleEcvrf;
  throw new Error(`unknown ECVRF implementation "${String(name)}" (use ${VRF_IMPLEMENTATION_CHOICES.join(', ')})`);
}

/** Names of the implementations that load here, fastest first (noble always does). */
export function availableVrfImplementations(): VrfImplementationName[] {
  return [ref10, native, nobleEcvrf].filter((i): i is EcvrfImpl => i !== null).map((i) => i.name);
}

/** Why the ref10 addon is not in use, or null when it is available. */
export function ref10Unavailable(): string | null {
  return 'error' in addon ? addon.error : null;
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
