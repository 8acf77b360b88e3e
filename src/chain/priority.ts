// Which open selections an oracle's chain loop works on first (dynamic task prioritization).
// When selections compete — many executions, few oracle transactions per block, few nodes — the
// loop proves and votes the tasks on the longest remaining path first: a task's remaining path is
// its own compute units plus the longest remaining path among the tasks that consume its outputs
// (its "bottom level" in the model's DAG), so a chain that is still long gets its next task assigned
// before a short side branch. Waiting counts too: the key is the selection's latest start, its seed
// slot minus its remaining path in slots (at the committee's slotsPerKcu, the rate its timeouts
// grant), smallest first. A selection's key never changes while it waits and newer ones' keys grow
// with their seed slot, so none is passed by work that became ready more than the longest remaining
// path (in slots) after it: with a per-tick bound, no selection starves behind a stream of long
// models (whose requesters pay C in proportion to those compute units). Pure and deterministic: the order is a function of chain state only
// (the model accounts, each selection's seed slot, execution id and task index), so honest oracles
// order alike and their votes land on the same selections first, where a quorum forms; the ECVRF
// choice of the node is untouched (the order only says when a selection is worked on, not who runs it).
import type { ModelAccount } from './layout.js';

export const PRIORITY_POLICIES = ['critical-path', 'fifo'] as const;
export type PriorityPolicy = (typeof PRIORITY_POLICIES)[number];

/**
 * Each model node's remaining path in compute units: its own plus the longest among its consumers'.
 * Walks the model's topological order backwards (the program stores it, DAG validated).
 */
export function remainingPaths(m: Pick<ModelAccount, 'nodes' | 'order' | 'computeUnits'>): bigint[] {
  const n = m.nodes.length;
  const rest = new Array<bigint>(n).fill(0n);
  const consumers: number[][] = Array.from({ length: n }, () => []);
  m.nodes.forEach((node, i) => { for (const s of node.sources) if (s.node !== 'input' && !consumers[s.node]!.includes(i)) consumers[s.node]!.push(i); });
  const order = m.order.length === n ? m.order : topological(m.nodes);
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k]!;
    let longest = 0n;
    for (const c of consumers[i]!) if (rest[c]! > longest) longest = rest[c]!;
    rest[i] = (m.computeUnits[i] ?? 0n) + longest;
  }
  return rest;
}

function topological(nodes: ModelAccount['nodes']): number[] {
  const out: number[] = [], seen = new Set<number>();
  const visit = (i: number, depth: number) => {
    if (seen.has(i) || depth > nodes.length) return;
    for (const s of nodes[i]!.sources) if (s.node !== 'input') visit(s.node, depth + 1);
    seen.add(i); out.push(i);
  };
  nodes.forEach((_, i) => visit(i, 0));
  return out;
}

/** An open selection as the loop sees it: what the order depends on. */
export interface OpenSelection { execId: bigint; task: number; readySlot: bigint; modelId: number }

/**
 * The selections in the order to work on them. `fifo`: oldest seed slot first. `critical-path`: the
 * earliest latest start first — seed slot − remaining path × slotsPerKcu / 1000 (in thousandths of a
 * slot, exact). Ties: execution id, then task index. A selection whose model is unknown (`paths`
 * returns undefined) has remaining path 0.
 */
export function orderSelections<T extends OpenSelection>(xs: T[], policy: PriorityPolicy, paths: (modelId: number) => bigint[] | undefined, slotsPerKcu = 2): T[] {
  const key = (x: T) => x.readySlot * 1000n - (policy === 'critical-path' ? (paths(x.modelId)?.[x.task] ?? 0n) * BigInt(slotsPerKcu) : 0n);
  const keyed = xs.map((x) => ({ x, k: key(x) }));
  keyed.sort((a, b) => (a.k !== b.k ? (a.k < b.k ? -1 : 1) : a.x.execId !== b.x.execId ? (a.x.execId < b.x.execId ? -1 : 1) : a.x.task - b.x.task));
  return keyed.map((k) => k.x);
}
