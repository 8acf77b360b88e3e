// Compute-node agents with 3 oracles and the local validator: executions run through the
// diamond model to completion, outputs are the reference computation, every task is verified
// (p = 1 here), and an agent that commits wrong results is slashed once arbiters outvote it
// (six nodes: asserter, validator and three arbiters are distinct).
import t from 'tap';
import { until } from './helpers/heartbeat.js';
import { Keypair, LAMPORTS_PER_SOL } from '@solana/web3.js';
import { ChainCommittee } from './helpers/chain-committee.js';
import { airdrop, faucet } from '../src/chain/bootstrap.js';
import { auditBooks } from '../src/chain/audit.js';
import { MODEL_ID } from '../src/chain/local-chain.js';
import { DEFAULT_PARAMS, USDC } from '../src/chain/program.js';
import { ExecStatus, NodeStatus, VerifyResult } from '../src/chain/layout.js';
import { CasStore } from '../src/cas/store.js';
import { localBlobs } from '../src/cas/blobs.js';
import { ComputeAgent } from '../src/node/agent.js';
import { decodeBundle, encodeBundle } from '../src/model/tensor.js';
import { exampleInput, runTask } from '../src/model/example.js';
import { tempDir } from './helpers/oracle.js';


t.test('agents compute the diamond model end to end; PoSP slashes the cheater', async (t) => {
  // Time scale: 1 s liveness rounds, 100 ms blocks and a 10 s minimum task timeout (100 slots);
  // loops and agents poll every 250 ms. A selection is bound to the round before its seed block
  // and must gather its votes within the task's timeout; with 400 ms rounds, 2 s timeouts and
  // 100 ms polling, three oracles, three agents and the validator sharing this one process on a
  // loaded machine committed rounds 4-10 s behind the clock, so selections lapsed and their
  // timeouts doubled until they exceeded that lag (a run took 124 s, others timed out at 150 s).
  // Six nodes: a dispute needs three arbiters besides the two parties (PoSP).
  const cc = new ChainCommittee(3, 6, { epochMs: 1000, loopPollMs: 250, params: { ...DEFAULT_PARAMS, pPpm: 1_000_000, minTimeoutSlots: 100n } });
  const { dir, cleanup } = tempDir('splitup-cas-');
  t.teardown(async () => { await Promise.all(agents.map((a) => a.stop())); await cc.close(); cleanup(); });
  const cas = new CasStore(dir);
  const agents: ComputeAgent[] = [];
  await cc.start();
  await cc.caughtUp(10, 120_000); // within 10 rounds (10 s) of the clock: below the 10 s minimum timeout
  for (let i = 0; i < 3; i++) cc.startLoop(i);
  const cheater = cc.nodeKeys[5]!;
  cc.nodeKeys.forEach((keypair, i) => { const a = new ComputeAgent({ chain: cc.chain, keypair, cas: localBlobs(cas), pollMs: 250, cheat: i === 5 }); agents.push(a); a.start(); });

  const chain = cc.chain;
  const requester = Keypair.generate();
  await airdrop(chain, requester.publicKey, 100n * BigInt(LAMPORTS_PER_SOL)); // fees and rent
  await faucet(chain, requester, requester.publicKey, 1_000_000n * USDC); // test USDC for the escrows
  const nonces = [1n, 2n, 3n, 4n, 5n, 6n];
  const ids = nonces.map((n) => chain.program.executionId(requester.publicKey, n));
  for (const nonce of nonces) {
    const uri = `cas://${cas.put(encodeBundle([exampleInput(Number(nonce))]))}`;
    await chain.send([requester], [chain.program.requestExecution(requester.publicKey, MODEL_ID, nonce, uri, 2_000_000_000n)]);
  }
  const execs = await until('every execution done', async () => {
    const all = await Promise.all(ids.map((id) => chain.execution(id)));
    return all.every((e) => e?.status === ExecStatus.Done) ? all.map((e) => e!) : null;
  }, 150_000); // generous: under a loaded CI machine heartbeats run late and verifications wait for an eligible validator

  const model = (await chain.model(MODEL_ID))!, cm = (await chain.committee())!;
  const fee = (i: number) => model.computeUnits[i]! * cm.pricePerKcu / 1000n;
  let mismatches = 0, byCheater = 0;
  for (const e of execs) {
    for (const ts of e.tasks) {
      t.equal(ts.result === VerifyResult.Match || ts.result === VerifyResult.Mismatch, true, 'every task verified at p = 1');
      const cheated = ts.asserter!.equals(cheater.publicKey);
      if (cheated) byCheater++;
      if (ts.result === VerifyResult.Mismatch) { mismatches++; t.ok(cheated, 'only the cheater\'s results mismatch'); }
      else t.same(Buffer.from(ts.fpA), Buffer.from(ts.fpV), 'a match: equal fingerprints');
    }
    // honest end to end: the reported output of the last task is the reference computation
    if (e.tasks.every((ts) => !ts.asserter!.equals(cheater.publicKey))) {
      const x = exampleInput(Number(nonces[ids.indexOf(e.execId)]!));
      const [h] = runTask(1, [x]);
      const [l] = runTask(2, [h!]);
      const [r] = runTask(3, [h!]);
      const ref = encodeBundle(runTask(4, [l!, r!]));
      t.same(decodeBundle(cas.get(Buffer.from(e.tasks[3]!.output).toString('hex'))), decodeBundle(ref), `execution ${e.execId}: output = reference`);
    }
    // the fees paid (C per task, R per match) left the escrow; the rest is refunded when the requester closes
    const fees = e.tasks.reduce((a, ts, i) => a + (ts.result === VerifyResult.Match ? fee(i) * 22n / 10n : ts.result === VerifyResult.Mismatch ? 0n : fee(i)), 0n);
    t.equal(2_000_000_000n - e.escrow, fees, 'the escrow paid C per task and R per match (nothing for a caught lie)');
    const before = await chain.usdcOf(requester.publicKey);
    await chain.send([requester], [chain.program.closeExecution(requester.publicKey, e.execId)]);
    t.equal(await chain.usdcOf(requester.publicKey) - before, e.escrow, 'closed: the unspent escrow refunded in USDC');
  }
  const books = await auditBooks(chain);
  t.equal(books.vaultBalance, books.books, `the vault holds exactly the books (${books.books} USDC)`);
  const cheat = (await chain.node(cheater.publicKey))!;
  if (byCheater > 0) {
    t.equal(mismatches, byCheater, 'every cheated result caught (p = 1)');
    t.ok(cheat.slashes >= 1, `cheater slashed ${cheat.slashes} time(s)`);
    t.equal(cheat.status, NodeStatus.Slashed);
  } else t.comment('the cheater was never selected as asserter in this run');
  for (const k of cc.nodeKeys.slice(0, 5)) t.equal((await chain.node(k.publicKey))!.slashes, 0, 'honest nodes are never slashed');
  t.ok(agents.slice(0, 5).reduce((a, x) => a + x.stats.computed, 0) > 0);
  if (mismatches > 0) t.ok(agents.slice(0, 5).reduce((a, x) => a + x.stats.arbitrated, 0) >= 3, 'disputes were decided by arbiters that computed');
});
