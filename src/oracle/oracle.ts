// Assembles one oracle process: store, registry, liveness tracker, signature
// workers and the HTTP API. Consensus and the chain loop plug in here.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SystemClock, type Clock } from '../common/clock.js';
import { toBase58 } from '../common/bytes.js';
import { buildApiServer } from '../api/server.js';
import { OracleMetrics } from '../api/metrics.js';
import { LevelHeartbeatStore } from '../liveness/store.js';
import { LivenessTracker } from '../liveness/tracker.js';
import { VerifyPool } from '../liveness/verify-pool.js';
import { checkHeartbeatSignature } from '../liveness/verify.js';
import { FileRegistry } from '../registry/file-registry.js';
import { openDb, type Db } from '../store/db.js';
import type { OracleConfig } from './config.js';
import { readOracleKeys, type OracleKeys } from './keys.js';

export interface OracleDeps {
  clock?: Clock;
  /** pino logger options for fastify; false silences. */
  logger?: boolean | Record<string, unknown>;
  plugins?: FastifyPluginAsync[];
}

export class Oracle {
  private closing: Promise<void> | null = null;
  private constructor(
    readonly config: OracleConfig,
    readonly keys: OracleKeys,
    readonly db: Db,
    readonly registry: FileRegistry,
    readonly tracker: LivenessTracker,
    readonly metrics: OracleMetrics,
    readonly app: FastifyInstance,
    private readonly pool: VerifyPool | null,
  ) {}

  static async start(config: OracleConfig, deps: OracleDeps = {}): Promise<Oracle> {
    const clock = deps.clock ?? SystemClock;
    const keys = readOracleKeys(config.keyFile);
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const db = await openDb(join(config.dataDir, 'db'));
    try {
      const metrics = new OracleMetrics();
      let app: FastifyInstance | undefined;
      const registry = new FileRegistry(config.registryFile, (e) => app?.log.error({ err: e }, 'registry reload failed; keeping the previous registry'));
      registry.watch();
      const hb = config.heartbeat;
      const pool = hb.verifyWorkers > 0 ? new VerifyPool(hb.verifyWorkers) : null;
      const tracker = await LivenessTracker.open({
        clock,
        registry,
        store: new LevelHeartbeatStore(db),
        timing: { intervalMs: hb.intervalMs, missedForOffline: hb.missedForOffline, graceMs: hb.graceMs },
        maxSkewMs: hb.maxSkewMs,
        rateBurst: hb.rateBurst,
        rateRefillMs: hb.rateRefillMs,
        verifier: metrics.timedVerifier(pool ? pool.verifier : checkHeartbeatSignature),
      });
      const logger = deps.logger === undefined ? { level: config.log.level } : deps.logger;
      app = await buildApiServer({
        tracker,
        metrics,
        logger,
        heartbeatBodyLimit: hb.bodyLimit,
        ipRateLimitPerMinute: hb.ipRateLimitPerMinute,
        plugins: deps.plugins ?? [],
        readiness: [() => (db.status === 'open' ? undefined : `store is ${db.status}`)],
      });
      await app.listen({ host: config.http.host, port: config.http.port });
      app.log.info({ oracle: toBase58(keys.signingPublicKey), url: Oracle.urlOf(app), nodes: registry.list().length }, 'oracle started');
      return new Oracle(config, keys, db, registry, tracker, metrics, app, pool);
    } catch (e) {
      await db.close();
      throw e;
    }
  }

  private static urlOf(app: FastifyInstance): string {
    const a = app.server.address();
    return a && typeof a === 'object' ? `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}` : String(a);
  }

  get url(): string { return Oracle.urlOf(this.app); }

  /** Graceful shutdown: stop intake, finish pending writes, close workers and the store. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.app.close();
      await this.tracker.drain();
      this.registry.close();
      await this.pool?.close();
      await this.db.close();
    })();
    return this.closing;
  }
}
