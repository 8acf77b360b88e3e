// Byzantine oracles for the simulator: each a named strategy that decides what a member sends
// in place of its honest core's messages, what junk it adds, and how it answers catch-up
// requests. Researchers add a strategy by implementing Adversary and listing it in ADVERSARIES.
//
// Every strategy here signs with the member's real key (it is a member), so what it sends passes
// membership and signature checks; only the protocol's rules can refuse it.
import { bytesEqual } from '../common/bytes.js';
import type { Ed25519Signer } from '../common/ed25519.js';
import type { Rng } from '../common/rng.js';
import { epochEnd, type Committee } from '../consensus/committee.js';
import { signMessage, type Body, type Message } from '../consensus/messages.js';
import { buildTable, genesis, type CandidateSource, type CommittedRound } from '../consensus/validity.js';
import { applyUpdates, encodeTable, tableHash } from '../liveness/table.js';

export interface AdversaryContext {
  committee: Committee;
  me: number;
  signer: Ed25519Signer;
  rng: Rng;
  now: number;
  /** what this member's honest core would use to build tables */
  source: CandidateSource;
  /** this member's newest commit (on its disk) */
  head(): CommittedRound;
  /** this member's committed rounds (decision + table), as an honest server would answer */
  commit(round: bigint): { committed: CommittedRound; decision: Message } | undefined;
  /** state the Byzantine members of one run share (they collude) */
  shared: Map<string, unknown>;
}

/** A message and who gets it (default: every peer). */
export interface Outgoing { msg: Message; to?: (peer: number) => boolean }
export interface CatchUpAnswer { decision: Message; table: Uint8Array | null }

export interface Adversary {
  readonly name: string;
  readonly description: string;
  /** What is sent in place of the honest core's message `m`. */
  send(ctx: AdversaryContext, m: Message): Outgoing[];
  /** The answer to a catch-up request for a round (or the newest snapshot). Default: honest. */
  answer?(ctx: AdversaryContext, want: bigint | 'latest'): CatchUpAnswer | null;
  /** Loses its own signed messages on every restart (and so may sign conflicting votes). */
  readonly amnesia?: boolean;
}

const sign = (ctx: AdversaryContext, b: Body) => signMessage(b, ctx.signer);
const everyone = (m: Message): Outgoing[] => [{ msg: m }];

/** An honest answer from this member's disk. */
export function honestAnswer(ctx: AdversaryContext, want: bigint | 'latest'): CatchUpAnswer | null {
  const c = want === 'latest' ? ctx.commit(ctx.head().round) : ctx.commit(want);
  if (!c) return null;
  return { decision: c.decision, table: encodeTable({ roundId: c.committed.round, asOf: c.committed.asOf, prevHash: c.committed.prevHash, entries: c.committed.entries }) };
}

/** A second valid table for the same round: built at a later asOf (so its statuses are consistent and its hash differs). */
function secondValidTable(ctx: AdversaryContext, m: Message & { kind: 'proposal' }): Message | null {
  const prev = ctx.head();
  if (prev.round + 1n !== m.round) return null;
  const asOf = Math.max(m.asOf + 1, epochEnd(ctx.committee, m.round) + 1);
  const t = buildTable(ctx.committee, prev, asOf, ctx.source);
  if (bytesEqual(t.hash, m.tableHash)) return null;
  return sign(ctx, { ...m, validView: -1, asOf, tableHash: t.hash, updates: t.updates, evidence: t.evidence });
}

const half = (peer: number) => peer % 2 === 0;

