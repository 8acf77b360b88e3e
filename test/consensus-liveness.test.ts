// Liveness of the consensus core against one hostile member and long outages (issue 12, items
// 1, 2, 5, 6): junk decisions, far-behind oracles, junk views and buffers, same-hash proposals,
// and a committee id that binds every parameter validity depends on.
import t from 'tap';
import { ConsensusSim } from '../src/sim/consensus-sim.js';
import { makeCommittee, epochEnd } from '../src/consensus/committee.js';
import { signMessage, type Message } from '../src/consensus/messages.js';
import { ConsensusCore } from '../src/consensus/core.js';
import { genesis, signAttestation } from '../src/consensus/validity.js';
import { heartbeatSigningBytes } from '../src/liveness/heartbeat-codec.js';
import { toBase58 } from '../src/common/bytes.js';
import { Ed25519Signer } from '../src/common/ed25519.js';
import { publicKeyFromSecret } from '../src/vrf/index.js';

const ALL4 = [0, 1, 2, 3];
const HONEST3 = [0, 1, 2];

function assertSafe(t: { same: Function; equal: Function }, sim: ConsensusSim, honest: number[]) {
  t.same(sim.violations, [], 'no divergence, every certificate valid');
  for (const i of honest) t.equal(sim.doubleSigns(i), 0, `oracle ${i} never signed two different votes`);
}

t.test('1. signed decisions with junk certificates from one member do not stop the committee', async (t) => {
  const sim = new ConsensusSim({ n: 4, seed: 101 });
  const byz = sim.nodes[3]!;
  // member 3 gossips, for the next three rounds ahead of everyone, decisions whose certificate is empty
  for (let k = 0; k < 12; k++) {
    sim.at(400 + k * 1000, () => {
      const head = sim.committedBy(HONEST3);
      for (let r = head + 1n; r <= head + 3n; r++) {
        const junk = signMessage({ kind: 'decision', committeeId: sim.committee.id, round: r, view: 0, sender: 3, asOf: epochEnd(sim.committee, r), prevHash: new Uint8Array(32), tableHash: new Uint8Array(32).fill(7), added: [], attestations: [], sigs: [] }, byz.signer);
        for (const to of HONEST3) sim.inject(to, junk);
      }
    });
  }
  sim.runUntil(13_000);
  assertSafe(t, sim, HONEST3);
  t.ok(sim.committedBy(HONEST3) >= 10n, `honest oracles committed through round ${sim.committedBy(HONEST3)} (12 epochs elapsed)`);
});

t.test('2. an oracle more than 64 rounds behind rejoins, with its data dir kept or wiped', async (t) => {
  for (const wipe of [false, true]) {
    const sim = new ConsensusSim({ n: 4, seed: wipe ? 202 : 201, params: { epochMs: 200, proposeTimeoutMs: 60, prevoteTimeoutMs: 30, precommitTimeoutMs: 30, timeoutDeltaMs: 30, liveness: { intervalMs: 200, missedForOffline: 3, graceMs: 40 } } });
    sim.at(1000, () => sim.crash(3));
    sim.at(1000 + 90 * 200, () => { if (wipe) sim.wipe(3); sim.restart(3); });
    const restartAt = 1000 + 90 * 200;
    sim.runUntil(restartAt + 10_000);
    const head = sim.committedBy(HONEST3);
    t.ok(head >= 130n, `the other three kept committing (round ${head})`);
    const mine = sim.committedBy([3]);
    t.ok(mine >= head - 1n, `${wipe ? 'wiped' : 'kept'} data dir: oracle 3 is at round ${mine}, the others at ${head}`);
    assertSafe(t, sim, ALL4);
  }
});

