// The example model on chain: a diamond DAG of four tasks (embed → left, right → join), its
// tensor specs and compute units. Kept apart from local-chain.ts so that the launcher, the
// bootstrap and the compute agent name it without loading LiteSVM.
import { DType, type ModelAccount, type TensorSpec } from './layout.js';

export const f32 = (...shape: number[]): TensorSpec => ({ dtype: DType.F32, shape });

/** Tasks of the diamond model: embed → (left, right) → join. */
export const TASKS = {
  embed: { id: 1, cu: 10_000n, inputs: [f32(1, 8)], outputs: [f32(1, 8)] },
  left: { id: 2, cu: 20_000n, inputs: [f32(1, 8)], outputs: [f32(1, 4)] },
  right: { id: 3, cu: 20_000n, inputs: [f32(1, 8)], outputs: [f32(1, 4)] },
  join: { id: 4, cu: 5_000n, inputs: [f32(1, 4), f32(1, 4)], outputs: [f32(1, 4)] },
} as const;

export const DIAMOND: Pick<ModelAccount, 'inputs' | 'nodes' | 'outputs'> = {
  inputs: [f32(1, 8)],
  nodes: [
    { taskId: 1, sources: [{ node: 'input', slot: 0 }] },
    { taskId: 2, sources: [{ node: 0, slot: 0 }] },
    { taskId: 3, sources: [{ node: 0, slot: 0 }] },
    { taskId: 4, sources: [{ node: 1, slot: 0 }, { node: 2, slot: 0 }] },
  ],
  outputs: [{ node: 3, slot: 0 }],
};

/** The diamond model's id: the committee's first model (ids are assigned in order). */
export const MODEL_ID = 1;
