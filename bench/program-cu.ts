// Compute units per instruction of the SplitUp program, measured in LiteSVM (the runtime's
// own metering), for n = 3 and n = 10 committees; writes bench/results/program-cu.json.
// Instructions that create an account vary by up to ~6k CU with the PDA's bump search (1 500 CU
// per try), which depends on the program id and seeds: a fixed program id makes runs comparable.
//   npx tsx bench/program-cu.ts
import { Keypair, PublicKey, SystemProgram } from '@solana/web3.js';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { LocalChain } from '../src/chain/local-chain.js';
import { runToDone } from '../test/helpers/chain.js';
import { DEFAULT_PARAMS, USDC } from '../src/chain/program.js';

function measure(n: number): Record<string, number> {
  const cu: Record<string, number> = {};
  const note = (name: string, r: { computeUnits: bigint }) => { cu[name] = Math.max(cu[name] ?? 0, Number(r.computeUnits)); };
  // a fixed program id and committee authority (every address derives from the committee's)
  const c = new LocalChain(n, new PublicKey('SpLitUp111111111111111111111111111111111111'), undefined, Keypair.fromSeed(createHash('sha256').update('splitup/bench/authority').digest()));
  note('initCommittee', c.initCommittee({ ...DEFAULT_PARAMS, pPpm: 1_000_000 })); // p = 1: every task verified
  const a = c.authority;
  note('registerTask', c.ok([a], c.program.registerTask(a.publicKey, 1, 10_000n, [{ dtype: 1, shape: [1, 8] }], [{ dtype: 1, shape: [1, 8] }])));
  for (const x of [2, 3, 4]) c.ok([a], c.program.registerTask(a.publicKey, x, 10_000n, x === 4 ? [{ dtype: 1, shape: [1, 8] }, { dtype: 1, shape: [1, 8] }] : [{ dtype: 1, shape: [1, 8] }], [{ dtype: 1, shape: [1, 8] }]));
  note('registerModel (4 tasks)', c.registerModel(1, {
    inputs: [{ dtype: 1, shape: [1, 8] }],
    nodes: [{ taskId: 1, sources: [{ node: 'input', slot: 0 }] }, { taskId: 2, sources: [{ node: 0, slot: 0 }] }, { taskId: 3, sources: [{ node: 0, slot: 0 }] }, { taskId: 4, sources: [{ node: 1, slot: 0 }, { node: 2, slot: 0 }] }],
    outputs: [{ node: 3, slot: 0 }],
  }));
  const mk = () => { const k = Keypair.generate(); c.svm.airdrop(k.publicKey, 10_000_000_000n); c.fund(k.publicKey, 100_000n * USDC); return k; };
  const asserter = mk(), validator = mk(), requester = mk();
  note('registerNode', c.ok([asserter], c.program.registerNode(asserter.publicKey, 24)));
  c.ok([validator], c.program.registerNode(validator.publicKey, 24));
  note('specialize (4 tasks)', c.ok([asserter], c.program.specialize(asserter.publicKey, [1, 2, 3, 4])));
  c.ok([validator], c.program.specialize(validator.publicKey, [1, 2, 3, 4]));
  note('requestModelExecution', c.ok([requester], c.program.requestExecution(requester.publicKey, 1, 1n, 'cas://input', 10_000_000_000n)));
  const X = c.program.executionId(requester.publicKey, 1n);
  const q = c.committee().q;
  const vote = (name: string | null, ti: number, node: Keypair) => {
    const attempt = c.execution(X).tasks[ti]!.attempt;
    for (let i = 0; i < q; i++) { const r = c.ok([c.oracles[i]!], c.program.assignTask(c.oracles[i]!.publicKey, X, ti, attempt, node.publicKey)); if (name) note(i < q - 1 ? `${name} (vote)` : `${name} (quorum vote, locks R + S)`, r); }
  };
  const arb = [mk(), mk(), mk()];
  for (const k of arb) { c.ok([k], c.program.registerNode(k.publicKey, 24)); c.ok([k], c.program.specialize(k.publicKey, [1, 2, 3, 4])); }
  // task 0: compute, sampled (p = 1), validator disagrees, three arbiters decide
  vote('assignTask', 0, asserter);
  const ac0 = c.commitResult(asserter, X, 0, createHash('sha256').update('x').digest());
  note('commit (asserter)', ac0.result);
  c.svm.advanceSlots(2);
  note('settle (sampled)', c.settleTask(X, 0));
  vote(null, 0, validator);
  const v = c.commitResult(validator, X, 0, createHash('sha256').update('wrong').digest());
  note('commit (validator)', v.result);
  note('reveal (validator fingerprint)', c.revealResult(validator, X, 0, v, 'fingerprint'));
  note('reveal (asserter fingerprint, dispute opens)', c.revealResult(asserter, X, 0, ac0, 'fingerprint'));
  const ac = arb.map((k, i) => { vote(null, 0, k); const r = c.commitResult(k, X, 0, ac0.output); note(i < 2 ? 'commit (arbiter, next selection opens)' : 'commit (last arbiter)', r.result); return r; });
  note('reveal (arbiter)', c.revealResult(arb[0]!, X, 0, ac[0]!));
  c.revealResult(arb[1]!, X, 0, ac[1]!);
  note('reveal (last arbiter: dispute resolved, slash, 4 payments, 2 successors)', c.revealResult(arb[2]!, X, 0, ac[2]!));
  // task 1: sampled, the validator matches
  vote(null, 1, asserter);
  const a1 = c.commitResult(asserter, X, 1, createHash('sha256').update('y').digest());
  c.svm.advanceSlots(2);
  c.settleTask(X, 1);
  vote(null, 1, arb[0]!);
  const v1 = c.commitResult(arb[0]!, X, 1, a1.output);
  c.revealResult(arb[0]!, X, 1, v1, 'fingerprint');
  note('reveal (asserter output on a match: 2 payments)', c.revealResult(asserter, X, 1, a1));
  // task 2: an assignment that lapses
  vote(null, 2, arb[1]!);
  c.svm.advanceSlots(c.execution(X).tasks[2]!.timeoutSlots + 1);
  note('timeout (lapse: penalty, exclusion, new selection)', c.timeoutTask(X, 2));
  note('exitNode', c.ok([arb[2]!], c.program.exitNode(arb[2]!.publicKey)));
  note('closeNode', c.ok([arb[2]!], c.program.closeNode(arb[2]!.publicKey)));
  note('withdrawTreasury', c.ok([c.authority], c.program.withdrawTreasury(c.authority.publicKey, c.program.tokenAccountOf(requester.publicKey), c.committee().treasury)));
  // a node address funded before registration: transfer of the shortfall, allocate and assign
  const pre = mk();
  c.ok([requester], SystemProgram.transfer({ fromPubkey: requester.publicKey, toPubkey: c.program.nodeAddress(pre.publicKey), lamports: 890_880 }));
  note('registerNode (address pre-funded)', c.ok([pre], c.program.registerNode(pre.publicKey, 24)));
  // a whole execution, then closed by its requester
  c.ok([requester], c.program.requestExecution(requester.publicKey, 1, 2n, 'cas://input-2', 10_000_000_000n));
  const Y = c.program.executionId(requester.publicKey, 2n);
  const honest = [mk(), mk(), mk()];
  for (const k of honest) { c.ok([k], c.program.registerNode(k.publicKey, 24)); c.ok([k], c.program.specialize(k.publicKey, [1, 2, 3, 4])); }
  runToDone(c, Y, honest);
  note('closeExecution', c.ok([requester], c.program.closeExecution(requester.publicKey, Y)));
  return cu;
}

const results = { n3: measure(3), n10: measure(10) };
console.log('instruction'.padEnd(42), 'n=3'.padStart(7), 'n=10'.padStart(7));
for (const k of Object.keys(results.n3)) console.log(k.padEnd(42), String(results.n3[k]).padStart(7), String(results.n10[k] ?? '').padStart(7));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/program-cu.json', import.meta.url), JSON.stringify({ measuredAt: new Date().toISOString(), computeBudgetPerInstruction: 200_000, computeUnits: results }, null, 2) + '\n');
