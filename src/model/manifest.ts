// A model developer's partition as a file — `splitup/model-manifest/v1` — and its checks.
//
//   { "version": "splitup/model-manifest/v1", "name": "...",
//     "inputs":  [{ "name": "x", "dtype": "f32", "shape": [1, 8] }],
//     "tasks":   [{ "name": "embed", "computeUnits": 10000,
//                   "inputs": [{ "dtype": "f32", "shape": [1, 8] }], "outputs": [...],
//                   "weights": ["cas://<sha256>", "https://..."] },
//                 { "name": "again", "taskId": 1 }],            // a task already registered on chain
//     "connections": [{ "from": "input:x", "to": "embed:0" }, { "from": "embed:0", "to": "left:0" }],
//     "outputs": [{ "name": "y", "from": "join:0" }],
//     "groups":  [{ "name": "trunk", "tasks": ["embed", "left"], "vramGb": 24 }] }   // optional
//
// Each entry of `tasks` is one node of the model's DAG: a new task (registered with the model)
// or, with `taskId`, a task already on chain (its specs are the chain's). A connection feeds one
// task input (`task:slot`) from a model input (`input:name`) or a task output (`task:slot`).
//
// checkManifest applies the program's rules (programs/splitup/src/splitup.c: register_task,
// register_model, validate_dag) in the program's order and throws the first failure under the
// program's own error name, so a refusal here reads the same as the program's: BadParameter,
// BadTensorSpec, DagUnknownTask, DagInputUnsatisfied, DagSpecMismatch, DagBadModelOutput,
// DagRedundantTask, DagCycle, DagOrphanOutput. Problems the program's encoding cannot express
// (a name no task has, two sources for one input, a malformed weight URI) are ManifestSchema /
// BadConnection / BadWeightUri. Task groups (adjacent tasks one node with `vramGb` of VRAM takes
// together) follow the program's validate_groups under its name DagBadGroup, naming the rule:
// well-formed groups (≥ 2 tasks, VRAM 1..4096 GB), connected groups, convex groups (no path leaves the
// group and comes back). Weight URIs are the developer's statement of where a task's
// weights are; the program does not store them (its Task account has no field for them).
import { Ajv } from 'ajv';
import { DType, type ModelAccount, type TensorSpec } from '../chain/layout.js';

export const MANIFEST_VERSION = 'splitup/model-manifest/v1';
/** The program's bounds (state.h): MAX_MODEL_TASKS, MAX_TENSORS, the rank of a spec. */
export const LIMITS = { tasks: 8, tensors: 4, rank: 4 } as const;

export const DTYPE_NAMES: Record<string, DType> = { f32: DType.F32, f16: DType.F16, bf16: DType.BF16, i32: DType.I32, i64: DType.I64, u8: DType.U8 };
export const dtypeName = (d: number): string => Object.entries(DTYPE_NAMES).find(([, v]) => v === d)?.[0] ?? `dtype#${d}`;

export interface SpecDoc { name?: string; dtype: string; shape: number[] }
export interface TaskDoc { name: string; taskId?: number; computeUnits?: number | string; inputs?: SpecDoc[]; outputs?: SpecDoc[]; weights?: string[]; description?: string }
export interface ManifestDoc {
  version: typeof MANIFEST_VERSION; name: string; description?: string;
  inputs: Array<SpecDoc & { name: string }>; tasks: TaskDoc[];
  connections: Array<{ from: string; to: string }>;
  outputs: Array<{ name: string; from: string }>;
  groups?: Array<{ name: string; tasks: string[]; vramGb: number }>;
}

/** The rules a manifest can break: the program's error names, and the manifest's own. */
export type ManifestRule = 'ManifestSchema' | 'BadConnection' | 'BadWeightUri' | 'BadParameter' | 'BadTensorSpec' | 'DagUnknownTask'
  | 'DagInputUnsatisfied' | 'DagSpecMismatch' | 'DagBadModelOutput' | 'DagRedundantTask' | 'DagCycle' | 'DagOrphanOutput' | 'DagBadGroup';

