// Committee rotation in the program (issue 17): the authority proposes the next epoch's member set,
// q members of the current set approve it by its digest, and the switch applies to selections by
// their seed slot — a selection opened before the switch keeps the set it was opened under, every
// later one is voted by the new set only. Hostile callers: a non-authority proposing, a non-member
// or a member twice approving, approvals of other content or of another epoch, invalid sets, a
// proposal of another committee, stale selections.
import t from 'tap';
import { Keypair, SystemProgram, type PublicKey } from '@solana/web3.js';
import { ChainFixture, runToDone, withRequester } from './helpers/chain.js';
import { DEFAULT_PARAMS, quorumFor, rotationDigest, SplitUpProgram, type RotationProposal } from '../src/chain/program.js';
import { ACCOUNT_SIZE, decodeRotation, Phase, rotationRecordsInLogs, selectionRecordsInLogs } from '../src/chain/layout.js';

const rentOf = (size: number) => BigInt((128 + size) * 3480 * 2);
const keys = (ks: Keypair[]) => ks.map((k) => k.publicKey);
const b58 = (ks: PublicKey[]) => ks.map((k) => k.toBase58());

function funded(c: InstanceType<typeof ChainFixture>, lamports = 1_000_000_000_000n) {
  const k = Keypair.generate();
  c.svm.airdrop(k.publicKey, lamports);
  return k;
}

/** A committee of 4 (q = 3), tasks, model, a requester and two specialised nodes; a fifth oracle to rotate in. */
function setup() {
  const { c, request } = withRequester(DEFAULT_PARAMS, 4);
  const newcomer = funded(c, 10_000_000_000n);
  const nodes = [c.node(), c.node()];
  // oracle 3 leaves, the newcomer joins
  const next = [c.oracles[0]!, c.oracles[1]!, c.oracles[2]!, newcomer];
  const proposal: RotationProposal = { epoch: 1, oracles: keys(next), q: 3, activateSlot: 0n };
  return { c, request, newcomer, nodes, next, proposal, digest: rotationDigest(c.program.committeeAddress(), proposal) };
}

