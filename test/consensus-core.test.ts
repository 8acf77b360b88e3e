// The consensus core under the deterministic simulator: real core code, real
// signatures, virtual time, seeded faults.
import t from 'tap';
import { ConsensusSim } from '../src/sim/consensus-sim.js';
import { ConsensusCore } from '../src/consensus/core.js';
import { buildTable, genesis, validateTable } from '../src/consensus/validity.js';
import { CommitteeKeys, decodeMessage, signMessage, verifyCertificate, signingBytes } from '../src/consensus/messages.js';
import { epochEnd } from '../src/consensus/committee.js';
import { heartbeatSigningBytes } from '../src/liveness/heartbeat-codec.js';
import { toBase58 } from '../src/common/bytes.js';

const ALL4 = [0, 1, 2, 3];

function assertSafe(t: { same: Function; equal: Function }, sim: ConsensusSim, honest: number[]) {
  t.same(sim.violations, [], 'no divergence, every certificate valid');
  for (const i of honest) t.equal(sim.doubleSigns(i), 0, `oracle ${i} never signed two different votes`);
}

t.test('4 oracles commit identical tables for consecutive rounds', async (t) => {
  const sim = new ConsensusSim({ n: 4, seed: 1 });
  sim.runUntil(10_000);
  t.ok(sim.committedBy(ALL4) >= 8n, `rounds 0..${sim.committedBy(ALL4)} committed by all`);
  for (const [r, m] of sim.commits) if (r <= 8n) t.equal(new Set(m.values()).size, 1, `round ${r}: one table`);
  assertSafe(t, sim, ALL4);
  // hash chain: each committed table names the previous one
  const disk = sim.nodes[0]!.disk.commits;
  for (let r = 1n; r <= 8n; r++) t.same(disk.get(r)!.committed.prevHash, disk.get(r - 1n)!.committed.hash, `round ${r} chains to ${r - 1n}`);
  // liveness reflected: 6 compute nodes all online at round 5
  t.equal(disk.get(5n)!.committed.entries.filter((e) => e.status === 'online').length, 6);
});

t.test('message loss, duplication and reordering: safe and live', async (t) => {
  for (const seed of [11, 12, 13]) {
    const sim = new ConsensusSim({ n: 4, seed, network: { dropRate: 0.2, dupRate: 0.1, maxDelayMs: 80 } });
    sim.runUntil(20_000);
    assertSafe(t, sim, ALL4);
    t.ok(sim.committedBy(ALL4) >= 12n, `seed ${seed}: committed through ${sim.committedBy(ALL4)}`);
  }
});

t.test('2+2 partition: no commit, no divergence; heal: commits resume', async (t) => {
  const sim = new ConsensusSim({ n: 4, seed: 3 });
  sim.at(3500, () => sim.partition([[0, 1], [2, 3]]));
  sim.runUntil(3500);
  const before = sim.committedBy(ALL4);
  sim.runUntil(8500);
  const anyCommitDuring = [...sim.commits.keys()].some((r) => r > before);
  t.notOk(anyCommitDuring, 'nothing committed while partitioned');
  sim.heal();
  sim.runUntil(15_000);
  t.ok(sim.committedBy(ALL4) >= before + 5n, `after heal committed through ${sim.committedBy(ALL4)}`);
  assertSafe(t, sim, ALL4);
});

t.test('crash and restart mid-round: no double vote, catches up', async (t) => {
  for (const at of [3010, 3030, 3150]) {
    const sim = new ConsensusSim({ n: 4, seed: at });
    sim.at(at, () => sim.crash(1));
    sim.at(at + 2500, () => sim.restart(1));
    sim.runUntil(12_000);
    assertSafe(t, sim, ALL4);
    t.ok(sim.committedBy(ALL4) >= 9n, `crash at ${at}: all caught up through ${sim.committedBy(ALL4)}`);
  }
});

