// Compute nodes in the chain simulator: each registered node watches the chain for what it owes
// (a commitment when it is assigned as asserter, validator or arbiter; a reveal when the program
// asks for one), "computes" for a seeded virtual delay and acts through the real program. The
// correct output of a task is a hash of (execution, task), so every honest node commits the same
// bytes. Strategies (each the attack on Proof of Sampling it is named after):
//   honest    computes every task it is given, commits and reveals as the protocol says;
//   cheater   (lazy asserter) commits a wrong output without computing; validates and arbitrates honestly;
//   lazy      (lazy validator) computes as asserter, but as validator or arbiter commits without
//             computing: nothing of the asserter's output is on chain to copy, so it guesses;
//   framer    computes as asserter; as validator or arbiter commits a wrong output to frame the asserter;
//   colluder  a colluding pair: as asserter both commit the same wrong output; as validator or arbiter
//             of the partner's task they confirm it without computing (the r of the seed's condition);
//             anyone else's task they check honestly. Colluders pair up in node order (1st with 2nd,
//             3rd with 4th, …), so several independent pairs can run at once; an unpaired one is a
//             lazy asserter with nobody to confirm it;
//   late      a cheater that also tries to settle its own tasks after the sampling window, when the
//             program no longer knows the block that decides sampling;
//   griefer   takes assignments, commits a random output and never reveals.
// Task groups: a node assigned a group's first task computes the group's held tasks right after it,
// in sequence (the real agent does the same, from its own outputs in memory), so each commits as soon
// as the program assigns it.
// A node inside one of its `down` windows (flapping) does nothing: its assignment lapses.
// Each node's compute cost (C per task actually computed) and the C of every assignment it held
// are kept here; the chain keeps what it was paid, slashed and penalized.
import { createHash } from 'node:crypto';
import type { Keypair, PublicKey } from '@solana/web3.js';
import type { ChainPort } from '../chain/loop.js';
import { Phase, REVEALING, requestKey, RUNNING, type ExecutionAccount, type TaskState } from '../chain/layout.js';
import { commitment, fingerprint, partiesOf } from '../chain/program.js';
import type { Rng } from '../common/rng.js';

