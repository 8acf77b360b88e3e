// Assembles one oracle process: store, registry, liveness tracker, signature
// workers, the HTTP API and — when a committee file is configured — the BFT
// liveness consensus over libp2p gossipsub, and — when the chain is configured — the
// chain-backed node registry and the chain loop (selection proofs on their own gossip topic).
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SystemClock, type Clock } from '../common/clock.js';
import { bytesEqual, toBase58 } from '../common/bytes.js';
import { Ed25519Signer } from '../common/ed25519.js';
import { buildApiServer, closeWithin } from '../api/server.js';
import { OracleMetrics } from '../api/metrics.js';
import { httpCatchUp, livenessRoutes } from '../api/liveness-routes.js';
import { epochEnd, loadCommittee, type Committee } from '../consensus/committee.js';
import { ConsensusService, type CommitEvent } from '../consensus/service.js';
import { LevelConsensusStore } from '../consensus/store.js';
import { LevelHeartbeatStore } from '../liveness/store.js';
import { LivenessTracker } from '../liveness/tracker.js';
import { VerifyPool } from '../liveness/verify-pool.js';
import { ref10Unavailable, useVrfImplementation } from '../vrf/ecvrf.js';
import { checkHeartbeatSignatureIntake } from '../liveness/verify.js';
import { P2PNetwork, peerIdFromSeed } from '../p2p/libp2p.js';
import { FileRegistry } from '../registry/file-registry.js';
import { ChainRegistry } from '../registry/chain-registry.js';
import type { ManagedRegistry } from '../registry/registry.js';
import { ChainClient } from '../chain/client.js';
import { ChainLoop, checkProofMessage, selectionProofTopic, type LoopEvent } from '../chain/loop.js';
import { LevelVoteStore } from '../chain/vote-store.js';
import { Keypair, PublicKey } from '@solana/web3.js';
import { openDb, type Db } from '../store/db.js';
import { ConfigError, type OracleConfig } from './config.js';
import { readOracleKeys, type OracleKeys } from './keys.js';
import { trackerSource } from './liveness-source.js';

export interface OracleDeps {
  clock?: Clock;
  /** pino logger options for fastify; false silences. */
  logger?: boolean | Record<string, unknown>;
  plugins?: FastifyPluginAsync[];
}

export interface ConsensusParts { committee: Committee; me: number; service: ConsensusService; p2p: P2PNetwork; chainLoop: ChainLoop | null }

/** GET /api/chain/selection?exec=&task=&attempt= — the selection proof this oracle's vote followed. */
export function selectionRoutes(loop: () => ChainLoop | null): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/chain/selection', {
      schema: { querystring: { type: 'object', required: ['exec', 'task', 'attempt'], properties: { exec: { type: 'string', pattern: '^[0-9]{1,20}$' }, task: { type: 'string', pattern: '^[0-9]{1,3}$' }, attempt: { type: 'string', pattern: '^[0-9]{1,10}$' } } } },
    }, async (req, reply) => {
      const q = req.query as { exec: string; task: string; attempt: string };
      const proof = loop()?.decided.get(`${BigInt(q.exec)}/${Number(q.task)}/${Number(q.attempt)}`);
      if (!proof) return reply.code(404).send({ code: 'UNKNOWN_SELECTION', message: 'this oracle has no decided selection proof for that request' });
      return { proof: Buffer.from(proof).toString('hex') };
    });
  };
}

export class Oracle {
  private closing: Promise<void> | null = null;
  private constructor(
    readonly config: OracleConfig,
    readonly keys: OracleKeys,
    readonly db: Db,
    readonly registry: ManagedRegistry,
    readonly tracker: LivenessTracker,
    readonly metrics: OracleMetrics,
    readonly app: FastifyInstance,
    /** Heartbeat verify workers (heartbeat.verifyWorkers > 0), else null. */
    readonly pool: VerifyPool | null,
    readonly consensus: ConsensusParts | null,
  ) {}

