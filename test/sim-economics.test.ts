// Compute nodes in the chain simulator: tasks computed, committed, revealed, sampled, verified,
// disputed, paid, slashed and penalized by the real program; each strategy's economics measured
// from the chain's books, which are checked exact.
import t from 'tap';
import { runChainSim } from '../src/sim/chain-sim.js';

t.test('compute agents: tasks settle on chain, PoSP catches and slashes the cheater, a flapping node\'s task is reassigned', async (t) => {
  // node 0 cheats; node 5 goes down from 4.5 s to 12 s (its task lapses and is reassigned)
  // seed 1: a run in which node 5 holds a task when it goes down (the seeds that give it one moved with
  // issue 17's hashed execution ids and again with issue 14's attestation tables)
  const o = { n: 4, seed: 1, computeNodes: 6, requests: 12, requestEveryMs: 300, agents: { cheaters: [0] }, pPpm: 500_000, flapping: [{ node: 5, from: 4500, to: 12_000 }] };
  const r = await runChainSim(o, 40_000);
  t.same(r.violations, [], 'quorum and selection hold for every assignment; no honest node slashed; books exact');
  t.equal(r.executionsDone, 12, 'every execution completes');
  t.ok(r.assignmentsChecked > 48, `${r.assignmentsChecked} assignments checked, verifications and arbiters included`);
  const ec = r.economics!;
  t.equal(ec.conservation.left, ec.conservation.right, 'Σ earned + treasury = escrow paid out + Σ slashed + Σ penalized');
  const cheater = ec.strategies.cheater!, honest = ec.strategies.honest!;
  t.ok(cheater.slashes >= 1, `the cheater was caught ${cheater.slashes} time(s) in ${cheater.sampled} samples`);
  t.equal(cheater.slashedNodes, 1, 'and slashed below its stake');
  t.equal(honest.slashes, 0, 'no honest node slashed');
  t.ok(cheater.gainPerTaskC < 0, `cheating lost ${cheater.gainPerTaskC.toFixed(2)} C per task at p = 0.5`);
  t.ok(honest.gainPerTaskC > cheater.gainPerTaskC, `honest ${honest.gainPerTaskC.toFixed(3)} C per task`);
  t.ok(r.reassigned >= 1, `${r.reassigned} task(s) reassigned after the flapping node's lapse`);
  const again = await runChainSim(o, 40_000);
  t.same(again, r, 'same seed, same run');
});