t.test('proposeRotation: only the authority, only the next epoch, sets checked like initCommittee', async (t) => {
  const { c, proposal, newcomer } = setup();
  const stranger = funded(c);
  const forged = c.program.proposeRotation(stranger.publicKey, proposal);
  t.equal(c.err([stranger], forged).errorName, 'NotAuthority', 'a stranger cannot propose');
  t.equal(c.err([c.oracles[0]!], c.program.proposeRotation(c.oracles[0]!.publicKey, proposal)).errorName, 'NotAuthority', 'nor a member');
  const a = c.authority, P = (p: Partial<RotationProposal>) => c.program.proposeRotation(a.publicKey, { ...proposal, ...p });
  t.equal(c.err([a], P({ epoch: 0 })).errorName, 'StaleEpoch', 'epoch 0 is the current one');
  t.equal(c.err([a], P({ epoch: 2 })).errorName, 'StaleEpoch', 'epoch 2 skips one');
  t.equal(c.err([a], P({ oracles: proposal.oracles.slice(0, 2), q: 2 })).errorName, 'CommitteeSize', 'two oracles');
  t.equal(c.err([a], P({ oracles: [...proposal.oracles, ...keys(Array.from({ length: 7 }, () => Keypair.generate()))], q: 9 })).errorName, 'CommitteeSize', 'eleven oracles');
  t.equal(c.err([a], P({ q: 2 })).errorName, 'Quorum', 'q below ceil((n+f+1)/2)');
  t.equal(c.err([a], P({ q: 5 })).errorName, 'Quorum', 'q above n');
  t.equal(c.err([a], P({ oracles: [newcomer.publicKey, ...proposal.oracles.slice(1, 3), newcomer.publicKey] })).errorName, 'DuplicateOracle');
  t.equal(c.err([a], P({ activateSlot: c.svm.slot() + 1_000_001n })).errorName, 'BadParameter', 'activation too far ahead');
  const short = P({});
  short.data = short.data.subarray(0, short.data.length - 1);
  t.equal(c.err([a], short).errorName, 'InvalidInstruction', 'key list cut');
  // a proposal account that is not at the derived address
  const wrong = P({});
  wrong.keys[2]!.pubkey = c.program.rotationAddress(2);
  t.equal(c.err([a], wrong).errorName, 'WrongAccount', 'the proposal lives at "rotation", committee, epoch');
  t.equal(c.committee().epoch, 0, 'nothing changed');

  // creation tolerates a pre-funded address (the excess back to the authority)
  const griefer = funded(c);
  c.ok([griefer], SystemProgram.transfer({ fromPubkey: griefer.publicKey, toPubkey: c.program.rotationAddress(1), lamports: 890_880n }));
  const created = c.ok([a], P({}));
  t.equal(c.lamports(c.program.rotationAddress(1)), rentOf(ACCOUNT_SIZE.rotation), 'a pre-funded proposal address: created, holding exactly its rent');
  c.svm.advanceSlots(1);
  const replacedCu = c.ok([a], P({})).computeUnits;
  t.comment(`CU (n = 4): proposeRotation pre-funded (transfer + allocate + assign) ${created.computeUnits}, replacing a pending one ${replacedCu}`);
  const r = decodeRotation(c.svm.account(c.program.rotationAddress(1))!.data);
  t.same({ epoch: r.epoch, n: r.n, q: r.q, approvals: r.approvals }, { epoch: 1, n: 4, q: 3, approvals: 0 });
  t.same(b58(r.oracles), b58(proposal.oracles));
  t.same(Buffer.from(r.digest), Buffer.from(rotationDigest(c.program.committeeAddress(), proposal)), 'the program and the client compute the same digest');
});

