// The program against hostile callers (issue 17): front-running the committee, pre-funded addresses
// and squatted ids, overflowing arithmetic, and accounts that close. Each test failed on the program
// before the fix (see the commit message): the first caller took the program's only committee,
// pre-funding made creation fail with AlreadyExists, the 1,000-lamport escrow passed FeeTooLow, and
// there was no instruction to close or withdraw.
import t from 'tap';
import { Keypair, SystemProgram } from '@solana/web3.js';
import { ChainFixture, f32, MODEL_ID, runToDone, withRequester } from './helpers/chain.js';
import { DEFAULT_PARAMS, SplitUpProgram, USDC } from '../src/chain/program.js';
import { ACCOUNT_SIZE, NodeStatus, Phase } from '../src/chain/layout.js';
import { programError, PROGRAM_ERRORS } from '../src/chain/errors.js';
import { readFileSync } from 'node:fs';

const rentOf = (size: number) => BigInt((128 + size) * 3480 * 2);
const RENT = { committee: rentOf(ACCOUNT_SIZE.committee), node: rentOf(ACCOUNT_SIZE.node), execution: rentOf(ACCOUNT_SIZE.execution) };

/** A key with SOL (fees, rent) and test USDC in its associated token account. */
function funded(c: InstanceType<typeof ChainFixture>, lamports = 1_000_000_000_000n, usdc = 100_000n * USDC) {
  const k = Keypair.generate();
  c.svm.airdrop(k.publicKey, lamports);
  if (usdc > 0n) c.fund(k.publicKey, usdc);
  return k;
}

t.test('1: a committee is bound to its authority: initialising first takes nothing from the operator', async (t) => {
  const c = new ChainFixture(3);
  const keys = c.oracles.map((o) => o.publicKey);
  const hostile = funded(c);
  // the hostile caller creates "a" committee first, with its own oracles and economics
  const hostileOracles = [Keypair.generate(), Keypair.generate(), Keypair.generate()];
  c.ok([hostile], c.program.initCommittee(hostile.publicKey, hostileOracles.map((o) => o.publicKey), 3, { ...DEFAULT_PARAMS, stakeBase: 1n }));
  // it cannot create the operator's committee: that address is derived from the operator's key
  const forged = c.program.initCommittee(hostile.publicKey, keys, 3);
  forged.keys[1]!.pubkey = c.program.committeeAddress();
  t.equal(c.err([hostile], forged).errorName, 'WrongAccount', "the operator's committee address needs the operator's signature");
  c.initCommittee();
  const cm = c.committee();
  t.ok(cm.authority.equals(c.authority.publicKey), 'the operator initialises its committee after the hostile one');
  t.same(cm.oracles.map((k) => k.toBase58()), keys.map((k) => k.toBase58()), "with the operator's oracles");
  t.equal(cm.stakeBase, DEFAULT_PARAMS.stakeBase, "and the operator's economics");

  // accounts are scoped to their committee: the hostile committee's oracles cannot vote on the operator's executions
  c.registerTasks(); c.registerModel();
  const requester = funded(c);
  c.ok([requester], c.program.requestExecution(requester.publicKey, MODEL_ID, 1n, 'cas://1', 1_000_000_000n));
  const id = c.program.executionId(requester.publicKey, 1n);
  const node = c.node();
  const hp = new SplitUpProgram(c.programId, hostile.publicKey).setToken(c.money);
  const vote = hp.assignTask(hostileOracles[0]!.publicKey, id, 0, 0, node.publicKey);
  vote.keys[2]!.pubkey = c.program.executionAddress(id);
  vote.keys[3]!.pubkey = c.program.nodeAddress(node.publicKey);
  c.svm.airdrop(hostileOracles[0]!.publicKey, 1_000_000_000n);
  const e = c.err([hostileOracles[0]!], vote);
  t.equal(e.errorName, 'WrongCommittee', "another committee's oracle cannot vote on this committee's execution");
  t.match(e.message, /execution belongs to another committee/);
  // a node registered with the hostile committee cannot be assigned in the operator's
  const hnode = funded(c);
  c.ok([hnode], hp.registerNode(hnode.publicKey, 24));
  const v2 = c.program.assignTask(c.oracles[0]!.publicKey, id, 0, 0, hnode.publicKey);
  v2.keys[3]!.pubkey = hp.nodeAddress(hnode.publicKey);
  t.equal(c.err([c.oracles[0]!], v2).errorName, 'WrongCommittee', "a node of another committee is not this committee's");
});

