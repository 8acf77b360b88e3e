// `splitup-chain model register|show|list` as a model developer runs them: real CLI processes
// against an in-process validator over LiteSVM. A manifest the local check refuses exits 2 with
// one line naming the rule; sent with --no-check, the program refuses it under the same name and
// nothing is registered. The least max fee `model show` states is the program's, and `result` shows a
// running execution.
import t from 'tap';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keypair, LAMPORTS_PER_SOL } from '@solana/web3.js';
import { USDC } from '../src/chain/program.js';
import { airdrop, faucet } from '../src/chain/bootstrap.js';
import { asProgramError } from '../src/chain/client.js';
import { minimumFee } from '../src/requester/requester.js';
import { start, withCommittee, programId } from './helpers/validator.js';
import { tempDir } from './helpers/oracle.js';
import { runCli } from './helpers/cli.js';

const bin = new URL('../bin/chain.js', import.meta.url).pathname;
const models = new URL('../models/', import.meta.url).pathname;
const run = (args: string[]) => runCli(bin, args);

t.test('model register, show, list; refusals named locally and by the program', async (t) => {
  const v = await start(t, 50);
  const { chain, authority } = await withCommittee(v.url);
  const { dir, cleanup } = tempDir('splitup-model-cli-');
  t.teardown(cleanup);
  const base = ['--rpc', v.url, '--program-id', programId.toBase58(), '--authority', authority.publicKey.toBase58()];
  const author = join(dir, 'author.json');

  const r1 = await run(['model', 'register', ...base, '--key', author, '--airdrop', '5', '--manifest', join(models, 'diamond-registered.json')]);
  t.equal(r1.status, 0, r1.stderr);
  const reg1 = JSON.parse(r1.stdout);
  t.equal(reg1.modelId, 2, 'the committee\'s second model (bootstrap registered the first)');
  t.same(reg1.tasks.map((x: { taskId: number; new: boolean }) => [x.taskId, x.new]), [[1, false], [2, false], [3, false], [4, false]]);
  const r2 = await run(['model', 'register', ...base, '--key', author, '--manifest', join(models, 'wide-dag.json')]);
  t.equal(r2.status, 0, r2.stderr);
  const reg2 = JSON.parse(r2.stdout);
  t.equal(reg2.modelId, 3);
  t.same(reg2.tasks.map((x: { taskId: number }) => x.taskId), [5, 6, 7, 8, 9, 10, 11, 12], 'eight new tasks, ids in order');
  t.same(reg2.tasks[0].weights, JSON.parse(readFileSync(join(models, 'wide-dag.json'), 'utf8')).tasks[0].weights);

  const show = await run(['model', 'show', '3', ...base]);
  t.equal(show.status, 0, show.stderr);
  const m3 = JSON.parse(show.stdout);
  t.equal(m3.author, reg2.author);
  t.same(m3.inputs, [{ dtype: 'f32', shape: [1, 16] }, { dtype: 'f32', shape: [1, 16] }]);
  t.same(m3.tasks[2].outputs, [{ dtype: 'f32', shape: [1, 32] }, { dtype: 'f32', shape: [1, 32] }], 'mix has two outputs');
  t.equal(m3.connections.length, 11);
  t.same(m3.outputs, ['node7(task 12):0', 'node6(task 11):0']);
  t.equal(m3.computeUnits, String(40000 + 8000 + 30000 + 3 * 25000 + 12000 + 6000));
  // the least max fee `model show` states is the program's: one lamport less is refused, that much accepted
  const requester = Keypair.generate();
  await airdrop(chain, requester.publicKey, 5n * BigInt(LAMPORTS_PER_SOL)); // fees and rent
  await faucet(chain, requester, requester.publicKey, 1_000_000n * USDC); // test USDC for the escrows
  const min = BigInt(m3.minimumFee);
  t.equal(min, minimumFee((await chain.committee())!, (await chain.model(3))!));
  const short = await chain.send([requester], [chain.program.requestExecution(requester.publicKey, 3, 1n, 'cas://' + '00'.repeat(32), min - 1n)]).then(() => null, (e) => e);
  t.equal(asProgramError(short)?.errorName, 'FeeTooLow', 'minimumFee - 1: FeeTooLow');
  await chain.send([requester], [chain.program.requestExecution(requester.publicKey, 3, 2n, 'cas://' + '00'.repeat(32), min)]);
  const pending = await run(['result', String(chain.program.executionId(requester.publicKey, 2n)), ...base]);
  t.equal(pending.status, 0, pending.stderr);
  const st = JSON.parse(pending.stdout);
  t.same([st.status, st.done, st.tasks, st.escrow], ['running', 0, 8, String(min)], 'result: a running execution, its escrow the max fee');
  t.same(st.taskStates.map((x: { phase: string }) => x.phase), ['Ready', 'Ready', 'Pending', 'Pending', 'Pending', 'Pending', 'Pending', 'Pending'], 'the two tasks fed by model inputs are ready');
  t.notOk('outputs' in st);

  const list = await run(['model', 'list', ...base]);
  t.equal(list.status, 0, list.stderr);
  t.same(JSON.parse(list.stdout).models.map((m: { modelId: number; tasks: number[] }) => [m.modelId, m.tasks]), [[1, [1, 2, 3, 4]], [2, [1, 2, 3, 4]], [3, [5, 6, 7, 8, 9, 10, 11, 12]]]);

  // a cycle: join's second input comes from a new task that join feeds (right's output stays a model output)
  const cyc = JSON.parse(readFileSync(join(models, 'diamond-registered.json'), 'utf8'));
  cyc.tasks.push({ name: 'again', computeUnits: 1000, inputs: [{ dtype: 'f32', shape: [1, 4] }], outputs: [{ dtype: 'f32', shape: [1, 4] }] });
  cyc.connections = cyc.connections.filter((c: { to: string }) => c.to !== 'join:1').concat([{ from: 'join:0', to: 'again:0' }, { from: 'again:0', to: 'join:1' }]);
  cyc.outputs.push({ name: 'r', from: 'right:0' });
  const cycFile = join(dir, 'cycle.json');
  writeFileSync(cycFile, JSON.stringify(cyc));
  const local = await run(['model', 'register', ...base, '--key', author, '--manifest', cycFile]);
  t.equal(local.status, 2, 'refused locally: exit 2');
  t.match(local.stderr, /^error: DagCycle: .*\(rule: no cycles\)\n$/, 'one line naming the rule');
  const onChain = await run(['model', 'register', ...base, '--key', author, '--manifest', cycFile, '--no-check']);
  t.equal(onChain.status, 2, 'refused by the program: exit 2');
  t.match(onChain.stderr, /^error: the program refused: DagCycle: .*\(rule: no cycles\)\n$/, 'the program\'s rule, one line');
  const c = (await chain.committee())!;
  t.same([c.modelCount, c.taskCount], [3, 12], 'the refused manifest registered nothing (its task and the model were one transaction)');

  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"version": "splitup/model-manifest/v1"');
  const unparsable = await run(['model', 'register', ...base, '--key', author, '--manifest', bad]);
  t.equal(unparsable.status, 2);
  t.match(unparsable.stderr, /^error: ManifestSchema: /);
  const missing = await run(['model', 'show', '9', ...base]);
  t.equal(missing.status, 2);
  t.match(missing.stderr, /UnknownModel: model 9/);

  // task groups: registered and shown; a group that a path leaves and re-enters refused by name, locally and by the program
  const g = await run(['model', 'register', ...base, '--key', author, '--manifest', join(models, 'deep-chain-grouped.json')]);
  t.equal(g.status, 0, g.stderr);
  const gid = JSON.parse(g.stdout).modelId;
  const gshow = await run(['model', 'show', String(gid), ...base]);
  t.equal(gshow.status, 0, gshow.stderr);
  t.same(JSON.parse(gshow.stdout).groups.map((x: { nodes: string[]; vramGb: number }) => [x.nodes.length, x.vramGb]), [[5, 40], [3, 32]], 'model show lists the groups');
  const nonConvex = { ...JSON.parse(readFileSync(join(models, 'diamond-registered.json'), 'utf8')), groups: [{ name: 'g', tasks: ['embed', 'left', 'join'], vramGb: 40 }] };
  const ncFile = join(dir, 'non-convex.json');
  writeFileSync(ncFile, JSON.stringify(nonConvex));
  const ncLocal = await run(['model', 'register', ...base, '--key', author, '--manifest', ncFile]);
  t.equal(ncLocal.status, 2);
  t.match(ncLocal.stderr, /^error: DagBadGroup: group "g": a path leaves the group through node 2 and comes back \(rule: convex groups\)\n$/);
  const ncChain = await run(['model', 'register', ...base, '--key', author, '--manifest', ncFile, '--no-check']);
  t.equal(ncChain.status, 2);
  t.match(ncChain.stderr, /^error: the program refused: DagBadGroup: a path leaves the group and comes back \(rule: convex groups\)\n$/);
});