export const ADVERSARIES: Record<string, Adversary> = {
  silent: {
    name: 'silent', description: 'withholds every message',
    send: () => [],
  },
  equivocate: {
    name: 'equivocate', description: 'a second, conflicting message per step to odd peers (the twin proposal carries an invalid table)',
    send(ctx, m) {
      if (m.kind === 'decision' || m.kind === 'head') return everyone(m);
      let body: Body;
      if (m.kind === 'proposal') body = { ...m, asOf: m.asOf + 1 };
      else body = { ...m, value: m.value ? null : ctx.rng.bytes(32) };
      return [{ msg: sign(ctx, body), to: (p) => p % 2 === 1 }, { msg: m }];
    },
  },
  'two-tables': {
    name: 'two-tables', description: 'as proposer, two valid tables to two halves; all Byzantine members vote each half its own table (beyond f this splits the committee)',
    send(ctx, m) {
      const key = `${m.round}/${m.view}`;
      if (m.kind === 'proposal') {
        const alt = secondValidTable(ctx, m);
        if (!alt || alt.kind !== 'proposal') return everyone(m);
        ctx.shared.set(key, { a: m.tableHash, b: alt.tableHash });
        return [{ msg: m, to: half }, { msg: alt, to: (p) => !half(p) }];
      }
      if (m.kind === 'prevote' || m.kind === 'precommit') {
        const split = ctx.shared.get(key) as { a: Uint8Array; b: Uint8Array } | undefined;
        if (split) return [{ msg: sign(ctx, { ...m, value: split.a }), to: half }, { msg: sign(ctx, { ...m, value: split.b }), to: (p) => !half(p) }];
        if (m.value) return [{ msg: m, to: half }, { msg: sign(ctx, { ...m, value: ctx.rng.bytes(32) }), to: (p) => !half(p) }];
      }
      return everyone(m);
    },
  },
  'split-vote': {
    name: 'split-vote', description: 'votes for the value to half of its peers and nil to the other half',
    send(ctx, m) {
      if ((m.kind === 'prevote' || m.kind === 'precommit') && m.value) return [{ msg: m, to: half }, { msg: sign(ctx, { ...m, value: null }), to: (p) => !half(p) }];
      return everyone(m);
    },
  },
  'flip-vote': {
    name: 'flip-vote', description: 'prevotes one value and precommits another (nil where it prevoted a value, the proposal where it prevoted nil)',
    send(ctx, m) {
      if (m.kind === 'precommit') return everyone(sign(ctx, { ...m, value: m.value ? null : ctx.rng.bytes(32) }));
      return everyone(m);
    },
  },
  forge: {
    name: 'forge', description: 'proposes tables that mark a compute node online without a heartbeat (fresh lastSeen, no evidence)',
    send(ctx, m) {
      if (m.kind !== 'proposal') return everyone(m);
      const prev = ctx.head();
      if (prev.round + 1n !== m.round) return everyone(m);
      const victim = prev.entries.length ? ctx.rng.pick(prev.entries).nodeId : m.updates[0]?.nodeId;
      if (!victim) return everyone(m);
      const entry = { nodeId: victim, status: 'online' as const, lastSeen: m.asOf, lastSeq: 1n << 62n };
      const updates = [...m.updates.filter((u) => !bytesEqual(u.nodeId, victim)), entry];
      const entries = applyUpdates(prev.entries, updates);
      return everyone(sign(ctx, { ...m, updates, tableHash: tableHash({ roundId: m.round, asOf: m.asOf, prevHash: m.prevHash, entries }) }));
    },
  },
  spam: {
    name: 'spam', description: 'floods signed votes for rounds far ahead and views far ahead, and copies with broken signatures',
    send(ctx, m) {
      if (m.kind !== 'prevote' && m.kind !== 'precommit') return everyone(m);
      const ahead = sign(ctx, { ...m, round: m.round + 1000n + BigInt(ctx.rng.int(1000)) });
      const broken = { ...m, signature: ctx.rng.bytes(64) };
      return [{ msg: m }, { msg: ahead }, { msg: broken }, { msg: sign(ctx, { ...m, view: m.view + 50 }) }];
    },
  },
  'far-view': {
    name: 'far-view', description: 'for every vote, signed votes in a fresh far view of this round and of the next round (views grow without bound)',
    send(ctx, m) {
      if (m.kind !== 'prevote' && m.kind !== 'precommit') return everyone(m);
      const far = 1 + ctx.rng.int(0xfffffff);
      return [{ msg: m }, { msg: sign(ctx, { ...m, view: m.view + far }) }, { msg: sign(ctx, { ...m, round: m.round + 1n, view: far }) }];
    },
  },
  'junk-decision': {
    name: 'junk-decision', description: 'signed decisions for the next rounds with empty certificates, and real certificates with wrong updates',
    send(ctx, m) {
      const out = everyone(m);
      if (m.kind !== 'prevote') return out;
      for (let k = 0n; k < 3n; k++) {
        const r = m.round + k;
        out.push({ msg: sign(ctx, { kind: 'decision', committeeId: ctx.committee.id, round: r, view: 0, sender: ctx.me, asOf: epochEnd(ctx.committee, r), prevHash: new Uint8Array(32), tableHash: ctx.rng.bytes(32), updates: [], sigs: [] }) });
      }
      const last = ctx.commit(ctx.head().round);
      if (last) {
        // a real certificate of the newest round, replayed for the next round's number and with junk updates
        const d = last.decision;
        if (d.kind === 'decision') out.push({ msg: sign(ctx, { ...d, sender: ctx.me, updates: d.updates.slice(1) }) });
      }
      return out;
    },
  },
  'junk-catchup': {
    name: 'junk-catchup', description: 'honest in consensus; answers catch-up with decisions whose certificates or tables are junk',
    send: (_ctx, m) => everyone(m),
    answer(ctx, want) {
      const honest = honestAnswer(ctx, want === 'latest' ? 'latest' : want) ?? honestAnswer(ctx, 'latest');
      const round = want === 'latest' ? ctx.head().round + 1n : want;
      switch (ctx.rng.int(3)) {
        case 0: // a decision signed by this member, no certificate
          return { decision: sign(ctx, { kind: 'decision', committeeId: ctx.committee.id, round, view: 0, sender: ctx.me, asOf: epochEnd(ctx.committee, round), prevHash: new Uint8Array(32), tableHash: ctx.rng.bytes(32), updates: [], sigs: [] }), table: null };
        case 1: // a real decision with a table that does not hash to it
          if (honest) { const t = new Uint8Array(honest.table!); t[t.length - 1]! ^= 1; return { decision: honest.decision, table: t }; }
          return null;
        default: // a real certificate under tampered updates
          if (honest?.decision.kind === 'decision') return { decision: sign(ctx, { ...honest.decision, sender: ctx.me, updates: [] }), table: null };
          return null;
      }
    },
  },
  amnesia: {
    name: 'amnesia', description: 'forgets its own votes on every restart (crashed and restarted by the sweep), so it may vote twice in one step',
    amnesia: true,
    send: (_ctx, m) => everyone(m),
  },
};

export type Byzantine = keyof typeof ADVERSARIES;
export const ADVERSARY_NAMES = Object.keys(ADVERSARIES) as Byzantine[];

/** The newest commit on a simulated disk. */
export function headOf(commits: Map<bigint, { committed: CommittedRound }>, c: Committee): CommittedRound {
  let best = genesis(c);
  for (const x of commits.values()) if (x.committed.round > best.round) best = x.committed;
  return best;
}
