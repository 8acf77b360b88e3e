// Compute units per instruction of the SplitUp program, measured in LiteSVM (the runtime's
// own metering), for n = 3 and n = 10 committees; writes bench/results/program-cu.json.
// Instructions that create an account vary by up to ~6k CU with the PDA's bump search (1 500 CU
// per try), which depends on the program id and seeds: a fixed program id makes runs comparable.
//   npx tsx bench/program-cu.ts
import { Keypair, PublicKey } from '@solana/web3.js';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { LocalChain } from '../src/chain/local-chain.js';
import { DEFAULT_PARAMS } from '../src/chain/program.js';
import { VERIFY_ATTEMPT } from '../src/chain/layout.js';

function measure(n: number): Record<string, number> {
  const cu: Record<string, number> = {};
  const note = (name: string, r: { computeUnits: bigint }) => { cu[name] = Math.max(cu[name] ?? 0, Number(r.computeUnits)); };
  const c = new LocalChain(n, new PublicKey('SpLitUp111111111111111111111111111111111111'));
  note('initCommittee', c.initCommittee({ ...DEFAULT_PARAMS, pPpm: 1_000_000 })); // p = 1: every task verified
  const a = c.authority;
  note('registerTask', c.ok([a], c.program.registerTask(a.publicKey, 1, 10_000n, [{ dtype: 1, shape: [1, 8] }], [{ dtype: 1, shape: [1, 8] }])));
  for (const x of [2, 3, 4]) c.ok([a], c.program.registerTask(a.publicKey, x, 10_000n, x === 4 ? [{ dtype: 1, shape: [1, 8] }, { dtype: 1, shape: [1, 8] }] : [{ dtype: 1, shape: [1, 8] }], [{ dtype: 1, shape: [1, 8] }]));
  note('registerModel (4 tasks)', c.registerModel(7, {
    inputs: [{ dtype: 1, shape: [1, 8] }],
    nodes: [{ taskId: 1, sources: [{ node: 'input', slot: 0 }] }, { taskId: 2, sources: [{ node: 0, slot: 0 }] }, { taskId: 3, sources: [{ node: 0, slot: 0 }] }, { taskId: 4, sources: [{ node: 1, slot: 0 }, { node: 2, slot: 0 }] }],
    outputs: [{ node: 3, slot: 0 }],
  }));
  const mk = () => { const k = Keypair.generate(); c.svm.airdrop(k.publicKey, 100_000_000_000n); return k; };
  const asserter = mk(), validator = mk(), requester = mk();
  note('registerNode', c.ok([asserter], c.program.registerNode(asserter.publicKey, 24)));
  c.ok([validator], c.program.registerNode(validator.publicKey, 24));
  note('specialize (4 tasks)', c.ok([asserter], c.program.specialize(asserter.publicKey, [1, 2, 3, 4])));
  c.ok([validator], c.program.specialize(validator.publicKey, [1, 2, 3, 4]));
  note('requestModelExecution', c.ok([requester], c.program.requestExecution(requester.publicKey, 7, 1n, 'cas://input', 10_000_000_000n)));
  const q = c.committee().q;
  const ctx = { asserter: asserter.publicKey, requester: requester.publicKey, modelId: 7 };
  for (let i = 0; i < q; i++) note(i < q - 1 ? 'assignTask (vote)' : 'assignTask (quorum vote)', c.ok([c.oracles[i]!], c.program.assignTask(c.oracles[i]!.publicKey, 1n, 0, 0, asserter.publicKey)));
  const output = createHash('sha256').update('x').digest();
  note('report (completion)', c.ok([asserter], c.program.report(asserter.publicKey, 1n, 0, 0, output, ctx)));
  c.svm.advanceSlots(2);
  note('settle (sampled)', c.ok([a], c.program.settle(1n, 0, ctx)));
  for (let i = 0; i < q; i++) c.ok([c.oracles[i]!], c.program.assignTask(c.oracles[i]!.publicKey, 1n, 0, VERIFY_ATTEMPT, validator.publicKey));
  note('report (verification, mismatch + slash)', c.ok([validator], c.program.report(validator.publicKey, 1n, 0, VERIFY_ATTEMPT, new Uint8Array(32), ctx)));
  // a timeout on task 1
  for (let i = 0; i < q; i++) c.ok([c.oracles[i]!], c.program.assignTask(c.oracles[i]!.publicKey, 1n, 1, 0, validator.publicKey));
  c.svm.advanceSlots(c.execution(1n).tasks[1]!.timeoutSlots + 1);
  note('timeout', c.ok([a], c.program.timeout(1n, 1, validator.publicKey)));
  note('exitNode', c.ok([asserter], c.program.exitNode(asserter.publicKey)));
  return cu;
}

const results = { n3: measure(3), n10: measure(10) };
console.log('instruction'.padEnd(42), 'n=3'.padStart(7), 'n=10'.padStart(7));
for (const k of Object.keys(results.n3)) console.log(k.padEnd(42), String(results.n3[k]).padStart(7), String(results.n10[k] ?? '').padStart(7));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/program-cu.json', import.meta.url), JSON.stringify({ measuredAt: new Date().toISOString(), computeBudgetPerInstruction: 200_000, computeUnits: results }, null, 2) + '\n');
