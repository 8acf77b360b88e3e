// Account decoders for the SplitUp program (layouts fixed in programs/splitup/src/state.h).
import { PublicKey } from '@solana/web3.js';

export const TASK_STATE_SIZE = 1200;
export const EXEC_HEADER_SIZE = 304;
export const ACCOUNT_SIZE = { committee: 880, node: 208, task: 248, model: 384, execution: EXEC_HEADER_SIZE + 8 * TASK_STATE_SIZE + 40, rotation: 408 } as const;
/** Offset of the committee address every node, task, model and execution account carries (memcmp filters). */
export const COMMITTEE_OFFSET = { node: 176, task: 216, model: 312, execution: EXEC_HEADER_SIZE + 8 * TASK_STATE_SIZE, rotation: 376 } as const;
export const TAGS = { committee: 0x4d435553, node: 0x444e5553, task: 0x4b545553, model: 0x444d5553, execution: 0x58455553, rotation: 0x54525553 } as const;
export const VERIFY_ATTEMPT = 0x8000_0000;
/** Attempts of a dispute's arbiter selections. */
export const ARB_ATTEMPT = 0xC000_0000;
export const N_ARBITERS = 3;
/** The phase an attempt belongs to. */
export const attemptKind = (attempt: number): 'compute' | 'verify' | 'arbitrate' => ((attempt >>> 30) === 3 ? 'arbitrate' : (attempt >>> 31) === 1 ? 'verify' : 'compute');
export const SRC_MODEL_INPUT = 0xff;

export enum NodeStatus { Active = 1, Exited = 2, Slashed = 3 }
/** The key of one selection request, (execution, task index, attempt): votes, proofs and agents' work are keyed by it. */
export const requestKey = (execId: bigint, taskIndex: number, attempt: number): string => `${execId}/${taskIndex}/${attempt}`;

/**
 * Task phases. Compute: Ready → Assigned → Committed (settle decides sampling) → Reveal (not sampled) →
 * Done. Verification: VerifyReady → Verifying → VerifyReveal → Done, or on differing fingerprints a
 * dispute: ArbReady → Arbitrating (× 3 arbiters) → ArbReveal → Done. A task group's members other than
 * the one whose selection took them are Held (assigned to the group's node) until their inputs from
 * inside the group are accepted, then Assigned.
 */
export enum Phase { Pending = 0, Ready = 1, Assigned = 2, Committed = 3, VerifyReady = 4, Verifying = 5, Done = 6, Reveal = 7, VerifyReveal = 8, ArbReady = 9, Arbitrating = 10, ArbReveal = 11, Held = 12 }
export enum Sampled { Undecided = 0, No = 1, Yes = 2 }
/** Mismatch: the asserter lied (slashed). Framed: the validator lied (slashed). Undecided: no arbiter majority. Unverified: no validator found. Unrevealed: a sampled asserter did not reveal (slashed; the task was recomputed). */
export enum VerifyResult { None = 0, Match = 1, Mismatch = 2, Framed = 3, Undecided = 4, Unverified = 5, Unrevealed = 6 }
/** Phases in which the chain waits for a selection (oracles vote). */
export const SELECTING = new Set([Phase.Ready, Phase.VerifyReady, Phase.ArbReady]);
/** Phases in which an assigned node must commit before its deadline. */
export const RUNNING = new Set([Phase.Assigned, Phase.Verifying, Phase.Arbitrating]);
/** Phases in which parties reveal before a deadline. */
export const REVEALING = new Set([Phase.Reveal, Phase.VerifyReveal, Phase.ArbReveal]);
export enum ExecStatus { Running = 1, Done = 2 }
/** Tensor element types: 1 f32, 2 f16, 3 bf16, 4 i32, 5 i64, 6 u8. */
export enum DType { F32 = 1, F16 = 2, BF16 = 3, I32 = 4, I64 = 5, U8 = 6 }

export interface TensorSpec { dtype: DType; shape: number[] }

