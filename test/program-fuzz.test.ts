// Fuzz test of the SplitUp program (issue 17): random and mutated instructions of every tag, with
// accounts drawn from a live fixture (two committees, nodes, tasks, models, executions in every
// phase; model 2 is the diamond with its branches and join as a 16 GB task group) and random data, interleaved with protocol moves (votes, commitments, settles, reveals,
// timeouts, requests, exits, closes) so executions keep passing through their phases. Every
// transaction either succeeds or is refused with a named error (this program's, the System
// program's, or one of the runtime's transaction-level refusals below); after every step:
//  - lamports are conserved over every account the transaction touched (less the fee), and tokens
//    over every token account it touched;
//  - each program account holds exactly its rent, and each committee's vault holds exactly its
//    books: treasury + its nodes' stake and earnings + its executions' escrow;
//  - a committee's member sets are valid (3..10 distinct keys, q in range, the previous set kept from
//    epoch 1 on, started no later than the current one), a proposal is for its committee's next epoch;
//  - no account is in an impossible state (statuses and phases in range, done count = tasks done,
//    an exited node no stake, no lock without an active job,
//    a running task has its node, a selecting task no deadline).
// Seeded and reproducible: FUZZ_SEED (default 1), FUZZ_COUNT instructions (default 5 000, ~20 s; the
// issue's 100 000 run is `FUZZ_COUNT=100000 npx tap test/program-fuzz.test.ts`, see the README).
import t from 'tap';
import { Keypair, PublicKey, SystemProgram, SYSVAR_CLOCK_PUBKEY, SYSVAR_SLOT_HASHES_PUBKEY, TransactionInstruction, type AccountMeta } from '@solana/web3.js';
import { createHash } from 'node:crypto';
import { Rng } from '../src/common/rng.js';
import { DIAMOND, LocalChain, MODEL_ID, TASKS, f32 } from '../src/chain/local-chain.js';
import { commitment, DEFAULT_PARAMS, fingerprint, partiesOf, rotationDigest, SplitUpProgram, USDC } from '../src/chain/program.js';
import { tokenAmount } from '../src/chain/usdc.js';
import { ACCOUNT_SIZE, decodeCommittee, decodeExecution, decodeNode, decodeRotation, ExecStatus, NodeStatus, Phase, REVEALING, RUNNING, SELECTING, TAGS, type ExecutionAccount } from '../src/chain/layout.js';
import { address } from '@solana/kit';
import { programError } from '../src/chain/errors.js';

const COUNT = Number(process.env.FUZZ_COUNT ?? 5_000);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
const rent = (size: number) => BigInt((128 + size) * 3480 * 2);
const FEE = 5000n;
/** The main committee's model with a task group (the diamond's left, right and join, 16 GB). */
const GROUPED = 2;
/** Refusals of the runtime before or around the program that a hostile transaction may earn. */
const RUNTIME_REFUSALS = new Set(['AlreadyProcessed', 'InsufficientFundsForRent']);

interface Commit { salt: Uint8Array; output: Uint8Array; fp: Uint8Array }

class Fuzz {
  readonly rng: Rng;
  readonly c: LocalChain;
  readonly hostile: SplitUpProgram;
  readonly hostileKey: Keypair;
  readonly wallets: Keypair[] = [];
  readonly nodes: Keypair[] = [];
  readonly requesters: Keypair[] = [];
  readonly execs: Array<{ program: SplitUpProgram; id: bigint; requester: Keypair }> = [];
  readonly commits = new Map<string, Commit>();
  readonly pool: PublicKey[] = [];
  readonly errors = new Map<string, number>();
  ok = 0;
  steps = 0;
  /** task states seen held by a group's node (after a transaction that touched them) */
  held = 0;
  /** per first-byte tag of the (single) instruction: sent, succeeded */
  readonly sent = new Map<number, number>();
  readonly succeeded = new Map<number, number>();
  readonly programId58: string;
  readonly oraclePool: Keypair[];
  /** the books of every program account (committee: treasury, node: stake + earned, execution: escrow) by address, with its committee */
  readonly books = new Map<string, { committee: string; amount: bigint }>();
  /** each committee's vault */
  readonly vaults = new Map<string, PublicKey>();

