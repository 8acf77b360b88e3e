import { createHash } from 'node:crypto';
import type { TableEntry } from '../../src/liveness/table.js';
import type { CandidateNode } from '../../src/vrf/selection.js';

/** Deterministic 32-byte values from a label (test inputs that never change). */
export const h32 = (label: string) => new Uint8Array(createHash('sha256').update(label).digest());

export function fixtureNodes(count: number): { nodes: CandidateNode[]; table: TableEntry[] } {
  const nodes = Array.from({ length: count }, (_, i) => ({ nodeId: h32(`node-${i}`), active: true, specializations: [7] }));
  const table = nodes.map((n) => ({ nodeId: n.nodeId, status: 'online' as const, missed: 0, since: 0 }));
  return { nodes, table };
}
