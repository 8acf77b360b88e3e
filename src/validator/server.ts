// The local validator: a Ledger (programs in LiteSVM, persisted) producing a block every
// `slotMs`, served over the standard Solana JSON-RPC methods the project's clients use, on
// 127.0.0.1. Any @solana/web3.js Connection can talk to it; pointing the oracle at a real
// cluster is a change of RPC URL.
import Fastify, { type FastifyInstance } from 'fastify';
import { closeWithin } from '../api/server.js';
import { PublicKey } from '@solana/web3.js';
import bs58 from 'bs58';
import { Ledger, LedgerRejection, type AccountView, type LedgerProgram, type TxOutcome } from './ledger.js';

export interface ValidatorOptions {
  dataDir: string;
  programs: LedgerProgram[];
  host?: string;
  port?: number;
  /** Block time; 0 produces blocks only through produceSlot() (tests). */
  slotMs?: number;
  now?: () => number;
  logger?: boolean;
}

export const VALIDATOR_VERSION = 'splitup-local-validator 0.1.0 (litesvm 1.5)';

class RpcError extends Error {
  constructor(readonly code: number, message: string, readonly data?: unknown) { super(message); }
}

const ctx = (l: Ledger) => ({ slot: Number(l.slot), apiVersion: '2.2.0' });

function encodeAccount(a: AccountView | null, encoding = 'base64'): unknown {
  if (!a) return null;
  const data = encoding === 'base58' ? [bs58.encode(a.data), 'base58'] : [Buffer.from(a.data).toString('base64'), 'base64'];
  return { data, executable: a.executable, lamports: Number(a.lamports), owner: a.owner.toBase58(), rentEpoch: 0, space: a.data.length };
}

type Filter = { dataSize?: number; memcmp?: { offset: number; bytes: string; encoding?: string } };
function matches(data: Uint8Array, filters: Filter[] = []): boolean {
  return filters.every((f) => {
    if (f.dataSize !== undefined) return data.length === f.dataSize;
    if (f.memcmp) {
      const want = f.memcmp.encoding === 'base64' ? Buffer.from(f.memcmp.bytes, 'base64') : Buffer.from(bs58.decode(f.memcmp.bytes));
      return Buffer.from(data.subarray(f.memcmp.offset, f.memcmp.offset + want.length)).equals(want);
    }
    throw new RpcError(-32602, `unsupported filter ${JSON.stringify(f)}`);
  });
}

function decodeWire(encoded: unknown, encoding?: string): Uint8Array {
  if (typeof encoded !== 'string') throw new RpcError(-32602, 'transaction must be an encoded string');
  return encoding === 'base64' ? new Uint8Array(Buffer.from(encoded, 'base64')) : bs58.decode(encoded);
}

function pubkey(v: unknown): PublicKey {
  try { return new PublicKey(v as string); } catch { throw new RpcError(-32602, `Invalid param: Invalid pubkey ${String(v)}`); }
}

function simulationFailure(o: TxOutcome): RpcError {
  const detail = JSON.stringify(o.err);
  return new RpcError(-32002, `Transaction simulation failed: ${detail}`, { err: o.err, logs: o.logs, unitsConsumed: Number(o.unitsConsumed), accounts: null, returnData: null });
}

export class LocalValidator {
  private timer: NodeJS.Timeout | null = null;
  private constructor(readonly ledger: Ledger, readonly app: FastifyInstance, readonly url: string, private readonly o: ValidatorOptions) {}