  constructor(seed: number) {
    this.rng = new Rng(seed);
    const key = () => Keypair.fromSeed(this.rng.bytes(32));
    const oracles = Array.from({ length: 4 }, key);
    this.oraclePool = [...oracles, key()]; // rotations move the committee among these five
    this.c = new LocalChain(4, new PublicKey('SpLitUp111111111111111111111111111111111111'), oracles, key());
    const c = this.c;
    // LiteSVM keeps every transaction for duplicate detection: the last 1 000 are enough here (100 000
    // would hold every one in memory)
    c.svm.svm.withTransactionHistory(1000n);
    this.programId58 = c.programId.toBase58();
    c.initCommittee({ ...DEFAULT_PARAMS, pPpm: 500_000, slotsPerKcu: 0, minTimeoutSlots: 3n });
    c.registerTasks();
    c.registerModel();
    c.registerModel(GROUPED, { ...DIAMOND, groups: [0, 1, 1, 1], groupVramGb: [16, 0, 0, 0] }); // nodes of 8, 16 and 24 GB: some qualify
    for (let i = 0; i < 7; i++) this.nodes.push(c.node([1, 2, 3, 4], 8 + 8 * (i % 3)));
    for (let i = 0; i < 3; i++) { const k = key(); c.svm.airdrop(k.publicKey, 10n ** 14n); c.fund(k.publicKey, 10n ** 9n * USDC); this.requesters.push(k); }
    // a second committee of the same program (the same mint, its own vault), with its own node, task, model and execution
    this.hostileKey = key();
    c.svm.airdrop(this.hostileKey.publicKey, 10n ** 14n);
    c.fund(this.hostileKey.publicKey, 10n ** 6n * USDC);
    this.hostile = new SplitUpProgram(c.programId, this.hostileKey.publicKey).setToken(c.money);
    const h = this.hostile, hk = this.hostileKey;
    c.ok([hk], h.initCommittee(hk.publicKey, oracles.map((o) => o.publicKey), 3, { ...DEFAULT_PARAMS, stakeBase: 1n, stakePerGb: 0n }));
    c.ok([hk], h.registerTask(hk.publicKey, 1, TASKS.embed.cu, [...TASKS.embed.inputs], [...TASKS.embed.outputs]));
    c.ok([hk], h.registerModel(hk.publicKey, 1, { inputs: [f32(1, 8)], nodes: [{ taskId: 1, sources: [{ node: 'input', slot: 0 }] }], outputs: [{ node: 0, slot: 0 }] }));
    const hn = key();
    c.svm.airdrop(hn.publicKey, 10n ** 12n);
    c.fund(hn.publicKey, 10n ** 6n * USDC);
    c.ok([hn], h.registerNode(hn.publicKey, 8), h.specialize(hn.publicKey, [1]));
    this.nodes.push(hn);
    c.ok([hk], h.requestExecution(hk.publicKey, 1, 1n, 'cas://h', 10n ** 9n));
    this.execs.push({ program: h, id: h.executionId(hk.publicKey, 1n), requester: hk });
    // the books as they stand: every program account once (later only what a transaction touched)
    for (const [k, a] of c.svm.accounts.ofOwner(this.programId58)) this.checkAccount(new PublicKey(k), { lamports: a.lamports, owner: this.programId58, data: a.data });
    for (const k of c.tokenAccounts().keys()) this.tokenKeys.add(k);
    for (let i = 0; i < 4; i++) this.request(this.requesters[i % 3]!, BigInt(i + 1), 10n ** 9n);
    const stranger = key();
    c.svm.airdrop(stranger.publicKey, 10n ** 12n);
    c.svm.airdrop(this.oraclePool[4]!.publicKey, 10n ** 12n);
    this.wallets.push(c.authority, ...this.oraclePool, ...this.nodes, ...this.requesters, hk, stranger);
    const p = c.program;
    const strangerAta = c.tokenAccount(stranger.publicKey);
    this.tokenKeys.add(strangerAta.toBase58());
    this.pool.push(p.committeeAddress(), h.committeeAddress(), SystemProgram.programId, SYSVAR_SLOT_HASHES_PUBKEY, SYSVAR_CLOCK_PUBKEY, c.programId,
      p.vaultAddress(), h.vaultAddress(), c.money.mint, c.money.program, strangerAta,
      ...[...this.nodes, ...this.requesters, hk].map((k) => p.tokenAccountOf(k.publicKey)),
      ...this.wallets.map((w) => w.publicKey), key().publicKey,
      ...this.nodes.flatMap((n) => [p.nodeAddress(n.publicKey), h.nodeAddress(n.publicKey)]),
      ...[1, 2, 3, 4, 5, 6].map((i) => p.taskAddress(i)), h.taskAddress(1), p.modelAddress(1), p.modelAddress(2), h.modelAddress(1),
      ...[1, 2, 3].flatMap((e) => [p.rotationAddress(e), h.rotationAddress(e)]));
    this.checkVaults();
  }

  /** Tokens withdrawn from one committee's treasury into another's vault, by receiving committee: outside its books. */
  private readonly surplus = new Map<string, bigint>();
  /** The withdrawal being sent, when its destination is a committee's vault. */
  private intoVault: { committee: string; amount: bigint } | null = null;