t.test('5. junk views and future-round floods from one member stay bounded and do not stall', async (t) => {
  const sim = new ConsensusSim({ n: 4, seed: 105 });
  const byz = sim.nodes[3]!;
  const floods: Message[] = [];
  sim.at(1005, () => {
    // 5 000 signed prevotes in distinct far views of the current round, 5 000 signed messages for the next round
    for (let v = 1; v <= 5000; v++) floods.push(signMessage({ kind: 'prevote', committeeId: sim.committee.id, round: 0n, view: 1000 + v * 7, sender: 3, value: null }, byz.signer));
    for (let k = 0; k < 5000; k++) floods.push(signMessage({ kind: 'precommit', committeeId: sim.committee.id, round: 1n, view: k, sender: 3, value: new Uint8Array(32).fill(k & 0xff) }, byz.signer));
    for (const m of floods) sim.inject(0, m);
  });
  sim.runUntil(1200);
  const res = sim.nodes[0]!.core!.resources();
  t.ok(res.storedViews <= 4, `views stored: ${res.storedViews}`);
  t.ok(res.aheadMessages <= 3 * 4, `messages kept for views ahead: ${res.aheadMessages}`);
  t.ok(res.futureMessages <= 16 * 4, `future-round messages buffered: ${res.futureMessages}`);
  t.ok(res.futureBytes <= 4 * 2 * 4 * 1024 * 1024, `future-round bytes buffered: ${res.futureBytes}`);
  sim.runUntil(8000);
  t.ok(sim.committedBy(ALL4) >= 5n, `committee kept committing (round ${sim.committedBy(ALL4)})`);
  assertSafe(t, sim, ALL4);
});

t.test('6a. a proposer\'s junk body with the hash of its valid proposal does not shadow the valid one; both are kept as evidence', async (t) => {
  const sim = new ConsensusSim({ n: 4, seed: 106, computeNodes: 4 });
  sim.runUntil(5000);
  // round 3's view-0 proposer is 3 % 4 = oracle 3; its proposal and everyone's precommits, from their disks
  const r = 3n;
  const own = (i: number) => sim.nodes[i]!.disk.own.filter((m) => m.round === r && m.view === 0);
  const real = own(3).find((m) => m.kind === 'proposal');
  t.ok(real && real.kind === 'proposal', 'oracle 3 proposed in round 3, view 0');
  if (!real || real.kind !== 'proposal') return;
  const junk = signMessage({ ...real, attestations: real.attestations.slice(0, 1) }, sim.nodes[3]!.signer); // same table hash, attestations stripped
  const precommits = [1, 2, 3].map((i) => own(i).find((m) => m.kind === 'precommit')!);
  t.ok(precommits.every((m) => m && m.kind === 'precommit' && m.value), 'three precommits for the table');
  // a fresh oracle 0 at round 3 hears the junk body first, then the real one, then the precommits
  const prev = sim.nodes[0]!.disk.commits.get(r - 1n)!;
  const core = new ConsensusCore({ committee: sim.committee, me: 0, signer: sim.nodes[0]!.signer, committed: prev.committed, source: sim.feed.source(() => epochEnd(sim.committee, r)) });
  const now = epochEnd(sim.committee, r) + 5;
  const fx = [...core.start(now), ...core.onMessage(junk, now), ...core.onMessage(real, now + 1)];
  for (const m of precommits) fx.push(...core.onMessage(m, now + 2));
  const commit = fx.find((e) => e.type === 'commit');
  t.ok(commit, 'oracle 0 commits from the q precommits and the valid body');
  if (commit?.type === 'commit') t.same(Buffer.from(commit.committed.hash), Buffer.from(real.tableHash));
  const ev = fx.filter((e) => e.type === 'evidence');
  t.equal(ev.length, 1, 'the two signed proposals are evidence');
  if (ev[0]?.type === 'evidence') t.same([ev[0].a.bytes, ev[0].b.bytes].map((b) => Buffer.from(b).toString('hex')).sort(), [junk.bytes, real.bytes].map((b) => Buffer.from(b).toString('hex')).sort());
});

