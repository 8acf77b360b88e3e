// The local validator over HTTP JSON-RPC, driven by @solana/web3.js clients, and its restart.
import t from 'tap';
import { until } from './helpers/heartbeat.js';
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, SystemProgram, Transaction } from '@solana/web3.js';
import { LocalValidator } from '../src/validator/server.js';
import { ChainClient } from '../src/chain/client.js';
import { airdrop, bootstrapChain, faucet, registerNode } from '../src/chain/bootstrap.js';
import { USDC } from '../src/chain/program.js';
import { loadProgramBinary } from '../src/chain/program.js';
import { MODEL_ID } from '../src/chain/local-chain.js';
import { ExecStatus, NodeStatus, Phase } from '../src/chain/layout.js';
import { ProgramError } from '../src/chain/errors.js';
import { tempDir } from './helpers/oracle.js';
import { start, withCommittee } from './helpers/validator.js';

const programId = new PublicKey('SpLitUp111111111111111111111111111111111111');


t.test('a web3.js client registers nodes and requests an execution over JSON-RPC', async (t) => {
  const { dir, cleanup } = tempDir('splitup-validator-');
  t.teardown(cleanup);
  const v = await LocalValidator.start({ dataDir: dir, programs: [{ id: programId, so: loadProgramBinary() }], slotMs: 50 });
  t.teardown(() => v.close());
  t.match(v.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const conn = new Connection(v.url, 'confirmed');
  t.match((await conn.getVersion())['solana-core'], /splitup-local-validator/);
  const s0 = await conn.getSlot();
  await until('slots to advance', async () => (await conn.getSlot()) > s0 + 2);
  t.ok(await conn.getMinimumBalanceForRentExemption(152) > 0);

  const authority = Keypair.generate();
  const chain = new ChainClient(v.url, programId, authority.publicKey);
  const oracles = [Keypair.generate(), Keypair.generate(), Keypair.generate()];
  const nodes = [Keypair.generate(), Keypair.generate()];
  await bootstrapChain(chain, { authority, oracles: oracles.map((o) => o.publicKey), nodes: nodes.map((keypair) => ({ keypair })) });
  const registered = await chain.nodes();
  t.same(registered.map((n) => n.key.toBase58()).sort(), nodes.map((n) => n.publicKey.toBase58()).sort(), 'getProgramAccounts with dataSize + memcmp filters finds the nodes');
  t.ok(registered.every((n) => n.status === NodeStatus.Active && n.specializations.length === 4));
  t.equal((await chain.committee())?.q, 2);

  const requester = Keypair.generate();
  await conn.requestAirdrop(requester.publicKey, 5 * LAMPORTS_PER_SOL);
  await until('airdrop', async () => (await conn.getBalance(requester.publicKey)) > 0);
  await faucet(chain, requester, requester.publicKey, 10_000n * USDC);
  t.equal(await chain.usdcOf(requester.publicKey), 10_000n * USDC, 'the faucet minted test USDC to its associated token account');
  await chain.send([requester], [chain.program.requestExecution(requester.publicKey, MODEL_ID, 42n, 'cas://input', 1_000_000_000n)]);
  const e = await chain.execution(chain.program.executionId(requester.publicKey, 42n));
  t.equal(e?.status, ExecStatus.Running);
  t.same(e?.tasks.map((s) => s.phase), [Phase.Ready, Phase.Pending, Phase.Pending, Phase.Pending]);
  t.equal((await chain.runningExecutions()).length, 1);
  t.ok((await conn.getBlockTime(Number(e!.tasks[0]!.readySlot))) ?? 0 > 0, 'block time of the seed block is served');

  // a program rejection comes back typed
  const err = await chain.send([requester], [chain.program.requestExecution(requester.publicKey, MODEL_ID, 43n, 'cas://input', 1n)]).catch((x) => x);
  t.ok(err instanceof ProgramError);
  t.equal((err as ProgramError).errorName, 'FeeTooLow');
  // skipPreflight: the failing transaction executes (fee charged) and its status carries the error
  const { blockhash } = await conn.getLatestBlockhash();
  const tx = new Transaction({ recentBlockhash: blockhash, feePayer: requester.publicKey }).add(chain.program.requestExecution(requester.publicKey, MODEL_ID, 44n, 'x', 1n));
  tx.sign(requester);
  const sig = await conn.sendRawTransaction(tx.serialize(), { skipPreflight: true });
  const st = (await conn.getSignatureStatuses([sig])).value[0];
  t.same(st?.err, { InstructionError: [0, { Custom: 24 }] });
  // an unknown block hash is refused
  const stale = new Transaction({ recentBlockhash: Keypair.generate().publicKey.toBase58(), feePayer: requester.publicKey }).add(SystemProgram.transfer({ fromPubkey: requester.publicKey, toPubkey: oracles[0]!.publicKey, lamports: 1 }));
  stale.sign(requester);
  await t.rejects(conn.sendRawTransaction(stale.serialize()), /Blockhash not found/);
  const fresh = new Transaction({ recentBlockhash: blockhash, feePayer: requester.publicKey }).add(chain.program.requestExecution(requester.publicKey, MODEL_ID, 45n, 'x', 1n));
  fresh.sign(requester);
  const sim = await conn.simulateTransaction(fresh);
  t.ok(sim.value.err, 'simulateTransaction reports the failure');
  t.ok(sim.value.logs?.some((l) => l.includes('FeeTooLow')));
});

t.test('a validator restart loses no state', async (t) => {
  const { dir, cleanup } = tempDir('splitup-validator-');
  t.teardown(cleanup);
  let v = await LocalValidator.start({ dataDir: dir, programs: [{ id: programId, so: loadProgramBinary() }], slotMs: 0 });
  const authority = Keypair.generate();
  let chain = new ChainClient(v.url, programId, authority.publicKey);
  const oracles = [Keypair.generate(), Keypair.generate(), Keypair.generate()];
  const node = Keypair.generate();
  await bootstrapChain(chain, { authority, oracles: oracles.map((o) => o.publicKey), nodes: [{ keypair: node }] });
  const requester = Keypair.generate();
  await chain.connection.requestAirdrop(requester.publicKey, 5 * LAMPORTS_PER_SOL);
  for (let i = 0; i < 3; i++) await v.produceSlot();
  await faucet(chain, requester, requester.publicKey, 10_000n * USDC);
  const sig = await chain.send([requester], [chain.program.requestExecution(requester.publicKey, MODEL_ID, 9n, 'cas://in', 1_000_000_000n)]);
  await airdrop(chain, oracles[0]!.publicKey, BigInt(LAMPORTS_PER_SOL));
  await chain.send([oracles[0]!], [chain.program.assignTask(oracles[0]!.publicKey, chain.program.executionId(requester.publicKey, 9n), 0, 0, node.publicKey)]);
  const before = { slot: await chain.slot(), exec: await chain.execution(chain.program.executionId(requester.publicKey, 9n)), bal: await chain.connection.getBalance(requester.publicKey), usdc: await chain.usdcOf(requester.publicKey) };
  t.equal(before.exec?.tasks[0]!.voteMask, 1, 'the vote is on chain');
  // like kill -9: nothing is written on the way down beyond what each call already fsync'ed
  await v.close({ snapshot: false });
  v = await LocalValidator.start({ dataDir: dir, programs: [{ id: programId, so: loadProgramBinary() }], slotMs: 0 });
  t.teardown(() => v.close());
  chain = new ChainClient(v.url, programId, authority.publicKey);
  t.equal(await chain.slot(), before.slot, 'slot restored');
  t.same(await chain.execution(chain.program.executionId(requester.publicKey, 9n)), before.exec, 'execution state restored');
  t.equal(await chain.connection.getBalance(requester.publicKey), before.bal, 'balances restored');
  t.equal(await chain.usdcOf(requester.publicKey), before.usdc, 'token balances restored');
  t.equal(before.usdc, 10_000n * USDC - 1_000_000_000n, 'the escrow had left the requester');
  t.ok((await chain.connection.getSignatureStatuses([sig])).value[0], 'signature statuses restored');
  t.equal((await chain.nodes()).length, 1);
  // and it keeps going
  await v.produceSlot();
  t.equal(await chain.slot(), before.slot + 1n);
});

t.test('RPC reads come from the account cache: the bank is read again only after a write', async (t) => {
  // LiteSVM leaks the native copy of every account it returns, so a validator that read the bank
  // for each getAccountInfo / getProgramAccounts grew by gigabytes an hour under polling
  const v = await start(t, 50);
  const { chain, authority } = await withCommittee(v.url, programId);
  const svm = (v.ledger as unknown as { svm: { getAccount: (k: string) => unknown; getProgramAccounts: (k: string) => unknown[] } }).svm;
  let reads = 0, scans = 0;
  const getAccount = svm.getAccount.bind(svm), getProgramAccounts = svm.getProgramAccounts.bind(svm);
  svm.getAccount = (k) => { reads++; return getAccount(k); };
  svm.getProgramAccounts = (k) => { scans++; return getProgramAccounts(k); };
  const conn = new Connection(v.url, 'confirmed');
  const committee = chain.program.committeeAddress();
  const before = await conn.getAccountInfo(committee);
  t.ok(before, 'the committee account');
  await chain.nodes();
  const r0 = reads, s0 = scans;
  for (let i = 0; i < 20; i++) { await conn.getAccountInfo(committee); await chain.nodes(); }
  t.equal(reads, r0, '20 more reads of an unchanged account: no bank read');
  t.equal(scans, s0, '20 more program-account scans: no bank scan');
  // a write (an airdrop to the authority) makes exactly what it touched be read again, once
  await airdrop(chain, authority.publicKey, 5_000_000_000n);
  const bal = await conn.getBalance(authority.publicKey);
  t.ok(bal >= 5_000_000_000, 'the new balance is seen');
  const r1 = reads;
  for (let i = 0; i < 10; i++) await conn.getBalance(authority.publicKey);
  t.equal(reads, r1, 'and then served from the cache');
  // a created account shows up in the program's scan without a bank scan
  const node = Keypair.generate();
  await airdrop(chain, node.publicKey, 10_000_000_000_000n);
  await registerNode(chain, node, 8, [1], { fund: true });
  t.ok((await chain.nodes()).some((n) => n.key.equals(node.publicKey)), 'a node registered after the first scan is listed');
  t.equal(scans, s0, 'still no bank scan');
});
