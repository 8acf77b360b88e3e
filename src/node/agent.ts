// The compute node's task listener and compute service: watches program state (woken by the
// RPC's program subscription, polling as the fallback) for tasks
// assigned to this node (compute or verification phase), gathers their inputs from the
// content-addressed store (model inputs by the execution's URI, upstream outputs by the hash
// their nodes reported), runs the task, stores the output bundle and reports its hash.
// A `cheat` agent reports a wrong output (for Proof-of-Sampling demonstrations and tests).
import { type Keypair, PublicKey } from '@solana/web3.js';
import { asProgramError, type ChainClient } from '../chain/client.js';
import { PollLoop } from '../common/poll-loop.js';
import { decodeModel, Phase, rawTaskPhase, requestKey, type ExecutionAccount, type ModelAccount } from '../chain/layout.js';
import { CasStore, parseCasUri } from '../cas/store.js';
import { decodeBundle, encodeBundle, type Tensor } from '../model/tensor.js';
import { runTask } from '../model/example.js';

export interface AgentOptions {
  chain: ChainClient;
  keypair: Keypair;
  cas: CasStore;
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

export type AgentEvent = { kind: 'computed' | 'verified'; execId: bigint; task: number; attempt: number; output: string; signature: string } | { kind: 'failed'; execId: bigint; task: number; error: string };

export class ComputeAgent {
  private readonly poll: PollLoop;
  private unsubscribe: (() => Promise<void>) | null = null;
  private readonly models = new Map<number, ModelAccount>();
  private readonly done = new Set<string>();
  readonly stats = { computed: 0, verified: 0, failed: 0 };

  constructor(readonly o: AgentOptions) {
    this.poll = new PollLoop({ tick: () => this.tick(), everyMs: o.pollMs ?? 200, onError: (e) => o.log?.({ err: String(e) }, 'agent tick failed') });
  }

  get key(): PublicKey { return this.o.keypair.publicKey; }

  start(): void {
    this.poll.start();
    // a task assigned to this node shows up as a program account change: look now
    if (this.o.subscribe !== false) this.unsubscribe = this.o.chain.onProgramChange(() => this.poll.wake());
  }

  get pollStats(): PollLoop['stats'] { return this.poll.stats; }

  async stop(): Promise<void> {
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = null;
    await Promise.all([unsubscribe?.(), this.poll.stop()]);
  }

  async tick(): Promise<void> {
    const me = this.key.toBytes();
    const mine = (data: Uint8Array) => {
      for (let i = 0; i < data[20]!; i++) {
        const { phase, assigned } = rawTaskPhase(data, i);
        if ((phase === Phase.Assigned || phase === Phase.Verifying) && Buffer.compare(assigned, me) === 0) return true;
      }
      return false;
    };
    for (const e of await this.o.chain.runningExecutions(mine)) {
      for (let i = 0; i < e.tasks.length; i++) {
        const ts = e.tasks[i]!;
        if ((ts.phase !== Phase.Assigned && ts.phase !== Phase.Verifying) || !ts.assigned?.equals(this.key)) continue;
        const key = requestKey(e.execId, i, ts.attempt);
        if (this.done.has(key)) continue;
        try {
          await this.work(e, i);
          this.done.add(key);
        } catch (err) {
          const pe = asProgramError(err);
          if (pe && ['DeadlinePassed', 'TaskNotReady', 'WrongAttempt', 'NotAssignee'].includes(pe.errorName)) { this.done.add(key); continue; } // moved on without us
          this.stats.failed++;
          this.o.onEvent?.({ kind: 'failed', execId: e.execId, task: i, error: String(err) });
          this.o.log?.({ execId: e.execId.toString(), task: i, err: String(err) }, 'task failed; retrying');
        }
      }
    }
    if (this.done.size > 100_000) this.done.clear();
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

  /** Inputs of task i: model inputs from the execution's URI, upstream outputs from their reported hashes. */
  private async inputs(e: ExecutionAccount, i: number): Promise<Tensor[]> {
    const m = await this.model(e.modelId);
    let modelInputs: Tensor[] | null = null;
    return m.nodes[i]!.sources.map((s) => {
      if (s.node === 'input') {
        modelInputs ??= decodeBundle(this.o.cas.get(parseCasUri(e.uri)));
        const t = modelInputs[s.slot];
        if (!t) throw new Error(`execution ${e.execId}: model input ${s.slot} missing from ${e.uri}`);
        return t;
      }
      const up = e.tasks[s.node]!;
      const t = decodeBundle(this.o.cas.get(Buffer.from(up.output).toString('hex')))[s.slot];
      if (!t) throw new Error(`execution ${e.execId}: output ${s.slot} of task ${s.node} missing`);
      return t;
    });
  }

  private async work(e: ExecutionAccount, i: number): Promise<void> {
    const ts = e.tasks[i]!;
    const slowest = this.o.minComputeMs ? new Promise((r) => setTimeout(r, this.o.minComputeMs)) : null;
    const outputs = runTask(e.taskIds[i]!, await this.inputs(e, i));
    await slowest;
    const verifying = ts.phase === Phase.Verifying;
    if (this.o.cheat && !verifying) outputs[0]!.data[0] = Math.fround(outputs[0]!.data[0]! + 1); // a plausible but wrong result
    const hex = this.o.cas.put(encodeBundle(outputs));
    const signature = await this.o.chain.send([this.o.keypair], [this.o.chain.program.report(this.key, e.execId, i, ts.attempt, Buffer.from(hex, 'hex'), {
      asserter: verifying ? ts.asserter! : this.key, requester: e.requester, modelId: e.modelId,
    })]);
    if (verifying) this.stats.verified++; else this.stats.computed++;
    this.o.onEvent?.({ kind: verifying ? 'verified' : 'computed', execId: e.execId, task: i, attempt: ts.attempt, output: hex, signature });
  }
}