t.test('6b. the committee id binds every parameter validity and timing depend on', async (t) => {
  const sim = new ConsensusSim({ n: 4, seed: 107 });
  const members = sim.committee.members;
  const base = makeCommittee(members, sim.committee.params);
  const variants = {
    proposeTimeoutMs: { proposeTimeoutMs: base.params.proposeTimeoutMs + 1 },
    prevoteTimeoutMs: { prevoteTimeoutMs: base.params.prevoteTimeoutMs + 1 },
    precommitTimeoutMs: { precommitTimeoutMs: base.params.precommitTimeoutMs + 1 },
    timeoutDeltaMs: { timeoutDeltaMs: base.params.timeoutDeltaMs + 1 },
    maxSkewMs: { maxSkewMs: base.params.maxSkewMs + 1 },
    'liveness.intervalMs': { liveness: { ...base.params.liveness, intervalMs: base.params.liveness.intervalMs + 1 } },
    'liveness.missedForOffline': { liveness: { ...base.params.liveness, missedForOffline: base.params.liveness.missedForOffline + 1 } },
    'liveness.graceMs': { liveness: { ...base.params.liveness, graceMs: base.params.liveness.graceMs + 1 } },
  };
  for (const [name, p] of Object.entries(variants)) {
    const other = makeCommittee(members, { ...sim.committee.params, ...p });
    t.not(Buffer.from(other.id).toString('hex'), Buffer.from(base.id).toString('hex'), `${name} changes the committee id`);
  }
});

t.test('a restarted oracle stands by the vote it signed before the crash: re-sends it and counts it', async (t) => {
  const sim = new ConsensusSim({ n: 4, seed: 108 });
  sim.runUntil(2500);
  const r = 2n, now = epochEnd(sim.committee, r) + 5;
  const prev = sim.nodes[1]!.disk.commits.get(r - 1n)!;
  // oracle 1 prevoted nil in view 0 (e.g. on its propose timeout), persisted it, and crashed before sending it
  const nilVote = signMessage({ kind: 'prevote', committeeId: sim.committee.id, round: r, view: 0, sender: 1, value: null }, sim.nodes[1]!.signer);
  const src = sim.feed.source(() => now);
  const core = new ConsensusCore({ committee: sim.committee, me: 1, signer: sim.nodes[1]!.signer, committed: prev.committed, ownMessages: [nilVote], source: src });
  const fx = core.start(now);
  // the view-0 proposal (proposer 2, once it holds q attestations) arrives: the oracle would prevote it, but it already voted nil
  const proposer = new ConsensusCore({ committee: sim.committee, me: 2, signer: sim.nodes[2]!.signer, committed: prev.committed, source: src });
  const pfx = proposer.start(now);
  for (const i of [0, 3]) pfx.push(...proposer.onMessage(signAttestation(sim.committee, i, sim.nodes[i]!.signer, prev.committed, src), now));
  const proposal = pfx.find((e) => e.type === 'send' && e.msg.kind === 'proposal');
  t.ok(proposal, 'the proposer proposes');
  if (proposal?.type === 'send') fx.push(...core.onMessage(proposal.msg, now + 1));
  const sentVotes = fx.filter((e) => e.type === 'send' && e.msg.kind === 'prevote' && e.msg.round === r && e.msg.view === 0);
  t.ok(sentVotes.length >= 1, 'its view-0 prevote is sent');
  t.ok(sentVotes.every((e) => e.type === 'send' && Buffer.compare(e.msg.bytes, nilVote.bytes) === 0), 'and it is the nil vote it signed before, never a second one');
  t.notOk(fx.some((e) => e.type === 'persist' && e.msg.kind === 'prevote'), 'no new prevote signed');
  t.equal(core.resources().votes, 1, 'its own vote counts in its tally');
});

