// Model manifests (splitup/model-manifest/v1): the shipped examples plan and register; every DAG
// rule of the program is refused by the local check under the program's own error name, and —
// with the local check bypassed — by the program itself under the same name (a real validator
// over LiteSVM, in process). A refused model leaves no task behind (tasks and model share one
// transaction).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { Keypair, LAMPORTS_PER_SOL } from '@solana/web3.js';
import { ManifestError, parseManifest, planManifest, type ManifestDoc, type RegisteredTask } from '../src/model/manifest.js';
import { TASKS } from '../src/chain/example-model.js';
import { registeredTasks, registerPlan } from '../src/chain/models.js';
import { asProgramError } from '../src/chain/client.js';
import { airdrop } from '../src/chain/bootstrap.js';
import { start, withCommittee } from './helpers/validator.js';

const load = (name: string): ManifestDoc => parseManifest(JSON.parse(readFileSync(new URL(`../models/${name}.json`, import.meta.url), 'utf8')));
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
const EXAMPLE = new Map<number, RegisteredTask>(Object.values(TASKS).map((x) => [x.id, { computeUnits: x.cu, inputs: [...x.inputs], outputs: [...x.outputs] }]));
const known = (id: number) => EXAMPLE.get(id);

/** Each rule of the program, broken by one edit of a shipped manifest. */
const BROKEN: Array<{ rule: string; base: string; edit: (m: ManifestDoc) => void }> = [
  { rule: 'BadParameter', base: 'diamond', edit: (m) => { m.tasks[1]!.computeUnits = 0; } },
  { rule: 'BadTensorSpec', base: 'diamond', edit: (m) => { m.tasks[1]!.outputs![0]!.shape = [1, 0]; } },
  { rule: 'DagUnknownTask', base: 'diamond-registered', edit: (m) => { m.tasks[2]!.taskId = 99; } },
  { rule: 'DagInputUnsatisfied', base: 'diamond', edit: (m) => { m.connections = m.connections.filter((c) => c.to !== 'join:1'); } },
  { rule: 'DagInputUnsatisfied', base: 'diamond', edit: (m) => { m.connections.find((c) => c.to === 'join:1')!.from = 'right:2'; } },
  { rule: 'DagSpecMismatch', base: 'diamond', edit: (m) => { m.tasks[2]!.outputs![0]!.shape = [1, 5]; } },
  { rule: 'DagBadModelOutput', base: 'diamond', edit: (m) => { m.outputs[0]!.from = 'join:1'; } },
  { rule: 'DagRedundantTask', base: 'diamond-registered', edit: (m) => { m.tasks.push({ name: 'right-again', taskId: 3 }); m.connections.push({ from: 'embed:0', to: 'right-again:0' }); } },
  { rule: 'DagCycle', base: 'diamond', edit: (m) => {
    // join's second input comes from a new task fed by join itself
    m.tasks.push({ name: 'loop', computeUnits: 1000, inputs: [{ dtype: 'f32', shape: [1, 4] }], outputs: [{ dtype: 'f32', shape: [1, 4] }] });
    m.connections = m.connections.filter((c) => c.to !== 'join:1');
    m.connections.push({ from: 'join:0', to: 'loop:0' }, { from: 'loop:0', to: 'join:1' }, { from: 'right:0', to: 'loop:0' });
    m.connections = m.connections.filter((c) => !(c.from === 'right:0' && c.to === 'loop:0'));
    m.tasks[2] = { ...m.tasks[2]!, outputs: [{ dtype: 'f32', shape: [1, 4] }] };
    m.outputs = [{ name: 'y', from: 'join:0' }, { name: 'r', from: 'right:0' }];
  } },
  { rule: 'DagOrphanOutput', base: 'diamond', edit: (m) => { m.tasks.push({ name: 'spare', computeUnits: 1000, inputs: [{ dtype: 'f32', shape: [1, 8] }], outputs: [{ dtype: 'f32', shape: [1, 2] }] }); m.connections.push({ from: 'embed:0', to: 'spare:0' }); } },
  { rule: 'DagOrphanOutput', base: 'diamond', edit: (m) => { m.inputs.push({ name: 'unused', dtype: 'f32', shape: [2] }); } },
];

t.test('the shipped manifests plan without a refusal', async (t) => {
  const d = planManifest(load('diamond'), known);
  t.equal(d.newTasks.length, 4);
  t.same(d.nodes.map((n) => n.sources), [[{ node: 'input', slot: 0 }], [{ node: 0, slot: 0 }], [{ node: 0, slot: 0 }], [{ node: 1, slot: 0 }, { node: 2, slot: 0 }]], 'the diamond\'s sources are the built-in model\'s');
  t.same(d.newTasks.map((x) => x.computeUnits), Object.values(TASKS).map((x) => x.cu));
  const r = planManifest(load('diamond-registered'), known);
  t.same(r.nodes.map((n) => n.task), [1, 2, 3, 4].map((registered) => ({ registered })));
  t.equal(r.newTasks.length, 0);
  const w = planManifest(load('wide-dag'), known);
  t.equal(w.nodes.length, 8);
  t.same(w.outputs, [{ node: 7, slot: 0 }, { node: 6, slot: 0 }]);
});