export interface Committee {
  authority: PublicKey; n: number; q: number; suite: number;
  pPpm: number; rPpm: number; rewardPpm: number; slashPpm: number; slotsPerKcu: number;
  stakeBase: bigint; stakePerGb: bigint; pricePerKcu: bigint; minTimeoutSlots: bigint; treasury: bigint;
  oracles: PublicKey[];
  /** ids are assigned in order: the next task is taskCount + 1, the next model modelCount + 1 */
  taskCount: number; modelCount: number;
  /**
   * Rotation: `oracles` (n, q) is epoch `epoch`'s member set and votes on every selection whose seed
   * slot (readySlot) is ≥ epochStartSlot; `previous` (epoch − 1, absent at epoch 0) votes on those
   * with prevStartSlot ≤ readySlot < epochStartSlot; older selections are stale (they expire and reopen).
   */
  epoch: number; epochStartSlot: bigint;
  previous: { epoch: number; n: number; q: number; oracles: PublicKey[]; startSlot: bigint } | null;
  /**
   * The money: every amount (stake rule, price, treasury, nodes' stake and earnings, executions' escrow)
   * is in base units of `mint` (owned by `tokenProgram`, `decimals` decimals), held by the token account
   * `vault` whose authority is the committee's address; its balance is the sum of those books.
   */
  mint: PublicKey; tokenProgram: PublicKey; vault: PublicKey; decimals: number;
}
/** A pending rotation proposal: the member set of epoch `epoch`, approved by members of the current set (bit i: oracle i). */
export interface RotationAccount {
  epoch: number; n: number; q: number; approvals: number; activateSlot: bigint; digest: Uint8Array; oracles: PublicKey[]; committee: PublicKey;
}
export interface NodeAccount {
  key: PublicKey; status: NodeStatus; vramGb: number; stake: bigint; activeJobs: number; completed: number;
  verified: number; slashes: number; earned: bigint; slashed: bigint; specializations: number[];
  /** stake locked by unsettled assignments (R + S each); lapse penalties paid and their count */
  locked: bigint; penalized: bigint; lapses: number;
  committee: PublicKey;
}
export interface TaskAccount { taskId: number; computeUnits: bigint; author: PublicKey; inputs: TensorSpec[]; outputs: TensorSpec[]; committee: PublicKey }
export interface ModelNode { taskId: number; sources: Array<{ node: number | 'input'; slot: number }> }
export interface ModelAccount {
  modelId: number; author: PublicKey; nodes: ModelNode[]; order: number[];
  outputs: Array<{ node: number; slot: number }>; inputs: TensorSpec[]; computeUnits: bigint[];
  committee: PublicKey;
  /** task groups: node i's group number (0: none, 1..n), and the VRAM need (GB) of group g at groupVramGb[g − 1] */
  groups: number[]; groupVramGb: number[];
}
export interface TaskState {
  phase: Phase; excluded: PublicKey[]; sampled: Sampled; result: VerifyResult; voteMask: number;
  attempt: number; timeoutSlots: number; deadlineSlot: bigint; readySlot: bigint; seed: Uint8Array;
  assigned: PublicKey | null; asserter: PublicKey | null; output: Uint8Array; settleSlot: bigint;
  votes: Array<PublicKey | null>;
  tries: number; validator: PublicKey | null; commitA: Uint8Array; commitV: Uint8Array; fpA: Uint8Array; fpV: Uint8Array;
  arbiters: PublicKey[]; arbCommits: Uint8Array[]; arbFps: Uint8Array[];
  /** bit 0 asserter, bit 1 validator, bit 2 + k arbiter k */
  revealed: number; computeAttempt: number;
  /** the model's task group of this task (0: none) and its VRAM need (GB) */
  group: number; groupVramGb: number;
}
export interface ExecutionAccount {
  execId: bigint; modelId: number; status: ExecStatus; disputes: number; doneCount: number;
  requester: PublicKey; escrow: bigint; requestSlot: bigint; uri: string; taskIds: number[]; baseTimeouts: number[];
  fees: bigint[]; failed: boolean;
  tasks: TaskState[];
  committee: PublicKey;
  /** the requester's nonce the id was derived from */
  nonce: bigint;
}