t.test('approveRotation: members only, once each, of the content they name; q approvals switch the committee', async (t) => {
  const { c, proposal, digest, newcomer } = setup();
  const a = c.authority;
  const created = c.ok([a], c.program.proposeRotation(a.publicKey, proposal));
  const [o0, o1, o2, o3] = c.oracles as [Keypair, Keypair, Keypair, Keypair];
  t.equal(c.err([newcomer], c.program.approveRotation(newcomer.publicKey, 1, digest)).errorName, 'NotCommitteeMember', 'a member of the proposed set is not yet a member');
  t.equal(c.err([a], c.program.approveRotation(a.publicKey, 1, digest)).errorName, 'NotCommitteeMember', 'nor is the authority');
  const other = rotationDigest(c.program.committeeAddress(), { ...proposal, q: 4 });
  t.equal(c.err([o0], c.program.approveRotation(o0.publicKey, 1, other)).errorName, 'ProposalMismatch', 'an approval of other content');
  t.equal(c.err([o0], c.program.approveRotation(o0.publicKey, 2, digest)).errorName, 'WrongAccount', 'no proposal for epoch 2');
  const unsigned = c.program.approveRotation(o0.publicKey, 1, digest);
  unsigned.keys[0]!.isSigner = false;
  t.equal(c.err([a], unsigned).errorName, 'MissingSigner');
  c.ok([o0], c.program.approveRotation(o0.publicKey, 1, digest));
  c.svm.advanceSlots(1); // a new block hash: the same transaction again would be AlreadyProcessed
  t.equal(c.err([o0], c.program.approveRotation(o0.publicKey, 1, digest)).errorName, 'AlreadyApproved', 'one approval per member');

  // the authority replaces the proposal: approvals reset, approvals of the old content refused
  const replaced = { ...proposal, q: 4 };
  c.ok([a], c.program.proposeRotation(a.publicKey, replaced));
  t.equal(decodeRotation(c.svm.account(c.program.rotationAddress(1))!.data).approvals, 0, 'a replaced proposal starts over');
  t.equal(c.err([o1], c.program.approveRotation(o1.publicKey, 1, digest)).errorName, 'ProposalMismatch', 'the content changed under the approver: refused');
  c.svm.advanceSlots(1);
  c.ok([a], c.program.proposeRotation(a.publicKey, proposal)); // back to the first content

  // another committee's proposal cannot be approved into this committee
  const hk = funded(c);
  const h = new SplitUpProgram(c.programId, hk.publicKey).setToken(c.money);
  c.ok([hk], h.initCommittee(hk.publicKey, keys([o0, o1, o2]), 3));
  const hp = { epoch: 1, oracles: keys([o0, o1, newcomer]), q: 3, activateSlot: 0n };
  c.ok([hk], h.proposeRotation(hk.publicKey, hp));
  const cross = c.program.approveRotation(o0.publicKey, 1, rotationDigest(h.committeeAddress(), hp));
  cross.keys[2]!.pubkey = h.rotationAddress(1);
  t.equal(c.err([o0], cross).errorName, 'WrongCommittee', "another committee's proposal");

  const before = c.committee();
  c.svm.advanceSlots(1);
  const first = c.ok([o0], c.program.approveRotation(o0.publicKey, 1, digest));
  c.ok([o1], c.program.approveRotation(o1.publicKey, 1, digest));
  t.equal(c.committee().epoch, 0, 'two approvals of q = 3: no switch yet');
  const proposalLamports = c.lamports(c.program.rotationAddress(1)), authorityLamports = c.lamports(c.authority.publicKey);
  const res = c.ok([o3], c.program.approveRotation(o3.publicKey, 1, digest)); // the leaving oracle may approve its own removal
  const after = c.committee();
  t.comment(`CU (n = 4): proposeRotation ${created.computeUnits}, approveRotation ${first.computeUnits}, approveRotation applying the rotation ${res.computeUnits}`);
  t.ok(res.computeUnits < 20_000n && created.computeUnits < 20_000n, 'far below the 200 000 CU budget');
  t.equal(after.epoch, 1, 'the q-th approval switches to epoch 1');
  t.same(b58(after.oracles), b58(proposal.oracles), 'the new member set');
  t.equal(after.q, 3);
  t.equal(after.epochStartSlot, c.svm.slot(), 'from the approval slot (no later activation asked)');
  t.same(after.previous && { epoch: after.previous.epoch, n: after.previous.n, q: after.previous.q, startSlot: after.previous.startSlot }, { epoch: 0, n: 4, q: 3, startSlot: 0n }, 'the previous set is kept');
  t.same(b58(after.previous!.oracles), b58(keys(c.oracles)));
  t.equal(c.svm.account(c.program.rotationAddress(1)), null, 'the proposal account closed');
  t.equal(c.lamports(c.authority.publicKey) - authorityLamports, proposalLamports, 'its rent back to the authority, who paid it');
  t.equal(after.treasury, before.treasury, 'the treasury (tokens) untouched');
  t.equal(c.lamports(c.program.committeeAddress()), rentOf(ACCOUNT_SIZE.committee), 'the committee holds exactly its rent');
  const recs = rotationRecordsInLogs(res.logs, c.programId.toBase58());
  t.equal(recs.length, 1, 'the switch logs a rotation record');
  t.same({ epoch: recs[0]!.epoch, q: recs[0]!.q, startSlot: recs[0]!.startSlot }, { epoch: 1, q: 3, startSlot: after.epochStartSlot });
  t.same(b58(recs[0]!.oracles), b58(proposal.oracles));
  // epoch 1 is done: the closed proposal cannot be approved or proposed again
  t.equal(c.err([o2], c.program.approveRotation(o2.publicKey, 1, digest)).errorName, 'WrongAccount', 'an applied proposal is gone');
  t.equal(c.err([a], c.program.proposeRotation(a.publicKey, proposal)).errorName, 'StaleEpoch', 'epoch 1 again');
  t.equal(c.err([hk], h.proposeRotation(hk.publicKey, { ...hp, epoch: 2 })).errorName, 'StaleEpoch', "the other committee's epoch is its own (still 0)");
  // the old member that left cannot approve the next rotation; the newcomer can
  const p2 = { epoch: 2, oracles: keys([o0, o1, o2, o3]), q: 3, activateSlot: 0n };
  c.ok([a], c.program.proposeRotation(a.publicKey, p2));
  const d2 = rotationDigest(c.program.committeeAddress(), p2);
  t.equal(c.err([o3], c.program.approveRotation(o3.publicKey, 2, d2)).errorName, 'NotCommitteeMember', 'a removed oracle does not approve');
  c.ok([newcomer], c.program.approveRotation(newcomer.publicKey, 2, d2));
});

