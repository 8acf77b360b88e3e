// Money in USDC (issue 18): every value path moves SPL tokens of the committee's mint through its vault,
// on Token-2022 and on the classic Token program; after each step the tokens over every token account of
// the mint are conserved (= the mint's supply) and the vault holds exactly the program's books. Hostile
// token accounts (another mint, another token program, another owner, frozen, closed, a vault that is not
// the committee's) are refused by name, and nothing moves.
import t, { type Test } from 'tap';
import { Keypair, PublicKey } from '@solana/web3.js';
import {
  createCloseAccountInstruction, createFreezeAccountInstruction, createThawAccountInstruction, TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID,
} from '@solana/spl-token';
import { ChainFixture, MODEL_ID, runToDone, TASKS } from './helpers/chain.js';
import { DEFAULT_PARAMS, formatUsdc, parseUsdc, USDC, type CommitteeParams } from '../src/chain/program.js';
import { Sampled } from '../src/chain/layout.js';
import { associatedTokenAccount, createMintIxs, mintToIxs, tokenAmount } from '../src/chain/usdc.js';
import { createHash } from 'node:crypto';

type Chain = InstanceType<typeof ChainFixture>;
const out = (s: string) => createHash('sha256').update(s).digest();
const FAST_SAMPLED: CommitteeParams = { ...DEFAULT_PARAMS, pPpm: 1_000_000, slotsPerKcu: 0, minTimeoutSlots: 3n };

function setup(params: CommitteeParams = DEFAULT_PARAMS, tokenProgram = TOKEN_2022_PROGRAM_ID) {
  const c = new ChainFixture(3, undefined, undefined, undefined, tokenProgram);
  c.initCommittee(params);
  c.registerTasks();
  c.registerModel();
  const requester = Keypair.generate();
  c.svm.airdrop(requester.publicKey, 10_000_000_000n);
  c.fund(requester.publicKey, 10_000n * USDC);
  return { c, requester };
}

/** The mint's supply (u64 at 36): every token ever minted and not burnt. */
const supply = (c: Chain) => Buffer.from(c.svm.account(c.money.mint)!.data).readBigUInt64LE(36);

/** Tokens over every token account of the mint = the supply, and the vault = the books. */
function conserved(t: Test, c: Chain, what: string) {
  t.equal(c.tokenSupplyHeld(), supply(c), `${what}: tokens over every token account of the mint = the supply`);
  t.equal(c.vault(), c.books(), `${what}: vault = treasury + stake + earned + escrow`);
}

