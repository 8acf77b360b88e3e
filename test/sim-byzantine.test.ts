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

t.test('the liveness checkers fire: a node online that no honest oracle heard, a heard node left offline', async (t) => {
  const sim = new ConsensusSim({ n: 4, seed: 5, computeNodes: 3, dormantNodes: 1 });
  sim.runUntil(4000);
  const c = [...sim.nodes[0]!.disk.commits.values()].at(-1)!;
  const record = (entries: unknown[], round: bigint) => (sim as unknown as { recordCommit(n: unknown, c: unknown, d: unknown): void })
    .recordCommit(sim.nodes[0], { ...c.committed, round, asOf: c.committed.asOf + Number(round - c.committed.round) * 1000, entries, cert: null }, c.decision);
  // the dormant node never sent a heartbeat
  record([{ nodeId: sim.feed.nodes[3]!.nodeId, status: 'online', missed: 0, since: 0 }], c.committed.round + 1n);
  t.ok(sim.violations.some((v) => v.kind === 'forged-liveness'), 'a node online in a round no honest oracle could have heard it is a violation');
  // node 0 heartbeats all along: offline in a round in which every honest oracle heard it
  const asOfBefore = c.committed.asOf - 1000;
  (sim as unknown as { recordCommit(n: unknown, c: unknown, d: unknown): void }).recordCommit(sim.nodes[1], { ...c.committed, round: c.committed.round - 1n, asOf: asOfBefore, hash: new Uint8Array(32).fill(1), entries: [{ nodeId: sim.feed.nodes[0]!.nodeId, status: 'offline', missed: 0xffffffff, since: 0 }], cert: null }, c.decision);
  t.ok(sim.violations.some((v) => v.kind === 'censored-liveness'), 'a heard node not online is a violation');
});