export class ManifestError extends Error {
  override name = 'ManifestError';
  constructor(readonly rule: ManifestRule, detail: string) { super(`${rule}: ${detail}`); }
}

const spec = { type: 'object', additionalProperties: false, required: ['dtype', 'shape'], properties: { name: { type: 'string' }, dtype: { type: 'string' }, shape: { type: 'array', items: { type: 'integer' } } } };
const schema = {
  type: 'object', additionalProperties: false, required: ['version', 'name', 'inputs', 'tasks', 'connections', 'outputs'],
  properties: {
    version: { const: MANIFEST_VERSION }, name: { type: 'string', minLength: 1, maxLength: 64 }, description: { type: 'string' },
    inputs: { type: 'array', items: { ...spec, required: ['name', 'dtype', 'shape'] } },
    tasks: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' }, taskId: { type: 'integer', minimum: 1 },
          computeUnits: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^[0-9]+$' }] },
          inputs: { type: 'array', items: spec }, outputs: { type: 'array', items: spec }, weights: { type: 'array', items: { type: 'string' } }, description: { type: 'string' },
        },
        // a new task declares its interface; a registered one (taskId) takes the chain's
        oneOf: [{ required: ['taskId'], not: { anyOf: [{ required: ['inputs'] }, { required: ['outputs'] }, { required: ['computeUnits'] }] } },
          { required: ['computeUnits', 'inputs', 'outputs'], not: { required: ['taskId'] } }],
      },
    },
    connections: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { from: { type: 'string' }, to: { type: 'string' } } } },
    outputs: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['name', 'from'], properties: { name: { type: 'string' }, from: { type: 'string' } } } },
    groups: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['name', 'tasks', 'vramGb'], properties: { name: { type: 'string', minLength: 1 }, tasks: { type: 'array', items: { type: 'string' } }, vramGb: { type: 'integer', minimum: 0, maximum: 0xffffffff } } } },
  },
} as const;
const validate = new Ajv({ allErrors: false }).compile(schema);

/** Checks a parsed JSON document's shape (types, required fields, the version); rules come later. */
export function parseManifest(doc: unknown): ManifestDoc {
  if (!validate(doc)) {
    const e = validate.errors?.[0];
    // the oneOf of a task entry: say what the two forms are instead of ajv's "must NOT be valid"
    if (e && /^\/tasks\/\d+$/.test(e.instancePath) && ['oneOf', 'not', 'required'].includes(e.keyword) && !(e.params as { missingProperty?: string }).missingProperty?.startsWith('name'))
      throw new ManifestError('ManifestSchema', `${e.instancePath}: a task is either registered ("taskId" alone) or new ("computeUnits", "inputs" and "outputs", no "taskId")`);
    throw new ManifestError('ManifestSchema', `${e?.instancePath || '(root)'} ${e?.message ?? 'is invalid'}${e?.params && 'additionalProperty' in e.params ? ` ("${e.params.additionalProperty}")` : ''}`);
  }
  return doc as unknown as ManifestDoc;
}

/** The interface of a task already registered, as the chain holds it. */
export interface RegisteredTask { computeUnits: bigint; inputs: TensorSpec[]; outputs: TensorSpec[] }

/** A manifest resolved to the program's encoding: new tasks to register, then the model's nodes. */
export interface ManifestPlan {
  /** Tasks to register, in order; node `node` runs new task k (ids assigned at registration). */
  newTasks: Array<{ node: number; name: string; computeUnits: bigint; inputs: TensorSpec[]; outputs: TensorSpec[]; weights: string[] }>;
  /** Per node: a registered task id, or the index into newTasks. */
  nodes: Array<{ name: string; task: { registered: number } | { new: number }; sources: Array<{ node: number | 'input'; slot: number }>; inputs: TensorSpec[]; outputs: TensorSpec[]; computeUnits: bigint }>;
  inputs: TensorSpec[];
  inputNames: string[];
  outputs: Array<{ node: number; slot: number }>;
  outputNames: string[];
  /** Task groups: node i's group number (0: none; group k of the manifest is k + 1) and group g's VRAM at groupVramGb[g − 1]; empty without groups. */
  groups: number[]; groupVramGb: number[]; groupNames: string[];
}

