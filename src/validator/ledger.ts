// The local validator's ledger: programs hosted in LiteSVM, blocks produced on demand (slot,
// clock, SlotHashes, a window of 150 valid block hashes), transactions checked and executed,
// and everything that changes state written ahead to `level` (fsync'ed) before it is
// acknowledged — the log entry, the transaction's record (wire bytes, status, logs, balances)
// and its indexes in one atomic batch. A restart restores the newest snapshot (LiteSVM's own
// serialisation) and replays the log written after it, so no acknowledged transaction is lost.
//
// Block hashes are keyed by a 32-byte secret drawn from the OS CSPRNG at genesis and kept with
// the ledger: HMAC-SHA256(secret, domain ‖ previous hash ‖ slot). Like a cluster's bank hashes,
// they cannot be computed ahead from public data; a restart replays the hashes it logged.
//
// Commitment: transactions execute in the open slot (processed); a slot is confirmed once the
// next one starts and finalized (rooted) FINALITY_DEPTH slots later.
import { createHmac, randomBytes } from 'node:crypto';
import { FailedTransactionMetadata, LiteSVM, TransactionMetadata } from 'litesvm';
import { address, getTransactionDecoder, lamports as toLamports } from '@solana/kit';
import { Keypair, PublicKey, SystemProgram, Transaction, TransactionInstruction } from '@solana/web3.js';
import bs58 from 'bs58';
import { openDb, type Db } from '../store/db.js';
import { analyze, computeBudget, rpcError, TxDecodeError, type AnalyzedTx } from './txinfo.js';
import { AccountCache, accountView, SlotHashRing, type CachedAccount } from '../chain/svm.js';

export interface LedgerProgram { id: PublicKey; so: Uint8Array }
export type AccountView = CachedAccount;
export type Commitment = 'processed' | 'confirmed' | 'finalized';

export interface TokenBalance { accountIndex: number; mint: string; owner: string; programId: string; uiTokenAmount: { amount: string; decimals: number; uiAmount: number | null; uiAmountString: string } }
export interface InnerIx { programIdIndex: number; accounts: number[]; data: string; stackHeight: number }

/** Everything RPC serves about one committed transaction; stored as `tx:<signature>`. */
export interface TxRecord {
  signature: string; slot: number; seq: number; blockTime: number | null;
  wire: string; version: 'legacy' | 0;
  err: unknown | null; logs: string[]; unitsConsumed: number; fee: number;
  preBalances: number[]; postBalances: number[];
  preTokenBalances: TokenBalance[]; postTokenBalances: TokenBalance[];
  innerInstructions: Array<{ index: number; instructions: InnerIx[] }>;
  returnData: { programId: string; data: [string, 'base64'] } | null;
  loadedAddresses: { writable: string[]; readonly: string[] };
  keys: string[]; writable: boolean[]; signer: boolean[];
  cuPrice: string;
}

export interface BlockRecord { slot: number; parentSlot: number; blockhash: string; previousBlockhash: string; blockTime: number | null; blockHeight: number }

/** Outcome of a send/simulate: `committed` means the transaction landed (fee charged). */
export interface TxOutcome {
  signature: string; slot: bigint; err: unknown | null; logs: string[]; unitsConsumed: bigint; committed: boolean;
  innerInstructions?: Array<{ index: number; instructions: InnerIx[] }>;
  returnData?: TxRecord['returnData'];
  postAccounts?: Map<string, AccountView | null>;
}

/** Errors the JSON-RPC layer reports as a failed send (not as an executed, failed transaction). */
export class LedgerRejection extends Error {
  override name = 'LedgerRejection';
  constructor(readonly kind: string, message: string, readonly err: unknown = kind, readonly logs: string[] = []) { super(message); }
}

export type LedgerEvent =
  | { type: 'tx'; record: TxRecord }
  | { type: 'slot'; closed: BlockRecord; slot: number; confirmed: number; root: number; rawRoot: number };

