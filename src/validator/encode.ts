// Solana RPC's JSON shapes for accounts and transactions: every account encoding (base58,
// base64, base64+zstd, jsonParsed for SPL Token accounts and mints) with dataSlice, and
// transactions as json, jsonParsed (System, SPL Token and Memo instructions decoded) or
// base64/base58 wire bytes, with their status meta.
import bs58 from 'bs58';
import { PublicKey } from '@solana/web3.js';
import { uiAmount, type AccountView, type InnerIx, type TxRecord } from './ledger.js';
import { analyze } from './txinfo.js';

export class RpcError extends Error {
  constructor(readonly code: number, message: string, readonly data?: unknown) { super(message); }
}
export const invalidParams = (msg: string) => new RpcError(-32602, `Invalid params: ${msg}`);

const SYSTEM = '11111111111111111111111111111111';
const TOKEN = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
const TOKEN_2022 = 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb';
const MEMOS = new Set(['MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr', 'Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo']);
export const isTokenProgram = (p: string) => p === TOKEN || p === TOKEN_2022;

export interface DataSlice { offset: number; length: number }
export type AccountEncoding = 'base58' | 'base64' | 'base64+zstd' | 'jsonParsed' | 'binary';
const ACCOUNT_ENCODINGS = new Set(['base58', 'base64', 'base64+zstd', 'jsonParsed', 'binary']);

export function accountEncoding(v: unknown, dflt: AccountEncoding = 'binary'): AccountEncoding {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'string' || !ACCOUNT_ENCODINGS.has(v)) throw invalidParams(`unknown encoding ${JSON.stringify(v)}`);
  return v as AccountEncoding;
}

export function dataSlice(v: unknown): DataSlice | undefined {
  if (v === undefined || v === null) return undefined;
  const s = v as Partial<DataSlice>;
  if (typeof s !== 'object' || !Number.isSafeInteger(s.offset) || !Number.isSafeInteger(s.length) || s.offset! < 0 || s.length! < 0) throw invalidParams('dataSlice needs non-negative integer offset and length');
  return s as DataSlice;
}

/**
 * A zstd frame (RFC 8878) holding `data` in raw (stored) blocks: any zstd decoder reads it.
 * It is valid `base64+zstd` without a compressor dependency; the bytes are not made smaller.
 */
export function zstdFrame(data: Uint8Array): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(9);
  head.writeUInt32LE(0xfd2fb528, 0);
  head[4] = 0xa0; // Frame_Content_Size_flag = 2 (4 bytes), Single_Segment_flag = 1, no checksum, no dictionary
  head.writeUInt32LE(data.length, 5);
  parts.push(head);
  const MAX = 128 * 1024;
  let o = 0;
  do {
    const n = Math.min(MAX, data.length - o);
    const last = o + n >= data.length ? 1 : 0;
    const h = (n << 3) | (0 << 1) | last; // Block_Type 0 = Raw_Block
    parts.push(Buffer.from([h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]), Buffer.from(data.subarray(o, o + n)));
    o += n;
  } while (o < data.length);
  return Buffer.concat(parts);
}

function coption(d: Buffer, at: number): string | null { return d.readUInt32LE(at) === 1 ? bs58.encode(d.subarray(at + 4, at + 36)) : null; }

/** SPL Token / Token-2022 account or mint as RPC's jsonParsed shows it; null when it is neither. */
export function parseTokenAccount(owner: string, data: Uint8Array, mintDecimals: (mint: string) => number | null): unknown | null {
  if (!isTokenProgram(owner)) return null;
  const d = Buffer.from(data);
  const program = owner === TOKEN ? 'spl-token' : 'spl-token-2022';
  const kind = d.length === 82 ? 'mint' : d.length === 165 ? 'account' : d.length > 165 && owner === TOKEN_2022 ? (d[165] === 1 ? 'mint' : d[165] === 2 ? 'account' : null) : null;
  if (kind === 'mint') {
    if (!d[45]) return null;
    return { program, parsed: { type: 'mint', info: { decimals: d[44], freezeAuthority: coption(d, 46), isInitialized: true, mintAuthority: coption(d, 0), supply: d.readBigUInt64LE(36).toString() } }, space: d.length };
  }
  if (kind === 'account') {
    const state = d[108];
    if (!state) return null;
    const mint = bs58.encode(d.subarray(0, 32));
    const decimals = mintDecimals(mint);
    if (decimals === null) return null;
    const info: Record<string, unknown> = {
      isNative: d.readUInt32LE(109) === 1, mint, owner: bs58.encode(d.subarray(32, 64)), state: state === 2 ? 'frozen' : 'initialized',
      tokenAmount: uiAmount(d.readBigUInt64LE(64), decimals),
    };
    const delegate = coption(d, 72);
    if (delegate) { info.delegate = delegate; info.delegatedAmount = uiAmount(d.readBigUInt64LE(121), decimals); }
    if (info.isNative) info.rentExemptReserve = uiAmount(d.readBigUInt64LE(113), decimals);
    const close = coption(d, 129);
    if (close) info.closeAuthority = close;
    return { program, parsed: { type: 'account', info }, space: d.length };
  }
  return null;
}

