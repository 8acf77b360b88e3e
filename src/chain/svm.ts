// In-process Solana VM for tests, the simulator and the local validator:
// LiteSVM hosting programs, fed with transactions built by @solana/web3.js 1.x
// (wire bytes decoded with @solana/kit's transaction decoder, which LiteSVM takes).
import { LiteSVM, TransactionMetadata, type SlotHash } from 'litesvm';
import { address, getTransactionDecoder, lamports as toLamports } from '@solana/kit';
import { PublicKey, Transaction, type Keypair, type TransactionInstruction } from '@solana/web3.js';

export interface TxResult {
  ok: boolean;
  signature: string | null;
  logs: string[];
  computeUnits: bigint;
  /** The runtime's error, as text (e.g. `InstructionError(0, Custom(6))`), when !ok. */
  error: string | null;
}

const decoder = getTransactionDecoder();

/**
 * The SlotHashes sysvar of a LiteSVM, kept in step with the blocks produced: push(slot, hash) puts the
 * newest entry first and keeps `max`. LiteSVM's getSlotHashes leaks the native memory of every entry it
 * returns (measured: ~190 KB per call with 512 entries, never freed; 2 calls per block grew the
 * simulator and the local validator by ~380 KB a slot), so the entries are read once and then kept
 * here as the objects LiteSVM made, recycling the oldest (SlotHash has no constructor).
 */
export class SlotHashRing {
  private entries: SlotHash[] | null = null;
  constructor(private readonly svm: LiteSVM, private readonly max = 512) {}

  push(slot: bigint, hash: string): void {
    const all = (this.entries ??= this.svm.getSlotHashes());
    const keep = all.filter((h) => h.slot < slot);
    const spare = all.filter((h) => h.slot >= slot);
    while (keep.length > this.max - 1) spare.push(keep.pop()!);
    let entry = spare.pop();
    if (!entry) {
      // a fresh object: LiteSVM copies out a one-entry list (one entry's leak), then gets the full list back below
      const any = keep[0];
      if (!any) throw new Error('SlotHashes sysvar is empty');
      this.svm.setSlotHashes([any]);
      entry = this.svm.getSlotHashes()[0]!;
    }
    entry.slot = slot;
    entry.hash = hash;
    this.entries = [entry, ...keep];
    this.svm.setSlotHashes(this.entries);
  }
}

export class Svm {
  readonly svm = new LiteSVM();
  /** reads through here: LiteSVM leaks the native copy of every account it returns (AccountCache) */
  readonly accounts = new AccountCache(this.svm);
  private readonly slotHashes = new SlotHashRing(this.svm);

  addProgram(programId: PublicKey, so: Uint8Array): void { this.svm.addProgram(address(programId.toBase58()), so); }

  airdrop(to: PublicKey, lamports: bigint): void {
    this.accounts.changed([to.toBase58()]);
    const r = this.svm.airdrop(address(to.toBase58()), toLamports(lamports));
    if (!(r instanceof TransactionMetadata)) throw new Error(`airdrop failed: ${r?.toString()}`);
  }

  latestBlockhash(): string { return this.svm.latestBlockhash(); }

  slot(): bigint { return this.svm.getClock().slot; }

  /**
   * Produces `count` blocks: each advances the clock one slot, records the current block hash
   * in the SlotHashes sysvar (newest first, at most 512 entries, as the runtime keeps it) and
   * moves to a new block hash.
   */
  advanceSlots(count = 1): void {
    for (let i = 0; i < count; i++) {
      const slot = this.slot();
      this.slotHashes.push(slot, this.svm.latestBlockhash());
      this.svm.expireBlockhash();
      const clock = this.svm.getClock();
      clock.slot = slot + 1n;
      clock.unixTimestamp += 1n;
      this.svm.setClock(clock);
    }
  }

  /** Builds, signs (first signer pays) and sends a transaction. */
  execute(signers: Keypair[], ...ixs: TransactionInstruction[]): TxResult {
    const tx = new Transaction().add(...ixs);
    tx.recentBlockhash = this.latestBlockhash();
    tx.feePayer = signers[0]!.publicKey;
    tx.sign(...signers);
    return this.send(tx);
  }