t.test('2: creation tolerates pre-funded addresses; ids cannot be squatted', async (t) => {
  const c = new ChainFixture(3);
  const griefer = funded(c);
  const fund = (to: InstanceType<typeof SplitUpProgram> extends never ? never : ReturnType<typeof c.program.committeeAddress>, lamports: bigint) =>
    c.ok([griefer], SystemProgram.transfer({ fromPubkey: griefer.publicKey, toPubkey: to, lamports }));
  fund(c.program.committeeAddress(), 890_880n);
  fund(c.program.vaultAddress(), 10_000_000n);
  c.initCommittee();
  t.equal(c.lamports(c.program.committeeAddress()), RENT.committee, 'a pre-funded committee address: created, holding exactly its rent');
  t.equal(c.committee().treasury, 0n);
  t.equal(c.lamports(c.program.vaultAddress()), rentOf(165), 'a pre-funded vault address: created (a token account), holding exactly its rent');
  t.equal(c.svm.account(c.program.vaultAddress())!.owner, c.money.program.toBase58(), 'owned by the token program');
  t.equal(c.vault(), 0n);

  c.registerTasks(); c.registerModel();
  // a node address funded with more than rent + stake: created; the excess goes to the node's payer
  const k = funded(c, 100_000_000_000n);
  fund(c.program.nodeAddress(k.publicKey), 5_000_000_000n);
  const before = c.lamports(k.publicKey);
  c.ok([k], c.program.registerNode(k.publicKey, 24));
  const nd = c.nodeAccount(k.publicKey);
  t.equal(c.lamports(c.program.nodeAddress(k.publicKey)), RENT.node, 'node account holds exactly its rent (the stake is in the vault)');
  t.equal(c.vault(), nd.stake, 'the stake in the vault');
  t.equal(c.lamports(k.publicKey) - before, 5_000_000_000n - RENT.node - 5000n, 'the excess went to the payer (less the fee)');
  // a node address funded with less than rent: the payer adds the shortfall
  const k2 = funded(c, 100_000_000_000n);
  fund(c.program.nodeAddress(k2.publicKey), 890_880n);
  c.ok([k2], c.program.registerNode(k2.publicKey, 24));
  t.equal(c.lamports(c.program.nodeAddress(k2.publicKey)), RENT.node);

  // an execution address funded before the request
  const requester = funded(c);
  const id = c.program.executionId(requester.publicKey, 7n);
  fund(c.program.executionAddress(id), 890_880n);
  c.ok([requester], c.program.requestExecution(requester.publicKey, MODEL_ID, 7n, 'cas://7', 1_000_000_000n));
  t.equal(c.lamports(c.program.executionAddress(id)), RENT.execution, 'execution holds its rent (the escrow is in the vault)');
  t.equal(c.execution(id).escrow, 1_000_000_000n);
  t.equal(c.execution(id).nonce, 7n);

  // an address that already holds data is still refused
  c.svm.advanceSlots(1);
  t.equal(c.err([requester], c.program.requestExecution(requester.publicKey, MODEL_ID, 7n, 'cas://7', 1_000_000_000n)).errorName, 'AlreadyExists');

  // squatting: the execution id is the requester's (derived from its key); the squatter's same nonce is another id
  const squatter = funded(c);
  t.not(c.program.executionId(squatter.publicKey, 8n), c.program.executionId(requester.publicKey, 8n), 'same nonce, another requester: another id');
  const squat = c.program.requestExecution(squatter.publicKey, MODEL_ID, 8n, 'x', 1_000_000_000n);
  squat.keys[3]!.pubkey = c.program.executionAddress(c.program.executionId(requester.publicKey, 8n));
  t.equal(c.err([squatter], squat).errorName, 'WrongAccount', "the squatter cannot create the requester's execution");
  c.ok([requester], c.program.requestExecution(requester.publicKey, MODEL_ID, 8n, 'cas://8', 1_000_000_000n));

  // task and model ids are assigned in order by the committee: taking "the next" id only moves the author to the one after
  const author = funded(c);
  const next = c.committee().taskCount + 1;
  c.ok([squatter], c.program.registerTask(squatter.publicKey, next, 1000n, [f32(4)], [f32(4)]));
  const e = c.err([author], c.program.registerTask(author.publicKey, next, 1000n, [f32(8)], [f32(8)]));
  t.equal(e.errorName, 'IdNotNext');
  c.ok([author], c.program.registerTask(author.publicKey, next + 1, 1000n, [f32(8)], [f32(8)]));
  t.equal(c.committee().taskCount, next + 1, 'the author registers under the next id');
  t.equal(c.err([squatter], c.program.registerTask(squatter.publicKey, 4_000_000_000, 1000n, [f32(4)], [f32(4)])).errorName, 'IdNotNext', 'a far id cannot be taken ahead');
});

