// Instruction builders and program-derived addresses for the SplitUp program
// (programs/splitup). Every builder returns a @solana/web3.js TransactionInstruction;
// the account order is the program's (see programs/splitup/README.md).
import { PublicKey, SystemProgram, SYSVAR_SLOT_HASHES_PUBKEY, TransactionInstruction, type AccountMeta } from '@solana/web3.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getAssociatedTokenAddressSync, TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID } from '@solana/spl-token';
import { encodeSpec, SRC_MODEL_INPUT, type ModelAccount, type TaskState, type TensorSpec } from './layout.js';

export const PROGRAM_SO_PATH = fileURLToPath(new URL('../../programs/splitup/splitup.so', import.meta.url));
export const loadProgramBinary = (): Uint8Array => new Uint8Array(readFileSync(PROGRAM_SO_PATH));

export enum Ix {
  InitCommittee = 0, RegisterNode = 1, Specialize = 2, ExitNode = 3, RegisterTask = 4, RegisterModel = 5, RequestExecution = 6, AssignTask = 7, Commit = 8, Settle = 9, Timeout = 10, Reveal = 11,
  CloseExecution = 12, CloseNode = 13, WithdrawTreasury = 14, ProposeRotation = 15, ApproveRotation = 16,
}

/** What a rotation proposes: the member set of the committee's next epoch and the slot from which it votes (at the earliest, when applied). */
export interface RotationProposal { epoch: number; oracles: PublicKey[]; q: number; activateSlot: bigint }

/** The content members approve: H("splitup/rotation/v1" ‖ committee ‖ epoch u32 ‖ n ‖ q ‖ activateSlot u64 ‖ keys), as the program computes it. */
export function rotationDigest(committee: PublicKey, p: RotationProposal): Uint8Array {
  const h = createHash('sha256').update('splitup/rotation/v1').update(committee.toBytes()).update(u32le(p.epoch))
    .update(Buffer.from([p.oracles.length, p.q])).update(u64le(p.activateSlot));
  for (const k of p.oracles) h.update(k.toBytes());
  return h.digest();
}

/** registerModel's optional task groups: a group number per node (0: none), then groups 1..n's VRAM need (u32 each). */
export function groupsTrailer(n: number, groups: number[], vramGb: number[]): Buffer {
  const b = Buffer.alloc(5 * n);
  for (let i = 0; i < n; i++) { b[i] = groups[i] ?? 0; b.writeUInt32LE(vramGb[i] ?? 0, n + 4 * i); }
  return b;
}

/** An execution's id: the first 8 bytes (LE) of H("splitup/exec/v1" ‖ committee ‖ requester ‖ nonce u64), as the program derives it. */
export function executionIdOf(committee: PublicKey, requester: PublicKey, nonce: bigint): bigint {
  const n = Buffer.alloc(8); n.writeBigUInt64LE(nonce);
  return createHash('sha256').update('splitup/exec/v1').update(committee.toBytes()).update(requester.toBytes()).update(n).digest().readBigUInt64LE(0);
}

/** The fingerprint of an output hash, H("splitup/fingerprint/v1" ‖ output): what reveals compare; it does not give the output away. */
export function fingerprint(output: Uint8Array): Uint8Array {
  return createHash('sha256').update('splitup/fingerprint/v1').update(output).digest();
}

/** A node's commitment to a result: H("splitup/commit/v1" ‖ execId u64 ‖ task u8 ‖ fingerprint ‖ node key ‖ salt). */
export function commitment(execId: bigint, taskIndex: number, fp: Uint8Array, node: PublicKey, salt: Uint8Array): Uint8Array {
  const et = Buffer.alloc(9); et.writeBigUInt64LE(execId); et[8] = taskIndex;
  return createHash('sha256').update('splitup/commit/v1').update(et).update(fp).update(node.toBytes()).update(salt).digest();
}

/** The nodes an instruction that pays, slashes or lapses may touch for a task: assigned, asserter, validator, arbiters (distinct). */
export function partiesOf(ts: Pick<TaskState, 'assigned' | 'asserter' | 'validator' | 'arbiters'>): PublicKey[] {
  const out: PublicKey[] = [];
  for (const k of [ts.assigned, ts.asserter, ts.validator, ...ts.arbiters]) if (k && !out.some((x) => x.equals(k))) out.push(k);
  return out;
}

/** What reveal and timeout need besides the task: the model (successors) and the parties' node accounts. */
export interface TaskCtx { modelId: number; parties: PublicKey[] }