const UNSET = 0xff;
const specOf = (s: SpecDoc, where: string): TensorSpec => {
  const dtype = DTYPE_NAMES[s.dtype];
  if (dtype === undefined) throw new ManifestError('BadTensorSpec', `${where}: dtype "${s.dtype}" is not one of ${Object.keys(DTYPE_NAMES).join(', ')}`);
  return { dtype, shape: s.shape };
};
const specText = (s: TensorSpec) => `${dtypeName(s.dtype)}[${s.shape.join(',')}]`;
export const specsEqual = (a: TensorSpec, b: TensorSpec): boolean => a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

/** The program's spec rule; unchecked, only what its 20-byte encoding can hold (rank ≤ 4, u32 dims). */
function checkSpec(s: TensorSpec, where: string, check: boolean): void {
  if (!check) {
    if (s.shape.length > LIMITS.rank || s.shape.some((d) => !Number.isInteger(d) || d < 0 || d > 0xffffffff)) throw new ManifestError('BadTensorSpec', `${where}: ${specText(s)} cannot be encoded (rank ≤ 4, dims 0..2^32-1)`);
    return;
  }
  if (s.shape.length < 1 || s.shape.length > LIMITS.rank || s.shape.some((d) => !Number.isInteger(d) || d < 1 || d > 0xffffffff))
    throw new ManifestError('BadTensorSpec', `${where}: ${specText(s)} — rank 1..4, every dim 1..2^32-1`);
}

/**
 * Resolves names and applies every rule (the program's order). `registered(id)` gives a task
 * already on chain (undefined: not registered). With `check` false, only what is needed to encode
 * the manifest is enforced (names resolve), so the program itself can be asked — and refuse.
 */
