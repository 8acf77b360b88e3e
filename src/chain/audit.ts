// Anyone's audit of the committee's selections on chain: each had q matching signed votes for the node,
// and that node is the one the published ECVRF proof selects from the committed liveness table
// (certificate checked against the committee's keys) of the round bound to the seed's block. After
// rotations each selection is checked against the member set and committee of its own epoch.
import { PublicKey } from '@solana/web3.js';
import { bytesEqual, fromBase58, fromHex } from '../common/bytes.js';
import type { Committee } from '../consensus/committee.js';
import { CommitteeKeys, decodeMessage, verifyCertificate } from '../consensus/messages.js';
import { decodeTable, tableHash, type TableEntry } from '../liveness/table.js';
import { decodeSelectionProof } from '../vrf/proof-message.js';
import { eligibleSet, pickFromBeta, proverIndex, verifySelection } from '../vrf/selection.js';
import type { ChainClient } from './client.js';
import { attemptKind, NodeStatus, SelectionOutcome, selectionRecordsInLogs, type ExecutionAccount, type NodeAccount, type SelectionRecord } from './layout.js';
import { formatUsdc, Ix } from './program.js';
import { booksTotal } from './usdc.js';
import { roundForBlockTime } from './loop.js';

/** What the audit reads of a round's catch-up view: the signed decision and the table's canonical bytes. */
interface RoundView { table: string; decision: string | null }

/** One selection the committee made: the request as the program saw it at the quorum, and the node. */
export interface Selection {
  execId: bigint; task: number; taskId: number; attempt: number; seed: Uint8Array; readySlot: bigint; excluded: PublicKey[]; node: PublicKey;
  /** a task group's compute selection: the tasks it assigned and the group's VRAM, which the eligible set also required */
  group?: { taskIds: number[]; vramGb: number };
}

/** The group need of a compute selection of task `task` that assigned the tasks in `members` (bit i: task i); none for an ungrouped task or another phase. */
export function groupOfSelection(exec: ExecutionAccount, task: number, attempt: number, members: number): Selection['group'] {
  const ts = exec.tasks[task];
  if (!ts?.group || attemptKind(attempt) !== 'compute') return undefined;
  return { taskIds: exec.taskIds.filter((_, i) => members & (1 << i) || i === task), vramGb: ts.groupVramGb };
}
export type SelectionKind = 'compute' | 'reassignment' | 'verification' | 'arbiter';
export const selectionKind = (attempt: number): SelectionKind => {
  const k = attemptKind(attempt);
  return k === 'arbitrate' ? 'arbiter' : k === 'verify' ? 'verification' : attempt > 0 ? 'reassignment' : 'compute';
};

export interface AuditResult {
  execId: bigint; task: number; attempt: number; kind: SelectionKind; node: string;
  /** the node was assigned, or excluded at the quorum because its free stake did not cover R + S */
  outcome: 'assigned' | 'excluded-for-stake';
  matchingVotes: number; quorum: boolean; proof: boolean; reason?: string;
}

/** The task's current selection as its account holds it (the sim's checker; null before a quorum). */
export function selectionOfTask(exec: ExecutionAccount, task: number): Selection | null {
  const ts = exec.tasks[task]!;
  if (!ts.assigned) return null;
  // a group's compute selection assigned the members now holding the same node at the same compute attempt
  const members = exec.tasks.reduce((m, x, i) => (x.group === ts.group && x.computeAttempt === ts.computeAttempt && (x.assigned?.equals(ts.assigned!) || x.asserter?.equals(ts.assigned!)) ? m | (1 << i) : m), 1 << task);
  const group = groupOfSelection(exec, task, ts.attempt, members);
  return { execId: exec.execId, task, taskId: exec.taskIds[task]!, attempt: ts.attempt, seed: ts.seed, readySlot: ts.readySlot, excluded: ts.excluded, node: ts.assigned, ...(group ? { group } : {}) };
}

