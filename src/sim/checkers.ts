// What the simulator checks, as separate checkers researchers can extend:
//   safety    — one table per round among honest oracles, certificates valid, no double-signed
//               honest vote; no node online in a round in which no honest oracle could have heard
//               from it (forged-liveness), no node of the roster non-online in a round in which
//               every honest oracle surely heard from it (censored-liveness);
//   liveness  — with ≤ f Byzantine members and after the last fault heals, every honest oracle
//               reaches (commits or adopts a certified snapshot of) every round r by
//               max(epochEnd(r), healedAt) + boundMs;
//   resources — what one member can make an oracle hold stays within the core's stated bounds.
import { FUTURE_BYTES_PER_SENDER, FUTURE_PER_SENDER, CERTIFIED_WINDOW, VOTES_PER_MEMBER, type CoreResources } from '../consensus/core.js';
import { epochEnd, type Committee } from '../consensus/committee.js';
import { verifyCertificate, type CommitteeKeys } from '../consensus/messages.js';
import type { CommittedRound } from '../consensus/validity.js';

export type ViolationKind = 'divergence' | 'bad-certificate' | 'double-sign' | 'forged-liveness' | 'censored-liveness' | 'liveness' | 'resources';
export interface Violation { kind: ViolationKind; round: bigint; detail: string }

/** Ground truth about compute nodes, from the simulation's heartbeat feed. */
export interface LivenessTruth {
  /** Some honest oracle could have heard a heartbeat of the node counting for round r (timestamp ≥ asOf − window, sent by `by`). */
  couldHear(nodeId: Uint8Array, asOf: number, by: number): boolean;
  /** Every honest oracle surely holds such a heartbeat at the start of round r (sent before asOf minus the clock skew bound, not deaf). */
  surelyHeard(nodeId: Uint8Array, asOf: number): boolean;
}

/** Safety: checked at every commit of every oracle. */
export class SafetyChecker {
  /** round → oracle → tableHash hex (first commit of each oracle) */
  readonly commits = new Map<bigint, Map<number, string>>();
  constructor(
    private readonly keys: CommitteeKeys,
    private readonly isByzantine: (i: number) => boolean,
    private readonly truth: LivenessTruth,
    private readonly report: (v: Violation) => void,
    private readonly now: () => number = () => Infinity,
  ) {}

  onCommit(oracle: number, c: CommittedRound): boolean {
    const h = Buffer.from(c.hash).toString('hex');
    let m = this.commits.get(c.round);
    if (!m) { m = new Map(); this.commits.set(c.round, m); }
    // statuses: checked once per round's table (an honest oracle's first commit of it)
    if (!this.isByzantine(oracle) && ![...m].some(([o, x]) => x === h && !this.isByzantine(o))) {
      const id = (e: { nodeId: Uint8Array }) => Buffer.from(e.nodeId).toString('hex').slice(0, 12);
      for (const e of c.entries) {
        if (e.status === 'online' && !this.truth.couldHear(e.nodeId, c.asOf, this.now())) {
          this.report({ kind: 'forged-liveness', round: c.round, detail: `oracle ${oracle} committed node ${id(e)} online in round ${c.round}; no honest oracle could have heard from it` });
          break;
        }
        if (e.status !== 'online' && e.since < Number(c.round) && this.truth.surelyHeard(e.nodeId, c.asOf)) {
          this.report({ kind: 'censored-liveness', round: c.round, detail: `oracle ${oracle} committed node ${id(e)} ${e.status} in round ${c.round}; every honest oracle heard from it` });
          break;
        }
      }
    }
    for (const [other, oh] of m) if (oh !== h && !this.isByzantine(other) && !this.isByzantine(oracle)) this.report({ kind: 'divergence', round: c.round, detail: `oracle ${oracle} committed ${h.slice(0, 12)}, oracle ${other} ${oh.slice(0, 12)}` });
    if (c.cert) {
      const v = verifyCertificate(c.cert, this.keys);
      if (!v.ok) this.report({ kind: 'bad-certificate', round: c.round, detail: v.reason });
    }
    if (m.has(oracle)) return false;
    m.set(oracle, h);
    return true;
  }
}