t.test('heartbeat evidence under a small-order node key is refused (it would verify for any message under node:crypto)', async (t) => {
  const { verifyNodeSignature } = await import('../src/liveness/verify.js');
  const identity = new Uint8Array(32); identity[0] = 1;
  const sig = new Uint8Array(64); sig[0] = 1; // R = identity, s = 0
  t.notOk(verifyNodeSignature(identity, new Uint8Array(74).fill(3), sig), 'identity key, identity R, s = 0: refused');
  const node = new Ed25519Signer(new Uint8Array(32).fill(9));
  const bytes = heartbeatSigningBytes({ nodeId: toBase58(node.publicKey), timestamp: 1500, seq: 1n, nodeStatus: 'idle', hasCapacity: true, vramFreeMb: 1024 }, node.publicKey);
  t.ok(verifyNodeSignature(node.publicKey, bytes, node.sign(bytes)), 'a real heartbeat signature still verifies');
});

// The core of member 2 of four, driven by hand: round 0 starts at its epoch end; the proposers of
// its views 0 and 1 are members 0 and 1, and nobody proposes.
function handCore() {
  const signers = [1, 2, 3, 4].map((k) => new Ed25519Signer(new Uint8Array(32).fill(k)));
  const committee = makeCommittee(signers.map((s, i) => ({ name: `o${i}`, signingKey: s.publicKey, vrfKey: publicKeyFromSecret(new Uint8Array(32).fill(40 + i)), multiaddrs: [] })),
    { epochMs: 1000, proposeTimeoutMs: 80, prevoteTimeoutMs: 40, precommitTimeoutMs: 40, timeoutDeltaMs: 40, maxSkewMs: 200 });
  const core = new ConsensusCore({ committee, me: 2, signer: signers[2]!, committed: genesis(committee), source: { attest: (r) => new Uint8Array((r.length + 7) >> 3), newcomers: () => [], isRegistered: () => true } });
  const vote = (from: number, kind: 'prevote' | 'precommit', view: number) => signMessage({ kind, committeeId: committee.id, round: 0n, view, sender: from, value: null }, signers[from]!);
  /** runs the core's timers up to `until`; returns what it sent, with the time */
  const runTo = (until: number) => {
    const sent: Array<{ at: number; msg: Message }> = [];
    for (let d = core.nextDeadline(); d !== null && d <= until; d = core.nextDeadline()) for (const e of core.onTick(d)) if (e.type === 'send') sent.push({ at: d, msg: e.msg });
    return sent;
  };
  return { committee, core, vote, runTo, start: epochEnd(committee, 0n) };
}

t.test('q nil precommits end the view at once (no value can reach q precommits in it)', async (t) => {
  const { core, vote, runTo, start } = handCore();
  core.start(start - 1);
  runTo(start + 80); // propose timeout → nil prevote
  t.equal(core.currentView, 0);
  core.onMessage(vote(0, 'prevote', 0), start + 81);
  core.onMessage(vote(1, 'prevote', 0), start + 81); // q = 3 nil prevotes → nil precommit
  core.onMessage(vote(0, 'precommit', 0), start + 82);
  t.equal(core.currentView, 0, 'two nil precommits: still view 0');
  core.onMessage(vote(1, 'precommit', 0), start + 82);
  t.equal(core.currentView, 1, 'the third nil precommit moves to view 1 without waiting the precommit timeout');
});

t.test('a lost vote is re-sent one interval after the last progress, not up to two', async (t) => {
  const { core, vote, runTo, start } = handCore();
  core.start(start - 1);
  runTo(start + 80); // propose timeout → our nil prevote; the re-send interval is 80 ms
  // the other nil prevotes arrive 70 ms later → our nil precommit, which (say) every peer loses
  core.onMessage(vote(0, 'prevote', 0), start + 150);
  core.onMessage(vote(1, 'prevote', 0), start + 150);
  const sent = runTo(start + 150 + 80);
  const resent = sent.filter((s) => s.msg.kind === 'precommit' && s.msg.sender === 2);
  t.ok(resent.length >= 1, `our precommit is re-sent by ${150 + 80} ms (sent: ${sent.map((s) => `${s.msg.kind}@${s.at - start}`).join(', ') || 'nothing'})`);
  t.ok(resent.every((s) => s.at >= start + 150 + 80), 'and not before the interval passed');
});
