// The compute node's task listener and compute service: watches program state (woken by the
// RPC's program subscription, polling as the fallback) for tasks assigned to this node (as
// asserter, validator or arbiter), gathers their inputs from the
// content-addressed store (model inputs by the execution's URI, upstream outputs by the hash
// the chain accepted), runs the task and commits to its output hash; it reveals when the
// program asks: the output when it is accepted (not sampled, a match, an arbiter's reveal), only
// its fingerprint when it is compared (a validator, an asserter whose result differs). The output
// bundle goes to the content-addressed store only when the output itself is revealed, so no other
// node can copy it before it commits.
// The salt of a commitment is derived from the node's secret key and the task instance, so a
// restarted agent can still reveal (it recomputes the output).
// Task groups: when the selection of a group assigns this node, it computes the group's tasks in
// sequence at once (the first assigned, then the held ones in topological order), each reading the
// outputs of the tasks before it from this node's memory, not from the store; it commits each task
// when the program assigns it (once its inputs from inside the group are accepted) and still puts
// each output in the store when it reveals it (a PoSP validator of a sampled task reads its inputs
// there). A task's kept result is used only while the inputs it was computed from are the ones the
// chain accepted; otherwise (another node's output accepted in between) it is computed again.
// A `cheat` agent commits a wrong output as asserter (for Proof-of-Sampling demonstrations and tests).
import { type Keypair, PublicKey } from '@solana/web3.js';
import { createHash } from 'node:crypto';
import { asProgramError, type ChainClient } from '../chain/client.js';
import { PollLoop } from '../common/poll-loop.js';
import { decodeModel, Phase, rawTaskPhase, requestKey, REVEALING, RUNNING, type ExecutionAccount, type ModelAccount, type TaskState } from '../chain/layout.js';
import { commitment, fingerprint, partiesOf } from '../chain/program.js';
import type { BlobStore } from '../cas/blobs.js';
import { encodeBundle, type Tensor } from '../model/tensor.js';
import { acceptedOutput, bundleHash, tensorsFrom } from '../model/execution-io.js';
import { runTask } from '../model/example.js';

export interface AgentOptions {
  chain: ChainClient;
  keypair: Keypair;
  cas: BlobStore;
  /** Poll interval: the fallback when subscribed, the only trigger otherwise. */
  pollMs?: number;
  /** Wake on program account changes over the RPC's WebSocket (default true). */
  subscribe?: boolean;
  /**
   * Report a corrupted result for tasks this node computes (it still validates honestly, to
   * earn verification rewards): the strategy Proof of Sampling is meant to make unprofitable.
   */
  cheat?: boolean;
  /**
   * The least time one task takes on this node (slower hardware; the example model computes in
   * microseconds). The local committee gives it to the node it crashes, so the crash lands while
   * the node holds its task instead of racing its report.
   */
  minComputeMs?: number;
  log?: (o: object, msg: string) => void;
  onEvent?: (e: AgentEvent) => void;
}

export type AgentEvent =
  | { kind: 'computed' | 'verified' | 'arbitrated'; execId: bigint; task: number; attempt: number; output: string; signature: string }
  | { kind: 'revealed'; execId: bigint; task: number; as: 'output' | 'fingerprint'; signature: string }
  | { kind: 'failed'; execId: bigint; task: number; error: string };

type Role = 'asserter' | 'validator' | 'arbiter';
interface Result { hex: string; bundle: Uint8Array; outputs: Tensor[]; from: string[] }

export class ComputeAgent {
  private readonly poll: PollLoop;
  private readonly models = new Map<number, ModelAccount>();
  private readonly done = new Set<string>();
  /** outputs computed, by `${execId}/${task}`, with the hashes of the bundles their inputs came from (bounded; recomputed after a restart) */
  private readonly results = new Map<string, Result>();
  /** `groupLocal`: task inputs read from this node's own group outputs in memory instead of the store */
  readonly stats = { computed: 0, verified: 0, arbitrated: 0, revealed: 0, failed: 0, groupLocal: 0 };

  constructor(readonly o: AgentOptions) {
    this.poll = new PollLoop({
      tick: () => this.tick(), everyMs: o.pollMs ?? 200, onError: (e) => o.log?.({ err: String(e) }, 'agent tick failed'),
      // a task assigned to this node shows up as a program account change: look now
      ...(o.subscribe !== false ? { subscribe: (wake: () => void) => o.chain.onProgramChange(wake) } : {}),
    });
  }

  get key(): PublicKey { return this.o.keypair.publicKey; }

  start(): void { this.poll.start(); }

  get pollStats(): PollLoop['stats'] { return this.poll.stats; }

  stop(): Promise<void> { return this.poll.stop(); }