export function planManifest(m: ManifestDoc, registered: (taskId: number) => RegisteredTask | undefined, { check = true } = {}): ManifestPlan {
  const rule = (ok: boolean, r: ManifestRule, detail: () => string) => { if (check && !ok) throw new ManifestError(r, detail()); };
  const names = new Map<string, number>();
  m.tasks.forEach((t, i) => { if (names.has(t.name)) throw new ManifestError('ManifestSchema', `tasks[${i}]: the name "${t.name}" is used twice`); names.set(t.name, i); });
  const inputNames = m.inputs.map((x) => x.name);
  if (new Set(inputNames).size !== inputNames.length) throw new ManifestError('ManifestSchema', 'two model inputs share a name');
  for (const [i, t] of m.tasks.entries())
    for (const w of t.weights ?? []) if (!/^cas:\/\/[0-9a-f]{64}$/.test(w) && !/^https?:\/\/\S+$/.test(w)) throw new ManifestError('BadWeightUri', `task "${t.name}" (tasks[${i}]): "${w}" is neither cas://<sha256 hex> nor an http(s) URL`);

  // registerTask's checks, for each new task (the program refuses it before the model)
  const plan: ManifestPlan = { newTasks: [], nodes: [], inputs: [], inputNames, outputs: [], outputNames: m.outputs.map((o) => o.name), groups: [], groupVramGb: [], groupNames: [] };
  for (const [i, t] of m.tasks.entries()) {
    const where = `task "${t.name}"`;
    if (t.taskId !== undefined) {
      const r = registered(t.taskId);
      if (!r) { if (check) throw new ManifestError('DagUnknownTask', `${where} names task ${t.taskId}, which is not registered`); }
      plan.nodes.push({ name: t.name, task: { registered: t.taskId }, sources: [], inputs: r?.inputs ?? [], outputs: r?.outputs ?? [], computeUnits: r?.computeUnits ?? 0n });
      continue;
    }
    const cu = BigInt(t.computeUnits!);
    const inputs = t.inputs!.map((s, j) => specOf(s, `${where} input ${j}`)), outputs = t.outputs!.map((s, j) => specOf(s, `${where} output ${j}`));
    rule(inputs.length >= 1 && inputs.length <= LIMITS.tensors && outputs.length >= 1 && outputs.length <= LIMITS.tensors && cu > 0n && cu < 2n ** 64n,
      'BadParameter', () => `${where}: 1..4 inputs, 1..4 outputs and 0 < computeUnits < 2^64 (it has ${inputs.length}, ${outputs.length}, ${cu})`);
    [...inputs, ...outputs].forEach((s, j) => checkSpec(s, `${where} ${j < inputs.length ? `input ${j}` : `output ${j - inputs.length}`}`, check));
    plan.newTasks.push({ node: i, name: t.name, computeUnits: cu, inputs, outputs, weights: t.weights ?? [] });
    plan.nodes.push({ name: t.name, task: { new: plan.newTasks.length - 1 }, sources: [], inputs, outputs, computeUnits: cu });
  }
  plan.inputs = m.inputs.map((s) => specOf(s, `model input "${s.name}"`));
  rule(m.tasks.length >= 1 && m.tasks.length <= LIMITS.tasks && m.inputs.length >= 1 && m.inputs.length <= LIMITS.tensors && m.outputs.length >= 1 && m.outputs.length <= LIMITS.tensors,
    'BadParameter', () => `a model has 1..8 tasks and 1..4 inputs and outputs (this one: ${m.tasks.length}, ${m.inputs.length}, ${m.outputs.length})`);
  plan.inputs.forEach((s, j) => checkSpec(s, `model input "${m.inputs[j]!.name}"`, check));

  // connections → each node's sources (a slot without a connection stays unset: ff ff)
  const endpoint = (s: string, where: string): { node: number | 'input'; slot: number } => {
    const x = /^([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+)$/.exec(s);
    if (!x) throw new ManifestError('BadConnection', `${where} "${s}" is neither "input:NAME" nor "TASK:SLOT"`);
    if (x[1] === 'input') {
      const k = inputNames.indexOf(x[2]!);
      if (k < 0) throw new ManifestError('BadConnection', `${where} "${s}": no model input is named "${x[2]}"`);
      return { node: 'input', slot: k };
    }
    const node = names.get(x[1]!);
    if (node === undefined) throw new ManifestError('BadConnection', `${where} "${s}": no task is named "${x[1]}"`);
    if (!/^\d+$/.test(x[2]!) || Number(x[2]) > 254) throw new ManifestError('BadConnection', `${where} "${s}": the slot must be a number 0..254`);
    return { node, slot: Number(x[2]) };
  };
  for (const c of m.connections) {
    const from = endpoint(c.from, 'connection from'), to = endpoint(c.to, 'connection to');
    if (to.node === 'input') throw new ManifestError('BadConnection', `connection to "${c.to}": a connection feeds a task input, not a model input`);
    const n = plan.nodes[to.node]!;
    if (to.slot >= LIMITS.tensors || (check && to.slot >= n.inputs.length)) throw new ManifestError('BadConnection', `connection to "${c.to}": task "${n.name}" has ${n.inputs.length} input(s)`);
    if (n.sources[to.slot] && n.sources[to.slot]!.slot !== UNSET) throw new ManifestError('BadConnection', `task input "${c.to}" has two sources`);
    for (let j = n.sources.length; j < to.slot; j++) n.sources[j] = { node: 'input', slot: UNSET };
    n.sources[to.slot] = from;
  }
  for (const n of plan.nodes) for (let j = n.sources.length; j < n.inputs.length; j++) n.sources[j] = { node: 'input', slot: UNSET };
  plan.outputs = m.outputs.map((o) => { const e = endpoint(o.from, `model output "${o.name}" from`); if (e.node === 'input') throw new ManifestError('BadConnection', `model output "${o.name}" names a model input, not a task output`); return { node: e.node, slot: e.slot }; });
  // task groups → a group number per node (what the program's encoding can hold: each task in one group, ≤ one group per node)
  if (m.groups?.length) {
    if (m.groups.length > m.tasks.length) throw new ManifestError('ManifestSchema', `${m.groups.length} groups for ${m.tasks.length} tasks: at most one group per task`);
    if (new Set(m.groups.map((g) => g.name)).size !== m.groups.length) throw new ManifestError('ManifestSchema', 'two groups share a name');
    plan.groups = m.tasks.map(() => 0);
    plan.groupVramGb = m.tasks.map((_, k) => m.groups![k]?.vramGb ?? 0);
    plan.groupNames = m.groups.map((g) => g.name);
    m.groups.forEach((g, k) => g.tasks.forEach((t) => {
      const i = names.get(t);
      if (i === undefined) throw new ManifestError('ManifestSchema', `group "${g.name}": no task is named "${t}"`);
      if (plan.groups[i]) throw new ManifestError('ManifestSchema', `task "${t}" is in two groups ("${m.groups![plan.groups[i]! - 1]!.name}" and "${g.name}")`);
      plan.groups[i] = k + 1;
    }));
  }
  if (!check) return plan;

  // validate_dag, in the program's order
  const N = plan.nodes;
  const srcName = (s: { node: number | 'input'; slot: number }) => (s.node === 'input' ? `input:${inputNames[s.slot] ?? '?'}` : `${N[s.node]!.name}:${s.slot}`);
  // 1. every input satisfied
  for (const n of N)
    n.sources.forEach((s, j) => rule(s.node === 'input' ? s.slot < plan.inputs.length : s.node < N.length && s.slot < N[s.node]!.outputs.length, 'DagInputUnsatisfied',
      () => s.slot === UNSET ? `input ${j} of task "${n.name}" has no connection (rule: every input satisfied)` : `input ${j} of task "${n.name}" comes from "${srcName(s)}", which "${(N[s.node as number]!).name}" does not output (rule: every input satisfied)`));
  // 2. matching tensor specs along every edge
  for (const n of N)
    n.sources.forEach((s, j) => {
      const from = s.node === 'input' ? plan.inputs[s.slot]! : N[s.node]!.outputs[s.slot]!;
      rule(specsEqual(from, n.inputs[j]!), 'DagSpecMismatch', () => `"${srcName(s)}" is ${specText(from)} but input ${j} of task "${n.name}" is ${specText(n.inputs[j]!)} (rule: matching tensor specs)`);
    });
  // model outputs name task outputs
  plan.outputs.forEach((o, k) => rule(o.node < N.length && o.slot < N[o.node]!.outputs.length, 'DagBadModelOutput', () => `model output "${m.outputs[k]!.name}" names "${N[o.node]!.name}:${o.slot}", which that task does not output`));
  // 3. no redundant tasks: the same (registered) task on the same sources twice
  for (let i = 0; i < N.length; i++)
    for (let k = 0; k < i; k++) {
      const a = N[i]!, b = N[k]!;
      const same = 'registered' in a.task && 'registered' in b.task && a.task.registered === b.task.registered;
      rule(!(same && JSON.stringify(a.sources) === JSON.stringify(b.sources)), 'DagRedundantTask', () => `tasks "${b.name}" and "${a.name}" run task ${(a.task as { registered: number }).registered} on the same inputs (rule: no redundant tasks)`);
    }
  // 4. no cycles (Kahn)
  const indeg = N.map((n) => n.sources.filter((s) => s.node !== 'input').length);
  const queue = N.map((_, i) => i).filter((i) => indeg[i] === 0);
  for (let h = 0; h < queue.length; h++) N.forEach((n, i) => n.sources.forEach((s) => { if (s.node === queue[h] && --indeg[i]! === 0) queue.push(i); }));
  rule(queue.length === N.length, 'DagCycle', () => `tasks ${N.filter((_, i) => !queue.includes(i)).map((n) => `"${n.name}"`).join(', ')} form or depend on a cycle (rule: no cycles)`);
  // 5. no orphaned outputs; every model input used
  N.forEach((n, v) => n.outputs.forEach((_, s) => rule(N.some((x) => x.sources.some((y) => y.node === v && y.slot === s)) || plan.outputs.some((o) => o.node === v && o.slot === s),
    'DagOrphanOutput', () => `output ${s} of task "${n.name}" is consumed by no task and is no model output (rule: no orphaned outputs)`)));
  plan.inputs.forEach((_, s) => rule(N.some((x) => x.sources.some((y) => y.node === 'input' && y.slot === s)), 'DagOrphanOutput', () => `model input "${inputNames[s]}" is consumed by no task (rule: no orphaned outputs)`));
  // validate_groups
  if (plan.groups.length) {
    const problem = groupProblem(N.map((n) => n.sources.flatMap((s) => (s.node === 'input' ? [] : [s.node]))), plan.groups, plan.groupVramGb);
    if (problem) throw new ManifestError('DagBadGroup', `group "${plan.groupNames[problem.group - 1] ?? problem.group}": ${problem.detail}`);
  }
  return plan;
}

/**
 * The program's validate_groups over a valid DAG: `preds[i]` the nodes feeding node i, `groups[i]` its
 * group number (0: none), `vramGb[g − 1]` group g's VRAM need. Returns the first group (in number order)
 * breaking a rule, and the rule, or null.
 */
export function groupProblem(preds: number[][], groups: number[], vramGb: number[]): { group: number; detail: string } | null {
  const n = preds.length;
  const succs = preds.map((_, i) => preds.flatMap((p, j) => (p.includes(i) ? [j] : [])));
  const reach = (from: number[], next: (i: number) => number[]): Set<number> => {
    const seen = new Set<number>();
    const stack = [...from];
    while (stack.length) for (const j of next(stack.pop()!)) if (!seen.has(j)) { seen.add(j); stack.push(j); }
    return seen;
  };
  for (let g = 1; g <= LIMITS.tasks; g++) {
    const members = groups.flatMap((x, i) => (x === g ? [i] : []));
    const vram = vramGb[g - 1] ?? 0;
    if (!members.length) {
      if (vram) return { group: g, detail: 'VRAM given for a group with no tasks (rule: well-formed groups)' };
      continue;
    }
    if (g > n) return { group: g, detail: 'a group number above the node count (rule: well-formed groups)' };
    if (members.length < 2) return { group: g, detail: 'a group needs at least two tasks (rule: well-formed groups)' };
    if (!Number.isInteger(vram) || vram < 1 || vram > 4096) return { group: g, detail: `VRAM need ${vram} GB is not 1..4096 (rule: well-formed groups)` };
    const inGroup = new Set(members);
    const joined = reach([members[0]!], (i) => [...preds[i]!, ...succs[i]!].filter((j) => inGroup.has(j)));
    joined.add(members[0]!);
    if (members.some((i) => !joined.has(i))) return { group: g, detail: 'its tasks are not connected by edges among them (rule: connected groups)' };
    const below = reach(members, (i) => succs[i]!);
    const above = reach(members, (i) => preds[i]!);
    const out = [...below].find((v) => !inGroup.has(v) && above.has(v));
    if (out !== undefined) return { group: g, detail: `a path leaves the group through node ${out} and comes back (rule: convex groups)` };
  }
  return null;
}

/** The model's nodes as the program encodes them, once the new tasks have their ids. */
export function modelOf(plan: ManifestPlan, newTaskIds: number[]): Pick<ModelAccount, 'inputs' | 'nodes' | 'outputs'> & Partial<Pick<ModelAccount, 'groups' | 'groupVramGb'>> {
  return {
    ...(plan.groups.length ? { groups: plan.groups, groupVramGb: plan.groupVramGb } : {}),
    inputs: plan.inputs,
    nodes: plan.nodes.map((n) => ({ taskId: 'registered' in n.task ? n.task.registered : newTaskIds[n.task.new]!, sources: n.sources })),
    outputs: plan.outputs,
  };
}