for (const [name, program] of [['Token-2022', TOKEN_2022_PROGRAM_ID], ['the classic Token program', TOKEN_PROGRAM_ID]] as const) {
  t.test(`every value path moves tokens (${name}): stake in, escrow in, fees and rewards, a slash to the treasury, exit, refund, withdrawal`, async (t) => {
    const { c, requester } = setup(FAST_SAMPLED, program);
    const cm = c.committee();
    t.ok(cm.tokenProgram.equals(program) && cm.mint.equals(c.money.mint) && cm.decimals === 6, 'the committee records its mint, token program and decimals');
    t.ok(cm.vault.equals(c.program.vaultAddress()), 'and its vault ("vault", committee)');
    const vaultData = c.svm.account(cm.vault)!.data;
    t.ok(new PublicKey(vaultData.subarray(32, 64)).equals(c.program.committeeAddress()), "the vault's authority is the committee's address");
    t.equal(c.svm.account(cm.vault)!.owner, program.toBase58(), 'owned by the token program');
    conserved(t, c, 'created');

    // stake in
    const nodes = [0, 1, 2, 3].map(() => { const k = Keypair.generate(); c.svm.airdrop(k.publicKey, 10_000_000_000n); c.fund(k.publicKey, 5000n * USDC); return k; });
    for (const k of nodes) {
      const before = c.vault();
      c.ok([k], c.program.registerNode(k.publicKey, 24), c.program.specialize(k.publicKey, [1, 2, 3, 4]));
      const stake = c.nodeAccount(k.publicKey).stake;
      t.equal(c.usdc(k.publicKey), 5000n * USDC - stake, 'registerNode: the stake left the node');
      t.equal(c.vault() - before, stake, 'into the vault');
    }
    conserved(t, c, 'after the registrations');

    // escrow in
    const held = c.usdc(requester.publicKey), vault0 = c.vault();
    c.ok([requester], c.program.requestExecution(requester.publicKey, MODEL_ID, 1n, 'cas://1', 1000n * USDC));
    const id = c.program.executionId(requester.publicKey, 1n);
    t.equal(held - c.usdc(requester.publicKey), 1000n * USDC, 'requestModelExecution: maxFee left the requester');
    t.equal(c.vault() - vault0, 1000n * USDC, 'into the vault');
    t.equal(c.execution(id).escrow, 1000n * USDC);
    conserved(t, c, 'after the request');

    // a slash: the asserter A commits, is sampled, the validator V reveals, A does not: R + S taken from A's
    // stake, R to V, the rest (S) to the treasury; book moves only, nothing leaves the vault
    const [a, v] = nodes as [Keypair, Keypair];
    const fee = TASKS.embed.cu * DEFAULT_PARAMS.pricePerKcu / 1000n, R = fee * 12n / 10n, S = fee * 10n;
    c.assign(id, 0, a.publicKey);
    c.commitResult(a, id, 0, out('a'));
    c.svm.advanceSlots(2);
    c.settleTask(id, 0);
    t.equal(c.execution(id).tasks[0]!.sampled, Sampled.Yes);
    c.assign(id, 0, v.publicKey);
    const vc = c.commitResult(v, id, 0, out('a'));
    c.revealResult(v, id, 0, vc, 'fingerprint');
    const stakeA = c.nodeAccount(a.publicKey).stake, treasury0 = c.committee().treasury, vaultBefore = c.vault();
    c.svm.advanceSlots(Number(c.execution(id).tasks[0]!.deadlineSlot - c.svm.slot()) + 1);
    c.timeoutTask(id, 0);
    t.equal(stakeA - c.nodeAccount(a.publicKey).stake, R + S, 'slash: R + S taken from the asserter\'s stake');
    t.equal(c.nodeAccount(a.publicKey).slashed, R + S);
    t.equal(c.nodeAccount(v.publicKey).earned, R, 'R credited to the validator');
    t.equal(c.committee().treasury - treasury0, S, 'S to the treasury');
    t.equal(c.vault(), vaultBefore, 'the vault unchanged: slashes and rewards are book moves');
    conserved(t, c, 'after the slash');

    // the rest runs honestly: fees C and rewards R from the escrow
    runToDone(c, id, nodes.slice(1));
    const e = c.execution(id);
    const earned = nodes.reduce((s, k) => s + c.nodeAccount(k.publicKey).earned, 0n);
    t.equal(1000n * USDC - e.escrow, earned - R, 'what left the escrow is what the nodes earned from it (the slash paid R)');
    conserved(t, c, 'after the execution');

    // refund: the requester closes it
    const before = c.usdc(requester.publicKey), refund = e.escrow;
    c.ok([requester], c.program.closeExecution(requester.publicKey, id));
    t.equal(c.usdc(requester.publicKey) - before, refund, 'closeExecution: the unspent escrow back to the requester');
    conserved(t, c, 'after the refund');

    // exit: stake and earnings out
    const vn = c.nodeAccount(v.publicKey), vBefore = c.usdc(v.publicKey);
    c.ok([v], c.program.exitNode(v.publicKey));
    t.equal(c.usdc(v.publicKey) - vBefore, vn.stake + vn.earned, 'exitNode: stake + earned to the node');
    const an = c.nodeAccount(a.publicKey), aBefore = c.usdc(a.publicKey);
    c.ok([a], c.program.exitNode(a.publicKey));
    t.equal(c.usdc(a.publicKey) - aBefore, an.stake + an.earned, 'a slashed node exits with what is left of its stake');
    conserved(t, c, 'after the exits');

    // the treasury to the authority
    const tr = c.committee().treasury, auth = c.usdc(c.authority.publicKey);
    c.ok([c.authority], c.program.withdrawTreasury(c.authority.publicKey, c.program.tokenAccountOf(c.authority.publicKey), tr));
    t.equal(c.usdc(c.authority.publicKey) - auth, tr, 'withdrawTreasury: the treasury to the authority');
    t.equal(c.committee().treasury, 0n);
    conserved(t, c, 'after the withdrawal');
    t.ok([c.program.committeeAddress(), c.program.nodeAddress(a.publicKey)].every((k) => c.svm.account(k)!.lamports === BigInt((128 + c.svm.account(k)!.data.length) * 6960)),
      'program accounts hold their rent only: SOL pays rent and fees, nothing else');
  });
}