export const BLOCKHASH_WINDOW = 150;
export const FINALITY_DEPTH = 32;
const SNAPSHOT_EVERY = 256;
const SLOT_HASHES_MAX = 512;
const BLOCKHASH_DOMAIN = 'splitup/local-validator/blockhash/v2';
const FAUCET_LAMPORTS = 500_000_000n * 1_000_000_000n;
const MEMO_PROGRAM = new PublicKey('MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr');
const TOKEN_PROGRAMS = new Set(['TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA', 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb']);
const kitDecoder = getTransactionDecoder();

type Entry =
  | { t: 'slot'; slot: string; unixTs: string; blockhash: string }
  | { t: 'tx'; b64: string }
  /** written by ledgers before v2 (airdrops are ordinary faucet transactions now) */
  | { t: 'airdrop'; to: string; lamports: string };

interface Meta { slot: string; blockhash: string; recent: Array<[string, string]>; seq: number; blockTimes: Array<[string, string]>; txCount?: number }

const pad = (n: number | bigint) => n.toString().padStart(16, '0');
const inv = (n: number | bigint) => (BigInt('9999999999999999') - BigInt(n)).toString().padStart(16, '0');
const seqKey = (n: number) => `wal:${n.toString().padStart(12, '0')}`;
export const keys = {
  tx: (sig: string) => `tx:${sig}`,
  blockTx: (slot: number | bigint, seq: number) => `sigs:${pad(slot)}:${pad(seq)}`,
  blockTxRange: (slot: number | bigint) => ({ gt: `sigs:${pad(slot)}:`, lt: `sigs:${pad(slot)};` }),
  addr: (pk: string, slot: number | bigint, seq: number) => `addr:${pk}:${inv(slot)}:${inv(seq)}`,
  addrRange: (pk: string) => ({ gt: `addr:${pk}:`, lt: `addr:${pk};` }),
  block: (slot: number | bigint) => `block:${pad(slot)}`,
};
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const dec = <T>(b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as T;

export class Ledger {
  private svm!: LiteSVM;
  private slotHashes!: SlotHashRing;
  private accounts!: AccountCache;
  private secret!: Buffer;
  private faucet!: Keypair;
  private blockhash = '';
  /** block hash → slot of the block it names; the newest BLOCKHASH_WINDOW are valid */
  private recent = new Map<string, bigint>();
  private blockTimes = new Map<bigint, bigint>();
  /** signatures landed in the last BLOCKHASH_WINDOW + FINALITY_DEPTH slots (duplicate check, commitment) */
  private recentSigs = new Map<string, { slot: number; err: unknown | null }>();
  /** per slot: the lowest compute-unit price of its transactions, overall and per writable account */
  private fees = new Map<number, { min: bigint | null; accounts: Map<string, bigint> }>();
  private seq = 0;
  private txCount = 0;
  /** the oldest slot with a block (genesis) */
  firstSlot = 0;
  private sinceSnapshot = 0;
  private replaying = false;
  private chain: Promise<unknown> = Promise.resolve();
  private listeners = new Set<(e: LedgerEvent) => void>();

  private constructor(readonly db: Db, private readonly programs: LedgerProgram[]) {}

  /** Opens (or creates) the ledger in `dir`, restoring snapshot + log. `nowMs` stamps genesis. */
  static async open(dir: string, programs: LedgerProgram[], nowMs: number): Promise<Ledger> {
    const l = new Ledger(await openDb(dir), programs);
    await l.restore(nowMs);
    return l;
  }

  on(fn: (e: LedgerEvent) => void): () => void { this.listeners.add(fn); return () => this.listeners.delete(fn); }
  private emit(e: LedgerEvent): void { if (!this.replaying) for (const fn of this.listeners) fn(e); }

  private fresh(snapshot?: Uint8Array): void {
    this.svm = (snapshot ? LiteSVM.fromBytes(snapshot) : new LiteSVM()).withBlockhashCheck(false).withSigverify(true).withTransactionHistory(0n);
    for (const p of this.programs) this.svm.addProgram(address(p.id.toBase58()), p.so);
    this.slotHashes = new SlotHashRing(this.svm, SLOT_HASHES_MAX);
    this.accounts = new AccountCache(this.svm);
  }

  private derive(label: string, ...parts: Array<Uint8Array | string>): Buffer {
    const h = createHmac('sha256', this.secret).update(label);
    for (const p of parts) h.update(p);
    return h.digest();
  }

  private async restore(nowMs: number): Promise<void> {
    let secret = await this.db.get('secret');
    if (!secret) {
      secret = new Uint8Array(randomBytes(32));
      await this.db.put('secret', secret, { sync: true } as never);
    }
    this.secret = Buffer.from(secret);
    this.faucet = Keypair.fromSeed(this.derive('splitup/local-validator/faucet/v1'));
    const metaRaw = await this.db.get('meta');
    const snap = await this.db.get('snapshot');
    if (metaRaw && snap) {
      const meta = dec<Meta>(metaRaw);
      this.fresh(snap);
      this.blockhash = meta.blockhash;
      this.recent = new Map(meta.recent.map(([h, s]) => [h, BigInt(s)]));
      this.blockTimes = new Map(meta.blockTimes.map(([s, t]) => [BigInt(s), BigInt(t)]));
      this.seq = meta.seq;
      this.txCount = meta.txCount ?? 0;
    } else {
      this.genesis(nowMs);
    }
    this.replaying = true;
    try {
      for await (const [, v] of this.db.iterator({ gt: seqKey(this.seq), lt: 'wal;' })) {
        this.apply(dec<Entry>(v));
        this.seq++;
      }
    } finally { this.replaying = false; }
    // the first slot this ledger holds blocks for (LiteSVM's genesis clock does not start at 0)
    const g = await this.db.get('firstSlot');
    if (g) this.firstSlot = Number(new TextDecoder().decode(g));
    else {
      this.firstSlot = Number(this.slot);
      await this.db.put('firstSlot', new TextEncoder().encode(String(this.firstSlot)), { sync: true } as never);
    }
    // the duplicate-signature window and recent fees come from the stored records
    const from = Math.max(0, Number(this.slot) - BLOCKHASH_WINDOW - FINALITY_DEPTH);
    for await (const [k, v] of this.db.iterator({ gt: `sigs:${pad(from)}:`, lt: 'sigs;' })) {
      const rec = await this.record(new TextDecoder().decode(v));
      if (rec) this.remember(rec);
      else throw new Error(`ledger index ${k} names a transaction without a record`);
    }
  }

  /** Slot 0: a fresh bank, the faucet funded, the genesis block hash derived from the secret. */
  private genesis(nowMs: number): void {
    this.fresh();
    this.svm.setAccount({ address: address(this.faucet.publicKey.toBase58()), lamports: toLamports(FAUCET_LAMPORTS), programAddress: address(SystemProgram.programId.toBase58()), data: new Uint8Array(), executable: false, space: 0n } as never);
    this.accounts.changed([this.faucet.publicKey.toBase58()]);
    this.blockhash = bs58.encode(this.derive(BLOCKHASH_DOMAIN, 'genesis'));
    this.recent.set(this.blockhash, this.slot);
    this.setClock(this.slot, BigInt(Math.floor(nowMs / 1000)));
  }

  get genesisHash(): string { return bs58.encode(this.derive(BLOCKHASH_DOMAIN, 'genesis')); }
  get faucetKey(): PublicKey { return this.faucet.publicKey; }

  /** Serialises state-changing calls: one at a time, each persisted before it resolves. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async append(e: Entry, extra: Array<[string, Uint8Array]> = []): Promise<void> {
    this.seq++;
    this.sinceSnapshot++;
    const batch = this.db.batch().put(seqKey(this.seq), enc(e));
    for (const [k, v] of extra) batch.put(k, v);
    await batch.write({ sync: true } as never);
    if (this.sinceSnapshot >= SNAPSHOT_EVERY) await this.snapshot();
  }

  /** Writes a snapshot covering every logged entry, then drops those entries. */
  async snapshot(): Promise<void> {
    const meta: Meta = {
      slot: this.slot.toString(), blockhash: this.blockhash, seq: this.seq, txCount: this.txCount,
      recent: [...this.recent].map(([h, s]) => [h, s.toString()]),
      blockTimes: [...this.blockTimes].slice(-SLOT_HASHES_MAX).map(([s, t]) => [s.toString(), t.toString()]),
    };
    const batch = this.db.batch().put('snapshot', this.svm.toBytes()).put('meta', enc(meta));
    for await (const k of this.db.keys({ gt: 'wal:', lte: seqKey(this.seq) })) batch.del(k);
    await batch.write({ sync: true } as never);
    this.sinceSnapshot = 0;
  }

  private apply(e: Entry): void {
    if (e.t === 'slot') this.applySlot(BigInt(e.slot), BigInt(e.unixTs), e.blockhash);
    else if (e.t === 'tx') this.execute(this.decode(Buffer.from(e.b64, 'base64')));
    else { this.svm.airdrop(address(e.to), toLamports(BigInt(e.lamports))); this.accounts.changed([e.to, this.faucet.publicKey.toBase58()]); }
  }

  get slot(): bigint { return this.svm.getClock().slot; }
  /** Newest slot at `commitment`: the open slot, the last closed one, or the root. */
  slotAt(c: Commitment = 'finalized'): number { return Math.max(0, this.rawSlotAt(c)); }
  /** As slotAt, but −1 … −32 while the chain is younger than the depth (nothing confirmed or rooted yet). */
  rawSlotAt(c: Commitment): number {
    const s = Number(this.slot);
    return c === 'processed' ? s : c === 'confirmed' ? s - 1 : s - FINALITY_DEPTH;
  }
  /** Whether a transaction or block of `slot` has reached commitment `c`. */
  reached(slot: number, c: Commitment): boolean { return slot <= this.rawSlotAt(c); }
  get transactionCount(): number { return this.txCount; }
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
   * Ends the open block: its hash (keyed by the ledger's secret) enters SlotHashes and becomes
   * the latest block hash, its header is stored, the slot advances and the clock takes `nowMs`.
   */
  produceSlot(nowMs: number): Promise<bigint> {
    return this.serial(async () => {
      const closing = this.slot;
      const next = bs58.encode(this.derive(BLOCKHASH_DOMAIN, bs58.decode(this.blockhash), pad(closing)));
      const block: BlockRecord = {
        slot: Number(closing), parentSlot: Math.max(0, Number(closing) - 1), blockhash: next, previousBlockhash: this.blockhash,
        blockTime: this.blockTimes.has(closing) ? Number(this.blockTimes.get(closing)) : null, blockHeight: Number(closing),
      };
      const e: Entry = { t: 'slot', slot: (closing + 1n).toString(), unixTs: String(Math.floor(nowMs / 1000)), blockhash: next };
      this.apply(e);
      await this.append(e, [[keys.block(closing), enc(block)]]);
      const s = Number(this.slot);
      for (const [sig, st] of this.recentSigs) { if (st.slot >= s - BLOCKHASH_WINDOW - FINALITY_DEPTH) break; this.recentSigs.delete(sig); }
      for (const k of this.fees.keys()) { if (k >= s - BLOCKHASH_WINDOW) break; this.fees.delete(k); }
      this.emit({ type: 'slot', closed: block, slot: s, confirmed: this.slotAt('confirmed'), root: this.slotAt('finalized'), rawRoot: this.rawSlotAt('finalized') });
      return this.slot;
    });
  }

  private applySlot(slot: bigint, unixTs: bigint, blockhash: string): void {
    const closing = this.slot;
    this.slotHashes.push(closing, blockhash);
    this.setClock(slot, unixTs);
    this.blockhash = blockhash;
    this.recent.set(blockhash, slot);
    // a hash handed out at block height h stays valid through lastValidBlockHeight = h + 150
    while (this.recent.size > BLOCKHASH_WINDOW + 1) this.recent.delete(this.recent.keys().next().value!);
  }

  private readTable = (k: PublicKey): Uint8Array | null => {
    const a = this.accounts.get(k.toBase58());
    return a && a.owner.toBase58() === 'AddressLookupTab1e1111111111111111111111111' ? a.data : null;
  };

  /** Decodes wire bytes; `requireSigned` refuses a transaction whose first signature is empty. */
  decode(wire: Uint8Array, requireSigned = true): AnalyzedTx & { kitTx: Parameters<LiteSVM['sendTransaction']>[0]; wire: Uint8Array } {
    let tx: AnalyzedTx;
    try { tx = analyze(wire, this.readTable); } catch (e) {
      if (e instanceof TxDecodeError && /^AddressLookupTable|^InvalidAddressLookupTable/.test(e.message)) {
        const kind = e.message.split(':')[0]!;
        throw new LedgerRejection(kind, `Transaction loads an address table account that doesn't exist or is invalid (${e.message})`);
      }
      throw new LedgerRejection('SanitizeFailure', (e as Error).message);
    }
    if (requireSigned && tx.vt.signatures.some((s) => s.every((b) => b === 0))) throw new LedgerRejection('SignatureFailure', 'Transaction is missing signatures');
    return { ...tx, wire, kitTx: kitDecoder.decode(wire) as Parameters<LiteSVM['sendTransaction']>[0] };
  }

  private lamportsOf(k: string): number { return Number(this.svm.getBalance(address(k)) ?? 0n); }

  private tokenBalances(keys: string[]): TokenBalance[] {
    const out: TokenBalance[] = [];
    // token balances change only through a token program, which is then among the keys (CPI included)
    if (!keys.some((k) => TOKEN_PROGRAMS.has(k))) return out;
    keys.forEach((k, i) => {
      const a = this.accounts.get(k);
      if (!a || !TOKEN_PROGRAMS.has(a.owner.toBase58()) || a.data.length < 165) return;
      const d = Buffer.from(a.data);
      const mint = bs58.encode(d.subarray(0, 32));
      const m = this.accounts.get(mint);
      const decimals = m && m.data.length >= 45 ? m.data[44]! : 0;
      const amount = d.readBigUInt64LE(64);
      out.push({ accountIndex: i, mint, owner: bs58.encode(d.subarray(32, 64)), programId: a.owner.toBase58(), uiTokenAmount: uiAmount(amount, decimals) });
    });
    return out;
  }

  /** Executes against the bank; builds the record when the transaction lands. */
  private execute(tx: ReturnType<Ledger['decode']>): { out: TxOutcome; record: TxRecord | null } {
    const slot = this.slot;
    const preBalances = tx.keys.map((k) => this.lamportsOf(k));
    const preTokenBalances = this.tokenBalances(tx.keys);
    const r = this.svm.sendTransaction(tx.kitTx);
    const meta = r instanceof TransactionMetadata ? r : r.meta();
    const err = r instanceof FailedTransactionMetadata ? rpcError(r.toString()) : null;
    const landed = !meta.signature().every((b) => b === 0);
    const out: TxOutcome = { signature: tx.signature, slot, err, logs: meta.logs(), unitsConsumed: meta.computeUnitsConsumed(), committed: landed };
    if (!landed) return { out, record: null };
    // only writable accounts change (a failed transaction still charges its fee payer)
    this.accounts.changed(tx.keys.filter((_, i) => tx.writable[i]));
    const feeText = /fee: (\d+)/.exec(meta.toString());
    const record: TxRecord = {
      signature: tx.signature, slot: Number(slot), seq: this.txCount, blockTime: this.blockTimes.has(slot) ? Number(this.blockTimes.get(slot)) : null,
      wire: Buffer.from(tx.wire).toString('base64'), version: tx.version,
      err, logs: meta.logs(), unitsConsumed: Number(meta.computeUnitsConsumed()), fee: feeText ? Number(feeText[1]) : 0,
      preBalances, postBalances: tx.keys.map((k) => this.lamportsOf(k)),
      preTokenBalances, postTokenBalances: this.tokenBalances(tx.keys),
      innerInstructions: innerOf(meta, tx.keys), returnData: returnOf(meta),
      loadedAddresses: tx.loaded, keys: tx.keys, writable: tx.writable, signer: tx.signer,
      cuPrice: computeBudget(tx).price.toString(),
    };
    this.txCount++;
    this.remember(record);
    return { out: { ...out, innerInstructions: record.innerInstructions, returnData: record.returnData }, record };
  }

  private remember(r: TxRecord): void {
    this.recentSigs.set(r.signature, { slot: r.slot, err: r.err });
    let f = this.fees.get(r.slot);
    if (!f) this.fees.set(r.slot, f = { min: null, accounts: new Map() });
    const price = BigInt(r.cuPrice);
    if (r.keys.length && r.keys[0] === this.faucet.publicKey.toBase58()) return; // faucet transfers are not fee-market traffic
    if (f.min === null || price < f.min) f.min = price;
    r.keys.forEach((k, i) => { if (r.writable[i]) { const cur = f!.accounts.get(k); if (cur === undefined || price < cur) f!.accounts.set(k, price); } });
  }

  private check(tx: { signature: string; blockhash: string }): void {
    if (!this.recent.has(tx.blockhash)) throw new LedgerRejection('BlockhashNotFound', 'Blockhash not found');
    if (this.recentSigs.has(tx.signature)) throw new LedgerRejection('AlreadyProcessed', 'This transaction has already been processed');
  }

  /**
   * Runs a transaction against current state without committing it. Signatures are checked
   * only with `sigVerify` (as on a cluster's RPC, where it defaults to off). `accounts` asks for
   * the listed accounts' state after the run.
   */
  simulate(wire: Uint8Array | ReturnType<Ledger['decode']>, { sigVerify = false, accounts = [] as string[] } = {}): TxOutcome {
    const tx = wire instanceof Uint8Array ? this.decode(wire, sigVerify) : wire;
    if (!sigVerify) this.svm.withSigverify(false);
    let r;
    try { r = this.svm.simulateTransaction(tx.kitTx); } finally { if (!sigVerify) this.svm.withSigverify(true); }
    const meta = r.meta();
    const out: TxOutcome = {
      signature: tx.signature, slot: this.slot, err: r instanceof FailedTransactionMetadata ? rpcError(r.toString()) : null,
      logs: meta.logs(), unitsConsumed: meta.computeUnitsConsumed(), committed: false,
      innerInstructions: innerOf(meta, tx.keys), returnData: returnOf(meta),
    };
    if (accounts.length) {
      const post = new Map<string, AccountView | null>();
      const after = r instanceof FailedTransactionMetadata ? [] : r.postAccounts();
      for (const k of accounts) {
        const p = after.find((a) => a.address === k);
        if (p) post.set(k, p.lamports === 0n && p.data.length === 0 ? null : accountView(p));
        else post.set(k, this.account(new PublicKey(k)));
      }
      out.postAccounts = post;
    }
    return out;
  }

  /**
   * Executes and commits a transaction (fee charged even when it fails, as on a cluster).
   * With `preflight`, a transaction that would fail is rejected without being executed.
   * A transaction that cannot land at all (unknown fee payer, …) is rejected either way.
   */
  submit(wire: Uint8Array, preflight = true): Promise<TxOutcome> {
    return this.serial(async () => {
      const tx = this.decode(wire);
      this.check(tx);
      if (preflight) {
        const sim = this.simulate(tx, { sigVerify: true });
        if (sim.err) return sim;
      }
      const { out, record } = this.execute(tx);
      if (!record) throw new LedgerRejection(typeof out.err === 'string' ? out.err : 'TransactionError', `Transaction could not be processed: ${JSON.stringify(out.err)}`, out.err, out.logs);
      await this.persist(record);
      return out;
    });
  }

  private async persist(r: TxRecord): Promise<void> {
    const extra: Array<[string, Uint8Array]> = [[keys.tx(r.signature), enc(r)], [keys.blockTx(r.slot, r.seq), new TextEncoder().encode(r.signature)]];
    for (const k of new Set(r.keys)) extra.push([keys.addr(k, r.slot, r.seq), new TextEncoder().encode(r.signature)]);
    await this.append({ t: 'tx', b64: r.wire }, extra);
    this.emit({ type: 'tx', record: r });
  }

  /** A transfer from the ledger's faucet: an ordinary, signed, logged transaction. */
  airdrop(to: PublicKey, lamports: bigint): Promise<string> {
    return this.serial(async () => {
      const build = (memo?: string) => {
        const t = new Transaction({ recentBlockhash: this.blockhash, feePayer: this.faucet.publicKey }).add(SystemProgram.transfer({ fromPubkey: this.faucet.publicKey, toPubkey: to, lamports }));
        if (memo) t.add(new TransactionInstruction({ programId: MEMO_PROGRAM, keys: [], data: Buffer.from(memo) }));
        t.sign(this.faucet);
        return new Uint8Array(t.serialize());
      };
      let wire = build();
      let tx = this.decode(wire);
      if (this.recentSigs.has(tx.signature)) { wire = build(`airdrop ${this.txCount}`); tx = this.decode(wire); }
      this.check(tx);
      const sim = this.simulate(tx, { sigVerify: true });
      if (sim.err) throw new LedgerRejection('AirdropFailed', `airdrop failed: ${JSON.stringify(sim.err)}`, sim.err, sim.logs);
      const { record } = this.execute(tx);
      if (!record || record.err) throw new LedgerRejection('AirdropFailed', `airdrop failed: ${JSON.stringify(record?.err)}`);
      await this.persist(record);
      return record.signature;
    });
  }

  /** Status of a signature: slot, error and its commitment now. */
  async signatureStatus(sig: string): Promise<{ slot: number; err: unknown | null } | null> {
    const r = this.recentSigs.get(sig);
    if (r) return r;
    const rec = await this.record(sig);
    return rec ? { slot: rec.slot, err: rec.err } : null;
  }
  recentStatus(sig: string): { slot: number; err: unknown | null } | null { return this.recentSigs.get(sig) ?? null; }

  async record(sig: string): Promise<TxRecord | null> {
    const v = await this.db.get(keys.tx(sig));
    return v ? dec<TxRecord>(v) : null;
  }

  async block(slot: number): Promise<BlockRecord | null> {
    const v = await this.db.get(keys.block(slot));
    return v ? dec<BlockRecord>(v) : null;
  }

  async blockSignatures(slot: number): Promise<string[]> {
    const out: string[] = [];
    for await (const v of this.db.values(keys.blockTxRange(slot))) out.push(new TextDecoder().decode(v));
    return out;
  }

  /** Records of transactions that touched `pk`, newest first, after `before` (exclusive), up to `until` (exclusive), in slots ≤ maxSlot. */
  async signaturesFor(pk: string, { before, until, limit, maxSlot = Infinity }: { before?: string; until?: string; limit: number; maxSlot?: number }): Promise<TxRecord[]> {
    let range: { gt: string; lt: string } = keys.addrRange(pk);
    if (before) {
      const b = await this.record(before);
      if (!b) return [];
      range = { gt: keys.addr(pk, b.slot, b.seq), lt: range.lt };
    }
    const out: TxRecord[] = [];
    // newest first: entries above maxSlot (not yet at the caller's commitment) come first and are skipped
    for await (const v of this.db.values(range)) {
      const sig = new TextDecoder().decode(v);
      if (sig === until) break;
      const rec = await this.record(sig);
      if (rec && rec.slot <= maxSlot) out.push(rec);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Lowest compute-unit price per recent slot, for transactions writing any of `accounts` (all when empty). */
  prioritizationFees(accounts: string[]): Array<{ slot: number; prioritizationFee: number }> {
    const out: Array<{ slot: number; prioritizationFee: number }> = [];
    const top = Number(this.slot);
    for (let s = Math.max(0, top - BLOCKHASH_WINDOW + 1); s <= top; s++) {
      const f = this.fees.get(s);
      let fee = f?.min ?? 0n;
      for (const a of accounts) { const v = f?.accounts.get(a); if (v !== undefined && v > fee) fee = v; }
      out.push({ slot: s, prioritizationFee: Number(fee) });
    }
    return out;
  }

  /** An account's current state (callers must not modify the returned view). */
  account(pk: PublicKey | string): AccountView | null { return this.accounts.get(typeof pk === 'string' ? pk : pk.toBase58()); }

  programAccounts(program: PublicKey): Array<{ pubkey: PublicKey; account: AccountView }> {
    return this.accounts.ofOwner(program.toBase58()).map(([k, account]) => ({ pubkey: new PublicKey(k), account }));
  }

  minimumBalanceForRentExemption(len: number): bigint { return this.svm.minimumBalanceForRentExemption(BigInt(len)); }

  async close({ snapshot = true } = {}): Promise<void> {
    await this.serial(async () => { if (snapshot) await this.snapshot(); });
    this.listeners.clear();
    await this.db.close();
  }
}

export function uiAmount(amount: bigint, decimals: number): TokenBalance['uiTokenAmount'] {
  const s = amount.toString().padStart(decimals + 1, '0');
  const uiAmountString = decimals ? `${s.slice(0, -decimals)}.${s.slice(-decimals)}`.replace(/\.?0+$/, '') : s;
  return { amount: amount.toString(), decimals, uiAmount: Number(uiAmountString), uiAmountString };
}

function innerOf(meta: TransactionMetadata, keys: string[]): Array<{ index: number; instructions: InnerIx[] }> {
  void keys;
  return meta.innerInstructions().map((list, index) => ({
    index,
    instructions: list.map((ii) => { const c = ii.instruction(); return { programIdIndex: c.programIdIndex(), accounts: [...c.accounts()], data: bs58.encode(c.data()), stackHeight: ii.stackHeight() }; }),
  })).filter((x) => x.instructions.length > 0);
}

function returnOf(meta: TransactionMetadata): TxRecord['returnData'] {
  const rd = meta.returnData();
  const data = rd.data();
  return data.length ? { programId: bs58.encode(rd.programId()), data: [Buffer.from(data).toString('base64'), 'base64'] } : null;
}
