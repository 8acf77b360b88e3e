// What the validator learns from a transaction's wire bytes without executing it: its message
// (account keys with signer/writable flags, loaded lookup-table addresses, instructions), the
// fee a cluster charges for it, its compute-unit price; and the runtime's error text turned
// into the JSON shape Solana's RPC uses.
import { PublicKey, VersionedTransaction, type MessageCompiledInstruction } from '@solana/web3.js';
import bs58 from 'bs58';

export const LAMPORTS_PER_SIGNATURE = 5000n;
export const COMPUTE_BUDGET_PROGRAM = 'ComputeBudget111111111111111111111111111111';
const PRECOMPILES = new Set(['Ed25519SigVerify111111111111111111111111111', 'KeccakSecp256k11111111111111111111111111111', 'Secp256r1SigVerify1111111111111111111111111']);
const MAX_CU_LIMIT = 1_400_000n;
const DEFAULT_CU_PER_IX = 200_000n;
const DEFAULT_CU_PER_BUILTIN_IX = 3_000n;
/** Built-in programs: an instruction of theirs reserves 3000 CUs by default, any other 200k. */
const BUILTINS = new Set([
  '11111111111111111111111111111111', COMPUTE_BUDGET_PROGRAM, 'Vote111111111111111111111111111111111111111', 'Stake11111111111111111111111111111111111111',
  'Config1111111111111111111111111111111111111', 'BPFLoader1111111111111111111111111111111111', 'BPFLoader2111111111111111111111111111111111',
  'BPFLoaderUpgradeab1e11111111111111111111111', 'LoaderV411111111111111111111111111111111111', 'AddressLookupTab1e1111111111111111111111111', ...PRECOMPILES,
]);

export interface AnalyzedTx {
  vt: VersionedTransaction;
  version: 'legacy' | 0;
  signature: string;
  signatures: string[];
  /** static keys, then lookup-table writable, then lookup-table readonly (the runtime's order) */
  keys: string[];
  writable: boolean[];
  signer: boolean[];
  loaded: { writable: string[]; readonly: string[] };
  instructions: MessageCompiledInstruction[];
  blockhash: string;
}

export class TxDecodeError extends Error {}

/** Reads lookup-table account data (addresses start after the 56-byte header). */
export type TableReader = (table: PublicKey) => Uint8Array | null;

/** `known.loaded`: addresses resolved when the transaction ran (stored records), instead of reading tables. */
export function analyze(wire: Uint8Array, readTable: TableReader, known?: { loaded: { writable: string[]; readonly: string[] } }): AnalyzedTx {
  let vt: VersionedTransaction;
  try { vt = VersionedTransaction.deserialize(wire); } catch (e) { throw new TxDecodeError(`invalid transaction: ${(e as Error).message}`); }
  const m = vt.message;
  const statics = m.staticAccountKeys.map((k) => k.toBase58());
  const loaded = known ? known.loaded : { writable: [] as string[], readonly: [] as string[] };
  if (!known) for (const l of m.addressTableLookups) {
    const data = readTable(l.accountKey);
    if (!data) throw new TxDecodeError(`AddressLookupTableNotFound: ${l.accountKey.toBase58()}`);
    const at = (i: number) => {
      const o = 56 + 32 * i;
      if (o + 32 > data.length) throw new TxDecodeError('InvalidAddressLookupTableIndex');
      return bs58.encode(data.subarray(o, o + 32));
    };
    loaded.writable.push(...l.writableIndexes.map(at));
    loaded.readonly.push(...l.readonlyIndexes.map(at));
  }
  const keys = [...statics, ...loaded.writable, ...loaded.readonly];
  const h = m.header;
  const nSigned = h.numRequiredSignatures;
  const writable = keys.map((_, i) => {
    if (i < statics.length) {
      if (i < nSigned) return i < nSigned - h.numReadonlySignedAccounts;
      return i < statics.length - h.numReadonlyUnsignedAccounts;
    }
    return i < statics.length + loaded.writable.length;
  });
  const signer = keys.map((_, i) => i < nSigned);
  const signatures = vt.signatures.map((s) => bs58.encode(s));
  return {
    vt, version: vt.version === 'legacy' ? 'legacy' : 0, signature: signatures[0] ?? '', signatures, keys, writable, signer, loaded,
    instructions: m.compiledInstructions, blockhash: m.recentBlockhash,
  };
}