  /** Sends a signed web3.js transaction. */
  send(tx: Transaction): TxResult {
    // The SVM verifies every signature itself (LiteSVM's sigverify is on), so web3.js's own
    // check in serialize (ed25519 in JS, the simulator's largest cost) would only repeat it.
    const kitTx = decoder.decode(tx.serialize({ requireAllSignatures: true, verifySignatures: false })) as Parameters<LiteSVM['sendTransaction']>[0];
    const r = this.svm.sendTransaction(kitTx);
    // what it may have written (a failed transaction still charges its fee payer)
    const written = tx.instructions.flatMap((ix) => ix.keys.filter((k) => k.isWritable).map((k) => k.pubkey.toBase58()));
    this.accounts.changed(tx.feePayer ? [tx.feePayer.toBase58(), ...written] : written);
    if (r instanceof TransactionMetadata) return { ok: true, signature: tx.signature ? Buffer.from(tx.signature).toString('hex') : null, logs: r.logs(), computeUnits: r.computeUnitsConsumed(), error: null };
    const meta = r.meta();
    return { ok: false, signature: null, logs: meta.logs(), computeUnits: meta.computeUnitsConsumed(), error: r.toString() };
  }

  account(pk: PublicKey): { lamports: bigint; owner: string; data: Uint8Array } | null {
    const a = this.accounts.get(pk.toBase58());
    return a ? { lamports: a.lamports, owner: a.owner.toBase58(), data: a.data } : null;
  }
}

/** An account as the cache holds it (callers must not modify it). */
export interface CachedAccount { lamports: bigint; owner: PublicKey; data: Uint8Array; executable: boolean }

/** A JS-side copy of an account LiteSVM returned (its data copied out of native memory). */
export function accountView(a: { lamports: bigint; programAddress: string; data: ArrayLike<number>; executable: boolean }): CachedAccount {
  return { lamports: a.lamports, owner: new PublicKey(a.programAddress), data: new Uint8Array(a.data), executable: a.executable };
}

const SYSVAR_OWNER = 'Sysvar1111111111111111111111111111111111111';

/**
 * JS-side copies of a LiteSVM bank's accounts (the local validator's and the in-process chain's). LiteSVM's getAccount and getProgramAccounts leak the
 * native copy of every account they return (measured: ~21 KB per read of a 10 KB account, ~320 KB
 * per getProgramAccounts of ten, with forced GC), so a validator that served each RPC read from the
 * bank grew by gigabytes an hour under the oracles' and agents' polling. Reads come from here; the
 * bank is read again only for an account a transaction could have written (its writable keys), an
 * airdrop or genesis changed, once per change and only when someone asks. Sysvars change every
 * slot without a transaction and are always read from the bank.
 */
export class AccountCache {
  private readonly byKey = new Map<string, CachedAccount | null>();
  private readonly ownerOf = new Map<string, string>();
  private readonly byOwner = new Map<string, Set<string>>();
  /** changed since last read: re-read before the owner index is trusted */
  private readonly stale = new Set<string>();
  private readonly seeded = new Set<string>();

  constructor(private readonly svm: LiteSVM) {}

  changed(keys: string[]): void { for (const k of keys) { this.byKey.delete(k); this.stale.add(k); } }

  private read(k: string): CachedAccount | null {
    const a = this.svm.getAccount(address(k));
    const v = a.exists ? accountView(a) : null;
    this.stale.delete(k);
    if (v?.owner.toBase58() === SYSVAR_OWNER) return v;
    this.byKey.set(k, v);
    this.index(k, v?.owner.toBase58() ?? null);
    return v;
  }

  private index(k: string, owner: string | null): void {
    const old = this.ownerOf.get(k);
    if (old === owner) return;
    if (old !== undefined) this.byOwner.get(old)?.delete(k);
    if (owner === null) { this.ownerOf.delete(k); return; }
    this.ownerOf.set(k, owner);
    let set = this.byOwner.get(owner);
    if (!set) this.byOwner.set(owner, set = new Set());
    set.add(k);
  }

  get(k: string): CachedAccount | null {
    const v = this.byKey.get(k);
    return v !== undefined ? v : this.read(k);
  }

  ofOwner(owner: string): Array<[string, CachedAccount]> {
    if (!this.seeded.has(owner)) {
      // the first query for an owner reads its accounts from the bank once (after a restart the
      // cache knows nothing); from then on every change reaches the index through `changed`
      for (const a of this.svm.getProgramAccounts(address(owner))) {
        if (this.byKey.has(a.address) || this.stale.has(a.address)) continue;
        this.byKey.set(a.address, accountView(a));
        this.index(a.address, owner);
      }
      this.seeded.add(owner);
    }
    for (const k of [...this.stale]) this.read(k);
    const out: Array<[string, CachedAccount]> = [];
    for (const k of this.byOwner.get(owner) ?? []) { const v = this.byKey.get(k); if (v) out.push([k, v]); }
    return out;
  }
}