export function encodeAccount(a: AccountView | null, encoding: AccountEncoding, slice: DataSlice | undefined, mintDecimals: (mint: string) => number | null): unknown {
  if (!a) return null;
  const owner = a.owner.toBase58();
  const base = { executable: a.executable, lamports: Number(a.lamports), owner, rentEpoch: 18446744073709551615, space: a.data.length };
  if (encoding === 'jsonParsed' && !slice) {
    const parsed = parseTokenAccount(owner, a.data, mintDecimals);
    if (parsed) return { ...base, data: parsed };
  }
  const data = slice ? a.data.subarray(slice.offset, slice.offset + slice.length) : a.data;
  if (encoding === 'base58' || encoding === 'binary') {
    if (data.length > 128) throw new RpcError(-32600, `Encoded binary (base 58) data should be less than 128 bytes, please use Base64 encoding.`);
    return { ...base, data: encoding === 'binary' ? bs58.encode(data) : [bs58.encode(data), 'base58'] };
  }
  if (encoding === 'base64+zstd') return { ...base, data: [zstdFrame(data).toString('base64'), 'base64+zstd'] };
  return { ...base, data: [Buffer.from(data).toString('base64'), 'base64'] };
}

export type Filter = { dataSize?: number; memcmp?: { offset: number; bytes: string; encoding?: string } };
export function parseFilters(v: unknown): Filter[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.length > 4) throw invalidParams('filters must be an array of at most 4 filters');
  return v.map((f) => {
    if (f && typeof f === 'object' && 'dataSize' in f && Number.isSafeInteger(f.dataSize)) return { dataSize: f.dataSize };
    if (f && typeof f === 'object' && 'memcmp' in f && f.memcmp && Number.isSafeInteger(f.memcmp.offset) && typeof f.memcmp.bytes === 'string') {
      const e = f.memcmp.encoding ?? 'base58';
      if (e !== 'base58' && e !== 'base64') throw invalidParams(`memcmp encoding ${String(e)}`);
      if (e === 'base58' && f.memcmp.bytes.length > 175) throw invalidParams('base58 memcmp bytes too long');
      return { memcmp: { offset: f.memcmp.offset, bytes: f.memcmp.bytes, encoding: e } };
    }
    throw invalidParams(`unsupported filter ${JSON.stringify(f)}`);
  });
}

export function matches(data: Uint8Array, filters: Filter[]): boolean {
  return filters.every((f) => {
    if (f.dataSize !== undefined) return data.length === f.dataSize;
    const m = f.memcmp!;
    let want: Uint8Array;
    try { want = m.encoding === 'base64' ? Buffer.from(m.bytes, 'base64') : bs58.decode(m.bytes); } catch { throw invalidParams('memcmp bytes do not decode'); }
    return m.offset + want.length <= data.length && Buffer.from(data.subarray(m.offset, m.offset + want.length)).equals(Buffer.from(want));
  });
}

// ---- transactions -------------------------------------------------------------------------

export type TxEncoding = 'json' | 'jsonParsed' | 'base64' | 'base58';
export function txEncoding(v: unknown): TxEncoding {
  if (v === undefined || v === null) return 'json';
  if (v === 'json' || v === 'jsonParsed' || v === 'base64' || v === 'base58') return v;
  throw invalidParams(`unknown encoding ${JSON.stringify(v)}`);
}

interface Ix { programIdIndex: number; accounts: number[]; data: Uint8Array; stackHeight: number | null }

function u64(d: Buffer, o: number): number | string { const v = d.readBigUInt64LE(o); return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString(); }

function parseSystem(d: Buffer, a: string[]): { type: string; info: Record<string, unknown> } | null {
  if (d.length < 4) return null;
  const tag = d.readUInt32LE(0);
  const seedAt = (o: number) => { const n = Number(d.readBigUInt64LE(o)); return { seed: d.subarray(o + 8, o + 8 + n).toString('utf8'), end: o + 8 + n }; };
  switch (tag) {
    case 0: return { type: 'createAccount', info: { source: a[0], newAccount: a[1], lamports: u64(d, 4), space: u64(d, 12), owner: bs58.encode(d.subarray(20, 52)) } };
    case 1: return { type: 'assign', info: { account: a[0], owner: bs58.encode(d.subarray(4, 36)) } };
    case 2: return { type: 'transfer', info: { source: a[0], destination: a[1], lamports: u64(d, 4) } };
    case 3: { const base = bs58.encode(d.subarray(4, 36)); const s = seedAt(36); return { type: 'createAccountWithSeed', info: { source: a[0], newAccount: a[1], base, seed: s.seed, lamports: u64(d, s.end), space: u64(d, s.end + 8), owner: bs58.encode(d.subarray(s.end + 16, s.end + 48)) } }; }
    case 8: return { type: 'allocate', info: { account: a[0], space: u64(d, 4) } };
    case 11: { const lamports = u64(d, 4); const s = seedAt(12); return { type: 'transferWithSeed', info: { source: a[0], sourceBase: a[1], destination: a[2], lamports, sourceSeed: s.seed, sourceOwner: bs58.encode(d.subarray(s.end, s.end + 32)) } }; }
    default: return null;
  }
}