  /** Each committee's vault holds exactly its books, plus what was sent to it from outside them. */
  private checkVaults(): void {
    const sums = new Map<string, bigint>();
    for (const b of this.books.values()) sums.set(b.committee, (sums.get(b.committee) ?? 0n) + b.amount);
    for (const [committee, vault] of this.vaults) {
      const held = this.tokens(vault), books = sums.get(committee) ?? 0n, extra = this.surplus.get(committee) ?? 0n;
      if (held !== books + extra) throw new Error(`step ${this.steps}: committee ${committee}: the vault holds ${held}, the books say ${books} (+ ${extra} sent in from outside them)`);
    }
  }

  /** The token accounts of the fixture (the only ones a fuzzed transaction can create are vaults, added as their committees appear). */
  private readonly tokenKeys = new Set<string>();

  /** A token account's balance (0 when absent or not a token account of the mint); other accounts are not read (reads leak, see send). */
  private tokens(k: PublicKey): bigint {
    const k58 = k.toBase58();
    if (!this.tokenKeys.has(k58) && ![...this.vaults.values()].some((v) => v.equals(k))) return 0n;
    const a = this.c.svm.account(k);
    return a && a.owner === this.c.money.program.toBase58() && a.data.length >= 165 && Buffer.from(a.data.subarray(0, 32)).equals(this.c.money.mint.toBuffer()) ? tokenAmount(a.data) : 0n;
  }

  private request(requester: Keypair, nonce: bigint, maxFee: bigint, program: SplitUpProgram = this.c.program) {
    const id = program.executionId(requester.publicKey, nonce);
    const model = program === this.c.program && nonce % 2n === 0n ? GROUPED : MODEL_ID;
    const r = this.send([program.requestExecution(requester.publicKey, model, nonce, `cas://${nonce}`, maxFee)], [requester]);
    if (!this.execs.some((e) => e.id === id)) { this.execs.push({ program, id, requester }); this.pool.push(program.executionAddress(id)); }
    return r;
  }

  private balance(k: PublicKey): bigint { return this.c.svm.svm.getBalance(address(k.toBase58())) ?? 0n; }
  private readonly execCache = new Map<string, ExecutionAccount | null>();

  private keypairOf(k: PublicKey | null): Keypair | undefined { return k ? this.wallets.find((w) => w.publicKey.equals(k)) : undefined; }

  /** Sends, checks the outcome is named and the invariants hold over every account touched. */
  send(ixs: TransactionInstruction[], signers: Keypair[]): boolean {
    this.steps++;
    // every signer flag needs its signature: known keys sign, unknown ones lose the flag
    for (const ix of ixs) for (const m of ix.keys) {
      if (!m.isSigner || signers.some((s) => s.publicKey.equals(m.pubkey))) continue;
      const kp = this.keypairOf(m.pubkey);
      if (kp) signers.push(kp); else m.isSigner = false;
    }
    const uniq: Keypair[] = [];
    for (const s of signers) if (!uniq.some((u) => u.publicKey.equals(s.publicKey))) uniq.push(s);
    if (!uniq.length) uniq.push(this.wallets[0]!);
    const touched = new Map<string, PublicKey>();
    for (const k of [...uniq.map((s) => s.publicKey), ...ixs.flatMap((ix) => ix.keys.map((m) => m.pubkey))]) touched.set(k.toBase58(), k);
    const keys = [...touched.values()];
    const before = keys.reduce((a, k) => a + this.balance(k), 0n);
    const tokensBefore = keys.reduce((a, k) => a + this.tokens(k), 0n);
    const r = this.c.send(uniq, ...ixs);
    const after = keys.reduce((a, k) => a + this.balance(k), 0n);
    const fee = FEE * BigInt(uniq.length);
    if (before - after !== fee && !(before === after && !r.ok)) throw new Error(`step ${this.steps}: lamports not conserved: before ${before}, after ${after}, fee ${fee} (ok ${r.ok}) ${this.dump(ixs)}`);
    const tokensAfter = keys.reduce((a, k) => a + this.tokens(k), 0n);
    if (tokensAfter !== tokensBefore) throw new Error(`step ${this.steps}: tokens not conserved over the accounts touched: before ${tokensBefore}, after ${tokensAfter} (ok ${r.ok}) ${this.dump(ixs)}`);
    const tag = ixs[0]?.data[0] ?? -1;
    this.sent.set(tag, (this.sent.get(tag) ?? 0) + 1);
    if (r.ok) { this.ok++; this.succeeded.set(tag, (this.succeeded.get(tag) ?? 0) + 1); }
    else {
      const e = programError(r.error ?? 'unknown', r.logs);
      const named = e.source === 'runtime' ? RUNTIME_REFUSALS.has(e.errorName) : e.errorName !== 'RuntimeError';
      if (!named) throw new Error(`step ${this.steps}: unnamed refusal ${e.errorName}: ${r.error}\n${r.logs.join('\n')}\n${this.dump(ixs)}`);
      this.errors.set(e.errorName, (this.errors.get(e.errorName) ?? 0) + 1);
    }
    // a refused transaction changes nothing but the payer's balance (checked above); a successful one
    // is checked account by account (LiteSVM's getAccount leaks each read's data, so reads are few)
    if (r.ok && this.intoVault) this.surplus.set(this.intoVault.committee, (this.surplus.get(this.intoVault.committee) ?? 0n) + this.intoVault.amount);
    if (r.ok) { for (const k of keys) { this.execCache.delete(k.toBase58()); this.checkAccount(k, this.c.svm.account(k)); } this.checkVaults(); }
    return r.ok;
  }