t.test('3: checked arithmetic: every overflow refused with the rule named', async (t) => {
  const { c, requester } = withRequester(DEFAULT_PARAMS);
  const cu = (1n << 64n) / DEFAULT_PARAMS.pricePerKcu + 1n; // cu x price wraps to a few lamports: C looked ~0, really ~1.8e16
  const tid = c.committee().taskCount + 1;
  c.ok([c.authority], c.program.registerTask(c.authority.publicKey, tid, cu, [f32(1, 8)], [f32(1, 8)]));
  c.ok([c.authority], c.program.registerModel(c.authority.publicKey, 2, { inputs: [f32(1, 8)], nodes: [{ taskId: tid, sources: [{ node: 'input', slot: 0 }] }], outputs: [{ node: 0, slot: 0 }] }));
  let e = c.err([requester], c.program.requestExecution(requester.publicKey, 2, 1n, 'x', 1000n));
  t.equal(e.errorName, 'ArithmeticOverflow', 'the 1,000-lamport escrow for a huge C is refused (it passed FeeTooLow before)');
  t.match(e.message, /task fee C = computeUnits x pricePerKcu exceeds u64/, 'the log names the rule');

  // C fits, R = C x reward does not
  const cu2 = (1n << 64n) / DEFAULT_PARAMS.pricePerKcu / 2n;
  c.ok([c.authority], c.program.registerTask(c.authority.publicKey, tid + 1, cu2, [f32(1, 8)], [f32(1, 8)]));
  c.ok([c.authority], c.program.registerModel(c.authority.publicKey, 3, { inputs: [f32(1, 8)], nodes: [{ taskId: tid + 1, sources: [{ node: 'input', slot: 0 }] }], outputs: [{ node: 0, slot: 0 }] }));
  e = c.err([requester], c.program.requestExecution(requester.publicKey, 3, 2n, 'x', 1000n));
  t.equal(e.errorName, 'ArithmeticOverflow');
  t.match(e.message, /verification reward R = C x reward exceeds u64/);

  // C and R fit, the penalty R + S = C x 11.2 (locked from the node's stake) does not: C = 5e12
  c.ok([c.authority], c.program.registerTask(c.authority.publicKey, tid + 2, 50_000_000_000n, [f32(1, 8)], [f32(1, 8)]));
  c.ok([c.authority], c.program.registerModel(c.authority.publicKey, 4, { inputs: [f32(1, 8)], nodes: [{ taskId: tid + 2, sources: [{ node: 'input', slot: 0 }] }], outputs: [{ node: 0, slot: 0 }] }));
  e = c.err([requester], c.program.requestExecution(requester.publicKey, 4, 3n, 'x', 1000n));
  t.equal(e.errorName, 'ArithmeticOverflow');
  t.match(e.message, /penalty R \+ S = C x \(reward \+ slash\) exceeds u64/);

  // an escrow beyond the requester's tokens
  e = c.err([requester], c.program.requestExecution(requester.publicKey, MODEL_ID, 4n, 'x', (1n << 64n) - 1n));
  t.equal(e.errorName, 'InsufficientFunds', "maxFee beyond the requester's token account");

  // extreme committee parameters: the required stake for 4096 GB of VRAM
  const d = new ChainFixture(3);
  e = d.err([d.authority], d.program.initCommittee(d.authority.publicKey, d.oracles.map((o) => o.publicKey), 3, { ...DEFAULT_PARAMS, stakePerGb: 1n << 62n }));
  t.equal(e.errorName, 'ArithmeticOverflow', 'stakePerGb x VRAM wrapped before');
  t.match(e.message, /required stake base \+ perGb x 4096 GB exceeds u64/);
  e = d.err([d.authority], d.program.initCommittee(d.authority.publicKey, d.oracles.map((o) => o.publicKey), 3, { ...DEFAULT_PARAMS, stakeBase: (1n << 64n) - 1n }));
  t.equal(e.errorName, 'ArithmeticOverflow', 'base + perGb x 4096');
  // the largest parameters that fit are accepted, and a node's stake is then exact
  d.ok([d.authority], d.program.initCommittee(d.authority.publicKey, d.oracles.map((o) => o.publicKey), 3, { ...DEFAULT_PARAMS, stakePerGb: 1n << 40n }));
  const k = funded(d, 10n ** 12n, (1n << 41n) + DEFAULT_PARAMS.stakeBase);
  d.ok([k], d.program.registerNode(k.publicKey, 2));
  t.equal(d.nodeAccount(k.publicKey).stake, DEFAULT_PARAMS.stakeBase + (1n << 41n));
});

