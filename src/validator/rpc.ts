// The validator's HTTP JSON-RPC methods, in Solana's shapes and error codes. Every handler
// treats its params as hostile: types and sizes are checked and a bad value is an "Invalid
// params" (-32602) error, never an internal one.
import bs58 from 'bs58';
import { PublicKey, VersionedMessage, VersionedTransaction } from '@solana/web3.js';
import { BLOCKHASH_WINDOW, FINALITY_DEPTH, LedgerRejection, uiAmount, type Commitment, type Ledger, type TxOutcome, type TxRecord } from './ledger.js';
import {
  accountEncoding, checkVersion, dataSlice, encodeAccount, encodeInner, encodeMeta, encodeTransaction, invalidParams, isTokenProgram, matches,
  parseFilters, parsedAccountKeys, parseTokenAccount, pubkeyParam, RpcError, txEncoding, viewOf,
} from './encode.js';
import { feeFor } from './txinfo.js';

export const VALIDATOR_VERSION = 'splitup-local-validator 0.2.0 (litesvm 1.5)';
export const API_VERSION = '2.2.0';
export const SLOTS_PER_EPOCH = 432_000;
const MAX_SIGNATURE_STATUSES = 256;
const MAX_MULTIPLE_ACCOUNTS = 100;
const MAX_GET_BLOCKS_RANGE = 500_000;
const MAX_SIGNATURES_LIMIT = 1000;

// Solana's JSON-RPC server error codes (agave rpc-client-api custom_error.rs)
export const ERR = {
  BLOCK_CLEANED_UP: -32001,
  SEND_TRANSACTION_PREFLIGHT_FAILURE: -32002,
  TRANSACTION_SIGNATURE_VERIFICATION_FAILURE: -32003,
  BLOCK_NOT_AVAILABLE: -32004,
  UNSUPPORTED_TRANSACTION_VERSION: -32015,
  MIN_CONTEXT_SLOT_NOT_REACHED: -32016,
} as const;

export type Method = (params: unknown[]) => unknown;

type Cfg = Record<string, unknown>;
function cfg(p: unknown[], i: number): Cfg {
  const c = p[i];
  if (c === undefined || c === null) return {};
  if (typeof c !== 'object' || Array.isArray(c)) throw invalidParams(`argument ${i} must be a configuration object`);
  return c as Cfg;
}
function commitment(c: Cfg, min: Commitment = 'processed', dflt: Commitment = 'finalized'): Commitment {
  const v = c.commitment ?? dflt;
  const legacy: Record<string, Commitment> = { recent: 'processed', single: 'confirmed', singleGossip: 'confirmed', max: 'finalized', root: 'finalized' };
  const n = (typeof v === 'string' && (legacy[v] ?? v)) as Commitment;
  if (n !== 'processed' && n !== 'confirmed' && n !== 'finalized') throw invalidParams(`unknown commitment ${JSON.stringify(v)}`);
  if (min === 'confirmed' && n === 'processed') throw invalidParams('Method does not support commitment below `confirmed`');
  return n;
}
function int(v: unknown, what: string, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw invalidParams(`${what} must be an integer in [${min}, ${max}]`);
  return v;
}
function str(v: unknown, what: string, maxLen = 2048): string {
  if (typeof v !== 'string' || v.length > maxLen) throw invalidParams(`${what} must be a string of at most ${maxLen} characters`);
  return v;
}

/** The slot a request is answered at; refuses when `minContextSlot` is ahead of it. */
function at(l: Ledger, c: Cfg, level: Commitment): number {
  const slot = l.slotAt(level);
  if (c.minContextSlot !== undefined && c.minContextSlot !== null) {
    const min = int(c.minContextSlot, 'minContextSlot');
    if (min > slot) throw new RpcError(ERR.MIN_CONTEXT_SLOT_NOT_REACHED, 'Minimum context slot has not been reached', { contextSlot: slot });
  }
  return slot;
}
const context = (slot: number) => ({ slot, apiVersion: API_VERSION });