  private dump(ixs: TransactionInstruction[]): string {
    return ixs.map((ix) => `tag ${ix.data[0]} data ${ix.data.toString('hex')} accounts ${ix.keys.map((m) => `${m.pubkey.toBase58().slice(0, 6)}${m.isSigner ? 's' : ''}${m.isWritable ? 'w' : ''}`).join(',')}`).join('; ');
  }

  /** The invariants of one account (program accounts only). */
  checkAccount(k: PublicKey, a: ReturnType<LocalChain['svm']['account']>): void {
    const k58 = k.toBase58();
    if (!a || a.owner !== this.programId58) { this.books.delete(k58); return; }
    const d = a.data;
    const fail = (what: string) => { throw new Error(`step ${this.steps}: account ${k58}: ${what}`); };
    if (d.every((x) => x === 0)) { this.books.delete(k58); if (a.lamports !== 0n) fail('a closed (zeroed) account still holds lamports'); return; }
    const tag = Buffer.from(d).readUInt32LE(0);
    if (tag === TAGS.committee) {
      const cm = decodeCommittee(d);
      if (a.lamports !== rent(ACCOUNT_SIZE.committee)) fail(`committee holds ${a.lamports}, not its rent`);
      this.books.set(k58, { committee: k58, amount: cm.treasury });
      this.vaults.set(k58, cm.vault);
      const valid = (n: number, q: number, ks: PublicKey[]) => n >= 3 && n <= 10 && q >= Math.ceil((n + Math.floor((n - 1) / 3) + 1) / 2) && q <= n && new Set(ks.map((k) => k.toBase58())).size === n;
      if (!valid(cm.n, cm.q, cm.oracles)) fail(`committee member set n ${cm.n} q ${cm.q} invalid`);
      if ((cm.epoch > 0) !== !!cm.previous) fail(`epoch ${cm.epoch} with${cm.previous ? '' : 'out'} a previous set`);
      if (cm.previous && (!valid(cm.previous.n, cm.previous.q, cm.previous.oracles) || cm.previous.startSlot > cm.epochStartSlot)) fail('invalid previous set or start slots out of order');
    } else if (tag === TAGS.rotation) {
      const r = decodeRotation(d);
      if (a.lamports !== rent(ACCOUNT_SIZE.rotation)) fail(`rotation proposal holds ${a.lamports}, books say rent`);
      const cm = decodeCommittee(this.c.svm.account(r.committee)!.data);
      if (r.epoch !== cm.epoch + 1 || r.n < 3 || r.n > 10 || r.approvals >>> cm.n) fail(`proposal of epoch ${r.epoch} (committee at ${cm.epoch}), n ${r.n}, approvals ${r.approvals}`);
    } else if (tag === TAGS.node) {
      const n = decodeNode(d);
      if (a.lamports !== rent(ACCOUNT_SIZE.node)) fail(`node holds ${a.lamports}, not its rent`);
      this.books.set(k58, { committee: n.committee.toBase58(), amount: n.stake + n.earned });
      if (![NodeStatus.Active, NodeStatus.Exited, NodeStatus.Slashed].includes(n.status)) fail(`node status ${n.status}`);
      if (n.status === NodeStatus.Exited && (n.stake !== 0n || n.earned !== 0n || n.activeJobs !== 0)) fail('an exited node keeps stake, earnings or jobs');
      if ((n.activeJobs === 0) !== (n.locked === 0n)) fail(`locked ${n.locked} with ${n.activeJobs} active jobs`);
    } else if (tag === TAGS.execution) {
      const e = decodeExecution(d);
      if (a.lamports !== rent(ACCOUNT_SIZE.execution)) fail(`execution holds ${a.lamports}, not its rent`);
      this.books.set(k58, { committee: e.committee.toBase58(), amount: e.escrow });
      if (e.status !== ExecStatus.Running && e.status !== ExecStatus.Done) fail(`execution status ${e.status}`);
      const done = e.tasks.filter((ts) => ts.phase === Phase.Done).length;
      if (done !== e.doneCount) fail(`done count ${e.doneCount}, ${done} tasks done`);
      if (e.status === ExecStatus.Done && done !== e.tasks.length) fail('a finished execution with tasks left');
      if (e.status === ExecStatus.Running && done === e.tasks.length) fail('every task done, execution running');
      for (const ts of e.tasks) {
        if (ts.phase > Phase.Held) fail(`phase ${ts.phase}`);
        if (ts.phase === Phase.Held) this.held++;
        if (ts.phase === Phase.Held && (!ts.assigned || ts.deadlineSlot !== 0n || !ts.group)) fail('a held task without its node, with a deadline, or outside a group');
        if (RUNNING.has(ts.phase) && !ts.assigned) fail(`phase ${Phase[ts.phase]} without an assigned node`);
        if (SELECTING.has(ts.phase) && ts.deadlineSlot !== 0n) fail(`phase ${Phase[ts.phase]} with a deadline`);
        if (REVEALING.has(ts.phase) && !ts.asserter) fail(`phase ${Phase[ts.phase]} without an asserter`);
        if (ts.arbiters.length > 3 || ts.excluded.length > 8) fail('arbiters or exclusions beyond their bounds');
      }
    } else if (tag !== TAGS.task && tag !== TAGS.model) fail(`unknown tag ${tag.toString(16)}`);
  }