/**
 * The committee's money: an SPL mint of the classic Token program (USDC on mainnet and devnet) or of
 * Token-2022 (the local validator's test USDC). Recorded by initCommittee; every builder that moves
 * value names the mint, the token program and the committee's vault.
 */
export interface Money { mint: PublicKey; program: PublicKey }
export const TOKEN_PROGRAMS = [TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID] as const;
/** A USDC-like mint's decimals: amounts are in micro-USDC. */
export const USDC_DECIMALS = 6;
/** Base units as USDC text (6 decimals, trailing zeros dropped): 1_500_000n → "1.5". */
export function formatUsdc(units: bigint): string {
  const neg = units < 0n, a = neg ? -units : units;
  const frac = (a % USDC).toString().padStart(USDC_DECIMALS, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${a / USDC}${frac ? `.${frac}` : ''}`;
}
/** USDC text ("12", "0.5") as base units; throws on more than 6 decimals or a malformed amount. */
export function parseUsdc(text: string): bigint {
  const m = /^(\d+)(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (!m) throw new Error(`not a USDC amount: ${JSON.stringify(text)} (digits, at most ${USDC_DECIMALS} decimals)`);
  return BigInt(m[1]!) * USDC + BigInt((m[2] ?? '').padEnd(USDC_DECIMALS, '0') || '0');
}

/** Economics and timing of a committee. Amounts are base units of the committee's mint (micro-USDC); ratios are parts per million. */
export interface CommitteeParams {
  /** PoSP sampling probability p. */
  pPpm: number;
  /** Collusion fraction r. */
  rPpm: number;
  /** Verification reward R as a multiple of the task cost C (1.2 → 1_200_000). */
  rewardPpm: number;
  /** Slash S as a multiple of C (10 → 10_000_000). */
  slashPpm: number;
  /** Stake: base + per GB of VRAM. */
  stakeBase: bigint;
  stakePerGb: bigint;
  /** Task cost C = computeUnits × pricePerKcu / 1000. */
  pricePerKcu: bigint;
  /** Timeout = max(minTimeoutSlots, computeUnits × slotsPerKcu / 1000). */
  slotsPerKcu: number;
  minTimeoutSlots: bigint;
  /** ECVRF suite: 3 = ECVRF-EDWARDS25519-SHA512-TAI, 4 = ELL2. */
  suite: 3 | 4;
}

/**
 * Defaults: the seed's economics (R = 1.2·C, S = 10·C, r = 0.1, stake 1000 + 100 per GB of
 * VRAM) with p = 0.10, above the seed's bound C/((1−r)(R+S)) ≈ 0.0992 (its p = 0.08 is not).
 * Amounts are base units of a 6-decimal USDC mint (1 USDC = 10^6), held in the committee's vault.
 */
export const USDC = 1_000_000n;
export const DEFAULT_PARAMS: CommitteeParams = {
  pPpm: 100_000, rPpm: 100_000, rewardPpm: 1_200_000, slashPpm: 10_000_000,
  stakeBase: 1000n * USDC, stakePerGb: 100n * USDC, pricePerKcu: USDC / 10n, slotsPerKcu: 2, minTimeoutSlots: 20n, suite: 3,
};

/** The PoSP bound C/((1−r)(R+S)) in ppm (p must exceed it), exactly as the program computes it. */
export function economicsBoundPpm(p: Pick<CommitteeParams, 'rPpm' | 'rewardPpm' | 'slashPpm'>): number {
  return Number(10n ** 18n / (BigInt(1_000_000 - p.rPpm) * BigInt(p.rewardPpm + p.slashPpm)));
}

export const quorumFor = (n: number): number => Math.ceil((n + Math.floor((n - 1) / 3) + 1) / 2);

const u32le = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
const u64le = (n: bigint | number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
const w = (pubkey: PublicKey, isSigner = false): AccountMeta => ({ pubkey, isSigner, isWritable: true });
const r = (pubkey: PublicKey, isSigner = false): AccountMeta => ({ pubkey, isSigner, isWritable: false });

/**
 * The instructions of one committee of the program: the committee's address is derived from its
 * authority's key, and every node, task, model and execution address from the committee's.
 */
export class SplitUpProgram {
  constructor(readonly programId: PublicKey, readonly authority: PublicKey) {}

  // Deriving an address searches bumps with an on-curve test per try (field exponentiations in
  // JS): the chain loop and agents build instructions for the same accounts every tick, so the
  // derived addresses are remembered (bounded; they never change for a program id).
  private readonly pdas = new Map<string, PublicKey>();
  private pda(...seeds: Uint8Array[]): PublicKey {
    const key = seeds.map((s) => Buffer.from(s).toString('hex')).join('/');
    let a = this.pdas.get(key);
    if (!a) {
      a = PublicKey.findProgramAddressSync(seeds, this.programId)[0];
      if (this.pdas.size >= 100_000) this.pdas.delete(this.pdas.keys().next().value!);
      this.pdas.set(key, a);
    }
    return a;
  }
  committeeAddress(): PublicKey { return this.pda(Buffer.from('committee'), this.authority.toBytes()); }
  /** The committee's vault: the token account ("vault", committee) holding all stake, escrow and treasury; its authority is the committee's address. */
  vaultAddress(): PublicKey { return this.pda(Buffer.from('vault'), this.committeeAddress().toBytes()); }

  /** The committee's mint and token program, once known (initCommittee, or the committee account read by ChainClient.committee()). */
  token: Money | null = null;
  setToken(money: Money): this { this.token = money; return this; }
  private money(): Money {
    if (!this.token) throw new Error("the committee's mint is not known yet: read the committee account first (ChainClient.committee())");
    return this.token;
  }
  /** `owner`'s associated token account of the committee's mint (what the builders use unless given another). */
  tokenAccountOf(owner: PublicKey): PublicKey {
    const m = this.money();
    return getAssociatedTokenAddressSync(m.mint, owner, true, m.program);
  }
  /** [user token account (w), vault (w), mint, token program]: what every instruction that moves value takes. */
  private tokenMetas(owner: PublicKey, account?: PublicKey): AccountMeta[] {
    const m = this.money();
    return [w(account ?? this.tokenAccountOf(owner)), w(this.vaultAddress()), r(m.mint), r(m.program)];
  }
  nodeAddress(node: PublicKey): PublicKey { return this.pda(Buffer.from('node'), this.committeeAddress().toBytes(), node.toBytes()); }
  taskAddress(taskId: number): PublicKey { return this.pda(Buffer.from('task'), this.committeeAddress().toBytes(), u32le(taskId)); }
  modelAddress(modelId: number): PublicKey { return this.pda(Buffer.from('model'), this.committeeAddress().toBytes(), u32le(modelId)); }
  executionAddress(execId: bigint): PublicKey { return this.pda(Buffer.from('exec'), this.committeeAddress().toBytes(), u64le(execId)); }
  /** The id of the execution `requester` asks for with `nonce` (a nonce is used once per requester). */
  executionId(requester: PublicKey, nonce: bigint): bigint { return executionIdOf(this.committeeAddress(), requester, nonce); }

  private ix(keys: AccountMeta[], data: Uint8Array): TransactionInstruction {
    return new TransactionInstruction({ programId: this.programId, keys, data: Buffer.from(data) });
  }

  /**
   * Creates this program object's committee and its vault for `money`'s mint: `authority` must be the
   * key it was built with (the committee address is derived from it).
   */
  initCommittee(authority: PublicKey, oracles: PublicKey[], q: number, p: CommitteeParams = DEFAULT_PARAMS, money: Money = this.money()): TransactionInstruction {
    this.token = money;
    const head = Buffer.alloc(56);
    head[0] = Ix.InitCommittee; head[1] = oracles.length; head[2] = q; head[3] = p.suite;
    [p.pPpm, p.rPpm, p.rewardPpm, p.slashPpm, p.slotsPerKcu].forEach((v, i) => head.writeUInt32LE(v, 4 + 4 * i));
    [p.stakeBase, p.stakePerGb, p.pricePerKcu, p.minTimeoutSlots].forEach((v, i) => head.writeBigUInt64LE(v, 24 + 8 * i));
    const committee = PublicKey.findProgramAddressSync([Buffer.from('committee'), authority.toBytes()], this.programId)[0];
    const vault = PublicKey.findProgramAddressSync([Buffer.from('vault'), committee.toBytes()], this.programId)[0];
    return this.ix([w(authority, true), w(committee), r(SystemProgram.programId), r(money.mint), w(vault), r(money.program)], Buffer.concat([head, ...oracles.map((o) => o.toBuffer())]));
  }

  /** Registers `node`: its stake (base + per GB of VRAM) moves from its token account (default: its associated one) into the vault. */
  registerNode(node: PublicKey, vramGb: number, source?: PublicKey): TransactionInstruction {
    return this.ix([w(node, true), r(this.committeeAddress()), w(this.nodeAddress(node)), r(SystemProgram.programId), ...this.tokenMetas(node, source)],
      Buffer.concat([Buffer.from([Ix.RegisterNode]), u32le(vramGb)]));
  }

  specialize(node: PublicKey, taskIds: number[]): TransactionInstruction {
    return this.ix([r(node, true), w(this.nodeAddress(node)), ...taskIds.map((t) => r(this.taskAddress(t)))],
      Buffer.concat([Buffer.from([Ix.Specialize, taskIds.length]), ...taskIds.map(u32le)]));
  }

  /** The node exits: its stake and earnings move from the vault to its token account (default: its associated one, which it must own). */
  exitNode(node: PublicKey, destination?: PublicKey): TransactionInstruction {
    return this.ix([r(node, true), w(this.nodeAddress(node)), r(this.committeeAddress()), ...this.tokenMetas(node, destination)], Buffer.from([Ix.ExitNode]));
  }

  /** Registers task `taskId`, which must be the committee's task count + 1 (ids are assigned in order). */
  registerTask(author: PublicKey, taskId: number, computeUnits: bigint, inputs: TensorSpec[], outputs: TensorSpec[]): TransactionInstruction {
    const head = Buffer.concat([Buffer.from([Ix.RegisterTask]), u32le(taskId), u64le(computeUnits), Buffer.from([inputs.length, outputs.length])]);
    return this.ix([w(author, true), w(this.taskAddress(taskId)), r(SystemProgram.programId), w(this.committeeAddress())], Buffer.concat([head, ...[...inputs, ...outputs].map(encodeSpec)]));
  }

  /** Registers a model (`modelId` = the committee's model count + 1): a DAG of task nodes whose inputs name a model input or another node's output slot. */
  registerModel(author: PublicKey, modelId: number, model: Pick<ModelAccount, 'inputs' | 'nodes' | 'outputs'> & Partial<Pick<ModelAccount, 'groups' | 'groupVramGb'>>): TransactionInstruction {
    const nodes = model.nodes.map((n) => {
      const b = Buffer.alloc(12, 0xff);
      b.writeUInt32LE(n.taskId, 0);
      n.sources.forEach((s, j) => { b[4 + 2 * j] = s.node === 'input' ? SRC_MODEL_INPUT : s.node; b[5 + 2 * j] = s.slot; });
      return b;
    });
    const data = Buffer.concat([
      Buffer.from([Ix.RegisterModel]), u32le(modelId), Buffer.from([model.nodes.length, model.inputs.length, model.outputs.length]),
      ...model.inputs.map(encodeSpec), ...nodes, Buffer.from(model.outputs.flatMap((o) => [o.node, o.slot])),
      ...(model.groups ? [groupsTrailer(model.nodes.length, model.groups, model.groupVramGb ?? [])] : []),
    ]);
    return this.ix([w(author, true), w(this.modelAddress(modelId)), r(SystemProgram.programId), w(this.committeeAddress()), ...model.nodes.map((n) => r(this.taskAddress(n.taskId)))], data);
  }

  /** Asks for an execution of the model; its id is executionId(requester, nonce). `maxFee` (the escrow) moves from the requester's token account into the vault. */
  requestExecution(requester: PublicKey, modelId: number, nonce: bigint, inputUri: string, maxFee: bigint, source?: PublicKey): TransactionInstruction {
    const uri = Buffer.from(inputUri, 'utf8');
    const len = Buffer.alloc(2); len.writeUInt16LE(uri.length);
    return this.ix([w(requester, true), r(this.committeeAddress()), r(this.modelAddress(modelId)), w(this.executionAddress(this.executionId(requester, nonce))), r(SystemProgram.programId), r(SYSVAR_SLOT_HASHES_PUBKEY),
      ...this.tokenMetas(requester, source)],
    Buffer.concat([Buffer.from([Ix.RequestExecution]), u64le(nonce), u64le(maxFee), len, uri]));
  }

  /** Closes a finished execution: the unspent escrow (the refund) to the requester's token account, the rent to the requester, who signs. */
  closeExecution(requester: PublicKey, execId: bigint, destination?: PublicKey): TransactionInstruction {
    return this.ix([w(requester, true), w(this.executionAddress(execId)), r(this.committeeAddress()), ...this.tokenMetas(requester, destination)],
      Buffer.concat([Buffer.from([Ix.CloseExecution]), u64le(execId)]));
  }

  /** Closes an exited node's account: its rent to the node key, which can then register again. */
  closeNode(node: PublicKey): TransactionInstruction {
    return this.ix([w(node, true), w(this.nodeAddress(node))], Buffer.from([Ix.CloseNode]));
  }

  /** The committee's authority withdraws `amount` of the treasury from the vault to `destination`, a token account of the mint. */
  withdrawTreasury(authority: PublicKey, destination: PublicKey, amount: bigint): TransactionInstruction {
    return this.ix([r(authority, true), w(this.committeeAddress()), ...this.tokenMetas(authority, destination)], Buffer.concat([Buffer.from([Ix.WithdrawTreasury]), u64le(amount)]));
  }

  /** The proposal account of epoch `epoch`: "rotation", committee, u32 epoch. */
  rotationAddress(epoch: number): PublicKey { return this.pda(Buffer.from('rotation'), this.committeeAddress().toBytes(), u32le(epoch)); }

  /** The authority proposes the member set of epoch `p.epoch` (the committee's epoch + 1); a pending proposal of that epoch is replaced. */
  proposeRotation(authority: PublicKey, p: RotationProposal): TransactionInstruction {
    const head = Buffer.alloc(16);
    head[0] = Ix.ProposeRotation; head[1] = p.oracles.length; head[2] = p.q;
    head.writeUInt32LE(p.epoch, 4); head.writeBigUInt64LE(p.activateSlot, 8);
    return this.ix([w(authority, true), r(this.committeeAddress()), w(this.rotationAddress(p.epoch)), r(SystemProgram.programId)],
      Buffer.concat([head, ...p.oracles.map((o) => o.toBuffer())]));
  }

  /** A current member approves the proposal of `epoch` whose content hashes to `digest` (rotationDigest); the q-th approval applies it (the proposal's rent back to the authority). */
  approveRotation(oracle: PublicKey, epoch: number, digest: Uint8Array): TransactionInstruction {
    return this.ix([r(oracle, true), w(this.committeeAddress()), w(this.rotationAddress(epoch)), w(this.authority)],
      Buffer.concat([Buffer.from([Ix.ApproveRotation]), u32le(epoch), Buffer.from(digest)]));
  }

  private taskRef(tag: Ix, execId: bigint, taskIndex: number): Buffer { return Buffer.concat([Buffer.from([tag]), u64le(execId), Buffer.from([taskIndex])]); }

  /** An oracle's vote that `node` runs (execution, task index, attempt). */
  assignTask(oracle: PublicKey, execId: bigint, taskIndex: number, attempt: number, node: PublicKey): TransactionInstruction {
    return this.ix([r(oracle, true), r(this.committeeAddress()), w(this.executionAddress(execId)), w(this.nodeAddress(node))],
      Buffer.concat([this.taskRef(Ix.AssignTask, execId, taskIndex), u32le(attempt), node.toBuffer()]));
  }

  /** The assigned node's commitment to its result (asserter, validator or arbiter), before its deadline. */
  commit(node: PublicKey, execId: bigint, taskIndex: number, attempt: number, commitment: Uint8Array): TransactionInstruction {
    return this.ix([r(node, true), r(this.committeeAddress()), w(this.executionAddress(execId)), r(SYSVAR_SLOT_HASHES_PUBKEY)],
      Buffer.concat([this.taskRef(Ix.Commit, execId, taskIndex), u32le(attempt), Buffer.from(commitment)]));
  }

  /** Opens the signer's commitment: `value` is the output (kind 'output') or its fingerprint (kind 'fingerprint'). */
  reveal(node: PublicKey, execId: bigint, taskIndex: number, kind: 'output' | 'fingerprint', salt: Uint8Array, value: Uint8Array, ctx: TaskCtx): TransactionInstruction {
    return this.ix([r(node, true), ...this.taskAccounts(execId, ctx)],
      Buffer.concat([this.taskRef(Ix.Reveal, execId, taskIndex), Buffer.from([kind === 'output' ? 0 : 1]), Buffer.from(salt), Buffer.from(value)]));
  }

  /** Decides sampling from the block after the commitment (a settle too late to name that block counts as sampled). */
  settle(execId: bigint, taskIndex: number): TransactionInstruction {
    return this.ix([r(this.committeeAddress()), w(this.executionAddress(execId)), r(SYSVAR_SLOT_HASHES_PUBKEY)], this.taskRef(Ix.Settle, execId, taskIndex));
  }

  /** Ends whatever passed its deadline: an assignment without commitment, an open selection without quorum, a reveal not made. */
  timeout(execId: bigint, taskIndex: number, ctx: TaskCtx): TransactionInstruction {
    return this.ix(this.taskAccounts(execId, ctx), this.taskRef(Ix.Timeout, execId, taskIndex));
  }

  private taskAccounts(execId: bigint, ctx: TaskCtx): AccountMeta[] {
    return [w(this.committeeAddress()), w(this.executionAddress(execId)), r(SYSVAR_SLOT_HASHES_PUBKEY), r(this.modelAddress(ctx.modelId)),
      ...ctx.parties.map((k) => w(this.nodeAddress(k)))];
  }
}