t.test('each rule is refused locally, named', async (t) => {
  for (const b of BROKEN) {
    const m = clone(load(b.base));
    b.edit(m);
    t.throws(() => planManifest(parseManifest(m), known), { name: 'ManifestError', rule: b.rule }, b.rule);
    t.match((() => { try { planManifest(m, known); return ''; } catch (e) { return (e as Error).message; } })(), new RegExp(`^${b.rule}: `));
  }
  // what only the manifest can get wrong
  const bad = (edit: (m: ManifestDoc) => void) => { const m = clone(load('diamond')); edit(m); return () => planManifest(parseManifest(m), known); };
  t.throws(bad((m) => { (m as { version: string }).version = 'splitup/model-manifest/v0'; }), { name: 'ManifestError', rule: 'ManifestSchema' });
  t.throws(bad((m) => { (m.tasks[0] as unknown as Record<string, unknown>).extra = 1; }), { name: 'ManifestError', rule: 'ManifestSchema' });
  t.throws(bad((m) => { m.tasks[0]!.taskId = 1; }), { name: 'ManifestError', rule: 'ManifestSchema', message: /either registered \("taskId" alone\) or new/ }, 'a task is either registered (taskId) or declared, not both');
  t.throws(bad((m) => { delete m.tasks[0]!.outputs; }), { name: 'ManifestError', rule: 'ManifestSchema', message: /either registered/ }, 'a new task declares its outputs');
  t.throws(bad((m) => { m.tasks[1]!.name = 'embed'; }), { name: 'ManifestError', rule: 'ManifestSchema' }, 'task names are unique');
  t.throws(bad((m) => { m.connections[1]!.from = 'nowhere:0'; }), { name: 'ManifestError', rule: 'BadConnection' });
  t.throws(bad((m) => { m.connections.push({ from: 'embed:0', to: 'join:1' }); }), { name: 'ManifestError', rule: 'BadConnection' }, 'an input with two sources');
  t.throws(bad((m) => { m.tasks[0]!.weights = ['cas://xyz']; }), { name: 'ManifestError', rule: 'BadWeightUri' });
  t.throws(bad((m) => { m.tasks[0]!.inputs![0]!.dtype = 'f8'; }), { name: 'ManifestError', rule: 'BadTensorSpec' });
  t.throws(bad((m) => { m.tasks[0]!.inputs![0]!.shape = [1, 1, 1, 1, 8]; }), { name: 'ManifestError', rule: 'BadTensorSpec' });
  t.ok(new ManifestError('DagCycle', 'x') instanceof Error);
});

t.test('on chain: the manifests register; with the local check bypassed the program refuses each rule under the same name', async (t) => {
  const v = await start(t, 50);
  const { chain } = await withCommittee(v.url);
  const author = Keypair.generate();
  await airdrop(chain, author.publicKey, 20n * BigInt(LAMPORTS_PER_SOL));
  const registered = async (m: ManifestDoc) => { const ids = m.tasks.flatMap((x) => (x.taskId ? [x.taskId] : [])); const map = await registeredTasks(chain, ids); return (id: number) => map.get(id); };

  for (const b of BROKEN) {
    const before = (await chain.committee())!;
    const m = clone(load(b.base));
    b.edit(m);
    const plan = planManifest(m, await registered(m), { check: false });
    const err = await registerPlan(chain, author, plan).then(() => null, (e) => e);
    t.equal(asProgramError(err)?.errorName, b.rule, `the program refuses: ${b.rule}`);
    const after = (await chain.committee())!;
    t.same([after.taskCount, after.modelCount], [before.taskCount, before.modelCount], 'nothing registered');
  }

  for (const name of ['diamond', 'diamond-registered', 'wide-dag']) {
    const m = load(name);
    const plan = planManifest(m, await registered(m));
    const before = (await chain.committee())!;
    const r = await registerPlan(chain, author, plan);
    t.equal(r.modelId, before.modelCount + 1, `${name}: the next model id`);
    // eight tasks and the model exceed one 1232-byte transaction: the tasks go first, then the model
    t.equal(r.transactions, name === 'wide-dag' ? 2 : 1, `${name}: ${name === 'wide-dag' ? 'tasks, then the model' : 'tasks and model in one transaction'}`);
    const model = (await chain.model(r.modelId))!;
    t.same(model.nodes.map((n) => n.taskId), plan.nodes.map((n) => ('registered' in n.task ? n.task.registered : r.taskIds[n.task.new])), `${name}: the nodes' tasks`);
    t.same(model.outputs, plan.outputs);
    for (const [k, nt] of plan.newTasks.entries()) t.same((await chain.task(r.taskIds[k]!))!.outputs, nt.outputs);
  }
  t.same((await chain.models()).map((m) => m.modelId), [1, 2, 3, 4], 'models() lists the committee\'s models');
});
