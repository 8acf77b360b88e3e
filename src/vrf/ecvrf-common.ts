// What both ECVRF implementations share: suites, sizes, failure codes and the
// interface the facade (ecvrf.ts) dispatches to.
import { concatBytes, utf8 } from '../common/bytes.js';

export const SUITES = ['ECVRF-EDWARDS25519-SHA512-TAI', 'ECVRF-EDWARDS25519-SHA512-ELL2'] as const;
export type Suite = (typeof SUITES)[number];

export const SUITE_BYTE: Record<Suite, number> = { 'ECVRF-EDWARDS25519-SHA512-TAI': 0x03, 'ECVRF-EDWARDS25519-SHA512-ELL2': 0x04 };
/** RFC 9381 §5.5: the ELL2 suite's hash_to_curve DST is this string followed by the suite byte. */
export const ELL2_DST = concatBytes(utf8('ECVRF_edwards25519_XMD:SHA-512_ELL2_NU_'), Uint8Array.of(0x04));
export const C_LEN = 16;
export const PROOF_LENGTH = 80;
export const BETA_LENGTH = 64;
/** Prime order q of the edwards25519 base point subgroup. */
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;

export type VrfFailure = 'INVALID_PUBLIC_KEY' | 'INVALID_PROOF_ENCODING' | 'INVALID_PROOF' | 'INVALID_SUITE' | 'INVALID_SECRET_KEY';

export class VrfError extends Error {
  constructor(readonly code: VrfFailure, message: string) { super(message); this.name = 'VrfError'; }
}

export type VerifyResult = { valid: true; beta: Uint8Array } | { valid: false; code: VrfFailure; message: string };

export type VrfImplementationName = 'ref10' | 'native' | 'noble';

/** One complete ECVRF implementation (both suites). */
export interface EcvrfImpl {
  readonly name: VrfImplementationName;
  /** Public key (32 bytes) of a 32-byte secret key: same derivation as Ed25519. */
  publicKeyFromSecret(sk: Uint8Array): Uint8Array;
  /** ECVRF_validate_key: canonical point encoding, not of small order. */
  validatePublicKey(pk: Uint8Array): { valid: true } | { valid: false; message: string };
  /** ECVRF_prove: an 80-byte proof for alpha under the secret key. */
  prove(suite: Suite, sk: Uint8Array, alpha: Uint8Array): Uint8Array;
  /** prove() with the RFC nonce replaced by `nonce` when given (test hook for uniqueness tests). */
  proveWithNonce(suite: Suite, sk: Uint8Array, alpha: Uint8Array, nonce?: bigint): Uint8Array;
  /** ECVRF_proof_to_hash: beta (64 bytes) of a well-formed proof. Does NOT verify the proof. */
  proofToHash(suite: Suite, pi: Uint8Array): Uint8Array;
  /** ECVRF_verify: beta when pi is a valid proof for alpha under pk (validate_key = true). */
  verify(suite: Suite, pk: Uint8Array, alpha: Uint8Array, pi: Uint8Array): VerifyResult;
}

export const PROOF_ENCODING_MESSAGE = 'proof is not 80 bytes of Gamma ‖ c ‖ s with a canonical point and s < q';