/** Compute-unit price (micro-lamports) and limit the transaction asks for, as the runtime reads them. */
export function computeBudget(tx: Pick<AnalyzedTx, 'keys' | 'instructions'>): { price: bigint; limit: bigint } {
  let price = 0n, limit: bigint | null = null, dflt = 0n;
  for (const ix of tx.instructions) {
    const program = tx.keys[ix.programIdIndex] ?? '';
    dflt += BUILTINS.has(program) ? DEFAULT_CU_PER_BUILTIN_IX : DEFAULT_CU_PER_IX;
    if (program !== COMPUTE_BUDGET_PROGRAM) continue;
    const d = Buffer.from(ix.data);
    if (d[0] === 2 && d.length >= 5) limit = BigInt(d.readUInt32LE(1));
    if (d[0] === 3 && d.length >= 9) price = d.readBigUInt64LE(1);
  }
  const lim = limit ?? dflt;
  return { price, limit: lim > MAX_CU_LIMIT ? MAX_CU_LIMIT : lim };
}

/** A cluster's fee: 5000 lamports per signature (precompile signatures included) + priority fee. */
export function feeFor(tx: Pick<AnalyzedTx, 'keys' | 'instructions'> & { numSignatures: number }): bigint {
  let sigs = BigInt(tx.numSignatures);
  for (const ix of tx.instructions) if (PRECOMPILES.has(tx.keys[ix.programIdIndex] ?? '') && ix.data.length > 0) sigs += BigInt(ix.data[0]!);
  const { price, limit } = computeBudget(tx);
  return sigs * LAMPORTS_PER_SIGNATURE + (price * limit + 999_999n) / 1_000_000n;
}

/**
 * The runtime's error as LiteSVM prints it (Rust Debug) → the JSON Solana's RPC returns:
 * `InstructionError(0, Custom(16))` → `{"InstructionError":[0,{"Custom":16}]}`,
 * `InsufficientFundsForRent { account_index: 1 }` → `{"InsufficientFundsForRent":{"account_index":1}}`,
 * `AccountNotFound` → `"AccountNotFound"`.
 */
export function rpcError(text: string): unknown {
  const m = /err: (.*?)(?:, meta: TransactionMetadata|\s*\}\s*\)?$)/s.exec(text);
  const src = (m ? m[1]! : text.replace(/^FailedTransactionMetadata\W*/, '')).trim();
  try {
    const p = new DebugParser(src);
    const v = p.value();
    return v;
  } catch {
    return src;
  }
}

class DebugParser {
  private i = 0;
  constructor(private readonly s: string) {}
  private ws() { while (/\s/.test(this.s[this.i] ?? '')) this.i++; }
  private peek() { this.ws(); return this.s[this.i]; }
  private eat(c: string) { if (this.peek() !== c) throw new Error(`expected ${c}`); this.i++; }
  value(): unknown {
    const c = this.peek();
    if (c === '"') { const m = /^"((?:[^"\\]|\\.)*)"/.exec(this.s.slice(this.i)); if (!m) throw new Error('string'); this.i += m[0].length; return JSON.parse(m[0]); }
    if (c !== undefined && /[-0-9]/.test(c)) { const m = /^-?\d+/.exec(this.s.slice(this.i))!; this.i += m[0].length; return Number(m[0]); }
    if (c === '[') { this.i++; const out: unknown[] = []; while (this.peek() !== ']') { out.push(this.value()); if (this.peek() === ',') this.i++; } this.i++; return out; }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i));
    if (!m) throw new Error('ident');
    this.i += m[0].length;
    const name = m[0];
    const n = this.peek();
    if (n === '(') {
      this.i++;
      const args: unknown[] = [];
      while (this.peek() !== ')') { args.push(this.value()); if (this.peek() === ',') this.i++; }
      this.i++;
      return { [name]: args.length === 1 ? args[0] : args };
    }
    if (n === '{') {
      this.i++;
      const obj: Record<string, unknown> = {};
      while (this.peek() !== '}') {
        const k = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i));
        if (!k) throw new Error('field');
        this.i += k[0].length;
        this.eat(':');
        obj[k[0]] = this.value();
        if (this.peek() === ',') this.i++;
      }
      this.i++;
      return { [name]: obj };
    }
    if (name === 'true' || name === 'false') return name === 'true';
    return name;
  }
}