  /** One pass: every task assigned to this node is computed and committed; every reveal it owes is made. */
  async tick(): Promise<void> {
    const me = this.key.toBytes();
    const mine = (data: Uint8Array) => {
      for (let i = 0; i < data[20]!; i++) {
        const { phase, assigned } = rawTaskPhase(data, i);
        if (RUNNING.has(phase) && Buffer.compare(assigned, me) === 0) return true;
        if (REVEALING.has(phase)) return true; // decoded below to see whether this node owes a reveal
      }
      return false;
    };
    for (const e of await this.o.chain.runningExecutions(mine)) {
      for (let i = 0; i < e.tasks.length; i++) {
        const ts = e.tasks[i]!;
        const role = this.roleIn(ts);
        if (!role) continue;
        const key = `${requestKey(e.execId, i, ts.attempt)}/${ts.phase}/${ts.revealed}`;
        if (this.done.has(key)) continue;
        try {
          if (RUNNING.has(ts.phase)) await this.work(e, i, role);
          else await this.reveal(e, i, role);
          this.done.add(key);
        } catch (err) {
          const pe = asProgramError(err);
          if (pe && ['DeadlinePassed', 'TaskNotReady', 'WrongAttempt', 'NotAssignee', 'NotAParty', 'RevealOrder'].includes(pe.errorName)) { this.done.add(key); continue; } // moved on without us
          this.stats.failed++;
          this.o.onEvent?.({ kind: 'failed', execId: e.execId, task: i, error: String(err) });
          this.o.log?.({ execId: e.execId.toString(), task: i, err: String(err) }, 'task failed; retrying');
        }
      }
    }
    if (this.done.size > 100_000) this.done.clear();
  }

  /** What this node owes task `ts` now: a commitment (it is assigned) or a reveal; null if nothing. */
  private roleIn(ts: TaskState): Role | null {
    const k = this.key;
    if (RUNNING.has(ts.phase)) return ts.assigned?.equals(k) ? (ts.phase === Phase.Assigned ? 'asserter' : ts.phase === Phase.Verifying ? 'validator' : 'arbiter') : null;
    if (ts.phase === Phase.Reveal) return ts.asserter?.equals(k) ? 'asserter' : null;
    if (ts.phase === Phase.VerifyReveal) {
      if (ts.validator?.equals(k) && !(ts.revealed & 2)) return 'validator';
      if (ts.asserter?.equals(k) && ts.revealed & 2 && !(ts.revealed & 1)) return 'asserter';
      return null;
    }
    if (ts.phase === Phase.ArbReveal) {
      const idx = ts.arbiters.findIndex((a) => a.equals(k));
      return idx >= 0 && !(ts.revealed & (4 << idx)) ? 'arbiter' : null;
    }
    return null;
  }

  /** The salt of this node's commitment for a task instance: secret, and recomputable after a restart. */
  private salt(execId: bigint, task: number): Uint8Array {
    const b = Buffer.alloc(9); b.writeBigUInt64LE(execId); b[8] = task;
    return createHash('sha256').update('splitup/salt/v1').update(this.o.keypair.secretKey).update(b).digest();
  }

  private async model(id: number): Promise<ModelAccount> {
    let m = this.models.get(id);
    if (!m) {
      const a = await this.o.chain.connection.getAccountInfo(this.o.chain.program.modelAddress(id));
      if (!a) throw new Error(`model ${id} not on chain`);
      m = decodeModel(a.data);
      this.models.set(id, m);
    }
    return m;
  }

  /**
   * Inputs of task i: model inputs from the execution's URI, upstream outputs by the hashes the chain
   * accepted — from this node's memory when it computed that very output itself (a task group),
   * else from the store. With `ahead` (computing a group's held task before its inputs are accepted),
   * an upstream task without an accepted output is read from this node's own result for it.
   * Returns the tensors and the hash of the bundle each came from.
   */
  private async inputs(e: ExecutionAccount, i: number, ahead = false): Promise<{ tensors: Tensor[]; from: string[] }> {
    const sources = (await this.model(e.modelId)).nodes[i]!.sources;
    const local: Array<Tensor | null> = [], from: string[] = [], stored: typeof sources = [];
    for (const s of sources) {
      if (s.node !== 'input') {
        const own = this.results.get(`${e.execId}/${s.node}`);
        const accepted = acceptedOutput(e, s.node);
        if (own && (accepted === own.hex || (ahead && accepted === null && e.tasks[i]!.group !== 0 && e.tasks[s.node]!.group === e.tasks[i]!.group))) {
          const t = own.outputs[s.slot];
          if (!t) throw new Error(`execution ${e.execId}: output ${s.slot} of task ${s.node} missing`);
          local.push(t); from.push(own.hex);
          this.stats.groupLocal++;
          continue;
        }
      }
      local.push(null); from.push(bundleHash(e, s)); stored.push(s);
    }
    // the rest from the store in one call: each bundle fetched and checked once, however many slots it feeds
    const fetched = await tensorsFrom(e, stored, this.o.cas);
    let k = 0;
    return { tensors: local.map((t) => t ?? fetched[k++]!), from };
  }

