// A SplitUp chain in an in-process LiteSVM: the built program, a committee of oracle keys,
// an example model (a diamond DAG of four tasks) and helpers to send and read. Used by the
// program's tests, the compute-unit benchmark and the simulator.
import { Keypair, PublicKey, type TransactionInstruction } from '@solana/web3.js';
import { Svm, type TxResult } from './svm.js';
import { TOKEN_2022_PROGRAM_ID } from '@solana/spl-token';
import { ACCOUNT_SIZE, TAGS } from './layout.js';
import { booksTotal, createMintIxs, createTokenAccountIx, mintToIxs, tokenAmount } from './usdc.js';
import { commitment, DEFAULT_PARAMS, USDC, type Money, fingerprint, loadProgramBinary, partiesOf, quorumFor, rotationDigest, SplitUpProgram, type CommitteeParams, type TaskCtx } from './program.js';
import { createHash, randomBytes } from 'node:crypto';
import { decodeCommittee, decodeExecution, decodeModel, decodeNode, decodeTask, memberSetAt } from './layout.js';
import { modelOf, planManifest, type ManifestDoc } from '../model/manifest.js';
import { programError, type ProgramError } from './errors.js';

// The example model's definition lives in example-model.ts (no LiteSVM), re-exported here.
export { DIAMOND, f32, MODEL_ID, TASKS } from './example-model.js';
import { DIAMOND, MODEL_ID, TASKS } from './example-model.js';

export class LocalChain {
  readonly svm = new Svm();
  readonly programId: PublicKey;
  readonly program: SplitUpProgram;
  readonly authority: Keypair;
  readonly oracles: Keypair[];
  /** The chain's test USDC: a 6-decimal mint whose mint and freeze authority is `authority` (its key derived from the authority's, so seeded chains stay reproducible). */
  readonly mint: Keypair;
  readonly money: Money;

  /** `tokenProgram`: the test USDC's program, Token-2022 (default) or the classic Token program (both ship with LiteSVM). */
  constructor(n = 3, programId: PublicKey = Keypair.generate().publicKey, oracles?: Keypair[], authority: Keypair = Keypair.generate(), tokenProgram: PublicKey = TOKEN_2022_PROGRAM_ID) {
    this.programId = programId;
    this.authority = authority;
    this.program = new SplitUpProgram(programId, authority.publicKey);
    this.svm.addProgram(this.programId, loadProgramBinary());
    this.oracles = oracles ?? Array.from({ length: n }, () => Keypair.generate());
    this.svm.airdrop(this.authority.publicKey, 1_000_000_000_000n);
    for (const o of this.oracles) this.svm.airdrop(o.publicKey, 10_000_000_000n);
    this.mint = Keypair.fromSeed(createHash('sha256').update('splitup/local-chain/mint').update(authority.secretKey).digest());
    this.money = { mint: this.mint.publicKey, program: tokenProgram };
    this.program.setToken(this.money);
    this.ok([this.authority, this.mint], ...createMintIxs(this.authority.publicKey, this.mint, this.authority.publicKey, tokenProgram));
    this.fund(this.authority.publicKey, 1_000_000n * USDC);
    this.svm.advanceSlots(1);
  }

