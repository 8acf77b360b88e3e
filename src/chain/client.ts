// The SplitUp chain over standard Solana JSON-RPC (@solana/web3.js Connection): reads
// program state (the source of truth) and sends transactions with confirmation by polling,
// retrying on expired block hashes. One RPC URL switches between the local validator and a
// real cluster.
import { Connection, Keypair, PublicKey, SendTransactionError, Transaction, type TransactionInstruction } from '@solana/web3.js';
import { ACCOUNT_SIZE, COMMITTEE_OFFSET, decodeCommittee, decodeExecution, decodeModel, decodeNode, decodeRotation, decodeTask, ExecStatus, rotationRecordsInLogs, TAGS, type Committee, type ExecutionAccount, type ModelAccount, type NodeAccount, type RotationAccount, type TaskAccount } from './layout.js';
import { programError, ProgramError } from './errors.js';
import { ProgramWatch, pubsubUrlFor, type ChangeListener } from './program-watch.js';
import { Ix, rotationDigest, SplitUpProgram, type RotationProposal } from './program.js';
import { toBase58 as bs58 } from '../common/bytes.js';

export interface SendOptions {
  /** Attempts with a fresh block hash when one expires or the send fails transiently. */
  attempts?: number;
  /** How long to wait for a signature status per attempt. */
  confirmTimeoutMs?: number;
  pollMs?: number;
}

/** A confirmed transaction as the audit reads it: who signed, this program's instructions, its logs. */
export interface ChainTx { signature: string; slot: number; ok: boolean; logs: string[]; signers: PublicKey[]; instructions: Array<{ accounts: PublicKey[]; data: Buffer }> }

/** A rotation that cannot go ahead as asked (no committee, no pending proposal, another content than expected). */
export class RotationError extends Error { override name = 'RotationError'; }

const tagBytes = (tag: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(tag); return b; };

export class ChainClient {
  readonly connection: Connection;
  readonly program: SplitUpProgram;

  /** `authority`: the committee's authority key (the committee's address is derived from it). */
  constructor(readonly rpcUrl: string, programId: PublicKey, authority: PublicKey) {
    this.connection = new Connection(rpcUrl, { commitment: 'confirmed', disableRetryOnRateLimit: true });
    this.program = new SplitUpProgram(programId, authority);
  }

  /**
   * Program account changes over the RPC's WebSocket PubSub (programSubscribe on the RPC port + 1,
   * as the local validator and real clusters serve it; see program-watch.ts). Returns the
   * unsubscribe; the socket closes with the last listener.
   */
  onProgramChange(cb: ChangeListener): () => Promise<void> {
    this.watch ??= new ProgramWatch(pubsubUrlFor(this.rpcUrl), this.program.programId.toBase58());
    return this.watch.subscribe(cb);
  }

  private watch: ProgramWatch | null = null;

  async slot(): Promise<bigint> { return BigInt(await this.connection.getSlot('confirmed')); }
  async blockTime(slot: bigint): Promise<number | null> { return this.connection.getBlockTime(Number(slot)).catch(() => null); }

  async committee(): Promise<Committee | null> {
    const a = await this.connection.getAccountInfo(this.program.committeeAddress());
    return a ? decodeCommittee(a.data) : null;
  }

  /** The pending rotation proposal of `epoch` (null when none, or once applied: the account closes). */
  async rotation(epoch: number): Promise<RotationAccount | null> {
    const a = await this.connection.getAccountInfo(this.program.rotationAddress(epoch));
    return a && a.data.length >= ACCOUNT_SIZE.rotation && a.data.some((b) => b !== 0) ? decodeRotation(a.data) : null;
  }

  /**
   * The authority proposes `oracles` (quorum q) as the committee's next epoch, voting on selections
   * seeded from max(activateSlot, the slot of the q-th approval) on. Returns the proposal and the
   * digest members approve.
   */
  async proposeRotation(authority: Keypair, oracles: PublicKey[], q: number, activateSlot = 0n): Promise<{ proposal: RotationProposal; digest: Uint8Array }> {
    const cm = await this.committee();
    if (!cm) throw new RotationError(`no committee of authority ${authority.publicKey.toBase58()} on this chain`);
    const proposal = { epoch: cm.epoch + 1, oracles, q, activateSlot };
    await this.send([authority], [this.program.proposeRotation(authority.publicKey, proposal)]);
    return { proposal, digest: rotationDigest(this.program.committeeAddress(), proposal) };
  }