  // ---------------------------------------------------------------- generators

  /** A protocol move: the next step of a random task of a random execution, honest or not. */
  protocolMove(): void {
    const rng = this.rng;
    // a running execution: a few random picks (decoding every execution per move would dominate the run)
    let x = rng.pick(this.execs), e = this.readExec(x.program, x.id);
    for (let tries = 0; tries < 6 && (!e || e.status !== ExecStatus.Running); tries++) { x = rng.pick(this.execs); e = this.readExec(x.program, x.id); }
    if (!e || e.status !== ExecStatus.Running || rng.chance(0.05)) { this.lifecycleMove(); return; }
    const p = x.program;
    const open = e!.tasks.map((ts, i) => ({ ts, i })).filter(({ ts }) => ts.phase !== Phase.Done && ts.phase !== Phase.Pending);
    if (!open.length) return;
    const { ts, i } = rng.pick(open);
    const slot = this.c.svm.slot();
    const ctx = { modelId: e!.modelId, parties: partiesOf(ts) };
    const anyone = rng.pick(this.wallets);
    if ((RUNNING.has(ts.phase) || REVEALING.has(ts.phase)) && slot > ts.deadlineSlot && rng.chance(0.5)) { this.send([p.timeout(x.id, i, ctx)], [anyone]); return; }
    if (SELECTING.has(ts.phase) && slot > ts.readySlot + BigInt(ts.timeoutSlots) && rng.chance(0.5)) { this.send([p.timeout(x.id, i, ctx)], [anyone]); return; }
    if (ts.phase === Phase.Held) { // a held group task: a timeout (refused unless the execution failed) or a commitment before its turn
      const holder = this.keypairOf(ts.assigned)!;
      if (rng.chance(0.5)) this.send([p.timeout(x.id, i, ctx)], [anyone]);
      else this.send([p.commit(holder.publicKey, x.id, i, ts.attempt, rng.bytes(32))], [holder]);
      return;
    }
    if (SELECTING.has(ts.phase)) {
      const oracle = rng.pick(this.oraclePool);
      const node = rng.pick(this.nodes.filter((n) => !ts.excluded.some((k) => k.equals(n.publicKey)))) ?? rng.pick(this.nodes);
      // votes concentrate on a few nodes so quorums form
      const favourite = this.nodes[(Number(x.id % 5n) + ts.attempt) % this.nodes.length]!;
      this.send([p.assignTask(oracle.publicKey, x.id, i, ts.attempt, rng.chance(0.8) && !ts.excluded.some((k) => k.equals(favourite.publicKey)) ? favourite.publicKey : node.publicKey)], [oracle]);
    } else if (RUNNING.has(ts.phase)) {
      const node = this.keypairOf(ts.assigned)!;
      const honest = createHash('sha256').update(`${x.id}/${i}`).digest();
      const output = rng.chance(0.85) ? honest : rng.bytes(32);
      const salt = rng.bytes(32), fp = fingerprint(output);
      if (this.send([p.commit(node.publicKey, x.id, i, ts.attempt, commitment(x.id, i, fp, node.publicKey, salt))], [node]))
        this.commits.set(`${x.id}/${i}/${node.publicKey.toBase58()}`, { salt, output, fp });
    } else if (ts.phase === Phase.Committed) {
      if (slot <= ts.settleSlot) { this.c.svm.advanceSlots(1); return; }
      this.send([p.settle(x.id, i)], [anyone]);
    } else if (REVEALING.has(ts.phase)) {
      const party = rng.pick([ts.asserter, ts.validator, ...ts.arbiters].filter((k): k is PublicKey => !!k));
      const kp = this.keypairOf(party)!;
      const cm = this.commits.get(`${x.id}/${i}/${party.toBase58()}`);
      if (!cm) return;
      const asOutput = ts.phase === Phase.VerifyReveal && party.equals(ts.validator!) ? rng.chance(0.1) : ts.phase === Phase.VerifyReveal ? rng.chance(0.5) : rng.chance(0.9);
      this.send([p.reveal(kp.publicKey, x.id, i, asOutput ? 'output' : 'fingerprint', cm.salt, asOutput ? cm.output : cm.fp, ctx)], [kp]);
    }
  }

