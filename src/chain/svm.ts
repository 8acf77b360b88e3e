// In-process Solana VM for tests, the simulator and the local validator:
// LiteSVM hosting programs, fed with transactions built by @solana/web3.js 1.x
// (wire bytes decoded with @solana/kit's transaction decoder, which LiteSVM takes).
import { LiteSVM, TransactionMetadata } from 'litesvm';
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

export class Svm {
  readonly svm = new LiteSVM();

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
      const entry = this.svm.getSlotHashes()[0]!; // a fresh object to fill in (SlotHash has no constructor)
      entry.slot = slot;
      entry.hash = this.svm.latestBlockhash();
      const existing = this.svm.getSlotHashes().filter((h) => h.slot < slot);
      this.svm.setSlotHashes([entry, ...existing].slice(0, 512));
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
