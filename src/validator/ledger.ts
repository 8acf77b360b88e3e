// The local validator's ledger: programs hosted in LiteSVM, blocks produced on demand
// (slot, clock, SlotHashes, a window of 150 valid block hashes), transactions checked and
// executed, and everything that changes state written ahead to `level` (fsync'ed) before
// it is acknowledged. A restart restores the newest snapshot (LiteSVM's own serialisation)
// and replays the log written after it, so no acknowledged transaction is lost.
import { createHash } from 'node:crypto';
import { FailedTransactionMetadata, LiteSVM, TransactionMetadata } from 'litesvm';
import { address, getTransactionDecoder, lamports as toLamports } from '@solana/kit';
import { PublicKey, VersionedTransaction } from '@solana/web3.js';
import bs58 from 'bs58';
import { openDb, type Db } from '../store/db.js';

export interface LedgerProgram { id: PublicKey; so: Uint8Array }
export interface TxOutcome { signature: string; slot: bigint; err: unknown | null; logs: string[]; unitsConsumed: bigint }
export interface AccountView { lamports: bigint; owner: PublicKey; data: Uint8Array; executable: boolean }

/** Errors the JSON-RPC layer reports as a failed send (not as an executed, failed transaction). */
export class LedgerRejection extends Error {
  override name = 'LedgerRejection';
  constructor(readonly kind: 'BlockhashNotFound' | 'AlreadyProcessed' | 'SanitizeFailure', message: string) { super(message); }
}

const BLOCKHASH_WINDOW = 150;
const SNAPSHOT_EVERY = 256;
const SLOT_HASHES_MAX = 512;
const decoder = getTransactionDecoder();

type Entry =
  | { t: 'slot'; slot: string; unixTs: string; blockhash: string }
  | { t: 'tx'; b64: string }
  | { t: 'airdrop'; to: string; lamports: string };

interface Decoded { kitTx: Parameters<LiteSVM['sendTransaction']>[0]; signature: string; blockhash: string }

interface Meta { slot: string; blockhash: string; recent: Array<[string, string]>; seq: number; blockTimes: Array<[string, string]> }

