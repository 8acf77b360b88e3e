// Byzantine behaviours and flapping nodes in the deterministic simulator, and the checker that
// no honest oracle commits liveness a node never signed.
import t from 'tap';
import { ConsensusSim } from '../src/sim/consensus-sim.js';
import { runScenario, DEFAULT_SCENARIO } from '../src/sim/scenario.js';

t.test('a forging proposer cannot resurrect a node; a spammer cannot stall or split the committee', async (t) => {
  for (const byz of ['forge', 'spam'] as const) {
    for (let seed = 1; seed <= 8; seed++) {
      const r = runScenario({ ...DEFAULT_SCENARIO, n: 4, durationMs: 9000, drop: 0.05, byzantine: { 1: byz }, flapping: [{ node: 2, from: 2000, to: 6000 }] }, seed);
      t.ok(r.safe, `${byz}, seed ${seed}: safe (${JSON.stringify(r.violations.slice(0, 2))})`);
      t.ok(r.committedByAllHonest >= 6, `${byz}, seed ${seed}: honest oracles committed through round ${r.committedByAllHonest}`);
    }
  }
});

t.test('a flapping node goes offline in the committed tables and comes back', async (t) => {
  const sim = new ConsensusSim({ n: 4, seed: 3, computeNodes: 3, flapping: [{ node: 1, from: 2000, to: 7000 }] });
  sim.runUntil(12_000);
  const node = sim.feed.nodes[1]!.nodeId;
  const statuses = [...sim.nodes[0]!.disk.commits.values()].sort((a, b) => Number(a.committed.round - b.committed.round))
    .map((c) => c.committed.entries.find((e) => Buffer.compare(e.nodeId, node) === 0)?.status ?? 'absent');
  const seq = statuses.filter((s, i) => i === 0 || s !== statuses[i - 1]);
  t.same(seq.slice(seq.indexOf('online')), ['online', 'suspect', 'offline', 'online'], `status sequence ${statuses.join(' ')}`);
  t.same(sim.violations, []);
});

t.test('the forged-liveness checker fires on a committed entry without a real heartbeat', async (t) => {
  const sim = new ConsensusSim({ n: 4, seed: 5, computeNodes: 3 });
  sim.runUntil(4000);
  const c = [...sim.nodes[0]!.disk.commits.values()].at(-1)!;
  const forged = { ...c.committed, round: c.committed.round + 100n, entries: [{ nodeId: sim.feed.nodes[0]!.nodeId, status: 'online' as const, lastSeen: 3_999, lastSeq: 1n << 62n }] };
  (sim as unknown as { recordCommit(n: unknown, c: unknown, d: unknown): void }).recordCommit(sim.nodes[0], { ...forged, cert: null }, c.decision);
  t.ok(sim.violations.some((v) => v.kind === 'forged-liveness'), 'a node online at a time it never sent a heartbeat is a violation');
});