  /**
   * A member of the current set approves the pending proposal of the next epoch. `expect` (the digest
   * the operator was given) must match what is on chain; the program checks it again. Returns whether
   * this approval applied the rotation.
   */
  async approveRotation(oracle: Keypair, expect?: Uint8Array): Promise<{ epoch: number; applied: boolean }> {
    const cm = await this.committee();
    if (!cm) throw new RotationError('no committee on this chain');
    const epoch = cm.epoch + 1;
    const r = await this.rotation(epoch);
    if (!r) throw new RotationError(`no pending rotation proposal for epoch ${epoch}`);
    const digest = rotationDigest(this.program.committeeAddress(), { epoch, oracles: r.oracles, q: r.q, activateSlot: r.activateSlot });
    if (expect && !Buffer.from(expect).equals(Buffer.from(digest))) throw new RotationError(`the proposal on chain (digest ${Buffer.from(digest).toString('hex')}) is not the one to approve (${Buffer.from(expect).toString('hex')})`);
    await this.send([oracle], [this.program.approveRotation(oracle.publicKey, epoch, digest)]);
    return { epoch, applied: ((await this.committee())?.epoch ?? 0) >= epoch };
  }

  /**
   * The member set of every epoch up to the current one. The committee account holds the current
   * and the previous set; older ones are read from the committee's ledger history (the rotation
   * records applied rotations log, and initCommittee's keys for epoch 0).
   */
  async memberSets(): Promise<Map<number, { oracles: PublicKey[]; q: number; startSlot: bigint }>> {
    const cm = await this.committee();
    if (!cm) throw new Error('no committee on this chain');
    const sets = new Map<number, { oracles: PublicKey[]; q: number; startSlot: bigint }>();
    sets.set(cm.epoch, { oracles: cm.oracles, q: cm.q, startSlot: cm.epochStartSlot });
    if (cm.previous) sets.set(cm.previous.epoch, { oracles: cm.previous.oracles, q: cm.previous.q, startSlot: cm.previous.startSlot });
    if (cm.epoch < 2) return sets;
    const address = this.program.committeeAddress();
    for (const tx of await this.history(address)) {
      if (!tx.ok) continue;
      for (const r of rotationRecordsInLogs(tx.logs, this.program.programId.toBase58())) if (!sets.has(r.epoch)) sets.set(r.epoch, { oracles: r.oracles, q: r.q, startSlot: r.startSlot });
      for (const ix of tx.instructions) {
        if (ix.data[0] !== Ix.InitCommittee || !ix.accounts[1]?.equals(address) || sets.has(0)) continue;
        const n = ix.data[1]!;
        sets.set(0, { oracles: Array.from({ length: n }, (_, i) => new PublicKey(ix.data.subarray(56 + 32 * i, 88 + 32 * i))), q: ix.data[2]!, startSlot: 0n });
      }
    }
    return sets;
  }

  async node(key: PublicKey): Promise<NodeAccount | null> {
    const a = await this.connection.getAccountInfo(this.program.nodeAddress(key));
    return a ? decodeNode(a.data) : null;
  }

  async execution(id: bigint): Promise<ExecutionAccount | null> {
    const a = await this.connection.getAccountInfo(this.program.executionAddress(id));
    return a ? decodeExecution(a.data) : null;
  }

  /** This committee's accounts of one kind (other committees of the program are not read). */
  private async ofKind(kind: keyof typeof COMMITTEE_OFFSET, extra: Array<{ memcmp: { offset: number; bytes: string } }> = []) {
    return this.connection.getProgramAccounts(this.program.programId, {
      filters: [{ dataSize: ACCOUNT_SIZE[kind] }, { memcmp: { offset: 0, bytes: bs58(tagBytes(TAGS[kind])) } },
        { memcmp: { offset: COMMITTEE_OFFSET[kind], bytes: this.program.committeeAddress().toBase58() } }, ...extra],
    });
  }

  async nodes(): Promise<NodeAccount[]> { return (await this.ofKind('node')).map((a) => decodeNode(a.account.data)); }

  async task(id: number): Promise<TaskAccount | null> {
    const a = await this.connection.getAccountInfo(this.program.taskAddress(id));
    return a ? decodeTask(a.data) : null;
  }

  async model(id: number): Promise<ModelAccount | null> {
    const a = await this.connection.getAccountInfo(this.program.modelAddress(id));
    return a ? decodeModel(a.data) : null;
  }

  /** This committee's models, by id. */
  async models(): Promise<ModelAccount[]> { return (await this.ofKind('model')).map((a) => decodeModel(a.account.data)).sort((a, b) => a.modelId - b.modelId); }