const seqKey = (n: number) => `wal:${n.toString().padStart(12, '0')}`;
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const dec = <T>(b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as T;

export class Ledger {
  private svm!: LiteSVM;
  private blockhash = '';
  /** block hash → slot of the block it names; the newest BLOCKHASH_WINDOW are valid */
  private recent = new Map<string, bigint>();
  private blockTimes = new Map<bigint, bigint>();
  private statuses = new Map<string, { slot: bigint; err: unknown | null }>();
  private seq = 0;
  private sinceSnapshot = 0;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: Db, private readonly programs: LedgerProgram[]) {}

  /** Opens (or creates) the ledger in `dir`, restoring snapshot + log. `nowMs` stamps genesis. */
  static async open(dir: string, programs: LedgerProgram[], nowMs: number): Promise<Ledger> {
    const l = new Ledger(await openDb(dir), programs);
    await l.restore(nowMs);
    return l;
  }

  private fresh(snapshot?: Uint8Array): void {
    this.svm = (snapshot ? LiteSVM.fromBytes(snapshot) : new LiteSVM()).withBlockhashCheck(false).withSigverify(true).withTransactionHistory(100_000n);
    for (const p of this.programs) this.svm.addProgram(address(p.id.toBase58()), p.so);
  }

  private async restore(nowMs: number): Promise<void> {
    const metaRaw = await this.db.get('meta');
    const snap = await this.db.get('snapshot');
    if (metaRaw && snap) {
      const meta = dec<Meta>(metaRaw);
      this.fresh(snap);
      this.blockhash = meta.blockhash;
      this.recent = new Map(meta.recent.map(([h, s]) => [h, BigInt(s)]));
      this.blockTimes = new Map(meta.blockTimes.map(([s, t]) => [BigInt(s), BigInt(t)]));
      this.seq = meta.seq;
    } else {
      this.fresh();
      this.blockhash = this.svm.latestBlockhash();
      this.recent.set(this.blockhash, this.slot);
      this.setClock(this.slot, BigInt(Math.floor(nowMs / 1000)));
    }
    for await (const [, v] of this.db.iterator({ gt: seqKey(this.seq), lt: 'wal;' })) {
      this.apply(dec<Entry>(v));
      this.seq++;
    }
    const stored = await this.db.get('statuses');
    if (stored) for (const [sig, slot, err] of dec<Array<[string, string, unknown]>>(stored)) if (!this.statuses.has(sig)) this.statuses.set(sig, { slot: BigInt(slot), err });
  }

  /** Serialises state-changing calls: one at a time, each persisted before it resolves. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async append(e: Entry): Promise<void> {
    this.seq++;
    this.sinceSnapshot++;
    await this.db.put(seqKey(this.seq), enc(e), { sync: true } as never);
    if (this.sinceSnapshot >= SNAPSHOT_EVERY) await this.snapshot();
  }

  /** Writes a snapshot covering every logged entry, then drops those entries. */
  async snapshot(): Promise<void> {
    const meta: Meta = {
      slot: this.slot.toString(), blockhash: this.blockhash, seq: this.seq,
      recent: [...this.recent].map(([h, s]) => [h, s.toString()]),
      blockTimes: [...this.blockTimes].slice(-SLOT_HASHES_MAX).map(([s, t]) => [s.toString(), t.toString()]),
    };
    const statuses = [...this.statuses].slice(-100_000).map(([sig, s]) => [sig, s.slot.toString(), s.err]);
    const batch = this.db.batch()
      .put('snapshot', this.svm.toBytes())
      .put('meta', enc(meta))
      .put('statuses', enc(statuses));
    for await (const k of this.db.keys({ gt: 'wal:', lte: seqKey(this.seq) })) batch.del(k);
    await batch.write({ sync: true } as never);
    this.sinceSnapshot = 0;
  }

  private apply(e: Entry): void {
    if (e.t === 'slot') this.applySlot(BigInt(e.slot), BigInt(e.unixTs), e.blockhash);
    else if (e.t === 'tx') this.execute(this.decode(Buffer.from(e.b64, 'base64')));
    else this.svm.airdrop(address(e.to), toLamports(BigInt(e.lamports)));
  }

  get slot(): bigint { return this.svm.getClock().slot; }
  get latestBlockhash(): { blockhash: string; lastValidBlockHeight: bigint } { return { blockhash: this.blockhash, lastValidBlockHeight: this.slot + BigInt(BLOCKHASH_WINDOW) }; }
  isBlockhashValid(h: string): boolean { return this.recent.has(h); }
  blockTime(slot: bigint): bigint | null { return this.blockTimes.get(slot) ?? null; }

  private setClock(slot: bigint, unixTs: bigint): void {
    const c = this.svm.getClock();
    c.slot = slot;
    c.unixTimestamp = unixTs;
    this.svm.setClock(c);
    this.blockTimes.set(slot, unixTs);
    if (this.blockTimes.size > SLOT_HASHES_MAX) this.blockTimes.delete(this.blockTimes.keys().next().value!);
  }

  /**
   * Ends the current block: its hash enters SlotHashes, the next block hash is derived from it,
   * the slot advances and the clock takes `nowMs`.
   */
  produceSlot(nowMs: number): Promise<bigint> {
    return this.serial(async () => {
      const next = bs58.encode(createHash('sha256').update('splitup/local-validator/blockhash/v1').update(bs58.decode(this.blockhash)).update(this.slot.toString()).digest());
      const e: Entry = { t: 'slot', slot: (this.slot + 1n).toString(), unixTs: String(Math.floor(nowMs / 1000)), blockhash: next };
      this.apply(e);
      await this.append(e);
      return this.slot;
    });
  }

  private applySlot(slot: bigint, unixTs: bigint, blockhash: string): void {
    const prev = this.slot;
    const entry = this.svm.getSlotHashes()[0]!;
    entry.slot = prev;
    entry.hash = this.blockhash;
    this.svm.setSlotHashes([entry, ...this.svm.getSlotHashes().filter((h) => h.slot < prev)].slice(0, SLOT_HASHES_MAX));
    this.setClock(slot, unixTs);
    this.blockhash = blockhash;
    this.recent.set(blockhash, slot);
    while (this.recent.size > BLOCKHASH_WINDOW) this.recent.delete(this.recent.keys().next().value!);
  }

  private decode(wire: Uint8Array): Decoded {
    let vt: VersionedTransaction;
    try { vt = VersionedTransaction.deserialize(wire); } catch (e) { throw new LedgerRejection('SanitizeFailure', `invalid transaction: ${(e as Error).message}`); }
    const sig = vt.signatures[0];
    if (!sig || sig.every((b) => b === 0)) throw new LedgerRejection('SanitizeFailure', 'transaction is not signed');
    return { kitTx: decoder.decode(wire) as Parameters<LiteSVM['sendTransaction']>[0], signature: bs58.encode(sig), blockhash: vt.message.recentBlockhash };
  }

  private execute({ kitTx, signature }: Decoded): TxOutcome {
    const r = this.svm.sendTransaction(kitTx);
    const slot = this.slot;
    if (r instanceof TransactionMetadata) {
      this.statuses.set(signature, { slot, err: null });
      return { signature, slot, err: null, logs: r.logs(), unitsConsumed: r.computeUnitsConsumed() };
    }
    const err = rpcError(r.toString());
    this.statuses.set(signature, { slot, err });
    return { signature, slot, err, logs: r.meta().logs(), unitsConsumed: r.meta().computeUnitsConsumed() };
  }

  private check({ signature, blockhash }: Decoded): void {
    if (!this.recent.has(blockhash)) throw new LedgerRejection('BlockhashNotFound', 'Blockhash not found');
    if (this.statuses.has(signature)) throw new LedgerRejection('AlreadyProcessed', 'This transaction has already been processed');
  }

  /**
   * Runs a transaction against current state without committing it. As on a cluster's RPC,
   * signatures are checked only with `sigVerify` (clients such as web3.js refresh the block hash
   * of a transaction before simulating it, which invalidates its signatures).
   */
  simulate(wire: Uint8Array | Decoded, { sigVerify = true } = {}): TxOutcome {
    const { kitTx, signature } = wire instanceof Uint8Array ? this.decode(wire) : wire;
    if (!sigVerify) this.svm.withSigverify(false);
    let r;
    try { r = this.svm.simulateTransaction(kitTx); } finally { if (!sigVerify) this.svm.withSigverify(true); }
    const meta = r.meta();
    return { signature, slot: this.slot, err: r instanceof FailedTransactionMetadata ? rpcError(r.toString()) : null, logs: meta.logs(), unitsConsumed: meta.computeUnitsConsumed() };
  }

  /**
   * Executes and commits a transaction (fee charged even when it fails, as on a cluster).
   * With `preflight`, a transaction that would fail is rejected without being executed.
   */
  submit(wire: Uint8Array, preflight = true): Promise<TxOutcome> {
    return this.serial(async () => {
      const tx = this.decode(wire);
      this.check(tx);
      if (preflight) {
        const sim = this.simulate(tx);
        if (sim.err) return sim;
      }
      const out = this.execute(tx);
      await this.append({ t: 'tx', b64: Buffer.from(wire).toString('base64') });
      return out;
    });
  }

  airdrop(to: PublicKey, lamports: bigint): Promise<string> {
    return this.serial(async () => {
      const r = this.svm.airdrop(address(to.toBase58()), toLamports(lamports));
      if (!(r instanceof TransactionMetadata)) throw new Error(`airdrop failed: ${r?.toString()}`);
      await this.append({ t: 'airdrop', to: to.toBase58(), lamports: lamports.toString() });
      const signature = bs58.encode(r.signature());
      this.statuses.set(signature, { slot: this.slot, err: null });
      return signature;
    });
  }

  signatureStatus(sig: string): { slot: bigint; err: unknown | null } | null { return this.statuses.get(sig) ?? null; }

  account(pk: PublicKey): AccountView | null {
    const a = this.svm.getAccount(address(pk.toBase58()));
    if (!a.exists) return null;
    return { lamports: a.lamports, owner: new PublicKey(a.programAddress), data: new Uint8Array(a.data), executable: a.executable };
  }

  programAccounts(program: PublicKey): Array<{ pubkey: PublicKey; account: AccountView }> {
    return this.svm.getProgramAccounts(address(program.toBase58())).map((a) => ({
      pubkey: new PublicKey(a.address), account: { lamports: a.lamports, owner: new PublicKey(a.programAddress), data: new Uint8Array(a.data), executable: a.executable },
    }));
  }

  minimumBalanceForRentExemption(len: number): bigint { return this.svm.minimumBalanceForRentExemption(BigInt(len)); }

  async close({ snapshot = true } = {}): Promise<void> {
    await this.serial(async () => { if (snapshot) await this.snapshot(); });
    await this.db.close();
  }
}

/** LiteSVM's error text → the JSON shape Solana RPC uses (`{"InstructionError":[0,{"Custom":16}]}`). */
export function rpcError(text: string): unknown {
  const custom = /InstructionError\((\d+), Custom\((\d+)\)\)/.exec(text);
  if (custom) return { InstructionError: [Number(custom[1]), { Custom: Number(custom[2]) }] };
  const other = /InstructionError\((\d+), ([A-Za-z]+)/.exec(text);
  if (other) return { InstructionError: [Number(other[1]), other[2]] };
  const plain = /^([A-Za-z]+)/.exec(text.replace(/^FailedTransactionMetadata\s*\{?\s*(err:\s*)?/, ''));
  return plain ? plain[1] : text;
}
