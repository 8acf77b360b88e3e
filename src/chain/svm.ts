// In-process Solana VM for tests, the simulator and the local validator:
// LiteSVM hosting programs, fed with transactions built by @solana/web3.js 1.x
// (wire bytes decoded with @solana/kit's transaction decoder, which LiteSVM takes).
import { LiteSVM, TransactionMetadata, type SlotHash } from 'litesvm';
import { address, getTransactionDecoder, lamports as toLamports } from '@solana/kit';
import { Transaction, type Keypair, type PublicKey, type TransactionInstruction } from '@solana/web3.js';

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
  private readonly slotHashes = new SlotHashRing(this.svm);

  addProgram(programId: PublicKey, so: Uint8Array): void { this.svm.addProgram(address(programId.toBase58()), so); }

  airdrop(to: PublicKey, lamports: bigint): void {
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
    if (r instanceof TransactionMetadata) return { ok: true, signature: tx.signature ? Buffer.from(tx.signature).toString('hex') : null, logs: r.logs(), computeUnits: r.computeUnitsConsumed(), error: null };
    const meta = r.meta();
    return { ok: false, signature: null, logs: meta.logs(), computeUnits: meta.computeUnitsConsumed(), error: r.toString() };
  }

  account(pk: PublicKey): { lamports: bigint; owner: string; data: Uint8Array } | null {
    const a = this.svm.getAccount(address(pk.toBase58()));
    return a.exists ? { lamports: a.lamports, owner: a.programAddress, data: new Uint8Array(a.data) } : null;
  }
}