  /**
   * Executions still running (status byte at offset 21). `keep` sees the raw account data first,
   * so callers can skip decoding executions with nothing to do.
   */
  async runningExecutions(keep: (data: Uint8Array) => boolean = () => true): Promise<ExecutionAccount[]> {
    const list = await this.ofKind('execution', [{ memcmp: { offset: 21, bytes: bs58(Buffer.from([ExecStatus.Running])) } }]);
    return list.filter((a) => keep(a.account.data)).map((a) => decodeExecution(a.account.data));
  }

  /** Every execution of this committee still on chain, running or settled (closed ones are gone). */
  async executions(): Promise<ExecutionAccount[]> { return (await this.ofKind('execution')).map((a) => decodeExecution(a.account.data)); }

  /**
   * Every confirmed transaction that touched `address`, oldest first: signers, the instructions of
   * this program (accounts and data) and the log messages, from getSignaturesForAddress (paged) and
   * getTransaction. `concurrency` bounds the getTransaction calls in flight.
   */
  async history(address: PublicKey, concurrency = 8): Promise<ChainTx[]> {
    const sigs: Array<{ signature: string; slot: number }> = [];
    for (let before: string | undefined, page = 0; page < 10_000; page++) {
      const list = await this.connection.getSignaturesForAddress(address, { limit: 1000, ...(before ? { before } : {}) }, 'confirmed');
      sigs.push(...list);
      if (list.length < 1000) break;
      before = list.at(-1)!.signature;
    }
    sigs.reverse();
    const out: Array<ChainTx | null> = new Array(sigs.length).fill(null);
    let next = 0;
    const worker = async () => {
      for (let k = next++; k < sigs.length; k = next++) {
        const tx = await this.connection.getTransaction(sigs[k]!.signature, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 });
        if (!tx) throw new Error(`transaction ${sigs[k]!.signature} listed for ${address.toBase58()} but not served`);
        const m = tx.transaction.message;
        const keys = m.staticAccountKeys;
        out[k] = {
          signature: sigs[k]!.signature, slot: tx.slot, ok: !tx.meta?.err, logs: tx.meta?.logMessages ?? [],
          signers: keys.slice(0, m.header.numRequiredSignatures),
          instructions: m.compiledInstructions.filter((ix) => keys[ix.programIdIndex]?.equals(this.program.programId))
            .map((ix) => ({ accounts: ix.accountKeyIndexes.map((i) => keys[i]!), data: Buffer.from(ix.data) })),
        };
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    return out as ChainTx[];
  }

  /**
   * Signs with `signers` (the first pays), sends with preflight and waits for the signature's
   * status. Program failures throw a typed ProgramError; expired block hashes are retried.
   */
  async send(signers: Keypair[], ixs: TransactionInstruction[], o: SendOptions = {}): Promise<string> {
    const attempts = o.attempts ?? 4, confirmMs = o.confirmTimeoutMs ?? 15_000, pollMs = o.pollMs ?? 100;
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      const { blockhash, lastValidBlockHeight } = await this.connection.getLatestBlockhash('confirmed');
      const tx = new Transaction({ blockhash, lastValidBlockHeight, feePayer: signers[0]!.publicKey }).add(...ixs);
      tx.sign(...signers);
      let sig: string;
      try {
        sig = await this.connection.sendRawTransaction(tx.serialize(), { preflightCommitment: 'confirmed' });
      } catch (e) {
        const pe = asProgramError(e);
        if (pe && pe.source !== 'runtime') throw pe;
        last = e;
        if (/BlockhashNotFound|Blockhash not found|AlreadyProcessed/.test(String(e))) continue;
        throw pe ?? e;
      }
      const deadline = Date.now() + confirmMs;
      while (Date.now() < deadline) {
        const st = (await this.connection.getSignatureStatuses([sig])).value[0];
        if (st?.err) throw programError(JSON.stringify(st.err));
        if (st) return sig;
        if ((await this.connection.getBlockHeight('confirmed')) > lastValidBlockHeight) break;
        await new Promise((r) => setTimeout(r, pollMs));
      }
      last = new Error(`transaction ${sig} not confirmed`);
    }
    throw last instanceof Error ? last : new Error(String(last));
  }
}

/** A send failure as a typed ProgramError when the program (or runtime) rejected it. */
export function asProgramError(e: unknown): ProgramError | null {
  if (e instanceof ProgramError) return e;
  if (e instanceof SendTransactionError || (e instanceof Error && /simulation failed/i.test(e.message))) {
    const logs = (e as { logs?: string[] }).logs ?? [];
    return programError((e as Error).message, logs);
  }
  return null;
}