t.test('hostile token accounts are refused by name, and nothing moves', async (t) => {
  const { c, requester } = setup();
  const node = Keypair.generate();
  c.svm.airdrop(node.publicKey, 10_000_000_000n);
  c.fund(node.publicKey, 5000n * USDC);
  const before = c.tokenSupplyHeld();
  const refuse = (signers: Keypair[], ix: ReturnType<typeof c.program.registerNode>, name: string, what: string) => {
    c.svm.advanceSlots(1); // a fresh block hash: each try is its own transaction
    t.equal(c.err(signers, ix).errorName, name, what);
  };
  const swap = (ix: ReturnType<typeof c.program.registerNode>, at: number, key: PublicKey) => { ix.keys[at]!.pubkey = key; return ix; };

  // another mint: its own token account, and as the mint account
  const other = Keypair.generate();
  c.ok([c.authority, other], ...createMintIxs(c.authority.publicKey, other, c.authority.publicKey));
  const otherMoney = { mint: other.publicKey, program: TOKEN_2022_PROGRAM_ID };
  c.ok([c.authority], ...mintToIxs(c.authority.publicKey, c.authority.publicKey, node.publicKey, otherMoney, 5000n * USDC));
  refuse([node], c.program.registerNode(node.publicKey, 24, associatedTokenAccount(otherMoney, node.publicKey)), 'WrongMint', 'a token account of another mint');
  refuse([node], swap(c.program.registerNode(node.publicKey, 24), 6, other.publicKey), 'WrongMint', 'another mint account');
  // another token program (the classic one: the committee's is Token-2022), and a program that is none
  refuse([node], swap(c.program.registerNode(node.publicKey, 24), 7, TOKEN_PROGRAM_ID), 'WrongTokenProgram', 'the other token program');
  const d = new ChainFixture(3);
  const wrongProgram = d.program.initCommittee(d.authority.publicKey, d.oracles.map((o) => o.publicKey), 2, DEFAULT_PARAMS, d.money);
  wrongProgram.keys[5]!.pubkey = d.programId;
  t.equal(d.err([d.authority], wrongProgram).errorName, 'WrongTokenProgram', 'initCommittee: only the Token program or Token-2022');
  const notMint = d.program.initCommittee(d.authority.publicKey, d.oracles.map((o) => o.publicKey), 2, DEFAULT_PARAMS, d.money);
  notMint.keys[3]!.pubkey = d.program.tokenAccountOf(d.authority.publicKey);
  t.equal(d.err([d.authority], notMint).errorName, 'WrongMint', 'initCommittee: a token account is not a mint');
  const mismatched = d.program.initCommittee(d.authority.publicKey, d.oracles.map((o) => o.publicKey), 2, DEFAULT_PARAMS, { mint: d.money.mint, program: TOKEN_PROGRAM_ID });
  t.equal(d.err([d.authority], mismatched).errorName, 'WrongMint', "initCommittee: a Token-2022 mint named with the classic program");
  // another owner: the node signs but pays from the requester's account
  refuse([node], c.program.registerNode(node.publicKey, 24, c.program.tokenAccountOf(requester.publicKey)), 'WrongTokenOwner', "someone else's token account");
  // the vault must be the committee's, and not the other side
  refuse([node], swap(c.program.registerNode(node.publicKey, 24), 5, c.program.tokenAccountOf(c.authority.publicKey)), 'WrongVault', 'a token account of the mint that is not the vault');
  refuse([node], c.program.registerNode(node.publicKey, 24, c.program.vaultAddress()), 'WrongVault', 'the vault as the source');
  // frozen: the mint's freeze authority freezes the node's account
  const ata = c.program.tokenAccountOf(node.publicKey);
  c.ok([c.authority], createFreezeAccountInstruction(ata, c.money.mint, c.authority.publicKey, [], c.money.program));
  refuse([node], c.program.registerNode(node.publicKey, 24), 'TokenAccountFrozen', 'a frozen token account');
  c.ok([c.authority], createThawAccountInstruction(ata, c.money.mint, c.authority.publicKey, [], c.money.program));
  // closed: an emptied and closed token account
  const empty = Keypair.generate();
  c.svm.airdrop(empty.publicKey, 10_000_000_000n);
  const emptyAta = c.tokenAccount(empty.publicKey);
  c.ok([empty], createCloseAccountInstruction(emptyAta, empty.publicKey, empty.publicKey, [], c.money.program));
  refuse([empty], c.program.registerNode(empty.publicKey, 24), 'NotATokenAccount', 'a closed token account');
  refuse([empty], c.program.requestExecution(empty.publicKey, MODEL_ID, 1n, 'x', 1000n * USDC), 'NotATokenAccount', 'requestExecution from a closed token account');
  // too few tokens
  refuse([requester], c.program.requestExecution(requester.publicKey, MODEL_ID, 1n, 'x', 20_000n * USDC), 'InsufficientFunds', 'an escrow beyond the requester\'s tokens');
  t.equal(c.tokenSupplyHeld(), before, 'no token moved');
  t.equal(c.vault(), 0n);

  // exits and refunds go to the signer's own, live token account
  c.ok([node], c.program.registerNode(node.publicKey, 24));
  refuse([node], c.program.exitNode(node.publicKey, c.program.tokenAccountOf(requester.publicKey)), 'WrongTokenOwner', "exitNode pays the node's own token account");
  c.ok([c.authority], createFreezeAccountInstruction(ata, c.money.mint, c.authority.publicKey, [], c.money.program));
  refuse([node], c.program.exitNode(node.publicKey), 'TokenAccountFrozen', 'exitNode to a frozen account');
  const vault = c.vault();
  c.ok([c.authority], createFreezeAccountInstruction(c.program.vaultAddress(), c.money.mint, c.authority.publicKey, [], c.money.program));
  refuse([requester], c.program.requestExecution(requester.publicKey, MODEL_ID, 2n, 'x', 1000n * USDC), 'TokenAccountFrozen', 'a frozen vault');
  t.equal(c.vault(), vault, 'nothing left the vault');
  t.equal(tokenAmount(c.svm.account(c.program.vaultAddress())!.data), c.books(), 'vault = the books');
  t.equal(c.err([c.authority], c.program.withdrawTreasury(c.authority.publicKey, c.program.tokenAccountOf(c.authority.publicKey), 0n)).errorName, 'TokenAccountFrozen');
});

t.test('USDC amounts as text: 6 decimals, exact', async (t) => {
  t.equal(parseUsdc('12.5'), 12_500_000n);
  t.equal(parseUsdc('0.000001'), 1n);
  t.equal(parseUsdc('2000'), 2000n * USDC);
  for (const bad of ['1.0000001', '-1', '1e3', '', '0x10', '1.']) t.throws(() => parseUsdc(bad), /not a USDC amount/, `"${bad}" refused`);
  t.equal(formatUsdc(12_500_000n), '12.5');
  t.equal(formatUsdc(1n), '0.000001');
  t.equal(formatUsdc(3400n * USDC), '3400');
  t.equal(parseUsdc(formatUsdc(123_456_789n)), 123_456_789n, 'round trip');
});