t.test('restart inside a view re-sends the stored vote and refuses a conflicting one', async (t) => {
  const sim = new ConsensusSim({ n: 4, seed: 21 });
  const n1 = sim.nodes[1]!;
  // step until oracle 1 has voted in round 0 but round 0 is not yet committed
  let now = 1000;
  while (!n1.disk.own.some((m) => m.round === 0n && m.kind === 'prevote') && now < 1100) sim.runUntil(++now);
  t.notOk(n1.disk.commits.has(0n), 'round 0 still open');
  const own = n1.disk.own.filter((m) => m.round === 0n);
  t.ok(own.length > 0, 'oracle 1 has signed something in round 0');
  // a fresh core restored from disk, at the same time: whatever it emits for round 0 equals what it signed
  const core = new ConsensusCore({ committee: sim.committee, me: 1, signer: n1.signer, committed: genesis(sim.committee), ownMessages: own, source: { candidates: () => [], isRegistered: () => true } });
  const fx = core.start(now);
  for (const e of fx) if (e.type === 'persist' || e.type === 'send') {
    const prior = own.find((m) => m.round === e.msg.round && m.view === e.msg.view && m.kind === e.msg.kind);
    if (prior) t.same(Buffer.from(e.msg.bytes), Buffer.from(prior.bytes), `${e.msg.kind} view ${e.msg.view}: same bytes as before the restart`);
  }
});

t.test('one equivocating oracle (two proposals and two votes per step) cannot break safety', async (t) => {
  for (const [byz, seed] of [[2, 5], [0, 6], [1, 7]] as const) {
    const sim = new ConsensusSim({ n: 4, seed, byzantine: { [byz]: 'equivocate' } });
    sim.runUntil(12_000);
    const honest = ALL4.filter((i) => i !== byz);
    assertSafe(t, sim, honest);
    t.ok(sim.committedBy(honest) >= 8n, `equivocator ${byz}: honest committed through ${sim.committedBy(honest)}`);
    t.ok(honest.some((i) => sim.nodes[i]!.core!.stats.equivocations > 0), 'equivocation observed');
  }
});

t.test('n = 7 with f = 2 Byzantine (one equivocating, one silent) and message loss', async (t) => {
  const sim = new ConsensusSim({ n: 7, seed: 7, byzantine: { 0: 'equivocate', 3: 'silent' }, network: { dropRate: 0.1, maxDelayMs: 50 } });
  sim.runUntil(15_000);
  const honest = [1, 2, 4, 5, 6];
  assertSafe(t, sim, honest);
  t.ok(sim.committedBy(honest) >= 5n, `committed through ${sim.committedBy(honest)}`);
});

t.test('validity: a proposer cannot resurrect a dead node, forge evidence or pick statuses', async (t) => {
  const sim = new ConsensusSim({ n: 4, seed: 31, computeNodes: 3 });
  const c = sim.committee;
  const prev = genesis(c);
  const asOf = epochEnd(c, 0n) + 10;
  const src = { candidates: () => sim.feed.latest(asOf), isRegistered: sim.feed.isRegistered };
  const built = buildTable(c, prev, asOf, src);
  const base = { round: 0n, asOf, prevHash: prev.hash, tableHash: built.hash, updates: built.updates };
  t.match(validateTable(c, prev, base, built.evidence, asOf, sim.feed.isRegistered), { ok: true });
  // forged evidence: heartbeat bytes re-signed by someone else
  const forged = built.evidence.map((e, i) => (i === 0 ? { bytes: e.bytes, sig: sim.nodes[0]!.signer.sign(e.bytes) } : e));
  t.match(validateTable(c, prev, base, forged, asOf, sim.feed.isRegistered), { ok: false, reason: /bad signature/ });
  // resurrect: claim a fresh heartbeat for a node without evidence
  t.match(validateTable(c, prev, base, built.evidence.slice(1), asOf, sim.feed.isRegistered), { ok: false, reason: /no heartbeat evidence/ });
  // fabricated freshness: lastSeen moved forward beyond the signed heartbeat
  const moved = built.updates.map((u, i) => (i === 0 ? { ...u, lastSeen: u.lastSeen + 1 } : u));
  t.match(validateTable(c, prev, { ...base, updates: moved }, built.evidence, asOf, sim.feed.isRegistered), { ok: false, reason: /evidence does not match/ });
  // chosen status: mark an online node offline
  const flipped = built.updates.map((u, i) => (i === 0 ? { ...u, status: 'offline' as const } : u));
  t.match(validateTable(c, prev, { ...base, updates: flipped }, built.evidence, asOf, sim.feed.isRegistered), { ok: false, reason: /does not follow/ });
  // a heartbeat that the node did sign, but for an unregistered node
  t.match(validateTable(c, prev, base, built.evidence, asOf, () => false), { ok: false, reason: /not registered/ });
  // timing: before the epoch ends, or too far in the future
  t.match(validateTable(c, prev, { ...base, asOf: epochEnd(c, 0n) - 1 }, built.evidence, asOf, sim.feed.isRegistered), { ok: false, reason: /before the end/ });
  t.match(validateTable(c, prev, base, built.evidence, asOf - 10_000, sim.feed.isRegistered), { ok: false, reason: /future/ });
  t.match(validateTable(c, prev, { ...base, tableHash: new Uint8Array(32) }, built.evidence, asOf, sim.feed.isRegistered), { ok: false, reason: /tableHash/ });
  // a node whose last heartbeat is 3+ intervals old must be offline at asOf
  const later = epochEnd(c, 5n);
  const stale = buildTable(c, prev, later, { candidates: () => sim.feed.latest(asOf), isRegistered: sim.feed.isRegistered });
  t.ok(stale.entries.every((e) => e.status === 'offline'), 'old heartbeats give offline entries');
  void heartbeatSigningBytes; void toBase58;
});

