// The local validator: a Ledger (programs in LiteSVM, persisted) producing a block every
// `slotMs`, served over Solana's JSON-RPC (HTTP) and PubSub (WebSocket, RPC port + 1 unless
// configured) APIs on 127.0.0.1. Unmodified @solana/web3.js and @solana/kit clients use it as
// they use solana-test-validator; pointing the oracle at a real cluster is a change of RPC URL.
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { closeWithin } from '../api/server.js';
import { Ledger, LedgerRejection, type LedgerProgram } from './ledger.js';
import { PubSub } from './pubsub.js';
import { RpcError, invalidParams } from './encode.js';
import { rejection, rpcMethods, VALIDATOR_VERSION } from './rpc.js';

export { VALIDATOR_VERSION };

export interface ValidatorOptions {
  dataDir: string;
  programs: LedgerProgram[];
  host?: string;
  /** HTTP JSON-RPC port; 0 = ephemeral (then PubSub takes port + 1 unless `wsPort` is given). */
  port?: number;
  /** WebSocket PubSub port; default RPC port + 1 (what web3.js and kit clients assume). */
  wsPort?: number;
  /** Block time; 0 produces blocks only through produceSlot() (tests). */
  slotMs?: number;
  now?: () => number;
  logger?: boolean;
}

const MAX_BATCH = 100;
const PARSE_ERROR = Symbol('parse error');

export class LocalValidator {
  private timer: NodeJS.Timeout | null = null;
  private constructor(readonly ledger: Ledger, readonly app: FastifyInstance, readonly url: string, readonly pubsub: PubSub, private readonly o: ValidatorOptions) {}

  get wsUrl(): string { return this.pubsub.url; }

  static async start(o: ValidatorOptions): Promise<LocalValidator> {
    const now = o.now ?? Date.now;
    const host = o.host ?? '127.0.0.1';
    const ledger = await Ledger.open(o.dataDir, o.programs, now());
    try {
      const methods = rpcMethods(ledger);
      // an ephemeral RPC port needs port + 1 free for PubSub: retry a bounded number of times
      for (let attempt = 0; ; attempt++) {
        const app = buildApp(methods, o.logger ?? false);
        const url = await app.listen({ host, port: o.port ?? 0 });
        const port = (app.server.address() as AddressInfo).port;
        try {
          const pubsub = await PubSub.listen(ledger, host, o.wsPort ?? port + 1);
          const v = new LocalValidator(ledger, app, url, pubsub, o);
          if (o.slotMs) v.timer = setInterval(() => { void ledger.produceSlot(now()).catch((e) => app.log.error({ err: e }, 'slot production failed')); }, o.slotMs);
          return v;
        } catch (e) {
          await closeWithin(app);
          if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || o.port || o.wsPort !== undefined || attempt >= 20) throw e;
        }
      }
    } catch (e) {
      await ledger.close({ snapshot: false });
      throw e;
    }
  }

  produceSlot(): Promise<bigint> { return this.ledger.produceSlot((this.o.now ?? Date.now)()); }

  /** Stops serving; `snapshot: false` skips the closing snapshot (what a crash leaves, for tests). */
  async close({ snapshot = true } = {}): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.pubsub.close();
    await closeWithin(this.app);
    await this.ledger.close({ snapshot });
  }
}

function buildApp(methods: ReturnType<typeof rpcMethods>, logger: boolean): FastifyInstance {
  const app = Fastify({ logger, bodyLimit: 4 * 1024 * 1024 });
  // malformed JSON is a JSON-RPC parse error (HTTP 200), as on a cluster's RPC
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try { done(null, JSON.parse(body as string)); } catch { done(null, PARSE_ERROR); }
  });
  const handle = async (call: unknown) => {
    const c = call as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
    const id = c && typeof c === 'object' && (typeof c.id === 'number' || typeof c.id === 'string') ? c.id : null;
    const error = (e: unknown) => {
      if (e instanceof RpcError) return { jsonrpc: '2.0', id, error: { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) } };
      if (e instanceof LedgerRejection) return error(rejection(e));
      app.log.error({ err: e }, 'rpc method failed');
      return { jsonrpc: '2.0', id, error: { code: -32603, message: `Internal error: ${(e as Error).message}` } };
    };
    if (!c || typeof c !== 'object' || Array.isArray(c) || c.jsonrpc !== '2.0' || typeof c.method !== 'string') return error(new RpcError(-32600, 'Invalid request'));
    const fn = Object.hasOwn(methods, c.method) ? methods[c.method] : undefined;
    if (!fn) return error(new RpcError(-32601, 'Method not found'));
    try {
      if (c.params !== undefined && !Array.isArray(c.params)) throw invalidParams('params must be an array');
      return { jsonrpc: '2.0', id, result: await fn((c.params as unknown[] | undefined) ?? []) };
    } catch (e) { return error(e); }
  };
  app.post('/', async (req, reply) => {
    const body = req.body as unknown;
    reply.header('content-type', 'application/json');
    if (body === PARSE_ERROR) return { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } };
    if (Array.isArray(body)) {
      if (body.length === 0 || body.length > MAX_BATCH) return { jsonrpc: '2.0', id: null, error: { code: -32600, message: `Invalid request: a batch holds 1 to ${MAX_BATCH} calls` } };
      return Promise.all(body.map(handle));
    }
    return handle(body);
  });
  app.get('/health', async () => 'ok');
  return app;
}