export interface ExecutionAudit {
  results: AuditResult[];
  /** distinct (task, attempt) whose assignTask votes on the ledger reached q for one node */
  quorumsOnLedger: number;
  /** the tasks with at least one audited selection */
  tasksCovered: number;
  /** what the audit could not tie together (each also makes the audit fail) */
  gaps: string[];
}

/**
 * Audits every selection the committee made for one execution, from the ledger: each quorum of
 * assignTask votes makes the program log a selection record (the request it was made under and the
 * node), so first assignments, reassignments, verifications and dispute arbiters are all audited,
 * not only the selection the task account holds at the end. Per record: the votes are counted from
 * the signed assignTask transactions themselves (distinct committee keys naming the node, and the
 * same oracles the program counted), and the node is re-derived from the published ECVRF proof and
 * the certified table of the round bound to the seed's block. Completeness: every quorum on the
 * ledger has its record, and each task's current selection is one of them.
 */
export async function auditExecution(o: {
  chain: ChainClient; committee: Committee; oracleUrls: string[]; nodes: NodeAccount[]; exec: ExecutionAccount; q: number;
  /**
   * After rotations: the committee file and oracle URLs of each epoch, so every selection is checked
   * against its own epoch's committee (certificates, VRF keys, prover order); `committee` and
   * `oracleUrls` serve the epoch of `committee`.
   */
  epochs?: Map<number, { committee: Committee; oracleUrls: string[] }>;
}): Promise<ExecutionAudit> {
  const programId = o.chain.program.programId.toBase58();
  // a record's vote bits index the member set of its epoch (the chain's committee account and, for
  // epochs before the previous one, the rotation records on the ledger); votes count only from that set
  const sets = await o.chain.memberSets();
  const everyMember = new Set([...sets.values()].flatMap((s) => s.oracles.map((k) => k.toBase58())));
  const txs = await o.chain.history(o.chain.program.executionAddress(o.exec.execId));
  // votes on the ledger: (task, attempt) → node → oracles
  const votes = new Map<string, Map<string, Set<string>>>();
  const records: SelectionRecord[] = [];
  for (const tx of txs) {
    if (!tx.ok) continue;
    for (const ix of tx.instructions) {
      if (ix.data[0] !== Ix.AssignTask || ix.data.length !== 46 || ix.data.readBigUInt64LE(1) !== o.exec.execId) continue;
      const oracle = ix.accounts[0]!;
      if (!tx.signers.some((k) => k.equals(oracle)) || !everyMember.has(oracle.toBase58())) continue;
      const key = `${ix.data[9]}/${ix.data.readUInt32LE(10)}`, node = new PublicKey(ix.data.subarray(14, 46)).toBase58();
      const byNode = votes.get(key) ?? new Map<string, Set<string>>();
      votes.set(key, byNode);
      byNode.set(node, (byNode.get(node) ?? new Set()).add(oracle.toBase58()));
    }
    records.push(...selectionRecordsInLogs(tx.logs, programId).filter((r) => r.execId === o.exec.execId));
  }
  const results: AuditResult[] = [];
  for (const r of records) {
    const set = sets.get(r.epoch);
    const members = (set?.oracles ?? []).map((k) => k.toBase58());
    const voters = new Set([...(votes.get(`${r.task}/${r.attempt}`)?.get(r.node.toBase58()) ?? [])].filter((v) => members.includes(v)));
    const programVoters = members.filter((_, i) => r.voteMask & (1 << i));
    const sameVoters = !!set && programVoters.length === voters.size && programVoters.every((m) => voters.has(m));
    const outcome = r.outcome === SelectionOutcome.ExcludedForStake ? 'excluded-for-stake' : 'assigned';
    const ep = o.epochs?.get(r.epoch) ?? (r.epoch === o.committee.epoch ? { committee: o.committee, oracleUrls: o.oracleUrls } : null);
    if (!ep) {
      results.push({ execId: r.execId, task: r.task, attempt: r.attempt, kind: selectionKind(r.attempt), node: r.node.toBase58(), outcome, matchingVotes: voters.size, quorum: voters.size >= (set?.q ?? o.q), proof: false, reason: `no committee file of epoch ${r.epoch} given to the audit` });
      continue;
    }
    const group = groupOfSelection(o.exec, r.task, r.attempt, r.members);
    const res = await auditSelection({ ...o, ...ep, q: set?.q ?? o.q, selection: { execId: r.execId, task: r.task, taskId: r.taskId, attempt: r.attempt, seed: r.seed, readySlot: r.readySlot, excluded: r.excluded, node: r.node, ...(group ? { group } : {}) }, matchingVotes: voters.size });
    results.push(sameVoters ? { ...res, outcome } : { ...res, outcome, proof: false, reason: set ? `the program counted the votes of ${programVoters.length} oracles, the ledger holds ${voters.size} signed votes for the node` : `no member set of epoch ${r.epoch} on the chain or its ledger` });
  }
  const gaps: string[] = [];
  const recorded = new Set(records.map((r) => `${r.task}/${r.attempt}`));
  let quorumsOnLedger = 0;
  for (const [key, byNode] of votes) {
    if (![...byNode.values()].some((s) => s.size >= o.q)) continue;
    quorumsOnLedger++;
    if (!recorded.has(key)) gaps.push(`execution ${o.exec.execId} task/attempt ${key}: q votes on the ledger but no selection record`);
  }
  o.exec.tasks.forEach((ts, i) => {
    if (ts.assigned && !records.some((r) => r.task === i && r.attempt === ts.attempt && r.node.equals(ts.assigned!)))
      gaps.push(`execution ${o.exec.execId} task ${i}: the current selection (attempt ${ts.attempt}) has no selection record`);
  });
  return { results, quorumsOnLedger, tasksCovered: new Set(records.map((r) => r.task)).size, gaps };
}