t.test('4: finished executions and exited nodes close; the treasury is withdrawable by the authority', async (t) => {
  const { c, requester, request } = withRequester({ ...DEFAULT_PARAMS, slotsPerKcu: 0, minTimeoutSlots: 2n });
  const nodes = [c.node(), c.node(), c.node(), c.node()];
  const id = request();
  const stranger = funded(c);
  t.equal(c.err([requester], c.program.closeExecution(requester.publicKey, id)).errorName, 'NotFinished', 'a running execution does not close');
  // a lapse puts C into the treasury
  c.assign(id, 0, nodes[0]!.publicKey);
  c.svm.advanceSlots(c.execution(id).tasks[0]!.timeoutSlots + 2);
  c.timeoutTask(id, 0);
  t.equal(c.execution(id).tasks[0]!.phase, Phase.Ready);
  runToDone(c, id, nodes.slice(1));
  const held = c.lamports(c.program.executionAddress(id));
  t.equal(held, RENT.execution, 'a finished execution holds its rent');
  const refund = c.execution(id).escrow;
  t.ok(refund > 0n, `its unspent escrow (${refund}) waits in the books`);
  const steal = c.program.closeExecution(stranger.publicKey, id);
  t.equal(c.err([stranger], steal).errorName, 'WrongAccount', 'only the requester closes');
  const redirect = c.program.closeExecution(requester.publicKey, id, c.program.tokenAccountOf(stranger.publicKey));
  t.equal(c.err([requester], redirect).errorName, 'WrongTokenOwner', "the refund goes to the requester's own token account");
  const before = c.lamports(requester.publicKey), tokens = c.usdc(requester.publicKey), supply = c.tokenSupplyHeld();
  c.ok([requester], c.program.closeExecution(requester.publicKey, id));
  t.equal(c.lamports(requester.publicKey) - before, RENT.execution - 5000n, 'rent back to the requester (less the fee)');
  t.equal(c.usdc(requester.publicKey) - tokens, refund, 'the unspent escrow refunded to its token account');
  t.equal(c.tokenSupplyHeld(), supply, 'tokens conserved');
  t.equal(c.vault(), c.books(), 'vault = the books');
  t.equal(c.svm.account(c.program.executionAddress(id)), null, 'the account is gone');
  c.svm.advanceSlots(1);
  t.equal(c.err([requester], c.program.closeExecution(requester.publicKey, id)).errorName, 'ExecutionMismatch', 'closes once');

  // nodes
  const n = nodes[1]!;
  t.equal(c.err([n], c.program.closeNode(n.publicKey)).errorName, 'NotFinished', 'an active node does not close');
  const out = c.nodeAccount(n.publicKey).stake + c.nodeAccount(n.publicKey).earned, before2 = c.usdc(n.publicKey);
  c.ok([n], c.program.exitNode(n.publicKey));
  t.equal(c.usdc(n.publicKey) - before2, out, 'stake and earnings to the node on exit');
  const wallet = c.lamports(n.publicKey);
  c.svm.advanceSlots(1); // a new block hash: the refused closeNode above was the same transaction
  c.ok([n], c.program.closeNode(n.publicKey));
  t.equal(c.lamports(n.publicKey) - wallet, RENT.node - 5000n, 'rent back to the node key');
  t.equal(c.svm.account(c.program.nodeAddress(n.publicKey)), null);
  c.ok([n], c.program.registerNode(n.publicKey, 24));
  t.equal(c.nodeAccount(n.publicKey).status, NodeStatus.Active, 'the key registers again');
  t.equal(c.nodeAccount(n.publicKey).completed, 0, 'as a new node');

  // treasury
  const cm = c.committee();
  t.ok(cm.treasury > 0n, `treasury ${cm.treasury}`);
  t.equal(c.lamports(c.program.committeeAddress()), RENT.committee, 'the committee account holds its rent only');
  const strangerAta = c.program.tokenAccountOf(stranger.publicKey);
  t.equal(c.err([stranger], c.program.withdrawTreasury(stranger.publicKey, strangerAta, 1n)).errorName, 'NotAuthority');
  t.equal(c.err([c.authority], c.program.withdrawTreasury(c.authority.publicKey, strangerAta, cm.treasury + 1n)).errorName, 'InsufficientFunds');
  t.equal(c.err([c.authority], c.program.withdrawTreasury(c.authority.publicKey, c.program.nodeAddress(nodes[0]!.publicKey), 1n)).errorName, 'NotATokenAccount',
    'not into a program account (found by the fuzz test when the treasury was lamports)');
  t.equal(c.err([c.authority], c.program.withdrawTreasury(c.authority.publicKey, c.program.vaultAddress(), 1n)).errorName, 'WrongVault', 'not into the vault (outside the books)');
  const dest = funded(c, 1_000_000_000n, 0n), destAta = c.tokenAccount(dest.publicKey);
  const supply2 = c.tokenSupplyHeld(), vault = c.vault();
  c.ok([c.authority], c.program.withdrawTreasury(c.authority.publicKey, destAta, cm.treasury));
  t.equal(c.balanceOf(destAta), cm.treasury, "the treasury moved to the destination's token account (any owner)");
  t.equal(vault - c.vault(), cm.treasury, 'out of the vault');
  t.equal(c.tokenSupplyHeld(), supply2, 'tokens conserved');
  t.equal(c.committee().treasury, 0n);
  t.equal(c.vault(), c.books(), 'vault = the books');
});