function decodeWire(encoded: unknown, encoding: unknown): Uint8Array {
  if (typeof encoded !== 'string' || encoded.length > 1644 * 2) throw invalidParams('transaction must be an encoded string of a transaction of at most 1232 bytes');
  const e = encoding ?? 'base58';
  let b: Uint8Array;
  try {
    if (e === 'base64') b = new Uint8Array(Buffer.from(encoded, 'base64'));
    else if (e === 'base58') b = bs58.decode(encoded);
    else throw invalidParams(`unsupported encoding ${JSON.stringify(e)}; use base58 or base64`);
  } catch (x) { if (x instanceof RpcError) throw x; throw invalidParams(`invalid ${String(e)} encoding`); }
  if (b.length > 1232) throw invalidParams(`encoded transaction too large: ${b.length} bytes (max 1232)`);
  return b;
}

export function preflightFailure(o: Pick<TxOutcome, 'err' | 'logs' | 'unitsConsumed'>): RpcError {
  return new RpcError(ERR.SEND_TRANSACTION_PREFLIGHT_FAILURE, `Transaction simulation failed: ${errText(o.err)}`,
    { err: o.err, logs: o.logs, accounts: null, unitsConsumed: Number(o.unitsConsumed), returnData: null, innerInstructions: null });
}
// TransactionError's Display text (what a cluster puts in "Transaction simulation failed: …")
const ERR_TEXT: Record<string, string> = {
  AccountInUse: 'Account in use', AccountLoadedTwice: 'Account loaded twice',
  AccountNotFound: 'Attempt to debit an account but found no record of a prior credit.',
  ProgramAccountNotFound: 'Attempt to load a program that does not exist', InsufficientFundsForFee: 'Insufficient funds for fee',
  InvalidAccountForFee: 'This account may not be used to pay transaction fees', AlreadyProcessed: 'This transaction has already been processed',
  BlockhashNotFound: 'Blockhash not found', SignatureFailure: 'Transaction did not pass signature verification',
  SanitizeFailure: 'Transaction failed to sanitize accounts offsets correctly', InvalidProgramForExecution: 'Attempt to load a program that does not exist',
};
function errText(err: unknown): string {
  if (typeof err === 'string') return ERR_TEXT[err] ?? err.replace(/([a-z])([A-Z])/g, '$1 $2');
  const e = err as { InstructionError?: [number, unknown]; InsufficientFundsForRent?: { account_index: number } };
  if (e?.InstructionError) {
    const [i, x] = e.InstructionError;
    const detail = typeof x === 'string' ? x.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase() : (x as { Custom?: number }).Custom !== undefined ? `custom program error: 0x${(x as { Custom: number }).Custom.toString(16)}` : JSON.stringify(x);
    return `Error processing Instruction ${i}: ${detail}`;
  }
  if (e?.InsufficientFundsForRent) return `Transaction results in an account (${e.InsufficientFundsForRent.account_index}) with insufficient funds for rent`;
  return JSON.stringify(err);
}

/** The error a rejection from the ledger becomes (bad signature, unknown block hash, …). */
export function rejection(e: LedgerRejection): RpcError {
  if (e.kind === 'SignatureFailure') return new RpcError(ERR.TRANSACTION_SIGNATURE_VERIFICATION_FAILURE, 'Transaction signature verification failure');
  if (e.kind === 'SanitizeFailure') return invalidParams(`failed to deserialize transaction: ${e.message}`);
  if (e.kind === 'AirdropFailed') return new RpcError(-32603, `Internal error: ${e.message}`);
  return preflightFailure({ err: e.err, logs: e.logs, unitsConsumed: 0n });
}

function confirmationOf(l: Ledger, slot: number): { confirmations: number | null; confirmationStatus: Commitment } {
  const cur = Number(l.slot);
  if (l.reached(slot, 'finalized')) return { confirmations: null, confirmationStatus: 'finalized' };
  return { confirmations: cur - slot, confirmationStatus: l.reached(slot, 'confirmed') ? 'confirmed' : 'processed' };
}
const reached = (l: Ledger, slot: number, c: Commitment) => l.reached(slot, c);