/** Liveness: each oracle's head over time, checked against the bound once the run ends. */
export class LivenessChecker {
  /** oracle → [(time, head round)] in time order */
  private readonly heads = new Map<number, Array<[number, bigint]>>();
  constructor(private readonly committee: Committee) {}

  onHead(oracle: number, at: number, round: bigint): void {
    let h = this.heads.get(oracle);
    if (!h) { h = []; this.heads.set(oracle, h); }
    if (!h.length || round > h.at(-1)![1]) h.push([at, round]);
  }

  /** The lowest head among `oracles` at time t (null for none). */
  private lowestHead(oracles: number[], t: number): bigint | null {
    let h: bigint | null = null;
    for (const i of oracles) { const x = this.headAt(i, t); if (h === null || x < h) h = x; }
    return h;
  }

  headAt(oracle: number, t: number): bigint {
    let r = -1n;
    for (const [at, round] of this.heads.get(oracle) ?? []) { if (at > t) break; r = round; }
    return r;
  }

  /**
   * Every honest oracle reached every round r by deadline(r) = max(epochEnd(r), healedAt +
   * (r − h)·backlogMsPerRound) + boundMs, where h is the lowest honest head at the heal: rounds the
   * committee could not commit during the faults are caught up at ≥ one per backlogMsPerRound
   * (each needs its own agreement), every later round within boundMs of its epoch's end. Only
   * rounds whose deadline falls within the run are checked.
   */
  check(honest: number[], healedAt: number, boundMs: number, endMs: number, backlogMsPerRound = 0): Violation[] {
    const out: Violation[] = [];
    const c = this.committee;
    const h = this.lowestHead(honest, healedAt);
    for (let r = 0n; ; r++) {
      const backlog = h !== null && r > h ? Number(r - h) * backlogMsPerRound : 0;
      const deadline = Math.max(epochEnd(c, r), healedAt + backlog) + boundMs;
      if (deadline > endMs) break;
      for (const i of honest) {
        if (this.headAt(i, deadline) < r) {
          out.push({ kind: 'liveness', round: r, detail: `oracle ${i} had not reached round ${r} by ${deadline} ms (head ${this.headAt(i, deadline)}; bound ${boundMs} ms after max(epoch end, heal at ${healedAt} ms + ${backlogMsPerRound} ms per round of backlog from ${h}))` });
          return out; // the first miss says it; later rounds would repeat it
        }
      }
    }
    return out;
  }

  /** Per oracle and round reached after the heal: ms past its deadline base, max(epochEnd(r), healedAt + backlog), as in check(). */
  delays(honest: number[], healedAt: number, endMs: number, backlogMsPerRound = 0): number[] {
    const out: number[] = [];
    const h = this.lowestHead(honest, healedAt);
    for (const i of honest) {
      for (const [at, round] of this.heads.get(i) ?? []) {
        const backlog = h !== null && round > h ? Number(round - h) * backlogMsPerRound : 0;
        const base = Math.max(epochEnd(this.committee, round), healedAt + backlog);
        if (base <= endMs && at >= healedAt) out.push(Math.max(0, at - base));
      }
    }
    return out;
  }
}

/** Resources: a core's holdings against the stated per-member bounds. */
export function checkResources(committee: Committee, oracle: number, r: CoreResources, view: number, round: bigint): Violation | null {
  const n = committee.n;
  const bad: string[] = [];
  if (r.futureMessages > FUTURE_PER_SENDER * n) bad.push(`${r.futureMessages} future-round messages > ${FUTURE_PER_SENDER}·n`);
  if (r.futureBytes > FUTURE_BYTES_PER_SENDER * n) bad.push(`${r.futureBytes} future-round bytes > ${FUTURE_BYTES_PER_SENDER}·n`);
  if (r.aheadMessages > 6 * n) bad.push(`${r.aheadMessages} messages from views ahead > 6·n`);
  if (r.storedViews > view + 2) bad.push(`${r.storedViews} views stored at view ${view}`);
  if (r.votes > 2 * VOTES_PER_MEMBER * n * r.storedViews) bad.push(`${r.votes} votes over ${r.storedViews} views`);
  if (BigInt(r.certified) > CERTIFIED_WINDOW) bad.push(`${r.certified} certified decisions held`);
  return bad.length ? { kind: 'resources', round, detail: `oracle ${oracle}: ${bad.join('; ')}` } : null;
}