t.test('5: System program errors are named, not read as this program\'s codes', async (t) => {
  const c = new ChainFixture(3);
  const poor = funded(c, 1_000_000n);
  const e = c.err([poor], SystemProgram.transfer({ fromPubkey: poor.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 10_000_000n }));
  t.equal(e.errorName, 'ResultWithNegativeLamports', 'Custom(1) of the System program');
  t.equal(e.source, 'system');
  // the same Custom(1) raised inside a CPI of this program (the runtime reports the callee failed first)
  const pid = c.programId.toBase58();
  const cpi = programError('InstructionError(0, Custom(1))', [`Program ${pid} invoke [1]`, 'Program 11111111111111111111111111111111 invoke [2]',
    'Transfer: insufficient lamports 0, need 1', 'Program 11111111111111111111111111111111 failed: custom program error: 0x1', `Program ${pid} failed: custom program error: 0x1`]);
  t.equal(cpi.errorName, 'ResultWithNegativeLamports');
  t.equal(programError('InstructionError(0, Custom(1))', [`Program ${pid} failed: custom program error: 0x1`]).errorName, 'InvalidInstruction', "this program's own code 1");
  t.equal(programError('InstructionError(0, MissingRequiredSignature)').errorName, 'MissingRequiredSignature', 'runtime errors by their variant');
});

t.test('every refusal of the program has its name in the client: the error enum and every FAIL site match src/chain/errors.ts', async (t) => {
  const dir = new URL('../programs/splitup/src/', import.meta.url);
  const header = readFileSync(new URL('state.h', dir), 'utf8');
  const source = readFileSync(new URL('splitup.c', dir), 'utf8');
  const codes = new Map<string, number>();
  for (const m of header.matchAll(/\bE_([A-Z_]+) = (\d+)/g)) codes.set(m[1]!, Number(m[2]));
  t.ok(codes.size >= 48, `${codes.size} error codes in state.h`);
  for (const [id, code] of codes) {
    const entry = PROGRAM_ERRORS[code as keyof typeof PROGRAM_ERRORS];
    t.ok(entry, `code ${code} (E_${id}) has a client name`);
    if (entry) t.equal(entry[0].replace(/([a-z])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toUpperCase(), id, `code ${code}: E_${id} is ${entry[0]}`);
  }
  // each FAIL(E_X, "Name: ...") logs the client's name for its code
  let sites = 0;
  for (const m of source.matchAll(/FAIL\(E_([A-Z_]+), "([A-Za-z]+):/g)) {
    sites++;
    const entry = PROGRAM_ERRORS[codes.get(m[1]!) as keyof typeof PROGRAM_ERRORS];
    if (!entry || entry[0] !== m[2]) t.fail(`FAIL(E_${m[1]}, "${m[2]}: ...") does not log the client's name ${entry?.[0]}`);
  }
  sites += [...source.matchAll(/\b(OVERFLOW|WRONG_COMMITTEE)\("/g)].length; // ArithmeticOverflow / WrongCommittee by construction
  t.ok(sites >= 140, `${sites} refusal sites checked`);
});