function parseToken(d: Buffer, a: string[]): { type: string; info: Record<string, unknown> } | null {
  if (d.length < 1) return null;
  const amount = () => d.readBigUInt64LE(1).toString();
  const checked = () => uiAmount(d.readBigUInt64LE(1), d[9]!);
  const auth = (i: number, name: string) => (a.length > i + 1 ? { [`multisig${name[0]!.toUpperCase()}${name.slice(1)}`]: a[i], signers: a.slice(i + 1) } : { [name]: a[i] });
  const mintInit = (o: number) => ({ decimals: d[o], mintAuthority: bs58.encode(d.subarray(o + 1, o + 33)), ...(d[o + 33] === 1 ? { freezeAuthority: bs58.encode(d.subarray(o + 34, o + 66)) } : {}) });
  switch (d[0]) {
    case 0: return { type: 'initializeMint', info: { mint: a[0], ...mintInit(1), rentSysvar: a[1] } };
    case 1: return { type: 'initializeAccount', info: { account: a[0], mint: a[1], owner: a[2], rentSysvar: a[3] } };
    case 3: return { type: 'transfer', info: { source: a[0], destination: a[1], amount: amount(), ...auth(2, 'authority') } };
    case 4: return { type: 'approve', info: { source: a[0], delegate: a[1], amount: amount(), ...auth(2, 'owner') } };
    case 5: return { type: 'revoke', info: { source: a[0], ...auth(1, 'owner') } };
    case 7: return { type: 'mintTo', info: { mint: a[0], account: a[1], amount: amount(), ...auth(2, 'mintAuthority') } };
    case 8: return { type: 'burn', info: { account: a[0], mint: a[1], amount: amount(), ...auth(2, 'authority') } };
    case 9: return { type: 'closeAccount', info: { account: a[0], destination: a[1], ...auth(2, 'owner') } };
    case 12: return { type: 'transferChecked', info: { source: a[0], mint: a[1], destination: a[2], tokenAmount: checked(), ...auth(3, 'authority') } };
    case 14: return { type: 'mintToChecked', info: { mint: a[0], account: a[1], tokenAmount: checked(), ...auth(2, 'mintAuthority') } };
    case 15: return { type: 'burnChecked', info: { account: a[0], mint: a[1], tokenAmount: checked(), ...auth(2, 'authority') } };
    case 16: return { type: 'initializeAccount2', info: { account: a[0], mint: a[1], owner: bs58.encode(d.subarray(1, 33)), rentSysvar: a[2] } };
    case 17: return { type: 'syncNative', info: { account: a[0] } };
    case 18: return { type: 'initializeAccount3', info: { account: a[0], mint: a[1], owner: bs58.encode(d.subarray(1, 33)) } };
    case 20: return { type: 'initializeMint2', info: { mint: a[0], ...mintInit(1) } };
    default: return null;
  }
}

function parsedIx(ix: Ix, keys: string[]): unknown {
  const programId = keys[ix.programIdIndex]!;
  const accounts = ix.accounts.map((i) => keys[i]!);
  const d = Buffer.from(ix.data);
  let parsed: unknown = null, program = '';
  try {
    if (programId === SYSTEM) { program = 'system'; parsed = parseSystem(d, accounts); }
    else if (isTokenProgram(programId)) { program = 'spl-token'; parsed = parseToken(d, accounts); }
    else if (MEMOS.has(programId)) { program = 'spl-memo'; const s = new TextDecoder('utf-8', { fatal: true }).decode(d); parsed = s; }
  } catch { parsed = null; }
  if (parsed !== null) return { program, programId, parsed, stackHeight: ix.stackHeight };
  return { programId, accounts, data: bs58.encode(d), stackHeight: ix.stackHeight };
}

const jsonIx = (ix: Ix) => ({ programIdIndex: ix.programIdIndex, accounts: ix.accounts, data: bs58.encode(ix.data), stackHeight: ix.stackHeight });