/** Audits one selection over HTTP and JSON-RPC: q matching votes (counted by the caller) and the ECVRF proof. */
export async function auditSelection(o: {
  chain: Pick<ChainClient, 'blockTime'>; committee: Committee; oracleUrls: string[]; nodes: NodeAccount[]; selection: Selection; matchingVotes: number; q: number;
}): Promise<Omit<AuditResult, 'outcome'>> {
  const sel = o.selection;
  const base = { execId: sel.execId, task: sel.task, attempt: sel.attempt, kind: selectionKind(sel.attempt), node: sel.node.toBase58(), matchingVotes: o.matchingVotes, quorum: o.matchingVotes >= o.q };
  const fail = (reason: string) => ({ ...base, proof: false, reason });

  // the proof, from any oracle that followed it
  let proofBytes: Uint8Array | null = null;
  for (const u of o.oracleUrls) {
    try {
      const r = await fetch(`${u}/api/chain/selection?exec=${sel.execId}&task=${sel.task}&attempt=${sel.attempt}`);
      if (r.ok) { proofBytes = fromHex(((await r.json()) as { proof: string }).proof); break; }
    } catch { /* next oracle */ }
  }
  if (!proofBytes) return fail('no oracle serves the selection proof');
  const blockTime = await o.chain.blockTime(sel.readySlot);
  if (blockTime === null) return fail('seed block time unavailable');
  const round = roundForBlockTime(o.committee, blockTime * 1000);
  // the committed table of that round, checked against its certificate
  let view: RoundView | null = null;
  for (const u of o.oracleUrls) {
    try { const r = await fetch(`${u}/api/liveness/rounds/${round}?view=catchup`); if (r.ok) { view = (await r.json()) as RoundView; break; } } catch { /* next */ }
  }
  if (!view?.decision) return fail(`round ${round} not served by any oracle`);
  // the table's canonical bytes, decoded and hashed here: what the certificate signs
  let table;
  try { table = decodeTable(new Uint8Array(Buffer.from(view.table, 'base64'))); } catch (e) { return fail(`round ${round}: ${(e as Error).message}`); }
  if (table.roundId !== round) return fail(`round ${round}: the served table is round ${table.roundId}`);
  const entries: TableEntry[] = table.entries;
  const hash = tableHash(table);
  const d = decodeMessage(new Uint8Array(Buffer.from(view.decision, 'base64')));
  if (d.kind !== 'decision' || !bytesEqual(d.tableHash, hash)) return fail('decision does not commit to the table');
  const cert = verifyCertificate({ round: d.round, view: d.view, tableHash: d.tableHash, sigs: d.sigs }, new CommitteeKeys(o.committee));
  if (!cert.ok) return fail(`certificate: ${cert.reason}`);
  const reason = checkSelection({ committee: o.committee, nodes: o.nodes, selection: sel, proof: proofBytes, round, table: { hash, entries } });
  return reason ? fail(reason) : { ...base, proof: true };
}

