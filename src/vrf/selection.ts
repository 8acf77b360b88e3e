// Verifiable node selection (PROTOCOL §4). Pure and deterministic: every
// oracle, the simulator and any auditor compute the same thing from the same
// inputs (request from chain state, committed liveness table, registry, proof).
//
//   eligible  = registered ∧ active ∧ specialised in taskId ∧ online in the table ∧ not excluded,
//               sorted by public-key bytes
//   prover    = committee[(H(seed ‖ executionId ‖ taskId ‖ attempt) + k) mod n] after k timeouts
//   alpha     = "splitup/select/v1" ‖ seed ‖ u64 executionId ‖ u32 taskId ‖ u32 attempt ‖ tableHash
//   beta      = ECVRF_verify(proverVrfKey, alpha, pi)
//   selected  = eligible[int_be(beta) mod |eligible|]
//
// Modulo bias: beta is 512 bits, so for m eligible nodes each index's probability
// differs from 1/m by less than m / 2^512 (< 2^-490 for any m < 2^20): far below
// anything measurable, so no rejection sampling is needed (and the protocol fixes
// this rule so that everyone derives the same index).
import { createHash } from 'node:crypto';
import { bytesEqual, compareBytes, concatBytes, u32be, u64be, utf8 } from '../common/bytes.js';
import type { TableEntry } from '../liveness/table.js';
import { prove, publicKeyFromSecret, verify, type Suite, type VrfFailure } from './ecvrf.js';

export const SELECT_DOMAIN = utf8('splitup/select/v1');
export const PROVER_DOMAIN = utf8('splitup/prover/v1');

export interface SelectionRequest {
  executionId: bigint;
  taskId: number;
  attempt: number;
  /** 32-byte seed named by the chain (block hash). */
  seed: Uint8Array;
  /** Node keys that must not be selected (PoSP: the asserter and earlier computers). */
  exclude: Uint8Array[];
}

export interface CandidateNode {
  nodeId: Uint8Array; // 32-byte public key
  active: boolean;
  specializations: number[];
  /** the node's VRAM (GB); needed only when a selection has a VRAM need (a task group) */
  vramGb?: number;
}

/**
 * What a task group's compute selection asks of a node beyond the request's task (the program's
 * assignTask): specialisation in every task the selection assigns, and `vramGb` of VRAM.
 */
export interface GroupNeed { taskIds: number[]; vramGb: number }

function checkRequest(r: SelectionRequest): void {
  if (r.seed.length !== 32) throw new TypeError('seed must be 32 bytes');
  if (!Number.isInteger(r.taskId) || r.taskId < 0 || r.taskId > 0xffffffff) throw new RangeError('taskId must be a u32');
  if (!Number.isInteger(r.attempt) || r.attempt < 0 || r.attempt > 0xffffffff) throw new RangeError('attempt must be a u32');
}

/** Eligible node keys, sorted by public-key bytes. */
export function eligibleSet(nodes: CandidateNode[], table: TableEntry[], taskId: number, exclude: Uint8Array[] = [], group?: GroupNeed): Uint8Array[] {
  const online = new Set(table.filter((e) => e.status === 'online').map((e) => Buffer.from(e.nodeId).toString('hex')));
  const excluded = new Set(exclude.map((k) => Buffer.from(k).toString('hex')));
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const n of nodes) {
    const id = Buffer.from(n.nodeId).toString('hex');
    if (seen.has(id)) continue;
    seen.add(id);
    if (!n.active || !n.specializations.includes(taskId) || !online.has(id) || excluded.has(id)) continue;
    if (group && ((n.vramGb ?? 0) < group.vramGb || group.taskIds.some((t) => !n.specializations.includes(t)))) continue;
    out.push(n.nodeId);
  }
  return out.sort(compareBytes);
}

/** Index of the oracle that proves for this request after `fallback` prover timeouts. */
export function proverIndex(r: SelectionRequest, committeeSize: number, fallback = 0): number {
  checkRequest(r);
  if (!Number.isInteger(committeeSize) || committeeSize < 1) throw new RangeError('committee size must be ≥ 1');
  const h = createHash('sha256').update(PROVER_DOMAIN).update(r.seed).update(u64be(r.executionId)).update(u32be(r.taskId)).update(u32be(r.attempt)).digest();
  const base = Number(BigInt('0x' + h.toString('hex')) % BigInt(committeeSize));
  return (base + fallback) % committeeSize;
}

export function selectionAlpha(r: SelectionRequest, tableHash: Uint8Array): Uint8Array {
  checkRequest(r);
  if (tableHash.length !== 32) throw new TypeError('tableHash must be 32 bytes');
  return concatBytes(SELECT_DOMAIN, r.seed, u64be(r.executionId), u32be(r.taskId), u32be(r.attempt), tableHash);
}

/** int_be(beta) mod m. */
export function indexFromBeta(beta: Uint8Array, m: number): number {
  if (!Number.isInteger(m) || m < 1) throw new RangeError('modulus must be ≥ 1');
  return Number(BigInt('0x' + Buffer.from(beta).toString('hex')) % BigInt(m));
}

export type SelectionOutcome =
  | { kind: 'selected'; node: Uint8Array; index: number; eligibleCount: number }
  | { kind: 'no-eligible-node' };

export function pickFromBeta(beta: Uint8Array, eligible: Uint8Array[]): SelectionOutcome {
  if (eligible.length === 0) return { kind: 'no-eligible-node' };
  const index = indexFromBeta(beta, eligible.length);
  return { kind: 'selected', node: eligible[index]!, index, eligibleCount: eligible.length };
}

/** The prover's side: the proof and the outcome it implies. */
export function proveSelection(suite: Suite, vrfSecretKey: Uint8Array, r: SelectionRequest, tableHash: Uint8Array, eligible: Uint8Array[]): { proof: Uint8Array; beta: Uint8Array; outcome: SelectionOutcome } {
  const proof = prove(suite, vrfSecretKey, selectionAlpha(r, tableHash));
  const v = verify(suite, publicKeyFromSecret(vrfSecretKey), selectionAlpha(r, tableHash), proof);
  if (!v.valid) throw new Error(`own proof failed to verify: ${v.message}`); // cannot happen; guards against key corruption
  return { proof, beta: v.beta, outcome: pickFromBeta(v.beta, eligible) };
}

export type SelectionCheck =
  | { ok: true; beta: Uint8Array; outcome: SelectionOutcome }
  | { ok: false; code: VrfFailure | 'WRONG_SELECTION'; message: string };

/**
 * Anyone's check of a published selection: verifies pi under the prover's VRF
 * key for this request and table, re-derives the outcome, and (if given)
 * compares it with the claimed node.
 */
export function verifySelection(suite: Suite, proverVrfKey: Uint8Array, r: SelectionRequest, tableHash: Uint8Array, eligible: Uint8Array[], proof: Uint8Array, claimed?: Uint8Array | null): SelectionCheck {
  const v = verify(suite, proverVrfKey, selectionAlpha(r, tableHash), proof);
  if (!v.valid) return { ok: false, code: v.code, message: v.message };
  const outcome = pickFromBeta(v.beta, eligible);
  if (claimed !== undefined) {
    const derived = outcome.kind === 'selected' ? outcome.node : null;
    if ((derived === null) !== (claimed === null) || (derived && claimed && !bytesEqual(derived, claimed))) {
      return { ok: false, code: 'WRONG_SELECTION', message: 'claimed node differs from the one the proof selects' };
    }
  }
  return { ok: true, beta: v.beta, outcome };
}