t.test('votes: a selection is voted by the set in force at its seed slot; the removed oracle is refused after the switch', async (t) => {
  const { c, request, newcomer, nodes, next } = setup();
  const [o0, o1, , o3] = c.oracles as [Keypair, Keypair, Keypair, Keypair];
  const early = request(); // its first selection is seeded before the switch
  c.svm.advanceSlots(1);
  c.rotate(next);
  const cm = c.committee();
  t.equal(cm.epoch, 1);
  const eTs = c.execution(early).tasks[0]!;
  t.ok(eTs.readySlot < cm.epochStartSlot, 'the early selection was seeded before the switch');
  // the early selection keeps epoch 0's set: the newcomer is not a member of it, the leaving oracle is
  t.equal(c.err([newcomer], c.program.assignTask(newcomer.publicKey, early, 0, 0, nodes[0]!.publicKey)).errorName, 'NotCommitteeMember', "the newcomer does not vote on epoch 0's selection");
  c.ok([o3], c.program.assignTask(o3.publicKey, early, 0, 0, nodes[0]!.publicKey));
  c.ok([o0], c.program.assignTask(o0.publicKey, early, 0, 0, nodes[0]!.publicKey));
  const r = c.ok([o1], c.program.assignTask(o1.publicKey, early, 0, 0, nodes[0]!.publicKey));
  t.comment(`CU (n = 4): assignTask quorum vote counted against the previous epoch's set ${r.computeUnits}`);
  t.equal(c.execution(early).tasks[0]!.phase, Phase.Assigned, "q votes of epoch 0's set assign it");
  const rec = selectionRecordsInLogs(r.logs, c.programId.toBase58())[0]!;
  t.equal(rec.epoch, 0, 'its selection record names epoch 0');
  t.equal(rec.voteMask, 0b1011, "indices in epoch 0's set (oracles 0, 1, 3)");

  // a selection seeded after the switch: only the new set votes
  c.svm.advanceSlots(1);
  const late = request();
  t.ok(c.execution(late).tasks[0]!.readySlot >= cm.epochStartSlot);
  const e = c.err([o3], c.program.assignTask(o3.publicKey, late, 0, 0, nodes[1]!.publicKey));
  t.equal(e.errorName, 'NotCommitteeMember', "the removed oracle's vote is refused");
  t.match(e.message, /selection's epoch/);
  c.ok([newcomer], c.program.assignTask(newcomer.publicKey, late, 0, 0, nodes[1]!.publicKey));
  c.ok([o0], c.program.assignTask(o0.publicKey, late, 0, 0, nodes[1]!.publicKey));
  t.equal(c.execution(late).tasks[0]!.phase, Phase.Ready, 'two votes of q = 3: open');
  const r2 = c.ok([o1], c.program.assignTask(o1.publicKey, late, 0, 0, nodes[1]!.publicKey));
  t.comment(`CU (n = 4): assignTask quorum vote of the current epoch's set ${r2.computeUnits}`);
  t.equal(c.execution(late).tasks[0]!.phase, Phase.Assigned, "the newcomer's vote counted in the quorum");
  const rec2 = selectionRecordsInLogs(r2.logs, c.programId.toBase58())[0]!;
  t.same({ epoch: rec2.epoch, mask: rec2.voteMask }, { epoch: 1, mask: 0b1011 }, "epoch 1, the newcomer at index 3");

  // both executions finish; the early one's later tasks (seeded after the switch) are voted by epoch 1
  runToDone(c, early, nodes);
  runToDone(c, late, nodes);
  t.pass('both executions finished across the rotation');
});

t.test('stale selections expire and reopen under the current set; a later activation slot and RotationPending', async (t) => {
  const { c, request, newcomer, nodes, next } = setup();
  const [o0, o1, o2, o3] = c.oracles as [Keypair, Keypair, Keypair, Keypair];
  const id = request();
  c.svm.advanceSlots(1);
  c.rotate(next);
  c.svm.advanceSlots(1);
  c.rotate([o0, o1, o2, o3]); // back: epoch 2; epoch 0's selection is now older than the previous epoch
  t.equal(c.committee().epoch, 2);
  const stale = c.err([o0], c.program.assignTask(o0.publicKey, id, 0, 0, nodes[0]!.publicKey));
  t.equal(stale.errorName, 'StaleEpoch', "a selection of epoch 0 is refused once only epochs 1 and 2 are kept");
  const ts = c.execution(id).tasks[0]!;
  c.svm.advanceSlots(Number(ts.readySlot + BigInt(ts.timeoutSlots) - c.svm.slot()) + 1);
  c.timeoutTask(id, 0);
  const reopened = c.execution(id).tasks[0]!;
  t.same({ phase: reopened.phase, attempt: reopened.attempt }, { phase: Phase.Ready, attempt: 1 }, 'the timeout reopened it');
  t.equal(c.err([newcomer], c.program.assignTask(newcomer.publicKey, id, 0, 1, nodes[0]!.publicKey)).errorName, 'NotCommitteeMember', 'epoch 2 does not have the newcomer');
  c.assign(id, 0, nodes[0]!.publicKey);
  t.equal(c.execution(id).tasks[0]!.phase, Phase.Assigned, 'epoch 2 assigns it');

  // a rotation that activates later: selections seeded before the activation slot stay with the old set
  const at = c.svm.slot() + 10n;
  c.rotate(next, 3, at);
  const cm = c.committee();
  t.same({ epoch: cm.epoch, start: cm.epochStartSlot }, { epoch: 3, start: at }, 'epoch 3 from the stated slot');
  const p4 = { epoch: 4, oracles: keys([o0, o1, o2, o3]), q: 3, activateSlot: 0n };
  t.equal(c.err([c.authority], c.program.proposeRotation(c.authority.publicKey, p4)).errorName, 'RotationPending', 'no new rotation before epoch 3 starts');
  c.svm.advanceSlots(1);
  const before = request();
  t.equal(c.err([newcomer], c.program.assignTask(newcomer.publicKey, before, 0, 0, nodes[1]!.publicKey)).errorName, 'NotCommitteeMember', 'seeded before the activation: epoch 2 votes');
  c.assign(before, 0, nodes[1]!.publicKey, [o0, o1, o3]);
  c.svm.advanceSlots(Number(at - c.svm.slot()) + 1);
  const after = request();
  t.equal(c.err([o3], c.program.assignTask(o3.publicKey, after, 0, 0, nodes[1]!.publicKey)).errorName, 'NotCommitteeMember', 'seeded after the activation: epoch 3 votes');
  c.assign(after, 0, nodes[1]!.publicKey);
  t.equal(c.execution(after).tasks[0]!.phase, Phase.Assigned);
  c.ok([c.authority], c.program.proposeRotation(c.authority.publicKey, p4));
  t.pass('a rotation can be proposed once epoch 3 started');
  t.equal(quorumFor(4), 3);
});
