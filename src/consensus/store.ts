// Durable consensus state in level (sublevel `consensus`):
//   own/<round>/<view>/<kind>  an own signed message — written (fsync) before it is sent
//   commit/<round>             the decision message (certificate + updates) and the full table
//   head                       the latest committed round
//   evidence/<round>/<sender>/<view>/<kind>  two different signed messages of one member (equivocation)
//   probe                      written to test a store that failed
// Rounds are zero-padded so keys sort numerically.
import { sub, type Db } from '../store/db.js';
import { decodeTable, encodeTable, type TableEntry } from '../liveness/table.js';
import { decodeMessage, type Message } from './messages.js';
import type { CommittedRound } from './validity.js';

const pad = (n: bigint | number) => n.toString().padStart(20, '0');
const enc = new TextEncoder(), dec = new TextDecoder();
// classic-level honours `sync` (fsync before the write resolves); sublevels forward it, the typings omit it.
const SYNC = { sync: true } as object;

export interface ConsensusStore {
  loadOwn(fromRound: bigint): Promise<Message[]>;
  saveOwn(m: Message): Promise<void>;
  saveCommit(c: CommittedRound, decision: Message): Promise<void>;
  /** A certified round fetched after a snapshot skipped it: stored, the head unchanged. */
  saveRound(c: CommittedRound, decision: Message): Promise<void>;
  saveEvidence(a: Message, b: Message): Promise<void>;
  /** Newest first, at most `limit`. */
  loadEvidence(limit: number): Promise<Array<{ a: Message; b: Message }>>;
  /** A durable test write: resolves when the store accepts writes again. */
  probe(): Promise<void>;
  loadHead(): Promise<{ committed: CommittedRound; decision: Message } | null>;
  loadCommit(round: bigint): Promise<{ committed: CommittedRound; decision: Message } | null>;
}

export class LevelConsensusStore implements ConsensusStore {
  private readonly db;
  constructor(db: Db) { this.db = sub(db, 'consensus'); }

  async loadOwn(fromRound: bigint): Promise<Message[]> {
    const out: Message[] = [];
    for await (const [, v] of this.db.iterator({ gte: `own/${pad(fromRound)}`, lt: 'own0' })) out.push(decodeMessage(v));
    return out;
  }

  async saveOwn(m: Message): Promise<void> {
    await this.db.put(`own/${pad(m.round)}/${pad(m.view)}/${m.kind}`, m.bytes, SYNC);
  }

  private commitValue(c: CommittedRound, decision: Message): Uint8Array {
    const table = encodeTable({ roundId: c.round, asOf: c.asOf, prevHash: c.prevHash, entries: c.entries });
    return enc.encode(JSON.stringify({ decision: Buffer.from(decision.bytes).toString('base64'), table: Buffer.from(table).toString('base64') }));
  }

  async saveRound(c: CommittedRound, decision: Message): Promise<void> {
    await this.db.put(`commit/${pad(c.round)}`, this.commitValue(c, decision), SYNC);
  }

  async saveEvidence(a: Message, b: Message): Promise<void> {
    const key = `evidence/${pad(a.round)}/${pad(a.sender)}/${pad(a.view)}/${a.kind}`;
    await this.db.put(key, enc.encode(JSON.stringify({ a: Buffer.from(a.bytes).toString('base64'), b: Buffer.from(b.bytes).toString('base64') })));
  }

  async loadEvidence(limit: number): Promise<Array<{ a: Message; b: Message }>> {
    const out: Array<{ a: Message; b: Message }> = [];
    for await (const [, v] of this.db.iterator({ gte: 'evidence/', lt: 'evidence0', reverse: true, limit })) {
      const o = JSON.parse(dec.decode(v));
      out.push({ a: decodeMessage(new Uint8Array(Buffer.from(o.a, 'base64'))), b: decodeMessage(new Uint8Array(Buffer.from(o.b, 'base64'))) });
    }
    return out;
  }

  async probe(): Promise<void> {
    await this.db.put('probe', enc.encode('ok'), SYNC);
  }

  async saveCommit(c: CommittedRound, decision: Message): Promise<void> {
    await this.db.batch([
      { type: 'put', key: `commit/${pad(c.round)}`, value: this.commitValue(c, decision) },
      { type: 'put', key: 'head', value: enc.encode(c.round.toString()) },
    ], SYNC);
    // own messages of decided rounds are no longer needed for double-sign protection
    await this.db.clear({ gte: `own/${pad(0)}`, lt: `own/${pad(c.round + 1n)}` });
  }

  private decodeCommit(v: Uint8Array): { committed: CommittedRound; decision: Message } {
    const o = JSON.parse(dec.decode(v));
    const decision = decodeMessage(new Uint8Array(Buffer.from(o.decision, 'base64')));
    const t = decodeTable(new Uint8Array(Buffer.from(o.table, 'base64')));
    if (decision.kind !== 'decision') throw new Error('stored commit is not a decision');
    const entries: TableEntry[] = t.entries;
    return { decision, committed: { round: t.roundId, asOf: t.asOf, prevHash: t.prevHash, hash: decision.tableHash, entries, cert: { round: decision.round, view: decision.view, tableHash: decision.tableHash, sigs: decision.sigs } } };
  }

  async loadCommit(round: bigint): Promise<{ committed: CommittedRound; decision: Message } | null> {
    const v = await this.db.get(`commit/${pad(round)}`);
    return v ? this.decodeCommit(v) : null;
  }

  async loadHead(): Promise<{ committed: CommittedRound; decision: Message } | null> {
    const h = await this.db.get('head');
    return h ? this.loadCommit(BigInt(dec.decode(h))) : null;
  }
}
