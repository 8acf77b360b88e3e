// The example model's tasks, computed on the CPU: a diamond of four small layers
//   embed [1,8] → tanh(W1·x + b1)            (task 1)
//   left  [1,8] → relu(W2·h)       [1,4]     (task 2)   } independent branches
//   right [1,8] → W3·h             [1,4]     (task 3)   }
//   join  [1,4],[1,4] → a ⊙ b      [1,4]     (task 4)
// Weights are fixed functions of their indices; every operation is rounded to f32, so the
// outputs are bit-identical on every honest node (what Proof of Sampling compares).
import { TASKS } from '../chain/example-model.js';
import { matchesSpec, TensorError, type Tensor } from './tensor.js';

const f = Math.fround;
const weight = (layer: number, j: number, i: number) => f((((i * 7 + j * 3 + layer * 5) % 11) - 5) / 10);

function dense(layer: number, x: Float32Array, outN: number, act: (v: number) => number): Float32Array {
  const y = new Float32Array(outN);
  for (let j = 0; j < outN; j++) {
    let acc = f(((j + layer) % 3) / 10); // bias
    for (let i = 0; i < x.length; i++) acc = f(acc + f(weight(layer, j, i) * x[i]!));
    y[j] = f(act(acc));
  }
  return y;
}

export type TaskFn = (inputs: Tensor[]) => Tensor[];

export const TASK_FUNCTIONS: Record<number, TaskFn> = {
  [TASKS.embed.id]: ([x]) => [{ shape: [1, 8], data: dense(1, x!.data, 8, Math.tanh) }],
  [TASKS.left.id]: ([h]) => [{ shape: [1, 4], data: dense(2, h!.data, 4, (v) => Math.max(0, v)) }],
  [TASKS.right.id]: ([h]) => [{ shape: [1, 4], data: dense(3, h!.data, 4, (v) => v) }],
  [TASKS.join.id]: ([a, b]) => [{ shape: [1, 4], data: a!.data.map((v, i) => f(v * b!.data[i]!)) }],
};

/** Runs task `taskId` after checking its inputs and outputs against the registered specs. */
export function runTask(taskId: number, inputs: Tensor[]): Tensor[] {
  const spec = Object.values(TASKS).find((t) => t.id === taskId);
  const fn = TASK_FUNCTIONS[taskId];
  if (!spec || !fn) throw new TensorError(`no implementation for task ${taskId}`);
  if (inputs.length !== spec.inputs.length || inputs.some((t, i) => !matchesSpec(t, spec.inputs[i]!))) throw new TensorError(`task ${taskId}: inputs do not match the task's specs`);
  const out = fn(inputs);
  if (out.length !== spec.outputs.length || out.some((t, i) => !matchesSpec(t, spec.outputs[i]!))) throw new TensorError(`task ${taskId}: outputs do not match the task's specs`);
  return out;
}

/** A model input for request k: a [1,8] vector. */
export function exampleInput(k: number): Tensor {
  return { shape: [1, 8], data: Float32Array.from({ length: 8 }, (_, i) => f(Math.sin(k * 8 + i))) };
}