  /** An execution as of the last successful transaction that touched it (cached: reads leak, see send). */
  private readExec(p: SplitUpProgram, id: bigint): ExecutionAccount | null {
    const addr = p.executionAddress(id), key = addr.toBase58();
    if (this.execCache.has(key)) return this.execCache.get(key)!;
    const a = this.c.svm.account(addr);
    const e = a && a.data.length >= ACCOUNT_SIZE.execution && a.data.some((b) => b !== 0) ? decodeExecution(a.data) : null;
    this.execCache.set(key, e);
    return e;
  }

  /** Requests, closes, exits, registrations, withdrawals: valid or nearly so. */
  lifecycleMove(): void {
    const rng = this.rng, c = this.c, p = rng.chance(0.85) ? c.program : this.hostile;
    const node = rng.pick(this.nodes), w = rng.pick(this.wallets);
    switch (rng.int(11)) {
      case 0: { const r = rng.pick(this.requesters); this.request(r, rng.nextU64() % 64n, rng.pick([0n, 1000n, 10n ** 8n, 10n ** 9n, (1n << 64n) - 1n]), p); break; }
      case 1: { const x = rng.pick(this.execs); this.send([x.program.closeExecution(rng.chance(0.7) ? x.requester.publicKey : w.publicKey, x.id)], [rng.chance(0.7) ? x.requester : w]); break; }
      case 2: this.send([p.exitNode(node.publicKey)], [node]); break;
      case 3: this.send([p.closeNode(node.publicKey)], [node]); break;
      case 4: this.send([p.registerNode(node.publicKey, rng.pick([0, 1, 8, 24, 4096, 5000]))], [node]); break;
      case 5: this.send([p.specialize(node.publicKey, [1, 2, 3, 4, 5, 6].filter(() => rng.chance(0.6)))], [node]); break;
      case 6: {
        const auth = rng.chance(0.7) ? (p === c.program ? c.authority : this.hostileKey) : w;
        const to = rng.pick(this.pool), amount = rng.pick([0n, 1n, 1000n, 10n ** 6n, 10n ** 12n]);
        // into the other committee's vault (its own is refused, WrongVault): tokens outside that
        // committee's books, as a plain token transfer to a vault would be (nothing stops one)
        const other = [...this.vaults].find(([, v]) => v.equals(to));
        this.intoVault = other ? { committee: other[0], amount } : null;
        this.send([p.withdrawTreasury(auth.publicKey, to, amount)], [auth]);
        this.intoVault = null;
        break;
      }
      case 9: { // a rotation among the five oracle keys (or a stranger's, or another epoch's)
        const cm = this.readCommittee(p);
        const members = this.oraclePool.filter(() => rng.chance(0.8)).map((o) => o.publicKey);
        const proposal = { epoch: (cm?.epoch ?? 0) + (rng.chance(0.9) ? 1 : rng.int(3)), oracles: members, q: rng.chance(0.8) ? Math.ceil((members.length + Math.floor((members.length - 1) / 3) + 1) / 2) : rng.int(6), activateSlot: rng.chance(0.7) ? 0n : this.c.svm.slot() + BigInt(rng.int(20)) };
        const auth = rng.chance(0.8) ? (p === c.program ? c.authority : this.hostileKey) : w;
        this.send([p.proposeRotation(auth.publicKey, proposal)], [auth]);
        break;
      }
      case 10: { // an approval of the pending proposal by a random oracle, usually naming its content
        const cm = this.readCommittee(p);
        const epoch = (cm?.epoch ?? 0) + 1;
        const acct = this.c.svm.account(p.rotationAddress(epoch));
        const r = acct && acct.data.length >= ACCOUNT_SIZE.rotation && acct.data.some((b) => b !== 0) ? decodeRotation(acct.data) : null;
        const digest = r && rng.chance(0.9) ? rotationDigest(p.committeeAddress(), { epoch, oracles: r.oracles, q: r.q, activateSlot: r.activateSlot }) : rng.bytes(32);
        const o = rng.pick(this.oraclePool);
        this.send([p.approveRotation(o.publicKey, epoch, digest)], [o]);
        break;
      }
      case 7: {
        const cm = this.readCommittee(p);
        const id = cm ? cm.taskCount + (rng.chance(0.7) ? 1 : rng.int(3)) : 1;
        this.send([p.registerTask(w.publicKey, id, rng.pick([1n, 1000n, 10_000n, 1n << 60n]), [f32(1, 8)], [f32(1, 8)])], [w]);
        break;
      }
      default: {
        const cm = this.readCommittee(p);
        const id = cm ? cm.modelCount + (rng.chance(0.7) ? 1 : rng.int(3)) : 1;
        const task = cm ? 1 + rng.int(Math.max(1, cm.taskCount)) : 1;
        this.send([p.registerModel(w.publicKey, id, { inputs: [f32(1, 8)], nodes: [{ taskId: task, sources: [{ node: 'input', slot: 0 }] }], outputs: [{ node: 0, slot: 0 }] })], [w]);
      }
    }
  }

