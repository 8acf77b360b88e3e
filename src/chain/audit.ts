// Anyone's audit of an on-chain assignment: the chain holds q matching votes for the node,
// and that node is the one the published ECVRF proof selects from the committed liveness table
// (certificate checked against the committee's keys) of the round bound to the seed's block.
import { PublicKey } from '@solana/web3.js';
import { bytesEqual, fromBase58, fromHex } from '../common/bytes.js';
import type { Committee } from '../consensus/committee.js';
import { CommitteeKeys, decodeMessage, verifyCertificate } from '../consensus/messages.js';
import { tableHash, type TableEntry } from '../liveness/table.js';
import { decodeSelectionProof } from '../vrf/proof-message.js';
import { eligibleSet, pickFromBeta, proverIndex, verifySelection } from '../vrf/selection.js';
import type { ChainClient } from './client.js';
import { NodeStatus, type ExecutionAccount, type NodeAccount } from './layout.js';
import { roundForBlockTime } from './loop.js';

export interface AuditResult { execId: bigint; task: number; attempt: number; node: string; matchingVotes: number; quorum: boolean; proof: boolean; reason?: string }

interface RoundView { round: string; asOf: number; prevHash: string; tableHash: string; entries: Array<{ nodeId: string; status: TableEntry['status']; lastSeen: number; lastSeq: string }>; decision: string | null }

/** Audits the current selection of task i (its last attempt, compute or verification), over HTTP and JSON-RPC. */
export async function auditAssignment(o: {
  chain: ChainClient; committee: Committee; oracleUrls: string[]; nodes: NodeAccount[]; exec: ExecutionAccount; task: number; q: number;
}): Promise<AuditResult | null> {
  const ts = o.exec.tasks[o.task]!;
  if (!ts.assigned) return null;
  const node = ts.assigned;
  const matchingVotes = ts.votes.filter((v) => v?.equals(node)).length;
  const base = { execId: o.exec.execId, task: o.task, attempt: ts.attempt, node: node.toBase58(), matchingVotes, quorum: matchingVotes >= o.q };
  const fail = (reason: string): AuditResult => ({ ...base, proof: false, reason });

  // the proof, from any oracle that followed it
  let proofBytes: Uint8Array | null = null;
  for (const u of o.oracleUrls) {
    try {
      const r = await fetch(`${u}/api/chain/selection?exec=${o.exec.execId}&task=${o.task}&attempt=${ts.attempt}`);
      if (r.ok) { proofBytes = fromHex(((await r.json()) as { proof: string }).proof); break; }
    } catch { /* next oracle */ }
  }
  if (!proofBytes) return fail('no oracle serves the selection proof');
  const blockTime = await o.chain.blockTime(ts.readySlot);
  if (blockTime === null) return fail('seed block time unavailable');
  const round = roundForBlockTime(o.committee, blockTime * 1000);
  // the committed table of that round, checked against its certificate
  let view: RoundView | null = null;
  for (const u of o.oracleUrls) {
    try { const r = await fetch(`${u}/api/liveness/rounds/${round}`); if (r.ok) { view = (await r.json()) as RoundView; break; } } catch { /* next */ }
  }
  if (!view?.decision) return fail(`round ${round} not served by any oracle`);
  const entries: TableEntry[] = view.entries.map((e) => ({ nodeId: fromBase58(e.nodeId, 32), status: e.status, lastSeen: e.lastSeen, lastSeq: BigInt(e.lastSeq) }));
  const hash = tableHash({ roundId: round!, asOf: view.asOf, prevHash: fromHex(view.prevHash), entries });
  const d = decodeMessage(new Uint8Array(Buffer.from(view.decision, 'base64')));
  if (d.kind !== 'decision' || !bytesEqual(d.tableHash, hash)) return fail('decision does not commit to the table');
  const cert = verifyCertificate({ round: d.round, view: d.view, tableHash: d.tableHash, sigs: d.sigs }, new CommitteeKeys(o.committee));
  if (!cert.ok) return fail(`certificate: ${cert.reason}`);
  const reason = checkSelection({ committee: o.committee, nodes: o.nodes, exec: o.exec, task: o.task, proof: proofBytes, round, table: { hash, entries } });
  return reason ? fail(reason) : { ...base, proof: true };
}

/**
 * The pure part of the audit: the proof names this request and a prover in its fallback order, is
 * bound to `round` and its (already certified) table, verifies under the prover's VRF key, and
 * selects the assigned node from the eligible set. Returns the reason of the first failure.
 */
export function checkSelection(o: { committee: Committee; nodes: NodeAccount[]; exec: ExecutionAccount; task: number; proof: Uint8Array; round: bigint | null; table: { hash: Uint8Array; entries: TableEntry[] } }): string | null {
  const ts = o.exec.tasks[o.task]!;
  const node = ts.assigned!;
  const m = decodeSelectionProof(o.proof);
  const req = { executionId: o.exec.execId, taskId: o.exec.taskIds[o.task]!, attempt: ts.attempt, seed: ts.seed, exclude: ts.excluded.map((k) => k.toBytes()) };
  if (!bytesEqual(m.request.seed, ts.seed) || m.request.attempt !== ts.attempt || m.request.executionId !== o.exec.execId) return 'proof names another request';
  if (![...Array(o.committee.n).keys()].some((k) => proverIndex(req, o.committee.n, k) === m.proverIndex)) return 'prover not in the fallback order';
  if (o.round !== m.roundId) return `proof bound to round ${m.roundId}, the seed block binds round ${o.round}`;
  if (!bytesEqual(o.table.hash, m.tableHash)) return 'the certified table of the round is not the one the proof names';
  const entries = o.table.entries;
  // re-derive: pi under the prover's VRF key, the eligible set from chain nodes and the table.
  // Node state has no history on chain: a node slashed after this selection was active when it
  // was made, so each slashed node is tried as active and as not (every combination of up to 8
  // slashed nodes; beyond that all as active and all as not).
  const check = verifySelection(o.committee.params.suite, o.committee.members[m.proverIndex]!.vrfKey, req, m.tableHash, [], m.proof);
  if (!check.ok) return `proof: ${check.message}`;
  const slashed = o.nodes.filter((n) => n.status === NodeStatus.Slashed).map((n) => n.key.toBase58());
  const combos = slashed.length <= 8 ? Array.from({ length: 1 << slashed.length }, (_, mask) => new Set(slashed.filter((_, b) => mask & (1 << b)))) : [new Set<string>(), new Set(slashed)];
  for (const wasActive of combos) {
    const eligible = eligibleSet(o.nodes.map((n) => ({ nodeId: n.key.toBytes(), active: n.status === NodeStatus.Active || wasActive.has(n.key.toBase58()), specializations: n.specializations })), entries, req.taskId, req.exclude);
    const derived = pickFromBeta(check.beta, eligible);
    if (derived.kind === 'selected' && new PublicKey(derived.node).equals(node)) return null;
  }
  return 'the proof selects another node';
}
