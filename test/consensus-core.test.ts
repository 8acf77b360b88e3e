// The consensus core under the deterministic simulator: real core code, real
// signatures, virtual time, seeded faults.
import t from 'tap';
import { ConsensusSim } from '../src/sim/consensus-sim.js';
import { ConsensusCore } from '../src/consensus/core.js';
import { buildRound, genesis, signAttestation, tableFor, validateRound } from '../src/consensus/validity.js';
import { bitmapBytes, decodeBitmap, encodeBitmap } from '../src/liveness/attestation.js';
import { tableHash } from '../src/liveness/table.js';
import { Rng } from '../src/common/rng.js';
import { CommitteeKeys, decodeMessage, signMessage, verifyCertificate, signingBytes } from '../src/consensus/messages.js';
import { epochEnd } from '../src/consensus/committee.js';

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
  const core = new ConsensusCore({ committee: sim.committee, me: 1, signer: n1.signer, committed: genesis(sim.committee), ownMessages: own, source: { attest: (r) => new Uint8Array((r.length + 7) >> 3), newcomers: () => [], isRegistered: () => true } });
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

t.test('validity: statuses follow from q attestations; a proposer picks none of them', async (t) => {
  const sim = new ConsensusSim({ n: 4, seed: 31, computeNodes: 5, dormantNodes: 1 });
  sim.runUntil(2_500);
  const c = sim.committee;
  const prev = sim.nodes[0]!.disk.commits.get(0n)!.committed;
  t.equal(prev.entries.length, 5, 'round 0 put the 5 heartbeating nodes on the roster (not the dormant one)');
  const at = epochEnd(c, 1n) + 5;
  const src = sim.feed.source(() => at);
  const atts = sim.nodes.map((n) => signAttestation(c, n.index, n.signer, prev, src));
  const reg = sim.feed.isRegistered;
  const keys = sim.keys;
  const built = buildRound(c, prev, atts.slice(0, 3), src);
  const base = { round: 1n, asOf: built.asOf, prevHash: prev.hash, tableHash: built.tableHash, added: built.added, attestations: built.attestations };
  t.match(validateRound(c, prev, base, keys, reg), { ok: true });
  t.equal(built.entries.filter((e) => e.status === 'online').length, 5, 'every heard node online');
  // the proposer's choice of q attestations does not change the table when every honest oracle heard the same
  t.same(buildRound(c, prev, atts.slice(1, 4), src).tableHash, built.tableHash, 'another q attestations: the same table');
  // chosen status: a table whose hash is not what the attestations give
  const flipped = built.entries.map((e, i) => (i === 0 ? { ...e, status: 'offline' as const } : e));
  t.match(validateRound(c, prev, { ...base, tableHash: tableHash({ roundId: 1n, asOf: base.asOf, prevHash: prev.hash, entries: flipped }) }, keys, reg), { ok: false, reason: /tableHash/ });
  // fewer than q attestations, one member twice, a forged signature
  t.match(validateRound(c, prev, { ...base, attestations: atts.slice(0, 2) }, keys, reg), { ok: false, reason: /quorum is 3/ });
  t.match(validateRound(c, prev, { ...base, attestations: [atts[0]!, atts[0]!, atts[1]!] }, keys, reg), { ok: false, reason: /two attestations of member 0/ });
  const forged = decodeMessage(signMessage({ ...atts[2]!, sender: 2 }, sim.nodes[0]!.signer).bytes);
  t.match(validateRound(c, prev, { ...base, attestations: [atts[0]!, atts[1]!, forged as typeof atts[0]] }, keys, reg), { ok: false, reason: /member 2 has a bad signature/ });
  // an attestation of another round, over another table, or another roster size
  const other = signMessage({ ...atts[2]!, round: 2n }, sim.nodes[2]!.signer) as typeof atts[0];
  t.match(validateRound(c, prev, { ...base, attestations: [atts[0]!, atts[1]!, other] }, keys, reg), { ok: false, reason: /attestation for round 2/ });
  const stale = signMessage({ ...atts[2]!, prevHash: new Uint8Array(32) }, sim.nodes[2]!.signer) as typeof atts[0];
  t.match(validateRound(c, prev, { ...base, attestations: [atts[0]!, atts[1]!, stale] }, keys, reg), { ok: false, reason: /another previous table/ });
  const size = signMessage({ ...atts[2]!, rosterSize: 4, bitmap: encodeBitmap(new Uint8Array(1), 4) }, sim.nodes[2]!.signer) as typeof atts[0];
  t.match(validateRound(c, prev, { ...base, attestations: [atts[0]!, atts[1]!, size] }, keys, reg), { ok: false, reason: /roster of 4/ });
  const padded = signMessage({ ...atts[2]!, bitmap: Uint8Array.of(0, 0, 0, 0, 1, 0xff) }, sim.nodes[2]!.signer) as typeof atts[0];
  t.match(validateRound(c, prev, { ...base, attestations: [atts[0]!, atts[1]!, padded] }, keys, reg), { ok: false, reason: /padding bits/ });
  // roster additions: registered, not yet on the roster, sorted
  const dormant = sim.feed.nodes[5]!.nodeId;
  t.match(validateRound(c, prev, { ...base, added: [dormant], tableHash: tableFor(c, prev, [dormant], base.attestations).tableHash }, keys, reg), { ok: true }, 'a registered node may be added');
  t.equal(tableFor(c, prev, [dormant], base.attestations).entries.find((e) => Buffer.compare(e.nodeId, dormant) === 0)!.status, 'offline', 'and enters offline');
  t.match(validateRound(c, prev, { ...base, added: [new Uint8Array(32).fill(7)] }, keys, reg), { ok: false, reason: /not registered/ });
  t.match(validateRound(c, prev, { ...base, added: [prev.entries[0]!.nodeId] }, keys, reg), { ok: false, reason: /already in the roster/ });
  t.match(validateRound(c, prev, { ...base, added: [dormant, dormant] }, keys, reg), { ok: false, reason: /sorted and unique/ });
  // asOf is the round's, not the proposer's
  t.match(validateRound(c, prev, { ...base, asOf: base.asOf + 1 }, keys, reg), { ok: false, reason: /not the end of round 1/ });
  // certified: the table is recomputed from what the decision carries, signatures not re-checked
  t.match(validateRound(c, prev, { ...base, attestations: atts.slice(0, 2) }, null, () => false), { ok: true }, 'a certified round with 2 attestations that give the same table');
});