  private readCommittee(p: SplitUpProgram) {
    const a = this.c.svm.account(p.committeeAddress());
    return a ? decodeCommittee(a.data) : null;
  }

  /** A plausible instruction, built but not sent (for mutation). */
  private plausible(): TransactionInstruction {
    const rng = this.rng, p = rng.chance(0.8) ? this.c.program : this.hostile;
    const x = rng.pick(this.execs), node = rng.pick(this.nodes), w = rng.pick(this.wallets);
    const ti = rng.int(5), ctx = { modelId: rng.int(3), parties: this.nodes.slice(0, rng.int(5)).map((n) => n.publicKey) };
    switch (rng.int(17)) {
      case 0: return p.initCommittee(w.publicKey, this.c.oracles.map((o) => o.publicKey), 3);
      case 1: return p.registerNode(node.publicKey, 24);
      case 2: return p.specialize(node.publicKey, [1, 2]);
      case 3: return p.exitNode(node.publicKey);
      case 4: return p.registerTask(w.publicKey, 5, 1000n, [f32(1, 8)], [f32(1, 8)]);
      case 5: return p.registerModel(w.publicKey, 2, { inputs: [f32(1, 8)], nodes: [{ taskId: 1, sources: [{ node: 'input', slot: 0 }] }], outputs: [{ node: 0, slot: 0 }] });
      case 6: return p.requestExecution(w.publicKey, MODEL_ID, rng.nextU64(), 'cas://m', 10n ** 9n);
      case 7: return p.assignTask(rng.pick(this.c.oracles).publicKey, x.id, ti, rng.int(3), node.publicKey);
      case 8: return p.commit(node.publicKey, x.id, ti, rng.int(3), rng.bytes(32));
      case 9: return p.settle(x.id, ti);
      case 10: return p.timeout(x.id, ti, ctx);
      case 11: return p.reveal(node.publicKey, x.id, ti, rng.chance(0.5) ? 'output' : 'fingerprint', rng.bytes(32), rng.bytes(32), ctx);
      case 12: return p.closeExecution(x.requester.publicKey, x.id);
      case 13: return p.closeNode(node.publicKey);
      case 15: return p.proposeRotation(w.publicKey, { epoch: 1 + rng.int(2), oracles: this.oraclePool.slice(rng.int(2)).map((o) => o.publicKey), q: 3 + rng.int(2), activateSlot: 0n });
      case 16: return p.approveRotation(rng.pick(this.oraclePool).publicKey, 1 + rng.int(2), rng.bytes(32));
      default: return p.withdrawTreasury(w.publicKey, rng.pick(this.pool), rng.nextU64() % 10n ** 7n);
    }
  }

  private sendSigned(ix: TransactionInstruction): void { this.send([ix], [this.rng.pick(this.wallets)]); }