class Reader {
  readonly dv: DataView;
  constructor(readonly b: Uint8Array) { this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength); }
  u8(o: number) { return this.b[o]!; }
  u16(o: number) { return this.dv.getUint16(o, true); }
  u32(o: number) { return this.dv.getUint32(o, true); }
  u64(o: number) { return this.dv.getBigUint64(o, true); }
  bytes(o: number, n: number) { return this.b.slice(o, o + n); }
  key(o: number) { return new PublicKey(this.b.subarray(o, o + 32)); }
  keyOrNull(o: number) { return this.b.subarray(o, o + 32).every((x) => x === 0) ? null : this.key(o); }
  spec(o: number): TensorSpec { const rank = this.u8(o + 1); return { dtype: this.u8(o), shape: Array.from({ length: rank }, (_, i) => this.u32(o + 4 + 4 * i)) }; }
}

export class LayoutError extends Error { override name = 'LayoutError'; }

function reader(data: Uint8Array, kind: keyof typeof TAGS): Reader {
  if (data.length < ACCOUNT_SIZE[kind]) throw new LayoutError(`${kind} account: ${data.length} bytes, expected ${ACCOUNT_SIZE[kind]}`);
  const r = new Reader(data);
  if (r.u32(0) !== TAGS[kind]) throw new LayoutError(`not a ${kind} account (tag ${r.u32(0).toString(16)})`);
  return r;
}

export function decodeCommittee(data: Uint8Array): Committee {
  const r = reader(data, 'committee');
  const n = r.u8(40);
  return {
    authority: r.key(8), n, q: r.u8(41), suite: r.u8(42), pPpm: r.u32(44), rPpm: r.u32(48), rewardPpm: r.u32(52),
    slashPpm: r.u32(56), slotsPerKcu: r.u32(60), stakeBase: r.u64(64), stakePerGb: r.u64(72), pricePerKcu: r.u64(80),
    minTimeoutSlots: r.u64(88), treasury: r.u64(96), oracles: Array.from({ length: n }, (_, i) => r.key(104 + 32 * i)),
    taskCount: r.u32(424), modelCount: r.u32(428),
    epoch: r.u32(432), epochStartSlot: r.u64(440),
    previous: r.u32(432) === 0 ? null : {
      epoch: r.u32(432) - 1, n: r.u8(436), q: r.u8(437), startSlot: r.u64(448),
      oracles: Array.from({ length: Math.min(r.u8(436), 10) }, (_, i) => r.key(456 + 32 * i)),
    },
    mint: r.key(776), tokenProgram: r.key(808), vault: r.key(840), decimals: r.u8(872),
  };
}

export function decodeRotation(data: Uint8Array): RotationAccount {
  const r = reader(data, 'rotation');
  const n = Math.min(r.u8(6), 10);
  return {
    n, q: r.u8(7), epoch: r.u32(8), approvals: r.u16(12), activateSlot: r.u64(16), digest: r.bytes(24, 32),
    oracles: Array.from({ length: n }, (_, i) => r.key(56 + 32 * i)), committee: r.key(COMMITTEE_OFFSET.rotation),
  };
}

/** The member set (epoch, keys, q) that votes on a selection seeded at `readySlot`, or null when it predates the previous epoch (stale: it expires and reopens). */
export function memberSetAt(cm: Committee, readySlot: bigint): { epoch: number; oracles: PublicKey[]; q: number } | null {
  if (readySlot >= cm.epochStartSlot) return { epoch: cm.epoch, oracles: cm.oracles, q: cm.q };
  if (cm.previous && readySlot >= cm.previous.startSlot) return cm.previous;
  return null;
}

/** The numbers of the set bits of a mask below n (approvals, vote masks). */
export const maskMembers = (mask: number, n: number): number[] => Array.from({ length: n }, (_, i) => i).filter((i) => mask & (1 << i));