export const STRATEGIES = ['honest', 'cheater', 'lazy', 'framer', 'colluder', 'late', 'griefer'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export type AgentPort = Pick<ChainPort, 'program' | 'runningExecutions' | 'send' | 'slot'>;

type Role = 'asserter' | 'validator' | 'arbiter';

export interface SimAgent {
  keypair: Keypair;
  strategy: Strategy;
  /** windows of virtual time in which the node is off */
  down: Array<[number, number]>;
  /** USDC base units spent computing (the task's fee C per computation actually done) */
  computeCost: bigint;
  /** Σ C over every assignment this node held (any role): the denominator of its gain per task */
  assignedC: bigint;
  /** what an honest node would have netted on the same assignments: 0 as asserter (paid C, computes C), R − C as validator or arbiter */
  honestNet: bigint;
  reports: { compute: number; verify: number; arbitrate: number; colluded: number; reveals: number; failed: number; lateSettles: number };
}

/** The correct output of task i of an execution (what every honest computation yields). */
export function correctOutput(execId: bigint, task: number): Uint8Array {
  const b = Buffer.alloc(9);
  b.writeBigUInt64LE(execId);
  b[8] = task;
  return createHash('sha256').update('splitup/sim/output/v1').update(b).digest();
}

const corrupt = (truth: Uint8Array, tag: string) => createHash('sha256').update(tag).update(truth).digest();

export class SimAgents {
  private readonly started = new Set<string>();
  private readonly byKey: Map<string, SimAgent>;
  /** what each agent committed per task instance: output and salt, to reveal */
  private readonly commits = new Map<string, { output: Uint8Array; salt: Uint8Array }>();

  constructor(
    readonly agents: SimAgent[],
    private readonly o: {
      port: AgentPort; rng: Rng; computeMs: [number, number];
      now: () => number; at: (t: number, f: () => void | Promise<void>) => void;
      /** the task's fee C in USDC base units (what computing it costs an honest node) */
      fee: (e: ExecutionAccount, task: number) => bigint;
      /** R as a multiple of C, in ppm */
      rewardPpm: number;
      /** a computation's duration (virtual ms, ±10 % drawn per computation) instead of a draw from computeMs */
      computeMsOf?: (e: ExecutionAccount, task: number) => number;
      /** each node runs one computation at a time, in the order it sees its assignments */
      serial?: boolean;
    },
  ) {
    this.byKey = new Map(agents.map((a) => [a.keypair.publicKey.toBase58(), a]));
    const colluders = agents.filter((a) => a.strategy === 'colluder');
    for (let k = 0; k + 1 < colluders.length; k += 2) {
      this.partner.set(colluders[k]!, colluders[k + 1]!);
      this.partner.set(colluders[k + 1]!, colluders[k]!);
    }
  }

  /** when each serial node's last scheduled computation ends (virtual ms) */
  private readonly busyUntil = new Map<SimAgent, number>();

  /** compute-phase (asserter) assignments taken up, including those lost when their node went down */
  asserterRuns = 0;

  /** each colluder's partner (pairs in node order) */
  private readonly partner = new Map<SimAgent, SimAgent>();
  /** when a group's held task, computed ahead by its node, is ready: `${execId}/${task}/${attempt}` → virtual ms */
  private readonly ahead = new Map<string, number>();

  private isDown(a: SimAgent, t: number): boolean { return a.down.some(([from, to]) => t >= from && t < to); }
  private strategyOf(k: PublicKey | null): Strategy | null { return k ? this.byKey.get(k.toBase58())?.strategy ?? null : null; }

  /** One pass: every new assignment or owed reveal of a node that is up gets its action scheduled. */
  async poll(): Promise<void> {
    const now = this.o.now();
    const slot = await this.o.port.slot();
    for (const e of await this.o.port.runningExecutions()) {
      for (let i = 0; i < e.tasks.length; i++) {
        const ts = e.tasks[i]!;
        if (RUNNING.has(ts.phase) && ts.assigned) {
          const a = this.byKey.get(ts.assigned.toBase58());
          const key = `${requestKey(e.execId, i, ts.attempt)}/commit`;
          if (!a || this.started.has(key) || this.isDown(a, now)) continue;
          this.started.add(key);
          const role: Role = ts.phase === Phase.Assigned ? 'asserter' : ts.phase === Phase.Verifying ? 'validator' : 'arbiter';
          const fee = this.o.fee(e, i);
          a.assignedC += fee;
          if (role === 'asserter') this.asserterRuns++;
          if (role !== 'asserter') a.honestNet += fee * BigInt(this.o.rewardPpm) / 1_000_000n - fee;
          const [lo, hi] = this.o.computeMs;
          const plan = this.plan(a, e, i, role, ts);
          const draw = (j: number, computed: boolean) => { const sp = this.o.computeMsOf?.(e, j); return !computed ? 20 + this.o.rng.int(40) : sp !== undefined ? Math.round(sp * (0.9 + this.o.rng.int(201) / 1000)) : lo + this.o.rng.int(hi - lo + 1); };
          const ready = role === 'asserter' ? this.ahead.get(`${e.execId}/${i}/${ts.attempt}`) : undefined;
          if (ready !== undefined) { this.o.at(Math.max(now, ready), () => this.commit(a, e, i, ts.attempt, plan)); continue; } // computed ahead with its group
          const delay = draw(i, plan.computed);
          // a serial node starts when its previous computation ends
          const start = this.o.serial ? Math.max(now, this.busyUntil.get(a) ?? 0) : now;
          let end = start + delay;
          if (role === 'asserter' && ts.group) {
            // the group's held tasks, computed in sequence after this one
            for (const [j, t] of e.tasks.entries()) {
              if (j === i || t.group !== ts.group || t.phase !== Phase.Held || !t.assigned?.equals(a.keypair.publicKey)) continue;
              end += draw(j, this.plan(a, e, j, role, t).computed);
              this.ahead.set(`${e.execId}/${j}/${t.attempt}`, end);
            }
          }
          if (this.o.serial) this.busyUntil.set(a, end);
          this.o.at(start + delay, () => this.commit(a, e, i, ts.attempt, plan));
        } else if (REVEALING.has(ts.phase)) {
          for (const [a, role] of this.owing(ts)) {
            const key = `${requestKey(e.execId, i, ts.attempt)}/${ts.phase}/${ts.revealed}/${a.keypair.publicKey.toBase58()}`;
            if (this.started.has(key) || this.isDown(a, now) || a.strategy === 'griefer') continue;
            this.started.add(key);
            this.o.at(now + 20 + this.o.rng.int(60), () => this.reveal(a, e.execId, i, role));
          }
        } else if (ts.phase === Phase.Committed && this.strategyOf(ts.asserter) === 'late' && slot > ts.settleSlot + 520n) {
          // only reached if no oracle settled in time; the program then counts the task as sampled
          const a = this.byKey.get(ts.asserter!.toBase58())!;
          const key = `${requestKey(e.execId, i, ts.attempt)}/late`;
          if (this.started.has(key)) continue;
          this.started.add(key);
          try { await this.o.port.send([a.keypair], [this.o.port.program.settle(e.execId, i)]); a.reports.lateSettles++; } catch { /* someone settled */ }
        }
      }
    }
  }

  /** The agents that owe a reveal of this task now, with their role. */
  private owing(ts: TaskState): Array<[SimAgent, Role]> {
    const get = (k: PublicKey | null) => (k ? this.byKey.get(k.toBase58()) : undefined);
    const out: Array<[SimAgent, Role]> = [];
    if (ts.phase === Phase.Reveal) { const a = get(ts.asserter); if (a) out.push([a, 'asserter']); }
    if (ts.phase === Phase.VerifyReveal) {
      const v = get(ts.validator), a = get(ts.asserter);
      if (v && !(ts.revealed & 2)) out.push([v, 'validator']);
      else if (a && ts.revealed & 2 && !(ts.revealed & 1)) out.push([a, 'asserter']);
    }
    if (ts.phase === Phase.ArbReveal) ts.arbiters.forEach((k, idx) => { const a = get(k); if (a && !(ts.revealed & (4 << idx))) out.push([a, 'arbiter']); });
    return out;
  }

  /** What the agent commits to for this assignment, and whether it computed it. */
  private plan(a: SimAgent, e: ExecutionAccount, i: number, role: Role, ts: TaskState): { output: Uint8Array; computed: boolean; colluded: boolean } {
    const truth = correctOutput(e.execId, i);
    const honest = { output: truth, computed: true, colluded: false };
    const partner = this.partner.get(a);
    const partnerAsserts = !!partner && !!ts.asserter && partner.keypair.publicKey.equals(ts.asserter);
    switch (a.strategy) {
      case 'honest': return honest;
      case 'cheater': case 'late': return role === 'asserter' ? { output: corrupt(truth, `lazy/${a.keypair.publicKey.toBase58()}`), computed: false, colluded: false } : honest;
      case 'lazy': return role === 'asserter' ? honest : { output: corrupt(truth, `guess/${this.o.rng.int(1 << 30)}`), computed: false, colluded: false };
      case 'framer': return role === 'asserter' ? honest : { output: corrupt(truth, 'frame'), computed: false, colluded: false };
      case 'colluder':
        if (role === 'asserter') return { output: this.collusionOutput(a, truth), computed: false, colluded: false };
        return partnerAsserts ? { output: this.collusionOutput(a, truth), computed: false, colluded: true } : honest;
      case 'griefer': return { output: corrupt(truth, `grief/${this.o.rng.int(1 << 30)}`), computed: false, colluded: false };
    }
  }

  /** the wrong output a colluding pair agrees on (one per pair; an unpaired colluder's own) */
  private collusionOutput(a: SimAgent, truth: Uint8Array): Uint8Array {
    const keys = [a, this.partner.get(a) ?? a].map((x) => x.keypair.publicKey.toBase58()).sort();
    return corrupt(truth, `collusion/${keys.join('/')}`);
  }

  private async commit(a: SimAgent, e: ExecutionAccount, i: number, attempt: number, plan: { output: Uint8Array; computed: boolean; colluded: boolean }): Promise<void> {
    if (this.isDown(a, this.o.now())) return; // went down mid-computation: the assignment lapses
    const salt = createHash('sha256').update('splitup/sim/salt').update(a.keypair.secretKey).update(`${e.execId}/${i}/${attempt}`).digest();
    const cm = commitment(e.execId, i, fingerprint(plan.output), a.keypair.publicKey, salt);
    try {
      await this.o.port.send([a.keypair], [this.o.port.program.commit(a.keypair.publicKey, e.execId, i, attempt, cm)]);
      this.commits.set(`${e.execId}/${i}/${a.keypair.publicKey.toBase58()}`, { output: plan.output, salt });
      const ts = e.tasks[i]!;
      if (ts.phase === Phase.Assigned) a.reports.compute++; else if (ts.phase === Phase.Verifying) a.reports.verify++; else a.reports.arbitrate++;
      if (plan.colluded) a.reports.colluded++;
    } catch {
      a.reports.failed++; // e.g. the deadline passed: the chain moves on without this commitment
    }
    if (plan.computed) a.computeCost += this.o.fee(e, i);
  }

  private async reveal(a: SimAgent, execId: bigint, i: number, role: Role): Promise<void> {
    if (this.isDown(a, this.o.now())) return;
    const c = this.commits.get(`${execId}/${i}/${a.keypair.publicKey.toBase58()}`);
    if (!c) return; // committed before a restart of the simulator's memory: cannot happen in one run
    const e = (await this.o.port.runningExecutions()).find((x) => x.execId === execId);
    const ts = e?.tasks[i];
    if (!e || !ts) return;
    const fp = fingerprint(c.output);
    const asOutput = ts.phase === Phase.Reveal || ts.phase === Phase.ArbReveal || (role === 'asserter' && Buffer.compare(fp, Buffer.from(ts.fpV)) === 0);
    try {
      await this.o.port.send([a.keypair], [this.o.port.program.reveal(a.keypair.publicKey, execId, i, asOutput ? 'output' : 'fingerprint', c.salt, asOutput ? c.output : fp,
        { modelId: e.modelId, parties: partiesOf(ts) })]);
      a.reports.reveals++;
    } catch {
      a.reports.failed++;
    }
  }
}
