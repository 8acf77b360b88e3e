// The requester's side of an execution: upload the model input to the content-addressed store,
// request the execution on chain with a maximum fee, follow its tasks, and fetch the final output
// tensors — each checked against the output hash the program accepted for its task. Used by
// `splitup-chain request|result` and by the local committee's request stream (src/cli/local.ts).
import type { Keypair } from '@solana/web3.js';
import { formatUsdc } from '../chain/program.js';
import type { ChainClient } from '../chain/client.js';
import { ExecStatus, Phase, VERIFY_ATTEMPT, VerifyResult, type Committee, type ExecutionAccount, type ModelAccount } from '../chain/layout.js';
import type { BlobStore } from '../cas/blobs.js';
import { CAS_SCHEME } from '../cas/store.js';
import { dtypeName } from '../model/manifest.js';
import { encodeBundle, matchesSpec, size, type Tensor } from '../model/tensor.js';
import { bundleHash, tensorsFrom } from '../model/execution-io.js';

/** A request the requester's own check refuses before anything is sent: named like the program's rules. */
export class RequestError extends Error {
  override name = 'RequestError';
  constructor(readonly rule: 'UnknownModel' | 'InputMismatch' | 'FeeTooLow' | 'InsufficientFunds' | 'UnknownExecution' | 'NotDone' | 'OutputUnavailable', detail: string) { super(`${rule}: ${detail}`); }
}

/**
 * The least maxFee the program accepts for a model: Σ over its tasks of C + R, with C =
 * computeUnits × pricePerKcu / 1000 and R = C × reward (integer arithmetic as the program's).
 */
export function minimumFee(c: Pick<Committee, 'pricePerKcu' | 'rewardPpm'>, m: Pick<ModelAccount, 'computeUnits'>): bigint {
  return m.computeUnits.reduce((need, cu) => { const fee = (cu * c.pricePerKcu) / 1000n; return need + fee + (fee * BigInt(c.rewardPpm)) / 1_000_000n; }, 0n);
}

/** Whether `inputs` are the model's inputs (count, dtype, shape). */
export function checkInputs(m: Pick<ModelAccount, 'inputs'>, inputs: Tensor[]): void {
  if (inputs.length !== m.inputs.length) throw new RequestError('InputMismatch', `the model takes ${m.inputs.length} input tensor(s), the input has ${inputs.length}`);
  inputs.forEach((t, i) => {
    const s = m.inputs[i]!;
    if (!matchesSpec(t, s)) throw new RequestError('InputMismatch', `input ${i} is f32[${t.shape.join(',')}], the model takes ${dtypeName(s.dtype)}[${s.shape.join(',')}]`);
    if (t.data.length !== size(t.shape)) throw new RequestError('InputMismatch', `input ${i}: ${t.data.length} values for shape [${t.shape.join(',')}]`);
  });
}

export interface RequestOptions {
  modelId: number;
  /** A nonce this requester has not used: the execution's id is derived from it. */
  nonce: bigint;
  inputs: Tensor[];
  /** The escrow, in base units of the committee's mint (micro-USDC): moved from the requester's associated token account into the committee's vault. */
  maxFee: bigint;
  /** Check the model, the input, the fee and the requester's token balance before sending (default true). */
  check?: boolean;
}

/** Uploads the input bundle, then requests the execution. Returns its id and the input's URI. */
export async function requestExecution(chain: ChainClient, cas: BlobStore, requester: Keypair, o: RequestOptions): Promise<{ execId: bigint; uri: string; signature: string | null }> {
  if (o.check !== false) {
    const [m, c] = await Promise.all([chain.model(o.modelId), chain.committee()]);
    if (!m) throw new RequestError('UnknownModel', `model ${o.modelId} is not registered with this committee`);
    checkInputs(m, o.inputs);
    const need = minimumFee(c!, m);
    if (o.maxFee < need) throw new RequestError('FeeTooLow', `--max-fee ${formatUsdc(o.maxFee)} USDC is below the ${formatUsdc(need)} USDC model ${o.modelId} needs (every task's fee plus its verification reward)`);
    const held = await chain.usdcOf(requester.publicKey);
    if (held < o.maxFee) throw new RequestError('InsufficientFunds', `the requester's token account ${chain.program.tokenAccountOf(requester.publicKey).toBase58()} holds ${formatUsdc(held)} USDC, below --max-fee ${formatUsdc(o.maxFee)} USDC`);
  } else await chain.money();
  const uri = `${CAS_SCHEME}${await cas.put(encodeBundle(o.inputs))}`;
  const execId = chain.program.executionId(requester.publicKey, o.nonce);
  try {
    return { execId, uri, signature: await chain.send([requester], [chain.program.requestExecution(requester.publicKey, o.modelId, o.nonce, uri, o.maxFee)]) };
  } catch (err) {
    // a send whose confirmation timed out may have landed (its retry then fails AlreadyExists)
    const landed = await chain.execution(execId).catch(() => null);
    if (!landed?.requester.equals(requester.publicKey) || landed.uri !== uri) throw err;
    return { execId, uri, signature: null };
  }
}

