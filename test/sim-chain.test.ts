// Selection and the chain in the simulator: the real chain loops and the real program in
// virtual time, with the assignment checkers.
import t from 'tap';
import { runChainSim } from '../src/sim/chain-sim.js';

t.test('honest committee: every request assigned with a quorum, equal to the re-derived selection, fairly', async (t) => {
  const r = await runChainSim({ n: 4, seed: 1, computeNodes: 5, requests: 60, requestEveryMs: 150 }, 16_000);
  t.same(r.violations, [], 'no assignment without q matching votes or off its ECVRF proof');
  t.equal(r.foreignVotes, 0, 'honest oracles all vote the proof\'s node');
  t.equal(r.assigned, 60, 'every request assigned');
  t.ok(r.assignmentLatencyMs.p99! < 1000, `assignment latency p50 ${r.assignmentLatencyMs.p50} / p99 ${r.assignmentLatencyMs.p99} virtual ms`);
  // 60 selections over 5 nodes, 4 degrees of freedom: chi-square above 18.47 has probability 0.001
  t.ok(r.chiSquare! < 18.47, `chi-square ${r.chiSquare!.toFixed(2)} (uniform selection)`);
});

t.test('a withholding (silent) oracle, a crash and message loss: fallback provers keep assigning, safely', async (t) => {
  // Requests opened while oracle 2 is down: before the fix, the restarted oracle counted their fallback
  // schedule from its restart and proved at an earlier rank than the others had voted, so the votes
  // split 2-1 and the request waited for its selection to expire (16 s; seeds 3, 4, 7, 8, 9 each left
  // 1-2 of 15 unassigned in this 16 s run, 113 of 1,200 over seeds 1-80). Now it follows for one proof
  // timeout (votes a proof it hears, or joins f + 1 votes on chain) and voters re-publish the proof
  // they followed: every request assigned, within 5 s.
  for (const seed of [2, 3, 4, 8]) {
    const r = await runChainSim({ n: 4, seed, computeNodes: 5, requests: 15, requestEveryMs: 400, byzantine: { 1: 'silent' }, network: { dropRate: 0.05 }, crashes: [{ i: 2, from: 6000, to: 8000 }] }, 16_000);
    t.same(r.violations, [], `seed ${seed}: checkers pass`);
    t.ok(r.safe);
    t.equal(r.assigned, 15, `seed ${seed}: every request assigned`);
    t.ok(r.assignmentLatencyMs.max! < 6000, `seed ${seed}: slowest assignment ${r.assignmentLatencyMs.max} ms (virtual)`);
  }
});

t.test('a proof whose prover crashed right after sending it still gathers a quorum', async (t) => {
  // oracle 0 proves and crashes at once; oracle 3 is down at the same moment and never hears the proof.
  // Oracles 1 and 2 re-publish the proof their votes followed, so oracle 3 joins them on its return
  // (with the follower rule alone it proved a later fallback, and the votes split 2-2 until expiry).
  for (const seed of [1, 3]) {
    const r = await runChainSim({ n: 4, seed, computeNodes: 5, requests: 15, requestEveryMs: 400, network: { dropRate: 0.05 }, crashes: [{ i: 0, from: 4000, to: 9000 }, { i: 3, from: 4000, to: 5000 }] }, 16_000);
    t.same(r.violations, [], `seed ${seed}: checkers pass`);
    t.equal(r.assigned, 15, `seed ${seed}: every request assigned`);
  }
});

t.test('an oracle voting other nodes cannot assign them; runs reproduce from the seed', async (t) => {
  const o = { n: 4, seed: 4, computeNodes: 5, requests: 12, requestEveryMs: 300, voteOther: [2] };
  const a = await runChainSim(o, 10_000), b = await runChainSim(o, 10_000);
  t.same(a.violations, [], 'every assignment is the proof\'s node with q matching votes');
  t.equal(a.assigned, 12, 'the honest quorum still assigns every request');
  t.ok(a.foreignVotes >= 6, `${a.foreignVotes} Byzantine votes for other nodes on chain, none of them effective`);
  t.same(a, b, 'same seed, same run');
});
