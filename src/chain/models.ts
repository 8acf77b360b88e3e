// Registering a model developer's manifest (src/model/manifest.ts) on chain: its new tasks
// (registerTask, ids = the committee's task count + 1, …) and the model (registerModel, id = the
// model count + 1) in ONE transaction when it fits (1232 bytes), so a model the program refuses
// leaves no task behind; a manifest too large for one transaction registers its tasks first (in
// as few transactions as fit), then the model.
import { Transaction, type Keypair, type TransactionInstruction } from '@solana/web3.js';
import type { ChainClient } from './client.js';
import { dtypeName, modelOf, type ManifestPlan, type RegisteredTask } from '../model/manifest.js';
import type { ModelAccount, TaskAccount, TensorSpec } from './layout.js';

const PACKET_BYTES = 1232;

export interface Registered { modelId: number; taskIds: number[]; signatures: string[]; transactions: number }

/** The size of a transaction of `ixs` signed by one key (the wire bytes a validator accepts ≤ 1232). */
function txBytes(payer: Keypair, ixs: TransactionInstruction[]): number {
  const tx = new Transaction({ blockhash: '11111111111111111111111111111111', lastValidBlockHeight: 0, feePayer: payer.publicKey }).add(...ixs);
  try { return 1 + 64 + tx.serializeMessage().length; } catch { return Infinity; }
}

/** What planManifest needs to know about registered tasks, read from the chain. */
export async function registeredTasks(chain: ChainClient, ids: number[]): Promise<Map<number, RegisteredTask>> {
  const out = new Map<number, RegisteredTask>();
  for (const id of new Set(ids)) { const t = await chain.task(id); if (t) out.set(id, t); }
  return out;
}

export async function registerPlan(chain: ChainClient, author: Keypair, plan: ManifestPlan): Promise<Registered> {
  const c = await chain.committee();
  if (!c) throw new Error('no committee on this chain');
  const p = chain.program;
  const taskIds = plan.newTasks.map((_, k) => c.taskCount + 1 + k);
  const modelId = c.modelCount + 1;
  const taskIxs = plan.newTasks.map((t, k) => p.registerTask(author.publicKey, taskIds[k]!, t.computeUnits, t.inputs, t.outputs));
  const modelIx = p.registerModel(author.publicKey, modelId, modelOf(plan, taskIds));
  const signatures: string[] = [];
  if (txBytes(author, [...taskIxs, modelIx]) <= PACKET_BYTES) {
    signatures.push(await chain.send([author], [...taskIxs, modelIx]));
  } else {
    for (let i = 0; i < taskIxs.length;) {
      let j = i + 1;
      while (j < taskIxs.length && txBytes(author, taskIxs.slice(i, j + 1)) <= PACKET_BYTES) j++;
      signatures.push(await chain.send([author], taskIxs.slice(i, j)));
      i = j;
    }
    signatures.push(await chain.send([author], [modelIx]));
  }
  return { modelId, taskIds, signatures, transactions: signatures.length };
}

const spec = (s: TensorSpec) => ({ dtype: dtypeName(s.dtype), shape: s.shape });

/** A model as JSON for people: its nodes with their tasks' interfaces, connections, outputs, total compute units. */
export function describeModel(m: ModelAccount, tasks: Map<number, TaskAccount>) {
  const name = (i: number) => `node${i}(task ${m.nodes[i]!.taskId})`;
  return {
    modelId: m.modelId, author: m.author.toBase58(),
    inputs: m.inputs.map(spec),
    tasks: m.nodes.map((n, i) => {
      const t = tasks.get(n.taskId);
      return { node: i, taskId: n.taskId, computeUnits: m.computeUnits[i]!.toString(), inputs: t?.inputs.map(spec) ?? [], outputs: t?.outputs.map(spec) ?? [], author: t?.author.toBase58() };
    }),
    connections: m.nodes.flatMap((n, i) => n.sources.map((s, j) => ({ from: s.node === 'input' ? `input:${s.slot}` : `${name(s.node)}:${s.slot}`, to: `${name(i)}:${j}` }))),
    outputs: m.outputs.map((o) => `${name(o.node)}:${o.slot}`),
    order: m.order,
    computeUnits: m.computeUnits.reduce((a, b) => a + b, 0n).toString(),
    // task groups (only a model that has them): each group's nodes and VRAM need
    ...(m.groups.some((g) => g) ? { groups: [...new Set(m.groups.filter((g) => g))].sort((a, b) => a - b).map((g) => ({ group: g, nodes: m.groups.flatMap((x, i) => (x === g ? [name(i)] : [])), vramGb: m.groupVramGb[g - 1] })) } : {}),
  };
}
