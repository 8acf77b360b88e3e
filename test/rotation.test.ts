// Committee rotation end to end (issue 17): a committee of four oracles (real libp2p consensus,
// selection proofs over gossip, chain loops voting over JSON-RPC on the local validator) keeps
// assigning requests while the authority rotates oracle 3 out and a newcomer in. The committee of
// epoch 1 (oracles 0–2 and the newcomer, its own consensus and committee file) runs alongside; the
// program switches at q = 3 approvals of the current members. Selections seeded before the switch are
// epoch 0's, after it epoch 1's: the removed oracle's vote is refused, the newcomer's counted, and
// every selection stays verifiable against its own epoch's committee (certificate and ECVRF proof).
import t from 'tap';
import { Keypair, LAMPORTS_PER_SOL, PublicKey } from '@solana/web3.js';
import { ChainCommittee } from './helpers/chain-committee.js';
import { until } from './helpers/heartbeat.js';
import { USDC } from '../src/chain/program.js';
import { airdrop, faucet } from '../src/chain/bootstrap.js';
import { asProgramError } from '../src/chain/client.js';
import { memberSetAt, selectionRecordsInLogs, type SelectionRecord } from '../src/chain/layout.js';
import { MODEL_ID } from '../src/chain/local-chain.js';
import { roundForBlockTime } from '../src/chain/loop.js';
import { auditExecution, checkSelection } from '../src/chain/audit.js';
import { CommitteeKeys, verifyCertificate } from '../src/consensus/messages.js';
import { decodeSelectionProof } from '../src/vrf/proof-message.js';