t.test('bitmaps: raw and run-length encodings round-trip; malformed ones are refused', async (t) => {
  const rng = new Rng(5);
  for (const n of [0, 1, 7, 8, 9, 100, 1000]) {
    for (const density of [0, 0.02, 0.5, 0.98, 1]) {
      const bits = new Uint8Array(bitmapBytes(n));
      for (let i = 0; i < n; i++) if (rng.float() < density) bits[i >> 3]! |= 0x80 >> (i & 7);
      const enc = encodeBitmap(bits, n);
      t.same(decodeBitmap(enc, n), bits, `n ${n} density ${density}: mode ${enc[0]}, ${enc.length} bytes`);
      if (n >= 100 && (density === 0 || density === 1)) t.ok(enc.length < 10, 'uniform bitmaps are a few bytes');
    }
  }
  t.throws(() => decodeBitmap(Uint8Array.of(1, 0, 0, 0, 2, 3, 0), 10), /empty run/);
  t.throws(() => decodeBitmap(Uint8Array.of(1, 0, 0, 0, 2, 3, 3), 10), /cover 6 of 10/);
  t.throws(() => decodeBitmap(Uint8Array.of(1, 0, 0, 0, 1, 11), 10), /exceed/);
  t.throws(() => decodeBitmap(Uint8Array.of(2, 0, 0, 0, 0), 0), /unknown bitmap mode/);
  t.throws(() => decodeBitmap(Uint8Array.of(0, 0, 0, 0, 1, 0), 10), /raw bitmap of 1 bytes/);
  t.throws(() => decodeBitmap(Uint8Array.of(0, 0, 0, 0, 5, 0), 10), /length field/);
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