  static async start(config: OracleConfig, deps: OracleDeps = {}): Promise<Oracle> {
    const clock = deps.clock ?? SystemClock;
    const vrfImpl = useVrfImplementation(config.vrf?.implementation ?? 'auto'); // throws if an implementation that cannot load is asked for
    const keys = readOracleKeys(config.keyFile);
    const committee = config.committeeFile ? loadCommittee(config.committeeFile) : null;
    const me = committee ? committee.members.findIndex((m) => bytesEqual(m.signingKey, keys.signingPublicKey)) : -1;
    if (committee && me < 0) throw new ConfigError([`this oracle's signing key ${toBase58(keys.signingPublicKey)} is not a member of ${config.committeeFile}`]);
    const peerId = await peerIdFromSeed(keys.libp2pSeed);
    if (committee && committee.members[me]!.peerId && committee.members[me]!.peerId !== peerId) {
      throw new ConfigError([`${config.committeeFile}: member ${me} names peer ${committee.members[me]!.peerId}, but this oracle's libp2p key gives ${peerId}`]);
    }
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const db = await openDb(join(config.dataDir, 'db'));
    let pool: VerifyPool | null = null;
    let p2p: P2PNetwork | null = null;
    let service: ConsensusService | null = null;
    try {
      const metrics = new OracleMetrics();
      let app: FastifyInstance | undefined;
      const chain = config.chain ? new ChainClient(config.chain.rpcUrl, new PublicKey(config.chain.programId), new PublicKey(config.chain.committeeAuthority)) : null;
      let registry: ManagedRegistry;
      if (chain) {
        const r = new ChainRegistry(chain, (e) => app?.log.warn({ err: String(e) }, 'chain registry refresh failed; keeping the previous snapshot'));
        await r.watch(config.chain!.registryRefreshMs, { subscribe: config.chain!.subscribe }).catch((e) => { throw new ConfigError([`chain at ${config.chain!.rpcUrl} is unreachable or has no SplitUp program ${config.chain!.programId}: ${String(e)}`]); });
        registry = r;
      } else {
        const r = new FileRegistry(config.registryFile, (e) => app?.log.error({ err: e }, 'registry reload failed; keeping the previous registry'));
        r.watch();
        registry = r;
      }
      const hb = config.heartbeat;
      pool = hb.verifyWorkers > 0 ? new VerifyPool(hb.verifyWorkers) : null;
      // with a committee, liveness is judged by the committee's timing so candidate tables validate everywhere
      const timing = committee ? committee.params.liveness : { intervalMs: hb.intervalMs, missedForOffline: hb.missedForOffline, graceMs: hb.graceMs };
      const tracker = await LivenessTracker.open({
        clock, registry, store: new LevelHeartbeatStore(db, { sync: hb.syncWrites }), timing,
        maxSkewMs: hb.maxSkewMs, rateBurst: hb.rateBurst, rateRefillMs: hb.rateRefillMs,
        verifier: metrics.timedVerifier(pool ? pool.verifier : checkHeartbeatSignatureIntake),
      });
      const plugins = [...(deps.plugins ?? [])];
      let chainLoopRef: ChainLoop | null = null;
      if (committee) {
        const peers = committee.members.filter((_, i) => i !== me);
        service = new ConsensusService({
          committee, me, signer: new Ed25519Signer(keys.signingSeed), store: new LevelConsensusStore(db), source: trackerSource(tracker, registry), clock,
          catchUp: httpCatchUp(peers.map((m) => m.httpUrl).filter((u): u is string => !!u)),
          log: { info: (o, m) => app?.log.info(o, m), warn: (o, m) => app?.log.warn(o, m), error: (o, m) => app?.log.error(o, m) },
        });
        plugins.push(livenessRoutes(service));
        if (chain) plugins.push(selectionRoutes(() => chainLoopRef));
      }
      const logger = deps.logger === undefined ? { level: config.log.level } : deps.logger;
      app = await buildApiServer({
        tracker, metrics, logger, plugins,
        heartbeatBodyLimit: hb.bodyLimit,
        ipRateLimitPerMinute: hb.ipRateLimitPerMinute,
        stream: hb.streamsPerIp > 0 ? { maxPerIp: hb.streamsPerIp, maxTotal: hb.maxStreams, idleMs: hb.streamIdleMs } : false,
        nodesPerSecond: config.http.nodesPerSecond,
        readiness: [
          () => (db.status === 'open' ? undefined : `store is ${db.status}`),
          () => (service?.storeError ? `consensus store failed (out of voting until writable): ${service.storeError}` : undefined),
          () => (committee && service?.round === undefined ? 'consensus not started' : undefined),
          () => (p2p && committee && p2p.connectedPeers().length + 1 < committee.q ? `connected to ${p2p.connectedPeers().length} committee peers; a quorum needs ${committee.q - 1}` : undefined),
        ],
      });
      await app.listen({ host: config.http.host, port: config.http.port });
      let parts: ConsensusParts | null = null;
      if (committee && service) {
        const svc = service;
        const member = committee.members[me]!;
        const proofTopic = selectionProofTopic(committee.id);
        let chainLoop: ChainLoop | null = null;
        p2p = new P2PNetwork({
          extraTopics: chain ? [{
            topic: proofTopic,
            validate: checkProofMessage,
            onMessage: (d) => { chainLoop?.receiveProof(d); },
          }] : [],
          seed: keys.libp2pSeed,
          listen: config.p2p.listen ?? (member.multiaddrs.length ? member.multiaddrs : ['/ip4/127.0.0.1/tcp/0']),
          topic: `splitup/consensus/v1/${Buffer.from(committee.id).toString('hex')}`,
          peers: committee.members.filter((m) => m.peerId).map((m) => ({ peerId: m.peerId!, multiaddrs: m.multiaddrs })),
          // with every member's peer id known, nobody else may connect (a member listed without a
          // peer id can only be reached by its own dial, so the gate stays open then)
          membersOnly: committee.members.every((m) => m.peerId),
          validate: (d) => svc.precheck(d),
          onMessage: (d) => svc.receiveValidated(d),
        });
        await p2p.start();
        app.log.info({ implementation: vrfImpl, ...(vrfImpl !== 'ref10' && ref10Unavailable() ? { ref10: ref10Unavailable() } : {}) }, 'ECVRF implementation');
        if (!committee.members.every((m) => m.peerId)) app.log.warn('a committee member has no peerId in the committee file: libp2p admits connections from any peer');
        svc.on('commit', (e: CommitEvent) => {
          metrics.roundsCommitted.inc();
          metrics.committedRound.set(Number(e.committed.round));
          metrics.commitLatency.observe(Math.max(0, e.at - epochEnd(committee, e.committed.round)) / 1000);
          metrics.consensusView.set(svc.view ?? 0);
          metrics.consensusKnownHead.set(Number(svc.knownHead));
          app!.log.info({ round: e.committed.round.toString(), tableHash: Buffer.from(e.committed.hash).toString('hex').slice(0, 16), online: e.committed.entries.filter((x) => x.status === 'online').length }, 'round committed');
        });
        metrics.consensusVoting.set(1);
        svc.on('store-failed', () => { metrics.consensusVoting.set(0); metrics.consensusStoreFailures.inc(); });
        svc.on('store-recovered', () => metrics.consensusVoting.set(1));
        svc.on('evidence', (e: { a: { sender: number } }) => metrics.consensusEvidence.inc({ member: String(e.a.sender) }));
        await svc.start(p2p);
        if (chain) {
          const net = p2p;
          chainLoop = new ChainLoop({
            chain, committee, me, signer: Keypair.fromSeed(keys.signingSeed), vrfSecret: keys.vrfSecretKey, clock,
            table: async (round) => { const c = await svc.getCommitted(round); return c ? { round, hash: c.committed.hash, entries: c.committed.entries } : null; },
            publishProof: (d) => net.publishTo(proofTopic, d),
            votes: new LevelVoteStore(db), pollMs: config.chain!.pollMs, subscribe: config.chain!.subscribe, proofTimeoutMs: config.chain!.proofTimeoutMs,
            priority: config.chain!.priority, ...(config.chain!.maxSelectionsPerTick ? { maxSelectionsPerTick: config.chain!.maxSelectionsPerTick } : {}),
            log: { info: (o, m) => app!.log.info(o, m), warn: (o, m) => app!.log.warn(o, m) },
            onEvent: (e: LoopEvent) => { metrics.chainActions.inc({ kind: e.kind }); app!.log.info(e, `chain: ${e.kind}`); },
          });
          chainLoop.start();
          chainLoopRef = chainLoop;
        }
        parts = { committee, me, service: svc, p2p, chainLoop };
      }
      app.log.info({ oracle: toBase58(keys.signingPublicKey), url: Oracle.urlOf(app), nodes: registry.list().length, committee: committee ? { member: me, epoch: committee.epoch, n: committee.n, q: committee.q, peerId } : null }, 'oracle started');
      return new Oracle(config, keys, db, registry, tracker, metrics, app, pool, parts);
    } catch (e) {
      await service?.stop().catch(() => {});
      await p2p?.stop().catch(() => {});
      await pool?.close().catch(() => {});
      await db.close();
      throw e;
    }
  }

  private static urlOf(app: FastifyInstance): string {
    const a = app.server.address();
    return a && typeof a === 'object' ? `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}` : String(a);
  }

  get url(): string { return Oracle.urlOf(this.app); }

  /** Graceful shutdown: stop intake and consensus, finish pending writes, close peers, workers and the store. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await closeWithin(this.app);
      await this.consensus?.chainLoop?.stop();
      await this.consensus?.service.stop();
      await this.consensus?.p2p.stop();
      await this.tracker.drain();
      this.registry.close();
      await this.pool?.close();
      await this.db.close();
    })();
    return this.closing;
  }
}