export function decodeNode(data: Uint8Array): NodeAccount {
  const r = reader(data, 'node');
  return {
    key: r.key(8), status: r.u8(40), vramGb: r.u32(44), stake: r.u64(48), activeJobs: r.u32(56), completed: r.u32(60),
    verified: r.u32(64), slashes: r.u32(68), earned: r.u64(72), slashed: r.u64(80),
    specializations: Array.from({ length: r.u8(41) }, (_, i) => r.u32(88 + 4 * i)),
    locked: r.u64(152), penalized: r.u64(160), lapses: r.u32(168), committee: r.key(COMMITTEE_OFFSET.node),
  };
}

export function decodeTask(data: Uint8Array): TaskAccount {
  const r = reader(data, 'task');
  return {
    taskId: r.u32(8), computeUnits: r.u64(16), author: r.key(24),
    inputs: Array.from({ length: r.u8(12) }, (_, i) => r.spec(56 + 20 * i)),
    outputs: Array.from({ length: r.u8(13) }, (_, i) => r.spec(136 + 20 * i)), committee: r.key(COMMITTEE_OFFSET.task),
  };
}

export function decodeModel(data: Uint8Array): ModelAccount {
  const r = reader(data, 'model');
  const n = r.u8(12);
  const nodes = Array.from({ length: n }, (_, i): ModelNode => {
    const o = 48 + 12 * i;
    const nIn = r.u8(304 + i);
    return { taskId: r.u32(o), sources: Array.from({ length: nIn }, (_, j) => ({ node: r.u8(o + 4 + 2 * j) === SRC_MODEL_INPUT ? 'input' as const : r.u8(o + 4 + 2 * j), slot: r.u8(o + 5 + 2 * j) })) };
  });
  return {
    modelId: r.u32(8), author: r.key(16), nodes, order: Array.from(r.bytes(144, n)),
    outputs: Array.from({ length: r.u8(14) }, (_, i) => ({ node: r.u8(152 + 2 * i), slot: r.u8(153 + 2 * i) })),
    inputs: Array.from({ length: r.u8(13) }, (_, i) => r.spec(160 + 20 * i)),
    computeUnits: Array.from({ length: n }, (_, i) => r.u64(240 + 8 * i)), committee: r.key(COMMITTEE_OFFSET.model),
    groups: Array.from({ length: n }, (_, i) => r.u8(344 + i)), groupVramGb: Array.from({ length: n }, (_, i) => r.u32(352 + 4 * i)),
  };
}

function decodeTaskState(r: Reader, o: number): TaskState {
  return {
    phase: r.u8(o), excluded: Array.from({ length: Math.min(r.u8(o + 1), 8) }, (_, i) => r.key(o + 168 + 32 * i)),
    sampled: r.u8(o + 2), result: r.u8(o + 3), voteMask: r.u16(o + 4), tries: r.u8(o + 6), attempt: r.u32(o + 8), timeoutSlots: r.u32(o + 12),
    deadlineSlot: r.u64(o + 16), readySlot: r.u64(o + 24), seed: r.bytes(o + 32, 32), assigned: r.keyOrNull(o + 64),
    asserter: r.keyOrNull(o + 96), output: r.bytes(o + 128, 32), settleSlot: r.u64(o + 160),
    votes: Array.from({ length: 10 }, (_, i) => (r.u16(o + 4) & (1 << i) ? r.key(o + 424 + 32 * i) : null)),
    validator: r.keyOrNull(o + 744), commitA: r.bytes(o + 776, 32), commitV: r.bytes(o + 808, 32), fpA: r.bytes(o + 840, 32), fpV: r.bytes(o + 872, 32),
    arbiters: Array.from({ length: Math.min(r.u8(o + 7), 3) }, (_, k) => r.key(o + 904 + 32 * k)),
    arbCommits: Array.from({ length: Math.min(r.u8(o + 7), 3) }, (_, k) => r.bytes(o + 1000 + 32 * k, 32)),
    arbFps: Array.from({ length: Math.min(r.u8(o + 7), 3) }, (_, k) => r.bytes(o + 1096 + 32 * k, 32)),
    revealed: r.u8(o + 1192), group: r.u8(o + 1193), groupVramGb: r.u16(o + 1194), computeAttempt: r.u32(o + 1196),
  };
}