  /** Whether a kept result was computed from the inputs the chain now names (a held task's inputs may have been accepted from another node). */
  private current(e: ExecutionAccount, i: number, r: Result, sources: ModelAccount['nodes'][number]['sources']): boolean {
    return sources.every((s, j) => {
      if (s.node === 'input') return true;
      const accepted = acceptedOutput(e, s.node);
      return accepted === null || accepted === r.from[j];
    });
  }

  /** Computes task i (a cheat corrupts its own result as asserter). */
  private async compute(e: ExecutionAccount, i: number, role: Role, ahead = false): Promise<Result> {
    const rk = `${e.execId}/${i}`;
    const known = this.results.get(rk);
    if (known && this.current(e, i, known, (await this.model(e.modelId)).nodes[i]!.sources)) return known;
    const input = await this.inputs(e, i, ahead);
    const outputs = runTask(e.taskIds[i]!, input.tensors);
    if (this.o.cheat && role === 'asserter') outputs[0]!.data[0] = Math.fround(outputs[0]!.data[0]! + 1); // a plausible but wrong result
    const bundle = encodeBundle(outputs);
    const r: Result = { hex: createHash('sha256').update(bundle).digest('hex'), bundle, outputs, from: input.from };
    this.results.set(rk, r);
    if (this.results.size > 10_000) this.results.delete(this.results.keys().next().value!);
    return r;
  }

  /**
   * After committing task i of a group as its asserter: computes the group's tasks held for this node,
   * in topological order, from this node's own outputs (nothing downloaded between them), so each is
   * ready to commit the moment the program assigns it.
   */
  private async computeAhead(e: ExecutionAccount, i: number): Promise<void> {
    const g = e.tasks[i]!.group;
    const m = await this.model(e.modelId);
    for (const j of m.order) {
      const t = e.tasks[j]!;
      if (j === i || t.group !== g || t.phase !== Phase.Held || !t.assigned?.equals(this.key)) continue;
      const ready = m.nodes[j]!.sources.every((s) => s.node === 'input' || acceptedOutput(e, s.node) !== null || this.results.has(`${e.execId}/${s.node}`));
      if (!ready) continue;
      const slowest = this.o.minComputeMs ? new Promise((r) => setTimeout(r, this.o.minComputeMs)) : null;
      await this.compute(e, j, 'asserter', true);
      await slowest;
    }
  }

  private async work(e: ExecutionAccount, i: number, role: Role): Promise<void> {
    const ts = e.tasks[i]!;
    const slowest = this.o.minComputeMs ? new Promise((r) => setTimeout(r, this.o.minComputeMs)) : null;
    const r = await this.compute(e, i, role);
    await slowest;
    const cm = commitment(e.execId, i, fingerprint(Buffer.from(r.hex, 'hex')), this.key, this.salt(e.execId, i));
    const signature = await this.o.chain.send([this.o.keypair], [this.o.chain.program.commit(this.key, e.execId, i, ts.attempt, cm)]);
    const kind = role === 'asserter' ? 'computed' : role === 'validator' ? 'verified' : 'arbitrated';
    this.stats[kind]++;
    this.o.onEvent?.({ kind, execId: e.execId, task: i, attempt: ts.attempt, output: r.hex, signature });
    if (role === 'asserter' && ts.group) await this.computeAhead(e, i).catch((err) => this.o.log?.({ execId: e.execId.toString(), task: i, err: String(err) }, 'computing the group ahead failed; each task is computed when assigned'));
  }

  private async reveal(e: ExecutionAccount, i: number, role: Role): Promise<void> {
    const ts = e.tasks[i]!;
    const r = await this.compute(e, i, role);
    const output = Buffer.from(r.hex, 'hex');
    const fp = fingerprint(output);
    // the output itself only when it is accepted or arbitrated; a validator, and an asserter whose
    // result differs from the validator's, reveal the fingerprint (the output stays off chain)
    const asOutput = ts.phase === Phase.Reveal || ts.phase === Phase.ArbReveal || (role === 'asserter' && Buffer.compare(fp, Buffer.from(ts.fpV)) === 0);
    if (asOutput) await this.o.cas.put(r.bundle);
    const signature = await this.o.chain.send([this.o.keypair], [this.o.chain.program.reveal(this.key, e.execId, i, asOutput ? 'output' : 'fingerprint', this.salt(e.execId, i), asOutput ? output : fp,
      { modelId: e.modelId, parties: partiesOf(ts) })]);
    this.stats.revealed++;
    this.o.onEvent?.({ kind: 'revealed', execId: e.execId, task: i, as: asOutput ? 'output' : 'fingerprint', signature });
  }
}
