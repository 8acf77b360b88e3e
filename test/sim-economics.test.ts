// Compute nodes in the chain simulator: tasks computed, reported, sampled, verified, paid and
// slashed by the real program; each strategy's economics measured from the chain's books.
import t from 'tap';
import { runChainSim, sweepEconomics } from '../src/sim/chain-sim.js';

t.test('compute agents: tasks are computed and settled on chain, PoSP catches and slashes the cheater, a flapping node\'s task is reassigned', async (t) => {
  // node 0 cheats; node 5 goes down from 4.5 s to 12 s (its task times out and is reassigned)
  const o = { n: 4, seed: 5, computeNodes: 6, requests: 12, requestEveryMs: 300, agents: { cheaters: [0] }, pPpm: 500_000, flapping: [{ node: 5, from: 4500, to: 12_000 }] };
  const r = await runChainSim(o, 36_000);
  t.same(r.violations, [], 'quorum and selection hold for every assignment (compute, reassignment, verification); books balance; no honest node slashed');
  t.equal(r.executionsDone, 12, 'every execution completes');
  t.equal(r.tasksDone, 48);
  t.ok(r.assignmentsChecked > 48, `${r.assignmentsChecked} assignments checked, verifications included`);
  const ec = r.economics!;
  t.ok(ec.cheater!.caught >= 1, `the cheater was caught ${ec.cheater!.caught} time(s) in ${ec.cheater!.sampled} samples`);
  t.equal(ec.cheater!.slashedNodes, 1, 'and slashed below its stake');
  t.equal(ec.honest.caught, 0, 'no honest result mismatches');
  t.equal(ec.honest.gainPerTaskC, 0, 'an honest node is paid exactly what computing cost it');
  t.ok(ec.cheater!.gainPerTaskC < 0, `cheating lost ${ec.cheater!.gainPerTaskC.toFixed(2)} C per task at p = 0.5`);
  const perNode = ec.perNode;
  const cheater = perNode.find((x) => x.strategy === 'cheater')!;
  t.equal(cheater.status, 'Slashed');
  for (const h of perNode.filter((x) => x.strategy === 'honest')) t.ok(BigInt(h.earned) - BigInt(h.slashed) - BigInt(h.computeCost) > BigInt(cheater.earned) - BigInt(cheater.slashed) - BigInt(cheater.computeCost), `honest node ${h.node.slice(0, 6)} nets more than the cheater`);
  t.ok(r.reassigned >= 1, `${r.reassigned} task(s) reassigned after the flapping node's timeout`);
  t.ok(perNode[5]!.compute + perNode[5]!.verify > 0, 'the flapping node works while it is up');
  const again = await runChainSim(o, 36_000);
  t.same(again, r, 'same seed, same run');
});

t.test('economics over seeds: the ratio of sums, the measured collusion rate and the formula', async (t) => {
  // 2 cheaters of 5 nodes: a sampled cheated task meets the other cheater as validator 1 time in 4
  const runs = [];
  for (const seed of [11, 12]) runs.push(await runChainSim({ n: 4, seed, computeNodes: 5, requests: 8, requestEveryMs: 300, agents: { cheaters: [0, 1] }, pPpm: 400_000 }, 20_000));
  const sw = sweepEconomics(runs);
  t.same(sw.unsafe, [], 'both runs safe');
  t.same(sw.unfinished, [], 'every execution finished');
  t.equal(sw.honest.tasks + sw.cheater!.tasks, 64, 'every task of 2 × 8 executions settled and counted once');
  const sums = runs.reduce((a, r) => a + r.economics!.cheater!.gainPerTaskC * r.economics!.cheater!.tasks, 0);
  t.ok(Math.abs(sw.cheater!.gainPerTaskC - sums / sw.cheater!.tasks) < 1e-9, 'the aggregate is the ratio of the sums');
  const r = sw.cheater!.colludedFraction;
  t.ok(Math.abs(sw.formulaGainPerTaskC!.onChain - (1 - 0.4 * (1 - r) * 12.2)) < 1e-9, `formula evaluated at the measured r = ${r.toFixed(3)}`);
  t.ok(BigInt(sw.cheater!.net) < 0n, `cheaters lost ${sw.cheater!.net} lamports in all`);
});