export function decodeExecution(data: Uint8Array): ExecutionAccount {
  const r = reader(data, 'execution');
  const n = r.u8(20);
  return {
    execId: r.u64(8), modelId: r.u32(16), status: r.u8(21), disputes: r.u8(22), doneCount: r.u8(23), requester: r.key(24),
    escrow: r.u64(56), requestSlot: r.u64(64), uri: Buffer.from(r.bytes(80, Math.min(r.u16(72), 96))).toString('utf8'), failed: rawExecutionFailed(data),
    taskIds: Array.from({ length: n }, (_, i) => r.u32(176 + 4 * i)),
    baseTimeouts: Array.from({ length: n }, (_, i) => r.u32(208 + 4 * i)),
    fees: Array.from({ length: n }, (_, i) => r.u64(240 + 8 * i)),
    tasks: Array.from({ length: n }, (_, i) => decodeTaskState(r, EXEC_HEADER_SIZE + TASK_STATE_SIZE * i)),
    committee: r.key(COMMITTEE_OFFSET.execution), nonce: r.u64(COMMITTEE_OFFSET.execution + 32),
  };
}

/** Phase, deadline and assignee of task i straight from an execution account's bytes (no decoding). */
const EXEC_FAILED_OFFSET = 74;
/** An execution account's failed flag (an undecided dispute), without decoding the account. */
export function rawExecutionFailed(data: Uint8Array): boolean { return data[EXEC_FAILED_OFFSET] !== 0; }

export function rawTaskPhase(data: Uint8Array, i: number): { phase: Phase; deadlineSlot: bigint; assigned: Uint8Array } {
  const o = EXEC_HEADER_SIZE + TASK_STATE_SIZE * i;
  return { phase: data[o]!, deadlineSlot: new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(o + 16, true), assigned: data.subarray(o + 64, o + 96) };
}

/** The canonical 20-byte tensor spec of the program: dtype u8, rank u8, pad u16, dims u32[4]. */
export function encodeSpec(s: TensorSpec): Uint8Array {
  const b = new Uint8Array(20);
  const dv = new DataView(b.buffer);
  b[0] = s.dtype;
  b[1] = s.shape.length;
  s.shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d, true));
  return b;
}

/** The record the program logs (sol_log_data) whenever q assignTask votes match: one selection of the committee. */
export const SELECTION_TAG = 0x4c535553; // "SUSL"
export const SELECTION_RECORD_SIZE = 104;
export enum SelectionOutcome { Assigned = 1, ExcludedForStake = 2 }
export interface SelectionRecord {
  outcome: SelectionOutcome; task: number; execId: bigint; taskId: number; attempt: number; readySlot: bigint;
  seed: Uint8Array; node: PublicKey;
  /** the oracles (indices in the member set of `epoch`) whose matching votes made the quorum */
  voteMask: number;
  /** the committee epoch whose member set voted (the set in force at readySlot) */
  epoch: number;
  /** the exclusion list the selection was made under */
  excluded: PublicKey[];
  /** the task indices the selection assigned (bit i: task i): a task group's members, else only `task` */
  members: number;
}