t.test('messages: encode/decode round trip, signatures, certificates', async (t) => {
  const sim = new ConsensusSim({ n: 4, seed: 41 });
  sim.runUntil(2_000);
  const keys = new CommitteeKeys(sim.committee);
  const msgs = sim.nodes[0]!.disk.own;
  t.ok(msgs.length >= 2);
  for (const m of msgs) {
    const d = decodeMessage(m.bytes);
    t.same(Buffer.from(signingBytes(d)), Buffer.from(m.bytes.subarray(0, m.bytes.length - 64)), `${m.kind}: canonical re-encoding`);
  }
  const dec = sim.nodes[2]!.disk.commits.get(0n)!;
  t.match(verifyCertificate(dec.committed.cert!, keys), { ok: true });
  const cert = dec.committed.cert!;
  t.match(verifyCertificate({ ...cert, sigs: cert.sigs.slice(0, sim.committee.q - 1) }, keys), { ok: false, reason: /quorum/ });
  t.match(verifyCertificate({ ...cert, sigs: [...cert.sigs.slice(0, 2), cert.sigs[0]!] }, keys), { ok: false, reason: /duplicate/ });
  t.match(verifyCertificate({ ...cert, view: cert.view + 1 }, keys), { ok: false, reason: /bad signature/ }, 'bound to the view');
  t.match(verifyCertificate({ ...cert, tableHash: new Uint8Array(32) }, keys), { ok: false });
  t.throws(() => decodeMessage(new Uint8Array(10)), /too short/);
  const bad = new Uint8Array(msgs[0]!.bytes); bad[0] ^= 1;
  t.throws(() => decodeMessage(bad), /domain/);
  const resigned = signMessage(decodeMessage(msgs[0]!.bytes), sim.nodes[1]!.signer);
  t.equal(sim.nodes[0]!.core!.precheck(resigned), 'bad signature', 'signature must match the named sender');
});

t.test('seed sweep: random loss, delay, partitions, crashes and Byzantine oracles never break safety', async (t) => {
  let runs = 0;
  for (let seed = 500; seed < 530; seed++) {
    const n = seed % 3 === 2 ? 7 : 4;
    const byzIdx = seed % n;
    const byz: Record<number, 'equivocate' | 'silent'> = { [byzIdx]: seed % 2 ? 'equivocate' : 'silent' };
    if (n === 7) byz[(byzIdx + 3) % n] = 'equivocate';
    const sim = new ConsensusSim({ n, seed, byzantine: byz, network: { dropRate: (seed % 4) * 0.05, dupRate: 0.05, maxDelayMs: 20 + (seed % 5) * 20 } });
    const honest = [...Array(n).keys()].filter((i) => !(i in byz));
    if (seed % 4 === 0) { sim.at(2500, () => sim.partition([honest.slice(0, 2), [...Array(n).keys()].filter((i) => !honest.slice(0, 2).includes(i))])); sim.at(4500, () => sim.heal()); }
    if (seed % 4 === 1) { sim.at(2000 + (seed % 300), () => sim.crash(honest[0]!)); sim.at(3500, () => sim.restart(honest[0]!)); }
    sim.runUntil(12_000);
    if (sim.violations.length || honest.some((i) => sim.doubleSigns(i))) t.fail(`seed ${seed}: ${JSON.stringify(sim.violations)}`);
    if (sim.committedBy(honest) < 3n) t.fail(`seed ${seed}: only committed through ${sim.committedBy(honest)}`);
    runs++;
  }
  t.equal(runs, 30, '30 seeded runs, all safe and live');
});