export function rpcMethods(l: Ledger): Record<string, Method> {
  const decimals = (mint: string): number | null => {
    const m = l.account(mint);
    return m && isTokenProgram(m.owner.toBase58()) && m.data.length >= 82 && m.data[45] ? m.data[44]! : null;
  };
  const acct = (k: string, c: Cfg) => encodeAccount(l.account(k), accountEncoding(c.encoding), dataSlice(c.dataSlice), decimals);
  const tokenAccount = (k: string) => {
    const a = l.account(k);
    const p = a && parseTokenAccount(a.owner.toBase58(), a.data, decimals) as { parsed: { type: string; info: { tokenAmount?: unknown; decimals?: number; supply?: string } } } | null;
    return p ?? null;
  };
  const fullTx = (r: TxRecord, c: Cfg, extra: Record<string, unknown> = {}) => {
    checkVersion(r, c.maxSupportedTransactionVersion);
    const e = txEncoding(c.encoding);
    const v = viewOf(r);
    return { ...extra, transaction: encodeTransaction(r, e, v), meta: encodeMeta(r, e, v), ...(c.maxSupportedTransactionVersion !== undefined && c.maxSupportedTransactionVersion !== null ? { version: r.version } : {}) };
  };
  const blockAvailable = (slot: number, c: Commitment) => {
    if (slot < l.firstSlot) throw new RpcError(ERR.BLOCK_CLEANED_UP, `Block ${slot} cleaned up, does not exist on node. First available block: ${l.firstSlot}`);
    if (!reached(l, slot, c)) throw new RpcError(ERR.BLOCK_NOT_AVAILABLE, `Block not available for slot ${slot}`);
  };

  const m: Record<string, Method> = {
    getHealth: () => 'ok',
    getVersion: () => ({ 'solana-core': VALIDATOR_VERSION, 'feature-set': 0 }),
    getIdentity: () => ({ identity: l.faucetKey.toBase58() }),
    getGenesisHash: () => l.genesisHash,
    getFirstAvailableBlock: () => l.firstSlot,
    getMinimumLedgerSlot: () => l.firstSlot,
    getSlot: (p) => { const c = cfg(p, 0); return at(l, c, commitment(c)); },
    getBlockHeight: (p) => { const c = cfg(p, 0); return at(l, c, commitment(c)); },
    getTransactionCount: (p) => { const c = cfg(p, 0); at(l, c, commitment(c)); return l.transactionCount; },
    getEpochSchedule: () => ({ slotsPerEpoch: SLOTS_PER_EPOCH, leaderScheduleSlotOffset: SLOTS_PER_EPOCH, warmup: false, firstNormalEpoch: 0, firstNormalSlot: 0 }),
    getEpochInfo: (p) => {
      const c = cfg(p, 0);
      const s = at(l, c, commitment(c));
      return { absoluteSlot: s, blockHeight: s, epoch: Math.floor(s / SLOTS_PER_EPOCH), slotIndex: s % SLOTS_PER_EPOCH, slotsInEpoch: SLOTS_PER_EPOCH, transactionCount: l.transactionCount };
    },
    getBlockTime: async (p) => {
      const slot = int(p[0], 'slot');
      const t = l.blockTime(BigInt(slot)) ?? (await l.block(slot))?.blockTime ?? null;
      if (t === null) throw new RpcError(ERR.BLOCK_NOT_AVAILABLE, `Block not available for slot ${slot}`);
      return Number(t);
    },
    getLatestBlockhash: (p) => {
      const c = cfg(p, 0);
      const s = at(l, c, commitment(c));
      const b = l.latestBlockhash;
      return { context: context(s), value: { blockhash: b.blockhash, lastValidBlockHeight: Number(b.lastValidBlockHeight) } };
    },
    isBlockhashValid: (p) => { const c = cfg(p, 1); const s = at(l, c, commitment(c)); return { context: context(s), value: l.isBlockhashValid(str(p[0], 'blockhash', 64)) }; },
    getFeeForMessage: (p) => {
      const c = cfg(p, 1);
      const s = at(l, c, commitment(c));
      let msg: VersionedMessage;
      try { msg = VersionedMessage.deserialize(Buffer.from(str(p[0], 'message', 4096), 'base64')); } catch (e) { throw invalidParams(`invalid message: ${(e as Error).message}`); }
      if (!l.isBlockhashValid(msg.recentBlockhash)) return { context: context(s), value: null };
      const keys = msg.staticAccountKeys.map((k) => k.toBase58());
      return { context: context(s), value: Number(feeFor({ keys, instructions: msg.compiledInstructions, numSignatures: msg.header.numRequiredSignatures })) };
    },
    getMinimumBalanceForRentExemption: (p) => Number(l.minimumBalanceForRentExemption(int(p[0] ?? 0, 'data length', { max: 10 * 1024 * 1024 }))),
    getBalance: (p) => { const c = cfg(p, 1); const s = at(l, c, commitment(c)); return { context: context(s), value: Number(l.account(pubkeyParam(p[0]))?.lamports ?? 0n) }; },
    getAccountInfo: (p) => { const c = cfg(p, 1); const s = at(l, c, commitment(c)); return { context: context(s), value: acct(pubkeyParam(p[0]), c) }; },
    getMultipleAccounts: (p) => {
      const c = cfg(p, 1);
      const s = at(l, c, commitment(c));
      if (!Array.isArray(p[0]) || p[0].length > MAX_MULTIPLE_ACCOUNTS) throw invalidParams(`expected an array of at most ${MAX_MULTIPLE_ACCOUNTS} pubkeys`);
      return { context: context(s), value: p[0].map((k) => acct(pubkeyParam(k), c)) };
    },
    getProgramAccounts: (p) => {
      const c = cfg(p, 1);
      const s = at(l, c, commitment(c));
      const filters = parseFilters(c.filters);
      const list = l.programAccounts(new PublicKey(pubkeyParam(p[0], 'program id'))).filter((a) => matches(a.account.data, filters))
        .map((a) => ({ pubkey: a.pubkey.toBase58(), account: encodeAccount(a.account, accountEncoding(c.encoding), dataSlice(c.dataSlice), decimals) }));
      return c.withContext ? { context: context(s), value: list } : list;
    },
    getTokenAccountBalance: (p) => {
      const c = cfg(p, 1); const s = at(l, c, commitment(c));
      const t = tokenAccount(pubkeyParam(p[0]));
      if (!t || t.parsed.type !== 'account') throw invalidParams('Invalid param: not a Token account');
      return { context: context(s), value: t.parsed.info.tokenAmount };
    },
    getTokenSupply: (p) => {
      const c = cfg(p, 1); const s = at(l, c, commitment(c));
      const t = tokenAccount(pubkeyParam(p[0]));
      if (!t || t.parsed.type !== 'mint') throw invalidParams('Invalid param: not a Token mint');
      return { context: context(s), value: uiAmount(BigInt(t.parsed.info.supply!), t.parsed.info.decimals!) };
    },
    getTokenAccountsByOwner: (p) => {
      const owner = pubkeyParam(p[0], 'owner');
      const sel = cfg(p, 1);
      const c = cfg(p, 2); const s = at(l, c, commitment(c));
      const mint = sel.mint !== undefined ? pubkeyParam(sel.mint, 'mint') : null;
      const programs = sel.programId !== undefined ? [pubkeyParam(sel.programId, 'program id')] : mint ? [l.account(mint)?.owner.toBase58() ?? ''] : null;
      if (!programs) throw invalidParams('Invalid params: expected a mint or programId filter');
      if (!programs.every(isTokenProgram)) throw invalidParams('Invalid param: unrecognized Token program id');
      const value = programs.flatMap((prog) => l.programAccounts(new PublicKey(prog)))
        .filter((a) => (a.account.data.length === 165 || (a.account.data.length > 165 && a.account.data[165] === 2)) && new PublicKey(a.account.data.subarray(32, 64)).toBase58() === owner && (!mint || new PublicKey(a.account.data.subarray(0, 32)).toBase58() === mint))
        .map((a) => ({ pubkey: a.pubkey.toBase58(), account: encodeAccount(a.account, accountEncoding(c.encoding), dataSlice(c.dataSlice), decimals) }));
      return { context: context(s), value };
    },
    requestAirdrop: async (p) => {
      const lamports = int(p[1], 'lamports', { min: 1, max: 1_000_000 * 1_000_000_000 });
      return l.airdrop(new PublicKey(pubkeyParam(p[0])), BigInt(lamports));
    },
    sendTransaction: async (p) => {
      const c = cfg(p, 1);
      if (c.minContextSlot !== undefined) at(l, c, 'processed');
      const out = await l.submit(decodeWire(p[0], c.encoding), !c.skipPreflight);
      if (out.err === 'SignatureFailure') throw new RpcError(ERR.TRANSACTION_SIGNATURE_VERIFICATION_FAILURE, 'Transaction signature verification failure');
      if (out.err && !out.committed) throw preflightFailure(out);
      return out.signature;
    },
    simulateTransaction: (p) => {
      const c = cfg(p, 1);
      const s = at(l, c, commitment(c));
      const sigVerify = c.sigVerify === true, replace = c.replaceRecentBlockhash === true;
      if (sigVerify && replace) throw invalidParams('sigVerify may not be used with replaceRecentBlockhash');
      let wire = decodeWire(p[0], c.encoding);
      let replacementBlockhash: unknown = null;
      if (replace) {
        let vt: VersionedTransaction;
        try { vt = VersionedTransaction.deserialize(wire); } catch (e) { throw invalidParams(`failed to deserialize transaction: ${(e as Error).message}`); }
        const b = l.latestBlockhash;
        vt.message.recentBlockhash = b.blockhash;
        wire = vt.serialize();
        replacementBlockhash = { blockhash: b.blockhash, lastValidBlockHeight: Number(b.lastValidBlockHeight) };
      }
      const acc = c.accounts as { addresses?: unknown; encoding?: unknown } | undefined;
      const addresses = acc ? (Array.isArray(acc.addresses) && acc.addresses.length <= 64 ? acc.addresses.map((a) => pubkeyParam(a)) : (() => { throw invalidParams('accounts.addresses must be an array of at most 64 pubkeys'); })()) : [];
      const accEnc = acc ? accountEncoding(acc.encoding, 'base64') : 'base64';
      if (accEnc === 'base58' || accEnc === 'binary') throw invalidParams('base58 encoding is not supported for simulation accounts');
      const tx = l.decode(wire, sigVerify);
      const base = { accounts: null as unknown, unitsConsumed: 0, returnData: null as unknown, innerInstructions: null as unknown, replacementBlockhash, loadedAccountsDataSize: 0 };
      if (!l.isBlockhashValid(tx.blockhash)) return { context: context(s), value: { ...base, err: 'BlockhashNotFound', logs: [] } };
      const o = l.simulate(tx, { sigVerify, accounts: addresses });
      return {
        context: context(s),
        value: {
          ...base, err: o.err, logs: o.logs, unitsConsumed: Number(o.unitsConsumed), returnData: o.returnData ?? null,
          accounts: o.postAccounts ? addresses.map((k) => encodeAccount(o.postAccounts!.get(k) ?? null, accEnc, undefined, decimals)) : null,
          innerInstructions: c.innerInstructions === true ? encodeInner(o.innerInstructions ?? [], tx.keys, true) : null,
          fee: Number(feeFor({ keys: tx.keys, instructions: tx.instructions, numSignatures: tx.vt.message.header.numRequiredSignatures })),
        },
      };
    },
    getSignatureStatuses: async (p) => {
      if (!Array.isArray(p[0]) || p[0].length > MAX_SIGNATURE_STATUSES) throw invalidParams(`expected an array of at most ${MAX_SIGNATURE_STATUSES} signatures`);
      const sigs = p[0].map((x) => str(x, 'signature', 100));
      const s = Number(l.slot);
      const value = await Promise.all(sigs.map(async (sig) => {
        const st = await l.signatureStatus(sig);
        return st && { slot: st.slot, ...confirmationOf(l, st.slot), err: st.err, status: st.err ? { Err: st.err } : { Ok: null } };
      }));
      return { context: context(s), value };
    },
    getTransaction: async (p) => {
      const c = typeof p[1] === 'string' ? { encoding: p[1] } : cfg(p, 1);
      const level = commitment(c, 'confirmed');
      at(l, c, level);
      const r = await l.record(str(p[0], 'signature', 100));
      if (!r || !reached(l, r.slot, level)) return null;
      return fullTx(r, c, { slot: r.slot, blockTime: r.blockTime });
    },
    getSignaturesForAddress: async (p) => {
      const addr = pubkeyParam(p[0], 'address');
      const c = cfg(p, 1);
      const level = commitment(c, 'confirmed');
      at(l, c, level);
      const limit = c.limit === undefined || c.limit === null ? MAX_SIGNATURES_LIMIT : int(c.limit, 'limit', { min: 1, max: MAX_SIGNATURES_LIMIT });
      const before = c.before === undefined || c.before === null ? undefined : str(c.before, 'before', 100);
      const until = c.until === undefined || c.until === null ? undefined : str(c.until, 'until', 100);
      const top = l.rawSlotAt(level);
      const list = await l.signaturesFor(addr, { before, until, limit, maxSlot: top });
      return list.map((r) => ({ signature: r.signature, slot: r.slot, err: r.err, memo: null, blockTime: r.blockTime, confirmationStatus: confirmationOf(l, r.slot).confirmationStatus }));
    },
    getBlock: async (p) => {
      const slot = int(p[0], 'slot');
      const c = typeof p[1] === 'string' ? { encoding: p[1] } : cfg(p, 1);
      const level = commitment(c, 'confirmed');
      blockAvailable(slot, level);
      const b = await l.block(slot);
      if (!b) throw new RpcError(ERR.BLOCK_NOT_AVAILABLE, `Block not available for slot ${slot}`);
      const details = c.transactionDetails ?? 'full';
      if (!['full', 'signatures', 'none', 'accounts'].includes(details as string)) throw invalidParams(`unknown transactionDetails ${JSON.stringify(details)}`);
      const head = { blockhash: b.blockhash, previousBlockhash: b.previousBlockhash, parentSlot: b.parentSlot, blockTime: b.blockTime, blockHeight: b.blockHeight, ...(c.rewards === false ? {} : { rewards: [] }) };
      if (details === 'none') return head;
      const sigs = await l.blockSignatures(slot);
      if (details === 'signatures') return { ...head, signatures: sigs };
      const records = (await Promise.all(sigs.map((s) => l.record(s)))).filter((r): r is TxRecord => r !== null);
      if (details === 'accounts') {
        return {
          ...head,
          transactions: records.map((r) => {
            checkVersion(r, c.maxSupportedTransactionVersion);
            const v = viewOf(r);
            const meta = encodeMeta(r, 'jsonParsed', v, { logs: false, inner: false });
            return { transaction: { accountKeys: parsedAccountKeys(v), signatures: v.signatures }, meta, ...(c.maxSupportedTransactionVersion !== undefined ? { version: r.version } : {}) };
          }),
        };
      }
      return { ...head, transactions: records.map((r) => fullTx(r, c)) };
    },
    getBlocks: (p) => {
      const start = int(p[0], 'start slot');
      const c = typeof p[1] === 'object' && p[1] !== null ? cfg(p, 1) : cfg(p, 2);
      const top = l.rawSlotAt(commitment(c, 'confirmed'));
      const end = typeof p[1] === 'number' ? int(p[1], 'end slot') : top;
      if (end - start > MAX_GET_BLOCKS_RANGE) throw invalidParams(`Slot range too large; max ${MAX_GET_BLOCKS_RANGE}`);
      const out: number[] = [];
      for (let s = Math.max(start, l.firstSlot); s <= Math.min(end, top); s++) out.push(s);
      return out;
    },
    getBlocksWithLimit: (p) => {
      const start = int(p[0], 'start slot');
      const limit = int(p[1], 'limit', { max: MAX_GET_BLOCKS_RANGE });
      const top = l.rawSlotAt(commitment(cfg(p, 2), 'confirmed'));
      const out: number[] = [];
      for (let s = Math.max(start, l.firstSlot); s <= top && out.length < limit; s++) out.push(s);
      return out;
    },
    getRecentPrioritizationFees: (p) => {
      const list = p[0] ?? [];
      if (!Array.isArray(list) || list.length > 128) throw invalidParams('expected an array of at most 128 account addresses');
      return l.prioritizationFees(list.map((k) => pubkeyParam(k)));
    },
  };
  return m;
}