export function decodeSelectionRecord(data: Uint8Array): SelectionRecord {
  if (data.length < SELECTION_RECORD_SIZE) throw new LayoutError(`selection record: ${data.length} bytes, expected at least ${SELECTION_RECORD_SIZE}`);
  const r = new Reader(data);
  if (r.u32(0) !== SELECTION_TAG) throw new LayoutError(`not a selection record (tag ${r.u32(0).toString(16)})`);
  const nExclude = r.u8(7);
  if (data.length !== SELECTION_RECORD_SIZE + 32 * nExclude) throw new LayoutError(`selection record: ${data.length} bytes for ${nExclude} exclusions`);
  return {
    outcome: r.u8(5), task: r.u8(6), execId: r.u64(8), taskId: r.u32(16), attempt: r.u32(20), readySlot: r.u64(24),
    seed: r.bytes(32, 32), node: r.key(64), voteMask: r.u16(96), members: r.u8(98), epoch: r.u32(100),
    excluded: Array.from({ length: nExclude }, (_, i) => r.key(SELECTION_RECORD_SIZE + 32 * i)),
  };
}

/** The record an applied rotation logs: the member set of `epoch`, in force for selections seeded at or after startSlot. */
export const ROTATION_RECORD_TAG = 0x4f525553; // "SURO"
export interface RotationRecord { epoch: number; n: number; q: number; startSlot: bigint; oracles: PublicKey[] }

export function decodeRotationRecord(data: Uint8Array): RotationRecord {
  const r = new Reader(data);
  if (data.length < 24 || r.u32(0) !== ROTATION_RECORD_TAG) throw new LayoutError('not a rotation record');
  const n = r.u8(5);
  if (n > 10 || data.length !== 24 + 32 * n) throw new LayoutError(`rotation record: ${data.length} bytes for ${n} oracles`);
  return { n, q: r.u8(6), epoch: r.u32(8), startSlot: r.u64(16), oracles: Array.from({ length: n }, (_, i) => r.key(24 + 32 * i)) };
}

/**
 * The selection records in a transaction's log messages. `Program data: <base64> <base64>…` lines are
 * the runtime's rendering of sol_log_data (slices concatenated here); only lines logged while
 * `programId` is the innermost program invoked are read, so no other program can forge one.
 */
export function selectionRecordsInLogs(logs: readonly string[], programId: string): SelectionRecord[] {
  return programDataInLogs(logs, programId).filter((b) => b.length >= 4 && b.readUInt32LE(0) === SELECTION_TAG).map(decodeSelectionRecord);
}

/** The rotation records (applied rotations) in a transaction's log messages, read like selectionRecordsInLogs. */
export function rotationRecordsInLogs(logs: readonly string[], programId: string): RotationRecord[] {
  return programDataInLogs(logs, programId).filter((b) => b.length >= 4 && b.readUInt32LE(0) === ROTATION_RECORD_TAG).map(decodeRotationRecord);
}

function programDataInLogs(logs: readonly string[], programId: string): Buffer[] {
  const out: Buffer[] = [];
  const stack: string[] = [];
  for (const line of logs) {
    const invoke = /^Program (\S+) invoke \[\d+\]$/.exec(line);
    if (invoke) { stack.push(invoke[1]!); continue; }
    if (/^Program \S+ (success|failed)/.test(line)) { stack.pop(); continue; }
    if (!line.startsWith('Program data: ') || stack.at(-1) !== programId) continue;
    out.push(Buffer.concat(line.slice('Program data: '.length).split(' ').filter(Boolean).map((p) => Buffer.from(p, 'base64'))));
  }
  return out;
}

/**
 * What task i's open selection asks of a node beyond its own task, as the program's assignTask checks
 * it: for a task group's compute selection (phase Ready), specialisation in every task it takes (i and
 * the group's pending members) and the group's VRAM; nothing otherwise (undefined).
 */
export function groupNeed(e: Pick<ExecutionAccount, 'tasks' | 'taskIds'>, i: number): { taskIds: number[]; vramGb: number; members: number[] } | undefined {
  const ts = e.tasks[i]!;
  if (!ts.group || ts.phase !== Phase.Ready) return undefined;
  const members = e.tasks.flatMap((t, j) => (j === i || (t.group === ts.group && t.phase === Phase.Pending) ? [j] : []));
  return { taskIds: members.map((j) => e.taskIds[j]!), vramGb: ts.groupVramGb, members };
}