/**
 * The pure part of the audit: the proof names this request and a prover in its fallback order, is
 * bound to `round` and its (already certified) table, verifies under the prover's VRF key, and
 * selects the assigned node from the eligible set. Returns the reason of the first failure.
 */
export function checkSelection(o: { committee: Committee; nodes: NodeAccount[]; selection: Selection; proof: Uint8Array; round: bigint | null; table: { hash: Uint8Array; entries: TableEntry[] } }): string | null {
  const sel = o.selection;
  const node = sel.node;
  const m = decodeSelectionProof(o.proof);
  const req = { executionId: sel.execId, taskId: sel.taskId, attempt: sel.attempt, seed: sel.seed, exclude: sel.excluded.map((k) => k.toBytes()) };
  if (!bytesEqual(m.request.seed, sel.seed) || m.request.attempt !== sel.attempt || m.request.executionId !== sel.execId) return 'proof names another request';
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
    const eligible = eligibleSet(o.nodes.map((n) => ({ nodeId: n.key.toBytes(), active: n.status === NodeStatus.Active || wasActive.has(n.key.toBase58()), specializations: n.specializations, vramGb: n.vramGb })), entries, req.taskId, req.exclude, sel.group);
    const derived = pickFromBeta(check.beta, eligible);
    if (derived.kind === 'selected' && new PublicKey(derived.node).equals(node)) return null;
  }
  return 'the proof selects another node';
}

/**
 * The committee's money: the vault's token balance against the program's books (treasury + every
 * node's stake and earnings + every execution's escrow, read from this committee's accounts). They are
 * equal unless someone sent tokens straight to the vault (anyone can; such tokens are outside the books,
 * reported as `outside`); less in the vault than the books is a broken invariant (`ok` false).
 */
export interface BooksAudit { mint: string; vault: string; vaultBalance: string; books: string; treasury: string; stake: string; earned: string; escrow: string; outside: string; ok: boolean }
export async function auditBooks(chain: ChainClient): Promise<BooksAudit> {
  const cm = await chain.committee();
  if (!cm) throw new Error('no committee on this chain');
  const [nodes, execs, vault] = await Promise.all([chain.nodes(), chain.executions(), chain.tokenBalance(cm.vault)]);
  const books = booksTotal(cm, nodes, execs);
  const sum = (xs: bigint[]) => xs.reduce((a, x) => a + x, 0n);
  return {
    mint: cm.mint.toBase58(), vault: cm.vault.toBase58(), vaultBalance: formatUsdc(vault), books: formatUsdc(books), treasury: formatUsdc(cm.treasury),
    stake: formatUsdc(sum(nodes.map((n) => n.stake))), earned: formatUsdc(sum(nodes.map((n) => n.earned))), escrow: formatUsdc(sum(execs.map((e) => e.escrow))),
    outside: formatUsdc(vault > books ? vault - books : 0n), ok: vault >= books,
  };
}