  /** Mints `amount` test USDC (base units) to `owner`'s associated token account (created when absent). */
  fund(owner: PublicKey, amount: bigint): void { this.ok([this.authority], ...mintToIxs(this.authority.publicKey, this.authority.publicKey, owner, this.money, amount)); }
  /** Creates `owner`'s associated token account (empty) unless it exists. */
  tokenAccount(owner: PublicKey): PublicKey { this.ok([this.authority], createTokenAccountIx(this.authority.publicKey, owner, this.money)); return this.program.tokenAccountOf(owner); }
  /** The balance of a token account (0 when absent). */
  balanceOf(account: PublicKey): bigint { const a = this.svm.account(account); return a && a.data.length >= 72 ? tokenAmount(a.data) : 0n; }
  /** The balance of `owner`'s associated token account. */
  usdc(owner: PublicKey): bigint { return this.balanceOf(this.program.tokenAccountOf(owner)); }
  vault(): bigint { return this.balanceOf(this.program.vaultAddress()); }
  /** Every token account of the mint and its balance (the conservation checks sum them). */
  tokenAccounts(): Map<string, bigint> {
    const out = new Map<string, bigint>();
    for (const [k, a] of this.svm.accounts.ofOwner(this.money.program.toBase58()))
      if (a.data.length >= 165 && new PublicKey(a.data.subarray(0, 32)).equals(this.money.mint)) out.set(k, tokenAmount(a.data));
    return out;
  }
  /** Σ of every token account of the mint. */
  tokenSupplyHeld(): bigint { let t = 0n; for (const v of this.tokenAccounts().values()) t += v; return t; }
  /** The program's books of this committee: treasury + nodes' stake and earnings + executions' escrow (the vault must hold exactly this). */
  books(): bigint {
    const nodes = [], execs = [];
    const committee = this.program.committeeAddress();
    for (const [, a] of this.svm.accounts.ofOwner(this.programId.toBase58())) {
      const tag = Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).readUInt32LE(0);
      if (tag === TAGS.node && a.data.length === ACCOUNT_SIZE.node) { const n = decodeNode(a.data); if (n.committee.equals(committee)) nodes.push(n); }
      if (tag === TAGS.execution && a.data.length === ACCOUNT_SIZE.execution) { const e = decodeExecution(a.data); if (e.committee.equals(committee)) execs.push(e); }
    }
    return booksTotal(this.committee(), nodes, execs);
  }

  /** Sends and returns the result; failures are returned, not thrown. */
  send(signers: Keypair[], ...ixs: TransactionInstruction[]): TxResult { return this.svm.execute(signers, ...ixs); }

  /** Sends and throws a typed ProgramError on failure. */
  ok(signers: Keypair[], ...ixs: TransactionInstruction[]): TxResult {
    const r = this.send(signers, ...ixs);
    if (!r.ok) throw programError(r.error ?? 'unknown', r.logs);
    return r;
  }

  /** Sends expecting failure; returns the typed error. */
  err(signers: Keypair[], ...ixs: TransactionInstruction[]): ProgramError {
    const r = this.send(signers, ...ixs);
    if (r.ok) throw new Error('transaction unexpectedly succeeded');
    return programError(r.error ?? 'unknown', r.logs);
  }

  initCommittee(params: CommitteeParams = DEFAULT_PARAMS, q = quorumFor(this.oracles.length)): TxResult {
    return this.ok([this.authority], this.program.initCommittee(this.authority.publicKey, this.oracles.map((o) => o.publicKey), q, params, this.money));
  }

  registerTasks(): void {
    for (const t of Object.values(TASKS)) this.ok([this.authority], this.program.registerTask(this.authority.publicKey, t.id, t.cu, [...t.inputs], [...t.outputs]));
  }

  registerModel(modelId = MODEL_ID, model: Parameters<SplitUpProgram['registerModel']>[2] = DIAMOND): TxResult {
    return this.ok([this.authority], this.program.registerModel(this.authority.publicKey, modelId, model));
  }

  /**
   * Registers a model developer's manifest (checked by planManifest first): its new tasks (the next
   * task ids) and the model (the next model id), signed by the authority. Returns the ids.
   */
  registerManifest(doc: ManifestDoc): { modelId: number; taskIds: number[] } {
    const c = this.committee();
    const plan = planManifest(doc, (id) => { try { return this.task(id); } catch { return undefined; } });
    const taskIds = plan.newTasks.map((_, k) => c.taskCount + 1 + k);
    plan.newTasks.forEach((x, k) => this.ok([this.authority], this.program.registerTask(this.authority.publicKey, taskIds[k]!, x.computeUnits, x.inputs, x.outputs)));
    this.registerModel(c.modelCount + 1, modelOf(plan, taskIds));
    return { modelId: c.modelCount + 1, taskIds };
  }

  /** A funded (SOL for fees and rent, 100 000 test USDC), registered (its stake into the vault), specialized compute node. */
  node(specs: number[] = [1, 2, 3, 4], vramGb = 24): Keypair {
    const k = Keypair.generate();
    this.svm.airdrop(k.publicKey, 10_000_000_000n);
    this.fund(k.publicKey, 100_000n * USDC);
    this.ok([k], this.program.registerNode(k.publicKey, vramGb));
    if (specs.length) this.ok([k], this.program.specialize(k.publicKey, specs));
    return k;
  }

  committee() { return decodeCommittee(this.data(this.program.committeeAddress())); }
  nodeAccount(k: PublicKey) { return decodeNode(this.data(this.program.nodeAddress(k))); }
  model(id = MODEL_ID) { return decodeModel(this.data(this.program.modelAddress(id))); }
  task(id: number) { return decodeTask(this.data(this.program.taskAddress(id))); }
  execution(id: bigint) { return decodeExecution(this.data(this.program.executionAddress(id))); }
  lamports(k: PublicKey): bigint { return this.svm.account(k)?.lamports ?? 0n; }

  private data(k: PublicKey): Uint8Array {
    const a = this.svm.account(k);
    if (!a) throw new Error(`no account ${k.toBase58()}`);
    return a.data;
  }

  /** Oracle keys this chain can sign with: the first committee's and those added by rotate(). */
  readonly oracleKeys: Keypair[] = [];
  private keypair(k: PublicKey): Keypair {
    const kp = [...this.oracles, ...this.oracleKeys].find((o) => o.publicKey.equals(k));
    if (!kp) throw new Error(`no key for oracle ${k.toBase58()}`);
    return kp;
  }

  /** q oracles of the selection's epoch vote `node` for the task's current attempt. */
  assign(execId: bigint, taskIndex: number, node: PublicKey, voters?: Keypair[]): void {
    const ts = this.execution(execId).tasks[taskIndex]!;
    if (!voters) {
      const set = memberSetAt(this.committee(), ts.readySlot);
      if (!set) throw new Error(`execution ${execId} task ${taskIndex}: the selection predates the previous epoch`);
      voters = set.oracles.slice(0, set.q).map((k) => this.keypair(k));
    }
    for (const o of voters) this.ok([o], this.program.assignTask(o.publicKey, execId, taskIndex, ts.attempt, node));
  }

  /**
   * Rotates the committee to `oracles` (funded here): the authority proposes the next epoch and q
   * members of the current set approve; the new set votes on selections seeded from the switch (or
   * `activateSlot`, when later) on. Returns the new epoch.
   */
  rotate(oracles: Keypair[], q = quorumFor(oracles.length), activateSlot = 0n): number {
    for (const o of oracles) if (!this.oracleKeys.some((k) => k.publicKey.equals(o.publicKey)) && !this.oracles.includes(o)) {
      this.oracleKeys.push(o);
      this.svm.airdrop(o.publicKey, 10_000_000_000n);
    }
    const cm = this.committee();
    const proposal = { epoch: cm.epoch + 1, oracles: oracles.map((o) => o.publicKey), q, activateSlot };
    this.ok([this.authority], this.program.proposeRotation(this.authority.publicKey, proposal));
    const digest = rotationDigest(this.program.committeeAddress(), proposal);
    for (const k of cm.oracles.slice(0, cm.q)) this.ok([this.keypair(k)], this.program.approveRotation(k, proposal.epoch, digest));
    return proposal.epoch;
  }

  /** What reveal and timeout of task i need: requester, model and every party's node account. */
  taskCtx(execId: bigint, taskIndex: number): TaskCtx {
    const e = this.execution(execId);
    return { modelId: e.modelId, parties: partiesOf(e.tasks[taskIndex]!) };
  }

  /** The assigned node commits to `output` (fresh salt); returns what it needs to reveal. */
  commitResult(node: Keypair, execId: bigint, taskIndex: number, output: Uint8Array): { salt: Uint8Array; output: Uint8Array; fp: Uint8Array; result: TxResult } {
    const salt = randomBytes(32), fp = fingerprint(output);
    const attempt = this.execution(execId).tasks[taskIndex]!.attempt;
    const result = this.ok([node], this.program.commit(node.publicKey, execId, taskIndex, attempt, commitment(execId, taskIndex, fp, node.publicKey, salt)));
    return { salt, output, fp, result };
  }

  /** Reveals a commitment made with commitResult, as the output or as its fingerprint. */
  revealResult(node: Keypair, execId: bigint, taskIndex: number, c: { salt: Uint8Array; output: Uint8Array; fp: Uint8Array }, kind: 'output' | 'fingerprint' = 'output'): TxResult {
    return this.ok([node], this.program.reveal(node.publicKey, execId, taskIndex, kind, c.salt, kind === 'output' ? c.output : c.fp, this.taskCtx(execId, taskIndex)));
  }

  settleTask(execId: bigint, taskIndex: number): TxResult { return this.ok([this.authority], this.program.settle(execId, taskIndex)); }
  timeoutTask(execId: bigint, taskIndex: number): TxResult { return this.ok([this.authority], this.program.timeout(execId, taskIndex, this.taskCtx(execId, taskIndex))); }
}