/** Where an execution stands, per task, for people and scripts. */
export function progressOf(e: ExecutionAccount) {
  return {
    execId: e.execId.toString(), modelId: e.modelId, status: e.status === ExecStatus.Done ? (e.failed ? 'failed' : 'done') : 'running',
    done: e.doneCount, tasks: e.tasks.length, escrow: e.escrow.toString(), escrowUsdc: formatUsdc(e.escrow), input: e.uri,
    taskStates: e.tasks.map((ts, i) => ({
      task: i, taskId: e.taskIds[i], phase: Phase[ts.phase], attempt: ts.attempt, ...(ts.assigned ? { assigned: ts.assigned.toBase58() } : {}),
      ...(ts.result !== VerifyResult.None ? { verification: VerifyResult[ts.result] } : {}),
      ...(ts.phase === Phase.Done ? { output: `${CAS_SCHEME}${Buffer.from(ts.output).toString('hex')}` } : {}),
    })),
  };
}

/** "#k" for a task's k-th selection attempt (verification attempts carry VERIFY_ATTEMPT: "#vk"); nothing for the first or a done task. */
function attemptLabel(attempt: number, phase: Phase): string {
  const a = attempt >>> 0, k = (a & ~VERIFY_ATTEMPT) >>> 0;
  if (phase === Phase.Done || a === 0) return '';
  return a & VERIFY_ATTEMPT ? `#v${k}` : `#${k}`;
}

/** One line of progress: done/total and each task's phase. */
export const progressLine = (e: ExecutionAccount): string =>
  `execution ${e.execId}: ${e.doneCount}/${e.tasks.length} tasks done — ${e.tasks.map((ts, i) => `${i}:${Phase[ts.phase]}${attemptLabel(ts.attempt, ts.phase)}`).join(' ')}`;

export interface FinalOutput { index: number; node: number; slot: number; uri: string; sha256: string; shape: number[]; data: number[] }

/**
 * The model's final output tensors of a finished execution: each read from the bundle its task's
 * accepted output hash names, the bytes checked to hash to it.
 */
export async function finalOutputs(chain: ChainClient, cas: BlobStore, e: ExecutionAccount, model?: ModelAccount): Promise<FinalOutput[]> {
  if (e.status !== ExecStatus.Done) throw new RequestError('NotDone', `execution ${e.execId} is still running (${e.doneCount}/${e.tasks.length} tasks done)`);
  if (e.failed) throw new RequestError('NotDone', `execution ${e.execId} ended without a result (a task could not be completed)`);
  const m = model ?? await chain.model(e.modelId);
  if (!m) throw new RequestError('UnknownModel', `model ${e.modelId} is not on chain`);
  // a store that does not have a bundle, or serves bytes that do not hash to its name
  const tensors = await tensorsFrom(e, m.outputs, cas).catch((err: Error) => {
    if (err.name === 'CasError' || err.name === 'ExecutionDataError' || err.name === 'TensorError') throw new RequestError('OutputUnavailable', `${err.message} (${cas.where})`);
    throw err;
  });
  return m.outputs.map((o, k) => {
    const hex = bundleHash(e, o);
    return { index: k, node: o.node, slot: o.slot, uri: `${CAS_SCHEME}${hex}`, sha256: hex, shape: tensors[k]!.shape, data: Array.from(tensors[k]!.data) };
  });
}

/** Follows an execution until it is done (or `timeoutMs`), calling `onChange` when its state moves. */
export async function waitForExecution(chain: ChainClient, execId: bigint, o: { timeoutMs: number; pollMs?: number; onChange?: (e: ExecutionAccount) => void }): Promise<ExecutionAccount> {
  const end = Date.now() + o.timeoutMs;
  let last = '';
  for (;;) {
    const e = await chain.execution(execId);
    if (!e) throw new RequestError('UnknownExecution', `no execution ${execId} on this chain`);
    const line = progressLine(e);
    if (line !== last) { last = line; o.onChange?.(e); }
    if (e.status === ExecStatus.Done) return e;
    if (Date.now() > end) throw new RequestError('NotDone', `execution ${execId} not done after ${Math.round(o.timeoutMs / 1000)} s (${e.doneCount}/${e.tasks.length} tasks done); \`splitup-chain result ${execId}\` follows it later`);
    await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
  }
}

/**
 * Closes a finished execution: its unspent escrow (the refund) moves from the committee's vault to the
 * requester's associated token account and its rent to the requester. Returns the refund (base units).
 * The execution's account is gone afterwards: read its outputs first.
 */
export async function closeExecution(chain: ChainClient, requester: Keypair, execId: bigint): Promise<{ refund: bigint; signature: string }> {
  const e = await chain.execution(execId);
  if (!e) throw new RequestError('UnknownExecution', `execution ${execId} is not on chain (closed already?)`);
  if (e.status !== ExecStatus.Done) throw new RequestError('NotDone', `execution ${execId} is still running (${e.doneCount}/${e.tasks.length} tasks done)`);
  await chain.money();
  const signature = await chain.send([requester], [chain.program.closeExecution(requester.publicKey, execId)]);
  return { refund: e.escrow, signature };
}
