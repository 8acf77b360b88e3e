// Three oracles (real libp2p consensus, selection proofs over gossip) and the local validator
// over JSON-RPC: assignments need 2 matching votes, equal the selection anyone re-derives from
// the published proof, and no restart makes an oracle vote a different node.
import t from 'tap';
import { until } from './helpers/heartbeat.js';
import { Keypair, LAMPORTS_PER_SOL, PublicKey } from '@solana/web3.js';
import { ChainCommittee } from './helpers/chain-committee.js';
import { USDC } from '../src/chain/program.js';
import { airdrop, faucet } from '../src/chain/bootstrap.js';
import { Phase } from '../src/chain/layout.js';
import { MODEL_ID } from '../src/chain/local-chain.js';
import { requestKey, roundForBlockTime, type VoteStore } from '../src/chain/loop.js';
import { LevelVoteStore } from '../src/chain/vote-store.js';
import { decodeSelectionProof } from '../src/vrf/proof-message.js';
import { eligibleSet, proverIndex, verifySelection } from '../src/vrf/selection.js';
import { NodeStatus } from '../src/chain/layout.js';


t.test('3 oracles: assignment at 2 matching votes, equal to the selection re-derived from the published proof; restart keeps the vote', async (t) => {
  const cc = new ChainCommittee(3, 5);
  t.teardown(() => cc.close());
  await cc.start();
  await until('a committed round on every oracle', () => cc.tc.oracles.every((_, i) => cc.tc.head(i) >= 3n), 60_000, 100);
  // The chain's clock stands still while the test observes attempt 0 of each request: with 100 ms
  // blocks, a selection or an assignment lapses after 20 slots (2 s), and on a loaded machine the
  // loops' timeout could otherwise reassign a task before the test reads it. Time moves again
  // below, where the test wants the timeout.
  const heldAt = await cc.holdSlots();
  const chain = cc.chain;
  const requester = Keypair.generate();
  await airdrop(chain, requester.publicKey, 50n * BigInt(LAMPORTS_PER_SOL)); // fees and rent
  await faucet(chain, requester, requester.publicKey, 1_000_000n * USDC); // test USDC for the escrows
  await chain.send([requester], [chain.program.requestExecution(requester.publicKey, MODEL_ID, 1n, 'cas://input-1', 2_000_000_000n)]);
  const id1 = chain.program.executionId(requester.publicKey, 1n), id2 = chain.program.executionId(requester.publicKey, 2n);
  let e = (await chain.execution(id1))!;
  const ts0 = e.tasks[0]!;
  const req = { executionId: id1, taskId: e.taskIds[0]!, attempt: 0, seed: ts0.seed, exclude: [] };
  const prover = proverIndex(req, 3);

  // Only the prover runs its loop: it proves, publishes and votes; one vote cannot assign.
  cc.startLoop(prover);
  // the prover first needs the committed table of the round before the seed block: on a loaded
  // machine the committee commits rounds tens of seconds behind the clock (measured: it did not
  // catch up within 120 s at load average ~20), hence the long bound
  await until('the prover\'s vote on chain', async () => ((await chain.execution(id1))!.tasks[0]!.voteMask & (1 << prover)) !== 0, 120_000, 100);
  e = (await chain.execution(id1))!;
  t.equal(e.tasks[0]!.phase, Phase.Ready, 'one vote of three does not assign');
  const proofBytes = await until('the published proof seen by a peer', () => cc.proofsSeen.find((d) => decodeSelectionProof(d).request.executionId === id1));
  const proof = decodeSelectionProof(proofBytes);
  t.equal(proof.proverIndex, prover);

  // A second oracle verifies the proof and votes the same node: 2 of 3 assign.
  const second = (prover + 1) % 3;
  cc.startLoop(second);
  e = await until('assignment', async () => { const x = (await chain.execution(id1))!; return x.tasks[0]!.phase === Phase.Assigned ? x : null; });
  const ts = e.tasks[0]!;
  const matching = ts.votes.filter((v) => v && ts.assigned && v.equals(ts.assigned)).length;
  t.ok(matching >= 2, `the chain holds ${matching} matching votes for the assigned node`);

  // Anyone re-derives the selection: the proof under the prover's VRF key, the committed table
  // of the round bound to the seed's block time (fetched from a third oracle), chain node state.
  const third = (prover + 2) % 3;
  const blockTime = (await chain.blockTime(ts0.readySlot))! * 1000;
  const round = roundForBlockTime(cc.tc.committee, blockTime)!;
  t.equal(proof.roundId, round, 'the proof is bound to the last complete round before the seed block');
  const table = (await cc.tc.oracles[third]!.service!.getCommitted(round))!;
  t.same(Buffer.from(table.committed.hash), Buffer.from(proof.tableHash), 'the table the proof names is the one the committee committed');
  const nodes = await chain.nodes();
  const eligible = eligibleSet(nodes.map((n) => ({ nodeId: n.key.toBytes(), active: n.status === NodeStatus.Active, specializations: n.specializations })), table.committed.entries, req.taskId, []);
  t.ok(eligible.length >= 1, `${eligible.length} eligible nodes`);
  const check = verifySelection(cc.tc.committee.params.suite, cc.tc.committee.members[prover]!.vrfKey, req, table.committed.hash, eligible, proof.proof, proof.selected);
  t.ok(check.ok, 'the proof verifies under the prover\'s VRF key');
  t.equal(check.ok && check.outcome.kind === 'selected' ? new PublicKey(check.outcome.node).toBase58() : null, ts.assigned!.toBase58(), 'the node on chain is the one the proof selects');

  // Restart: the third oracle crashes right after recording its vote for the next request and
  // before sending it; after the restart it sends exactly the recorded vote. The prover's loop stops
  // before the request opens, so the third oracle's vote is the one that matters (a prover still
  // running could prove and vote with the second oracle first, assigning without the third).
  await cc.stopLoop(prover);
  await chain.send([requester], [chain.program.requestExecution(requester.publicKey, MODEL_ID, 2n, 'cas://input-2', 2_000_000_000n)]);
  const key = requestKey(id2, 0, 0);
  let recorded: Uint8Array | null = null;
  const store = new LevelVoteStore(cc.tc.oracles[third]!.db!);
  // Only the vote for request 2 crashes; any other vote passes through untouched. After the
  // crash the store is dead (as the process would be), so the loop cannot send anything until it
  // is restarted.
  const dead = (): never => { throw new Error('the oracle process has crashed'); };
  const crashing: VoteStore = {
    get: (k) => (recorded ? dead() : store.get(k)),
    put: async (k, node) => {
      if (recorded) dead();
      await store.put(k, node);
      if (k !== key) return;
      recorded = node;
      throw new Error('simulated crash after the vote was recorded');
    },
  };
  cc.startLoop(third, crashing);
  await until('the third oracle recorded its vote', () => recorded);
  await cc.stopLoop(third);
  t.equal(((await chain.execution(id2))!.tasks[0]!.voteMask & (1 << third)), 0, 'crashed before sending');
  t.same(Buffer.from((await store.get(key))!), Buffer.from(recorded!), 'the vote is on disk');
  cc.startLoop(third);
  const after = await until('the restarted oracle\'s vote on chain', async () => { const x = (await chain.execution(id2))!; return x.tasks[0]!.voteMask & (1 << third) ? x : null; });
  t.equal(after.tasks[0]!.votes[third]!.toBase58(), new PublicKey(recorded!).toBase58(), 'after the restart it votes exactly the recorded node');
  await t.rejects(store.put(key, new Uint8Array(32).fill(9)), /refusing a second, different vote/, 'the store itself refuses a conflicting vote');
  const conflicting = await chain.send([cc.oracleKeypair(third)], [chain.program.assignTask(cc.oracleKeypair(third).publicKey, id2, 0, 0, cc.nodeKeys.find((k) => !k.publicKey.equals(new PublicKey(recorded!)))!.publicKey)]).catch((x) => x);
  t.match(String(conflicting), /DoubleVote|AlreadyAssigned|NodeNotSpecialized/, 'and the program refuses a second vote anyway');
  t.notOk(cc.events.some((ev) => ev.kind === 'rejected-proof'), 'no honest proof was rejected');

  // Nobody computes execution 1's task: after its deadline the loops call timeout, and the task
  // is reassigned at attempt 1, with a doubled timeout, to another node.
  t.equal(await chain.slot(), heldAt, 'no block was produced while the test observed attempt 0');
  t.equal(ts.attempt, 0, 'the assignment observed above is attempt 0');
  cc.startLoop(prover);
  const first = ts.assigned!.toBase58();
  cc.releaseSlots();
  const re = await until('reassignment after the timeout', async () => { const x = (await chain.execution(id1))!; return x.tasks[0]!.attempt >= 1 && x.tasks[0]!.phase === Phase.Assigned ? x : null; }, 40_000);
  t.equal(re.tasks[0]!.timeoutSlots, ts.timeoutSlots * 2 ** re.tasks[0]!.attempt, 'timeout doubled per attempt');
  t.ok(re.tasks[0]!.excluded.some((k) => k.toBase58() === first), 'the lapsed node is excluded');
  t.not(re.tasks[0]!.assigned!.toBase58(), first, 'reassigned to another node');
  t.ok(cc.events.some((ev) => ev.kind === 'timeout'), 'an oracle called timeout');
});
