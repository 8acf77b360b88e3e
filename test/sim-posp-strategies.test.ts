// Every attack on Proof of Sampling in the chain simulator, against the real program: each
// dishonest strategy nets less than honest work on the same assignments, no honest node is slashed
// and the books are exact (own file: two 11-node runs take most of a file's time budget on a busy machine).
import t from 'tap';
import { runChainSim, sweepEconomics } from '../src/sim/chain-sim.js';

t.test('every attack strategy loses: lazy asserter, lazy validator, framer, colluding pair, late settler, griefer', async (t) => {
  const strategies = { 1: 'cheater', 2: 'lazy', 3: 'framer', 4: 'colluder', 5: 'colluder', 6: 'late', 7: 'griefer' } as const;
  const runs = [];
  for (const seed of [21, 22]) runs.push(await runChainSim({ n: 4, seed, computeNodes: 11, requests: 10, requestEveryMs: 300, agents: { strategies }, pPpm: 500_000 }, 40_000));
  const sw = sweepEconomics(runs);
  t.same(sw.unsafe, [], 'both runs safe: no honest node slashed, books exact');
  for (const s of ['cheater', 'lazy', 'framer', 'colluder', 'late', 'griefer'] as const) {
    const x = sw.strategies[s];
    if (!x || x.assignments === 0) { t.comment(`${s}: no assignment in these runs`); continue; }
    t.ok(x.overHonestPerTaskC < 0, `${s}: ${x.overHonestPerTaskC.toFixed(3)} C per task over honest work (${x.gainPerTaskC.toFixed(3)} C net) over ${x.assignments} assignments`);
  }
  t.equal(sw.strategies.honest!.slashes, 0);
});
