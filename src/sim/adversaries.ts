// Byzantine oracles for the simulator: each a named strategy that decides what a member sends
// in place of its honest core's messages, what junk it adds, and how it answers catch-up
// requests. Researchers add a strategy by implementing Adversary and listing it in ADVERSARIES.
//
// Every strategy here signs with the member's real key (it is a member), so what it sends passes
// membership and signature checks; only the protocol's rules can refuse it.
import { bytesEqual, compareBytes } from '../common/bytes.js';
import type { Ed25519Signer } from '../common/ed25519.js';
import type { Rng } from '../common/rng.js';
import { epochEnd, type Committee } from '../consensus/committee.js';
import { signMessage, type AttestationMessage, type Body, type Message } from '../consensus/messages.js';
import { attestationFits, genesis, tableFor, type CommittedRound, type LivenessSource } from '../consensus/validity.js';
import { decodeBitmap, encodeBitmap } from '../liveness/attestation.js';
import { encodeTable, tableHash } from '../liveness/table.js';

export interface AdversaryContext {
  committee: Committee;
  me: number;
  signer: Ed25519Signer;
  rng: Rng;
  now: number;
  /** what this member hears (its honest core's liveness source) */
  source: LivenessSource;
  /** attestations of other members delivered to this member for a round */
  received(round: bigint): AttestationMessage[];
  /** every registered compute node (public chain data) */
  registered(): Uint8Array[];
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

/** A second signed attestation of this member for the same round with every bit flipped (a lie either way). */
function invertedAttestation(ctx: AdversaryContext, a: AttestationMessage): AttestationMessage {
  const bits = decodeBitmap(a.bitmap, a.rosterSize);
  for (let i = 0; i < a.rosterSize; i++) bits[i >> 3]! ^= 0x80 >> (i & 7);
  return sign(ctx, { ...a, bitmap: encodeBitmap(bits, a.rosterSize) }) as AttestationMessage;
}

/** Registered nodes outside the previous roster and not yet in `added`: what a proposer may still add. */
function addable(ctx: AdversaryContext, prev: CommittedRound, added: Uint8Array[]): Uint8Array[] {
  const known = new Set([...prev.entries.map((e) => e.nodeId), ...added].map((id) => Buffer.from(id).toString('hex')));
  return ctx.registered().filter((id) => !known.has(Buffer.from(id).toString('hex')));
}

/**
 * Two valid tables for the same round: `a` (what the proposer sends one half) and `b`. With
 * statuses fixed by attestations a proposer's only freedom is which registered nodes it adds and
 * which q attestations it carries. First choice: every colluding member's attestation, honestly and
 * inverted (each colluder signed both) — beyond f colluders this flips every node; within f it
 * changes the table only for nodes some honest oracles did not hear. Else an extra registered node
 * added (or one addition left out), or its own attestation swapped for the inverted one.
 */
function twoValidTables(ctx: AdversaryContext, m: Message & { kind: 'proposal' }): { a: Message; b: Message } | null {
  const prev = ctx.head();
  if (prev.round + 1n !== m.round || m.validView >= 0) return null;
  const colluders = [...ctx.shared.entries()].filter(([k]) => k.startsWith(`att/${m.round}/`)).map(([, a]) => a as AttestationMessage).filter((a) => !attestationFits(ctx.committee, prev, a));
  if (colluders.length >= 2) {
    const mine = new Set(colluders.map((a) => a.sender));
    const pick = [...colluders, ...m.attestations.filter((a) => !mine.has(a.sender)), ...ctx.received(m.round).filter((a) => !mine.has(a.sender) && !attestationFits(ctx.committee, prev, a))]
      .filter((a, i, all) => all.findIndex((x) => x.sender === a.sender) === i).slice(0, ctx.committee.q).sort((x, y) => x.sender - y.sender);
    if (pick.length === ctx.committee.q) {
      const twins = pick.map((a) => (mine.has(a.sender) ? (ctx.shared.get(`twin/${m.round}/${a.sender}`) as AttestationMessage) : a));
      const ta = tableFor(ctx.committee, prev, m.added, pick), tb = tableFor(ctx.committee, prev, m.added, twins);
      if (!bytesEqual(ta.tableHash, tb.tableHash)) return { a: sign(ctx, { ...m, attestations: pick, tableHash: ta.tableHash }), b: sign(ctx, { ...m, attestations: twins, tableHash: tb.tableHash }) };
    }
  }
  const variants: Array<{ added: Uint8Array[]; attestations: AttestationMessage[] }> = [];
  const extra = addable(ctx, prev, m.added)[0];
  if (extra) variants.push({ added: [...m.added, extra].sort(compareBytes), attestations: m.attestations });
  if (m.added.length) variants.push({ added: m.added.slice(0, -1), attestations: m.attestations });
  const own = m.attestations.find((a) => a.sender === ctx.me);
  if (own) variants.push({ added: m.added, attestations: m.attestations.map((a) => (a === own ? invertedAttestation(ctx, own) : a)) });
  for (const v of variants) {
    const t = tableFor(ctx.committee, prev, v.added, v.attestations);
    if (!bytesEqual(t.tableHash, m.tableHash)) return { a: m, b: sign(ctx, { ...m, ...v, tableHash: t.tableHash }) };
  }
  return null;
}

/** The bits a liar attests: set for nodes it did not hear, clear for those it did. */
function lyingAttestation(ctx: AdversaryContext, a: AttestationMessage): AttestationMessage {
  const key = `lie/${a.round}/${ctx.me}`;
  const known = ctx.shared.get(key) as AttestationMessage | undefined;
  if (known) return known;
  const lie = invertedAttestation(ctx, a);
  ctx.shared.set(key, lie);
  return lie;
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
      let twin: Message;
      if (m.kind === 'proposal') twin = sign(ctx, { ...m, asOf: m.asOf + 1 });
      else if (m.kind === 'attestation') twin = invertedAttestation(ctx, m);
      else twin = sign(ctx, { ...m, value: m.value ? null : ctx.rng.bytes(32) });
      return [{ msg: twin, to: (p) => p % 2 === 1 }, { msg: m }];
    },
  },
  'two-tables': {
    name: 'two-tables', description: 'as proposer, two valid tables to two halves; all Byzantine members vote each half its own table (beyond f this splits the committee)',
    send(ctx, m) {
      const key = `${m.round}/${m.view}`;
      if (m.kind === 'attestation') {
        // the honest attestation goes out; its inverted twin is kept for a colluding proposer
        ctx.shared.set(`att/${m.round}/${ctx.me}`, m);
        ctx.shared.set(`twin/${m.round}/${ctx.me}`, invertedAttestation(ctx, m));
        return everyone(m);
      }
      if (m.kind === 'proposal') {
        const two = twoValidTables(ctx, m);
        if (!two || two.a.kind !== 'proposal' || two.b.kind !== 'proposal') return everyone(m);
        ctx.shared.set(key, { a: two.a.tableHash, b: two.b.tableHash });
        return [{ msg: two.a, to: half }, { msg: two.b, to: (p) => !half(p) }];
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
    name: 'forge', description: 'proposes tables that mark every compute node online, whatever the attestations say (a status they do not give)',
    send(ctx, m) {
      if (m.kind !== 'proposal') return everyone(m);
      const prev = ctx.head();
      if (prev.round + 1n !== m.round) return everyone(m);
      const t = tableFor(ctx.committee, prev, m.added, m.attestations);
      const entries = t.entries.map((e) => ({ ...e, status: 'online' as const, missed: 0 }));
      const forged = tableHash({ roundId: m.round, asOf: m.asOf, prevHash: m.prevHash, entries });
      if (bytesEqual(forged, m.tableHash)) return everyone(m);
      return everyone(sign(ctx, { ...m, validView: -1, tableHash: forged }));
    },
  },
  bias: {
    name: 'bias', description: 'attests the opposite of what it heard (dead nodes alive, live nodes dead; all Byzantine members alike) and, as proposer, carries every Byzantine attestation plus the honest ones that heard the fewest nodes',
    send(ctx, m) {
      if (m.kind === 'attestation') return everyone(lyingAttestation(ctx, m));
      if (m.kind !== 'proposal' || m.validView >= 0) return everyone(m);
      const prev = ctx.head();
      if (prev.round + 1n !== m.round) return everyone(m);
      const q = ctx.committee.q;
      const lies = [...ctx.shared.entries()].filter(([k]) => k.startsWith(`lie/${m.round}/`)).map(([, a]) => a as AttestationMessage).filter((a) => !attestationFits(ctx.committee, prev, a));
      const ones = (a: AttestationMessage) => { const b = decodeBitmap(a.bitmap, a.rosterSize); let k = 0; for (const x of b) for (let y = x; y; y &= y - 1) k++; return k; };
      const liars = new Set(lies.map((a) => a.sender));
      const honest = ctx.received(m.round).filter((a) => !liars.has(a.sender) && !attestationFits(ctx.committee, prev, a)).sort((a, b) => ones(a) - ones(b));
      const pick = [...lies, ...honest].slice(0, q);
      if (pick.length < q) return everyone(m);
      pick.sort((a, b) => a.sender - b.sender);
      const t = tableFor(ctx.committee, prev, m.added, pick);
      return everyone(sign(ctx, { ...m, attestations: pick, tableHash: t.tableHash }));
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
        out.push({ msg: sign(ctx, { kind: 'decision', committeeId: ctx.committee.id, round: r, view: 0, sender: ctx.me, asOf: epochEnd(ctx.committee, r), prevHash: new Uint8Array(32), tableHash: ctx.rng.bytes(32), added: [], attestations: [], sigs: [] }) });
      }
      const last = ctx.commit(ctx.head().round);
      if (last) {
        // a real certificate of the newest round with junk content (no attestations: every node drops out of online)
        const d = last.decision;
        if (d.kind === 'decision') out.push({ msg: sign(ctx, { ...d, sender: ctx.me, attestations: [] }) });
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
          return { decision: sign(ctx, { kind: 'decision', committeeId: ctx.committee.id, round, view: 0, sender: ctx.me, asOf: epochEnd(ctx.committee, round), prevHash: new Uint8Array(32), tableHash: ctx.rng.bytes(32), added: [], attestations: [], sigs: [] }), table: null };
        case 1: // a real decision with a table that does not hash to it
          if (honest) { const t = new Uint8Array(honest.table!); t[t.length - 1]! ^= 1; return { decision: honest.decision, table: t }; }
          return null;
        default: // a real certificate under tampered content (no attestations)
          if (honest?.decision.kind === 'decision') return { decision: sign(ctx, { ...honest.decision, sender: ctx.me, attestations: [] }), table: null };
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
