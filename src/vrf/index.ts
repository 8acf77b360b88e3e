// Public surface of the VRF module: ECVRF (RFC 9381, edwards25519 suites) and
// the verifiable node selection built on it.
export { SUITES, PROOF_LENGTH, BETA_LENGTH, VrfError, prove, verify, proofToHash, publicKeyFromSecret, validatePublicKey } from './ecvrf.js';
export type { Suite, VerifyResult, VrfFailure } from './ecvrf.js';
export { useVrfImplementation, currentVrfImplementation, availableVrfImplementations, VRF_IMPLEMENTATION_CHOICES } from './ecvrf.js';
export type { VrfImplementationChoice, VrfImplementationName } from './ecvrf.js';
export { eligibleSet, proverIndex, selectionAlpha, indexFromBeta, pickFromBeta, proveSelection, verifySelection } from './selection.js';
export type { SelectionRequest, CandidateNode, SelectionOutcome, SelectionCheck } from './selection.js';
export { encodeSelectionProof, decodeSelectionProof, ProofMessageError } from './proof-message.js';
export type { SelectionProofMessage } from './proof-message.js';

import { randomBytes } from 'node:crypto';
import { publicKeyFromSecret } from './ecvrf.js';
/** A new VRF key pair (32-byte secret, 32-byte public key). */
export function keygen(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const secretKey = new Uint8Array(randomBytes(32));
  return { secretKey, publicKey: publicKeyFromSecret(secretKey) };
}
