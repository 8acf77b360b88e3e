// Compute nodes in the chain simulator: each registered node watches the chain for tasks assigned
// to it (compute or verification phase), "computes" for a seeded virtual delay and reports an
// output hash through the real program. The correct output of a task is a hash of (execution,
// task), so every honest node reports the same bytes. Strategies:
//   honest   computes every task it is given and reports the correct output;
//   cheater  skips the computation and reports a wrong output; as a validator it confirms a fellow
//            cheater's output without computing (collusion, the r of the seed's condition) and
//            checks anyone else's honestly.
// A node inside one of its `down` windows (flapping) does nothing: its task runs into the timeout
// and is reassigned. Each node's compute cost (C per task actually computed) is kept here; the
// chain keeps what it was paid and slashed.
import { createHash } from 'node:crypto';
import type { Keypair } from '@solana/web3.js';
import type { ChainPort } from '../chain/loop.js';
import { Phase, requestKey, type ExecutionAccount } from '../chain/layout.js';
import type { Rng } from '../common/rng.js';

export type Strategy = 'honest' | 'cheater';

export type AgentPort = Pick<ChainPort, 'program' | 'runningExecutions' | 'send'>;

export interface SimAgent {
  keypair: Keypair;
  strategy: Strategy;
  /** windows of virtual time in which the node is off */
  down: Array<[number, number]>;
  /** lamports spent computing (the task's fee C per computation actually done) */
  computeCost: bigint;
  reports: { compute: number; verify: number; colluded: number; failed: number };
}

/** The correct output of task i of an execution (what every honest computation yields). */
export function correctOutput(execId: bigint, task: number): Uint8Array {
  const b = Buffer.alloc(9);
  b.writeBigUInt64LE(execId);
  b[8] = task;
  return createHash('sha256').update('splitup/sim/output/v1').update(b).digest();
}

export class SimAgents {
  private readonly started = new Set<string>();
  private readonly byKey: Map<string, SimAgent>;

  constructor(
    readonly agents: SimAgent[],
    private readonly o: {
      port: AgentPort; rng: Rng; computeMs: [number, number];
      now: () => number; at: (t: number, f: () => void | Promise<void>) => void;
      /** the task's fee C in lamports (what computing it costs an honest node) */
      fee: (e: ExecutionAccount, task: number) => bigint;
    },
  ) {
    this.byKey = new Map(agents.map((a) => [a.keypair.publicKey.toBase58(), a]));
  }

  private isDown(a: SimAgent, t: number): boolean { return a.down.some(([from, to]) => t >= from && t < to); }

  /** One pass: every new assignment of a node that is up gets its report scheduled. */
  async poll(): Promise<void> {
    const now = this.o.now();
    for (const e of await this.o.port.runningExecutions()) {
      for (let i = 0; i < e.tasks.length; i++) {
        const ts = e.tasks[i]!;
        if ((ts.phase !== Phase.Assigned && ts.phase !== Phase.Verifying) || !ts.assigned) continue;
        const a = this.byKey.get(ts.assigned.toBase58());
        const key = requestKey(e.execId, i, ts.attempt);
        if (!a || this.started.has(key) || this.isDown(a, now)) continue;
        this.started.add(key);
        const [lo, hi] = this.o.computeMs;
        const done = now + lo + this.o.rng.int(hi - lo + 1);
        this.o.at(done, () => this.finish(a, e, i));
      }
    }
  }

  private async finish(a: SimAgent, e: ExecutionAccount, i: number): Promise<void> {
    if (this.isDown(a, this.o.now())) return; // went down mid-computation: the assignment times out
    const ts = e.tasks[i]!;
    const verifying = ts.phase === Phase.Verifying;
    const truth = correctOutput(e.execId, i);
    let output = truth;
    let computed = true;
    if (a.strategy === 'cheater') {
      if (!verifying) { output = Buffer.from(truth); output[0]! ^= 0xff; computed = false; }
      else if (this.byKey.get(ts.asserter!.toBase58())?.strategy === 'cheater') { output = ts.output; computed = false; a.reports.colluded++; }
    }
    try {
      await this.o.port.send([a.keypair], [this.o.port.program.report(a.keypair.publicKey, e.execId, i, ts.attempt, output, {
        asserter: verifying ? ts.asserter! : a.keypair.publicKey, requester: e.requester, modelId: e.modelId,
      })]);
      if (verifying) a.reports.verify++; else a.reports.compute++;
    } catch {
      a.reports.failed++; // e.g. the deadline passed: the chain moves on without this report
    }
    if (computed) a.computeCost += this.o.fee(e, i);
  }
}