  static async start(o: ValidatorOptions): Promise<LocalValidator> {
    const now = o.now ?? Date.now;
    const ledger = await Ledger.open(o.dataDir, o.programs, now());
    const app = Fastify({ logger: o.logger ?? false, bodyLimit: 4 * 1024 * 1024 });
    const methods = rpcMethods(ledger);
    app.post('/', async (req, reply) => {
      const handle = async (call: { id?: unknown; method?: string; params?: unknown[] }) => {
        const id = call?.id ?? null;
        const fn = typeof call?.method === 'string' ? methods[call.method] : undefined;
        if (!fn) return { jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${String(call?.method)}` } };
        try {
          return { jsonrpc: '2.0', id, result: await fn(Array.isArray(call.params) ? call.params : []) };
        } catch (e) {
          if (e instanceof RpcError) return { jsonrpc: '2.0', id, error: { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) } };
          if (e instanceof LedgerRejection) return { jsonrpc: '2.0', id, error: { code: -32002, message: `Transaction simulation failed: ${e.message}`, data: { err: e.kind, logs: [], accounts: null, unitsConsumed: 0 } } };
          req.log.error({ err: e }, 'rpc method failed');
          return { jsonrpc: '2.0', id, error: { code: -32603, message: `Internal error: ${(e as Error).message}` } };
        }
      };
      const body = req.body as unknown;
      reply.header('content-type', 'application/json');
      return Array.isArray(body) ? Promise.all(body.map(handle)) : handle(body as never);
    });
    app.get('/health', async () => 'ok');
    const url = await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 0 });
    const v = new LocalValidator(ledger, app, url, o);
    if (o.slotMs) v.timer = setInterval(() => { void ledger.produceSlot(now()).catch((e) => app.log.error({ err: e }, 'slot production failed')); }, o.slotMs);
    return v;
  }

  produceSlot(): Promise<bigint> { return this.ledger.produceSlot((this.o.now ?? Date.now)()); }

  /** Stops serving; `snapshot: false` skips the closing snapshot (what a crash leaves, for tests). */
  async close({ snapshot = true } = {}): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await closeWithin(this.app);
    await this.ledger.close({ snapshot });
  }
}

function rpcMethods(l: Ledger): Record<string, (p: unknown[]) => unknown> {
  const cfg = (p: unknown[], i: number) => (p[i] ?? {}) as Record<string, unknown>;
  return {
    getHealth: () => 'ok',
    getVersion: () => ({ 'solana-core': VALIDATOR_VERSION, 'feature-set': 0 }),
    getSlot: () => Number(l.slot),
    getBlockHeight: () => Number(l.slot),
    getEpochInfo: () => ({ absoluteSlot: Number(l.slot), blockHeight: Number(l.slot), epoch: 0, slotIndex: Number(l.slot), slotsInEpoch: 432000, transactionCount: null }),
    getGenesisHash: () => bs58.encode(new Uint8Array(32)),
    getBlockTime: (p) => { const t = l.blockTime(BigInt(p[0] as number)); if (t === null) throw new RpcError(-32004, `Block not available for slot ${String(p[0])}`); return Number(t); },
    getLatestBlockhash: () => { const b = l.latestBlockhash; return { context: ctx(l), value: { blockhash: b.blockhash, lastValidBlockHeight: Number(b.lastValidBlockHeight) } }; },
    isBlockhashValid: (p) => ({ context: ctx(l), value: l.isBlockhashValid(p[0] as string) }),
    getFeeForMessage: () => ({ context: ctx(l), value: 5000 }),
    getMinimumBalanceForRentExemption: (p) => Number(l.minimumBalanceForRentExemption(Number(p[0]))),
    getBalance: (p) => ({ context: ctx(l), value: Number(l.account(pubkey(p[0]))?.lamports ?? 0n) }),
    getAccountInfo: (p) => ({ context: ctx(l), value: encodeAccount(l.account(pubkey(p[0])), cfg(p, 1).encoding as string) }),
    getMultipleAccounts: (p) => ({ context: ctx(l), value: (p[0] as unknown[]).map((k) => encodeAccount(l.account(pubkey(k)), cfg(p, 1).encoding as string)) }),
    getProgramAccounts: (p) => {
      const c = cfg(p, 1);
      const list = l.programAccounts(pubkey(p[0])).filter((a) => matches(a.account.data, c.filters as Filter[]))
        .map((a) => ({ pubkey: a.pubkey.toBase58(), account: encodeAccount(a.account, c.encoding as string) }));
      return c.withContext ? { context: ctx(l), value: list } : list;
    },
    requestAirdrop: async (p) => l.airdrop(pubkey(p[0]), BigInt(p[1] as number)),
    sendTransaction: async (p) => {
      const c = cfg(p, 1);
      const out = await l.submit(decodeWire(p[0], c.encoding as string), !c.skipPreflight);
      if (out.err && !c.skipPreflight) throw simulationFailure(out);
      return out.signature;
    },
    simulateTransaction: (p) => {
      const o = l.simulate(decodeWire(p[0], cfg(p, 1).encoding as string), { sigVerify: cfg(p, 1).sigVerify === true });
      return { context: ctx(l), value: { err: o.err, logs: o.logs, accounts: null, unitsConsumed: Number(o.unitsConsumed), returnData: null } };
    },
    getSignatureStatuses: (p) => ({
      context: ctx(l),
      value: (p[0] as string[]).map((sig) => {
        const s = l.signatureStatus(sig);
        return s && { slot: Number(s.slot), confirmations: null, err: s.err, status: s.err ? { Err: s.err } : { Ok: null }, confirmationStatus: 'finalized' };
      }),
    }),
  };
}