  mutated(): void {
    const rng = this.rng, ix = this.plausible();
    let data = Buffer.from(ix.data);
    const keys: AccountMeta[] = ix.keys.map((m) => ({ ...m }));
    for (let n = 1 + rng.int(3); n > 0; n--) {
      switch (rng.int(8)) {
        case 0: if (data.length) data[rng.int(data.length)] = rng.int(256); break;
        case 1: if (data.length) data[0] = rng.int(18); break;
        case 2: data = data.subarray(0, rng.int(data.length + 1)); break;
        case 3: data = Buffer.concat([data, Buffer.from(rng.bytes(1 + rng.int(40)))]); break;
        case 4: if (keys.length) keys[rng.int(keys.length)]!.pubkey = rng.pick(this.pool); break;
        case 5: if (keys.length) { const m = keys[rng.int(keys.length)]!; m.isWritable = !m.isWritable; } break;
        case 6: if (keys.length) { const m = keys[rng.int(keys.length)]!; m.isSigner = !m.isSigner; } break;
        default: if (keys.length > 1) { const a = rng.int(keys.length), b = rng.int(keys.length); [keys[a], keys[b]] = [keys[b]!, keys[a]!]; }
      }
    }
    const out = new TransactionInstruction({ programId: this.c.programId, keys, data });
    this.sendSigned(out);
  }

  random(): void {
    const rng = this.rng;
    const data = Buffer.from(rng.bytes(rng.int(4) === 0 ? rng.int(300) : rng.int(80)));
    if (data.length) data[0] = rng.int(20);
    const keys = Array.from({ length: rng.int(9) }, () => ({ pubkey: rng.pick(this.pool), isSigner: rng.chance(0.3), isWritable: rng.chance(0.6) }));
    this.sendSigned(new TransactionInstruction({ programId: this.c.programId, keys, data }));
  }

  step(): void {
    const r = this.rng.float();
    if (r < 0.02) this.c.svm.advanceSlots(1 + this.rng.int(4));
    if (r < 0.45) this.protocolMove();
    else if (r < 0.55) this.lifecycleMove();
    else if (r < 0.85) this.mutated();
    else this.random();
  }
}

t.test(`fuzz: ${COUNT} random and mutated instructions (seed ${SEED}): each succeeds or is refused by name, the books stay exact`, async (t) => {
  const f = new Fuzz(SEED);
  const start = performance.now();
  const progress = process.env.FUZZ_PROGRESS ? Number(process.env.FUZZ_PROGRESS) : 0; // print every N steps (stderr)
  let next = progress;
  while (f.steps < COUNT) {
    f.step();
    if (progress && f.steps >= next) {
      next += progress;
      const m = process.memoryUsage();
      process.stderr.write(`fuzz ${f.steps}: ${((performance.now() - start) / 1000).toFixed(1)} s, rss ${m.rss >> 20} MiB, heap ${m.heapUsed >> 20} MiB, ${f.execs.length} executions\n`);
    }
  }
  const ms = performance.now() - start;
  const phases = new Set<string>();
  for (const x of f.execs) { const e = f['readExec'](x.program, x.id); e?.tasks.forEach((ts) => phases.add(Phase[ts.phase]!)); }
  t.comment(`${f.steps} instructions in ${(ms / 1000).toFixed(1)} s (${Math.round(f.steps / (ms / 1000))}/s): ${f.ok} succeeded; refusals ${JSON.stringify(Object.fromEntries([...f.errors].sort((a, b) => b[1] - a[1])))}`);
  t.comment(`succeeded per tag: ${JSON.stringify(Object.fromEntries([...f.succeeded].sort((a, b) => a[0] - b[0])))}`);
  for (let tag = 0; tag <= 16; tag++) t.ok((f.sent.get(tag) ?? 0) > 0, `tag ${tag} sent ${f.sent.get(tag) ?? 0} times, ${f.succeeded.get(tag) ?? 0} succeeded`);
  t.ok((f.sent.get(17) ?? 0) + (f.sent.get(18) ?? 0) + (f.sent.get(19) ?? 0) > 0, 'unknown tags sent');
  t.ok((f.succeeded.get(16) ?? 0) > 0, `${f.succeeded.get(16) ?? 0} rotation approvals succeeded`);
  const epochs = [f.c.program, f.hostile].map((p) => decodeCommittee(f.c.svm.account(p.committeeAddress())!.data).epoch);
  t.comment(`committee epochs at the end: ${epochs.join(', ')}`);
  t.ok(f.ok > COUNT / 20, `${f.ok} succeeded: the protocol moves kept executions going`);
  t.ok(f.errors.size >= 25, `${f.errors.size} distinct refusals exercised`);
  const done = f.execs.filter((x) => (f['readExec'](x.program, x.id)?.status ?? ExecStatus.Done) === ExecStatus.Done).length;
  t.ok(done >= 1, `${done} of ${f.execs.length} executions finished (or closed)`);
  t.comment(`phases seen at the end: ${[...phases].join(', ')}`);
  t.comment(`held group tasks seen: ${f.held} task states`);
});