/** Method names with one-line descriptions, for --help and the README. */
export const METHOD_DOCS: Record<string, string> = {
  getAccountInfo: 'account, any encoding (base58/base64/base64+zstd/jsonParsed), dataSlice',
  getBalance: 'lamports of an account',
  getBlock: 'a confirmed/finalized block: full/accounts/signatures/none, json/jsonParsed/base64',
  getBlockHeight: 'block height at a commitment',
  getBlocks: 'confirmed blocks in a slot range',
  getBlocksWithLimit: 'confirmed blocks from a slot, at most limit',
  getBlockTime: 'unix time of a block',
  getEpochInfo: 'epoch, slot index, block height, transactionCount',
  getEpochSchedule: 'epoch schedule (432000 slots, no warmup)',
  getFeeForMessage: '5000 lamports per signature (precompiles included) + priority fee; null for an unknown block hash',
  getFirstAvailableBlock: 'the genesis slot (the ledger keeps every block)',
  getGenesisHash: 'genesis hash (derived from the ledger secret)',
  getHealth: '"ok"',
  getIdentity: 'the validator identity (its faucet key)',
  getLatestBlockhash: 'latest block hash and its last valid block height',
  getMinimumBalanceForRentExemption: 'rent-exempt minimum for a data length',
  getMinimumLedgerSlot: 'the genesis slot',
  getMultipleAccounts: 'up to 100 accounts, any encoding, dataSlice',
  getProgramAccounts: 'accounts owned by a program; dataSize/memcmp filters, any encoding, dataSlice, withContext',
  getRecentPrioritizationFees: 'lowest compute-unit price per slot over the last 150 slots, optionally per written account',
  getSignatureStatuses: 'status, slot, confirmations, confirmationStatus (processed → confirmed → finalized)',
  getSignaturesForAddress: 'signatures touching an address, newest first; before/until/limit',
  getSlot: 'slot at a commitment',
  getTokenAccountBalance: 'SPL Token account balance',
  getTokenAccountsByOwner: 'SPL Token accounts of an owner by mint or program id',
  getTokenSupply: 'SPL Token mint supply',
  getTransaction: 'a confirmed/finalized transaction: json, jsonParsed (System, SPL Token, Memo), base64, base58',
  getTransactionCount: 'transactions processed since genesis',
  getVersion: 'solana-core version string',
  isBlockhashValid: 'whether a block hash is among the last 150',
  requestAirdrop: 'a faucet transfer (an ordinary logged transaction)',
  sendTransaction: 'base58/base64 wire transaction; preflight unless skipPreflight',
  simulateTransaction: 'sigVerify, replaceRecentBlockhash, accounts, innerInstructions; unsigned transactions with sigVerify:false',
};

export const SUBSCRIPTION_DOCS: Record<string, string> = {
  accountSubscribe: 'account changes at a commitment, any encoding',
  logsSubscribe: 'transaction logs: "all", "allWithVotes" or {mentions:[address]}',
  programSubscribe: 'changes to accounts owned by a program, with filters',
  rootSubscribe: 'each new root (finalized) slot',
  signatureSubscribe: 'one notification when a signature reaches the commitment (optionally on receipt)',
  slotSubscribe: 'each new slot {parent, root, slot}',
};

export { BLOCKHASH_WINDOW, FINALITY_DEPTH };