t.test('rotate one oracle out and one in while requests keep being assigned', async (t) => {
  // 2 s rounds: two committees (eight consensus members) share the busy machine
  const a = new ChainCommittee(4, 5, { epochMs: 2000 });
  let b: ChainCommittee | null = null;
  t.teardown(async () => { await b?.close(); await a.close(); });
  await a.start();
  await a.caughtUp(5, 180_000);
  for (let i = 0; i < 4; i++) a.startLoop(i);
  const chain = a.chain, programId = chain.program.programId.toBase58();
  const requester = Keypair.generate();
  await airdrop(chain, requester.publicKey, 50n * BigInt(LAMPORTS_PER_SOL)); // fees and rent
  await faucet(chain, requester, requester.publicKey, 1_000_000n * USDC); // test USDC for the escrows
  let nonce = 0n;
  const request = async () => {
    const n = ++nonce;
    await chain.send([requester], [chain.program.requestExecution(requester.publicKey, MODEL_ID, n, `cas://rotation-${n}`, 2_000_000_000n)]);
    return chain.program.executionId(requester.publicKey, n);
  };
  // every quorum of an execution, from its ledger history (no compute node works here: an assignment
  // lapses and its task is selected again, so the task account alone would miss quorums)
  const records = async (id: bigint): Promise<SelectionRecord[]> =>
    (await chain.history(chain.program.executionAddress(id))).flatMap((tx) => (tx.ok ? selectionRecordsInLogs(tx.logs, programId) : []));
  const firstQuorum = (id: bigint, what: string) => until(what, async () => (await records(id))[0] ?? null, 180_000, 500);

  // epoch 0 assigns
  const before = await request();
  const r0 = await firstQuorum(before, 'a quorum of epoch 0');
  t.equal(r0.epoch, 0, 'epoch 0 selects before the rotation');

  // the next epoch's committee (oracles 0, 1, 2 and a newcomer) starts its own consensus; its loops
  // leave epoch 0's selections alone. Oracle 2's loop stays off, so every epoch-1 quorum of 3
  // needs the newcomer's vote.
  b = new ChainCommittee(4, 5, { follows: { cc: a, epoch: 1, keep: [0, 1, 2] } });
  await b.start();
  await b.caughtUp(5, 180_000);
  for (const i of [0, 1, 3]) b.startLoop(i);
  const newcomer = b.oracleKeypair(3), removed = a.oracleKeypair(3);
  t.equal(b.tc.committee.epoch, 1);

  const { proposal, digest } = await chain.proposeRotation(a.authority, b.tc.committee.members.map((m) => new PublicKey(m.signingKey)), 3);
  t.equal(proposal.epoch, 1);
  const during = await request(); // requested while the proposal waits for approvals
  for (const i of [0, 1]) t.same(await chain.approveRotation(a.oracleKeypair(i), digest), { epoch: 1, applied: false });
  t.same(await chain.approveRotation(a.oracleKeypair(2), digest), { epoch: 1, applied: true }, 'the third approval switches');
  const cm = (await chain.committee())!;
  t.equal(cm.epoch, 1);
  await until('a block after the switch', async () => (await chain.slot()) > cm.epochStartSlot, 30_000, 50);

  // requests keep coming after the switch; epoch 1 assigns them, with the newcomer's vote
  const after = [await request(), await request()];
  for (const id of after) {
    const e = (await chain.execution(id))!;
    t.equal(memberSetAt(cm, e.tasks[0]!.readySlot)!.epoch, 1, `execution ${id}: seeded after the switch`);
    const r = await firstQuorum(id, `a quorum of epoch 1 for execution ${id}`);
    t.equal(r.epoch, 1, 'its selection record names epoch 1');
    t.ok(r.voteMask & (1 << 3), "the newcomer's vote is in the quorum (index 3 of epoch 1's set)");
    t.notOk(r.voteMask & (1 << 2), 'oracle 2 (loop off) did not vote');
    // the removed oracle's loop left it alone, and its vote is refused by the program
    t.ok(a.events.some((ev) => ev.oracle === 3 && ev.kind === 'other-epoch' && ev.key.startsWith(`${id}/0/`)), 'the removed oracle\'s loop reported the selection as another epoch\'s');
    const refused = await chain.send([removed], [chain.program.assignTask(removed.publicKey, id, 0, (await chain.execution(id))!.tasks[0]!.attempt, r.node)]).then(() => null, (err) => asProgramError(err));
    t.equal(refused?.errorName, 'NotCommitteeMember', "the removed oracle's vote is refused after the switch");
  }
  t.ok(b.events.some((ev) => ev.oracle === 3 && ev.kind === 'voted'), 'the newcomer voted (its votes landed)');

  // every quorum of every execution (the one requested during the proposal included, whichever
  // epoch its selections fell in) names the epoch whose set was in force at its seed slot, and its
  // vote mask stays within that set
  await firstQuorum(during, 'a quorum for the execution requested during the proposal');
  const all = (await Promise.all([before, during, ...after].map(records))).flat();
  for (const r of all) {
    t.equal(r.epoch, memberSetAt(cm, r.readySlot)?.epoch, `execution ${r.execId} task ${r.task} attempt ${r.attempt}: epoch ${r.epoch}, the set in force at its seed slot`);
    t.equal(r.voteMask & ~0b1111, 0);
  }
  t.ok(all.some((r) => r.epoch === 0) && all.some((r) => r.epoch === 1), 'quorums of both epochs');

  // every selection stays verifiable against its epoch's committee: the table's certificate under
  // that committee's keys (and not the other's: the id binds the epoch), and the ECVRF proof under
  // its members' VRF keys re-derives the node
  const nodes = await chain.nodes();
  for (const r of all) {
    const [own, other] = r.epoch === 0 ? [a, b] : [b, a];
    const round = roundForBlockTime(own.tc.committee, (await chain.blockTime(r.readySlot))! * 1000)!;
    const c = await until(`round ${round} of epoch ${r.epoch}`, async () => (await own.tc.oracles[0]!.service?.getCommitted(round)) ?? null, 30_000, 200);
    const d = c.decision as unknown as { round: bigint; view: number; tableHash: Uint8Array; sigs: never };
    const cert = { round: d.round, view: d.view, tableHash: d.tableHash, sigs: d.sigs };
    t.same(verifyCertificate(cert, new CommitteeKeys(own.tc.committee)), { ok: true }, `execution ${r.execId} attempt ${r.attempt}: round ${round} certified by epoch ${r.epoch}'s committee`);
    t.equal(verifyCertificate(cert, new CommitteeKeys(other.tc.committee)).ok, false, "and not by the other epoch's");
    const proofs = own.proofsSeen.filter((x) => { const m = decodeSelectionProof(x); return m.request.executionId === r.execId && m.request.taskId === r.taskId && m.request.attempt === r.attempt; });
    const selection = { execId: r.execId, task: r.task, taskId: r.taskId, attempt: r.attempt, seed: r.seed, readySlot: r.readySlot, excluded: r.excluded, node: r.node };
    const verdicts = proofs.map((proof) => checkSelection({ committee: own.tc.committee, nodes, selection, proof, round, table: { hash: c.committed.hash, entries: c.committed.entries } }));
    t.ok(verdicts.includes(null), `a proof of epoch ${r.epoch}'s committee selects the node (${verdicts.length} proofs seen)`);
  }

  // the auditor (what npm start runs) given each epoch's committee file and oracles: every selection
  // of every execution passes against its own epoch; given only epoch 0's, epoch 1's are not passed
  const urls = (cc: ChainCommittee) => cc.tc.oracles.flatMap((o) => (o.url ? [o.url] : []));
  const epochs = new Map([[0, { committee: a.tc.committee, oracleUrls: urls(a) }], [1, { committee: b.tc.committee, oracleUrls: urls(b) }]]);
  for (const id of [before, during, ...after]) {
    const exec = (await chain.execution(id))!;
    const audit = await auditExecution({ chain, committee: a.tc.committee, oracleUrls: urls(a), nodes, exec, q: 3, epochs });
    t.ok(audit.results.length >= 1 && audit.results.every((r) => r.proof && r.quorum), `execution ${id}: ${audit.results.length} selections audited against their epochs ${JSON.stringify(audit.results.filter((r) => !r.proof).map((r) => r.reason))}`);
    t.same(audit.gaps, []);
  }
  const exec = (await chain.execution(after[0]!))!;
  const onlyEpoch0 = await auditExecution({ chain, committee: a.tc.committee, oracleUrls: urls(a), nodes, exec, q: 3 });
  const ofEpoch1 = (await records(after[0]!)).filter((r) => r.epoch === 1).length;
  t.ok(ofEpoch1 >= 1);
  t.equal(onlyEpoch0.results.filter((r) => !r.proof && /no committee file of epoch 1/.test(r.reason ?? '')).length, ofEpoch1, `without epoch 1's committee its ${ofEpoch1} selections are not passed`);
});