export interface TxView {
  keys: string[]; writable: boolean[]; signer: boolean[]; loaded: { writable: string[]; readonly: string[] }; version: 'legacy' | 0;
  signatures: string[]; header: { numRequiredSignatures: number; numReadonlySignedAccounts: number; numReadonlyUnsignedAccounts: number };
  staticKeys: string[]; blockhash: string; instructions: Ix[];
  lookups: Array<{ accountKey: string; writableIndexes: number[]; readonlyIndexes: number[] }>;
}

/** Re-reads a stored transaction's message (the record keeps the loaded addresses it resolved). */
export function viewOf(r: TxRecord): TxView {
  const loaded = r.loadedAddresses;
  const a = analyze(Buffer.from(r.wire, 'base64'), () => null, { loaded });
  const m = a.vt.message;
  return {
    keys: r.keys, writable: r.writable, signer: r.signer, loaded, version: r.version, signatures: a.signatures, header: m.header,
    staticKeys: m.staticAccountKeys.map((k) => k.toBase58()), blockhash: m.recentBlockhash,
    instructions: m.compiledInstructions.map((ix) => ({ programIdIndex: ix.programIdIndex, accounts: [...ix.accountKeyIndexes], data: ix.data, stackHeight: null })),
    lookups: m.addressTableLookups.map((l) => ({ accountKey: l.accountKey.toBase58(), writableIndexes: [...l.writableIndexes], readonlyIndexes: [...l.readonlyIndexes] })),
  };
}

export function parsedAccountKeys(v: Pick<TxView, 'keys' | 'writable' | 'signer' | 'staticKeys'>) {
  return v.keys.map((pubkey, i) => ({ pubkey, signer: v.signer[i], writable: v.writable[i], source: i < v.staticKeys.length ? 'transaction' : 'lookupTable' }));
}

export function encodeInner(inner: Array<{ index: number; instructions: InnerIx[] }>, keys: string[], parsed: boolean) {
  return inner.map((g) => ({
    index: g.index,
    instructions: g.instructions.map((ix) => {
      const x: Ix = { programIdIndex: ix.programIdIndex, accounts: ix.accounts, data: bs58.decode(ix.data), stackHeight: ix.stackHeight };
      return parsed ? parsedIx(x, keys) : jsonIx(x);
    }),
  }));
}

export function encodeTransaction(r: TxRecord, encoding: TxEncoding, v: TxView = viewOf(r)): unknown {
  if (encoding === 'base64') return [r.wire, 'base64'];
  if (encoding === 'base58') return [bs58.encode(Buffer.from(r.wire, 'base64')), 'base58'];
  const parsed = encoding === 'jsonParsed';
  const message: Record<string, unknown> = parsed
    ? { accountKeys: parsedAccountKeys(v), recentBlockhash: v.blockhash, instructions: v.instructions.map((ix) => parsedIx(ix, v.keys)) }
    : { header: v.header, accountKeys: v.staticKeys, recentBlockhash: v.blockhash, instructions: v.instructions.map(jsonIx) };
  if (v.version === 0) message.addressTableLookups = v.lookups;
  return { signatures: v.signatures, message };
}

export function encodeMeta(r: TxRecord, encoding: TxEncoding, v: TxView, { logs = true, inner = true } = {}): unknown {
  const parsed = encoding === 'jsonParsed';
  return {
    err: r.err, status: r.err ? { Err: r.err } : { Ok: null }, fee: r.fee,
    preBalances: r.preBalances, postBalances: r.postBalances,
    ...(inner ? { innerInstructions: encodeInner(r.innerInstructions, v.keys, parsed) } : {}),
    ...(logs ? { logMessages: r.logs } : {}),
    preTokenBalances: r.preTokenBalances, postTokenBalances: r.postTokenBalances, rewards: [],
    loadedAddresses: r.loadedAddresses, computeUnitsConsumed: r.unitsConsumed,
    ...(r.returnData ? { returnData: r.returnData } : {}),
  };
}

/** `maxSupportedTransactionVersion` check: a v0 transaction needs the caller to accept version 0. */
export function checkVersion(r: TxRecord, max: unknown): void {
  if (max !== undefined && max !== null && max !== 0) throw invalidParams('maxSupportedTransactionVersion must be 0');
  if (r.version === 0 && (max === undefined || max === null)) {
    throw new RpcError(-32015, 'Transaction version (0) is not supported by the requesting client. Please try the request again with the following configuration parameter: "maxSupportedTransactionVersion": 0');
  }
}

export function pubkeyParam(v: unknown, what = 'pubkey'): string {
  if (typeof v !== 'string') throw invalidParams(`${what} must be a base-58 string`);
  try { return new PublicKey(v).toBase58(); } catch { throw invalidParams(`Invalid ${what}: ${v.slice(0, 64)}`); }
}
