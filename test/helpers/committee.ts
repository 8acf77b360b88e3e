// An in-process committee over real libp2p (TCP on 127.0.0.1) with level
// stores in temp dirs and the HTTP liveness routes, for consensus tests.
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { randomBytes } from 'node:crypto';
import { Ed25519Signer } from '../../src/common/ed25519.js';
import { SystemClock } from '../../src/common/clock.js';
import { Rng } from '../../src/common/rng.js';
import { makeCommittee, type Committee } from '../../src/consensus/committee.js';
import { ConsensusService, type Transport } from '../../src/consensus/service.js';
import { LevelConsensusStore } from '../../src/consensus/store.js';
import { decodeMessage, signMessage, type Body } from '../../src/consensus/messages.js';
import { P2PNetwork, peerIdFromSeed, type P2POptions, type TopicHandler } from '../../src/p2p/libp2p.js';
import { livenessRoutes, httpCatchUp } from '../../src/api/liveness-routes.js';
import { closeWithin } from '../../src/api/server.js';
import { openDb, type Db } from '../../src/store/db.js';
import { HeartbeatFeed } from '../../src/sim/heartbeat-feed.js';
import { publicKeyFromSecret } from '../../src/vrf/index.js';
import { tempDir } from './oracle.js';

export interface TestOracle {
  index: number;
  dir: string;
  signingSeed: Uint8Array;
  signer: Ed25519Signer;
  p2pSeed: Uint8Array;
  peerId: string;
  db?: Db;
  service?: ConsensusService;
  p2p?: P2PNetwork;
  http?: FastifyInstance;
  url?: string;
  /** every consensus message this oracle received, for double-sign audits */
  seen: Uint8Array[];
  equivocate?: boolean;
}

export class TestCommittee {
  readonly committee: Committee;
  readonly oracles: TestOracle[];
  readonly feed: HeartbeatFeed;
  private cleanups: Array<() => void> = [];
  /** ECVRF secret keys, by oracle index. */
  readonly vrfSecrets: Uint8Array[];
  /** Further gossip topics per oracle (e.g. selection proofs), set before start. */
  extraTopics: (i: number) => TopicHandler[] = () => [];
  /** Further HTTP routes per oracle (e.g. the chain's selection proofs), set before start. */
  extraRoutes: (i: number) => FastifyPluginAsync | null = () => null;
  /** Further libp2p options for every oracle (e.g. a benchmark's directPeers), set before start. */
  p2pOptions: Partial<P2POptions> = {};
  /**
   * `next`: the committee of another epoch (a rotation): given members' signing and VRF keys (a
   * member without them gets fresh ones), the parameters and heartbeat feed of the committee it
   * follows, and its epoch. Every oracle has a fresh libp2p identity (both committees may run at once).
   */
  constructor(n: number, epochMs = 400, computeNodes = 5, next?: { epoch: number; after: TestCommittee; members: Array<{ signingSeed: Uint8Array; vrfSecret: Uint8Array } | null> }) {
    const now = Date.now();
    const members = Array.from({ length: n }, (_, i) => { const signingSeed = next?.members[i]?.signingSeed ?? new Uint8Array(randomBytes(32)); return { i, signingSeed, signer: new Ed25519Signer(signingSeed), p2pSeed: new Uint8Array(randomBytes(32)) }; });
    this.vrfSecrets = members.map((_, i) => next?.members[i]?.vrfSecret ?? new Uint8Array(randomBytes(32)));
    // a next epoch's committee keeps the parameters but starts its rounds now (a new consensus)
    this.committee = makeCommittee(members.map((m) => ({ name: `oracle-${m.i}`, signingKey: m.signer.publicKey, vrfKey: publicKeyFromSecret(this.vrfSecrets[m.i]!), multiaddrs: [] })), next ? { ...next.after.committee.params, genesisMs: now - (now % next.after.committee.params.epochMs) } : {
      epochMs, genesisMs: now - (now % epochMs), proposeTimeoutMs: 300, prevoteTimeoutMs: 150, precommitTimeoutMs: 150, timeoutDeltaMs: 100, maxSkewMs: 2000,
      liveness: { intervalMs: epochMs, missedForOffline: 3, graceMs: Math.floor(epochMs / 2) },
    }, next?.epoch ?? 0);
    this.feed = next ? next.after.feed : new HeartbeatFeed(computeNodes, epochMs, new Rng(7));
    this.oracles = members.map((m) => {
      const { dir, cleanup } = tempDir('splitup-consensus-');
      this.cleanups.push(cleanup);
      return { index: m.i, dir, signingSeed: m.signingSeed, signer: m.signer, p2pSeed: m.p2pSeed, peerId: '', seen: [] };
    });
  }

  async startAll(): Promise<void> {
    for (const o of this.oracles) o.peerId = await peerIdFromSeed(o.p2pSeed);
    await Promise.all(this.oracles.map((o) => this.start(o.index)));
  }

  private peerUrls(o: TestOracle): string[] { return this.oracles.filter((p) => p !== o && p.url).map((p) => p.url!); }

  async start(i: number): Promise<void> {
    const o = this.oracles[i]!;
    o.db = await openDb(`${o.dir}/db`);
    const service = new ConsensusService({
      committee: this.committee, me: i, signer: o.signer, store: new LevelConsensusStore(o.db), clock: SystemClock,
      source: this.feed.source(() => Date.now()),
      catchUp: httpCatchUp(() => this.peerUrls(o)),
    });
    o.service = service;
    o.http = Fastify();
    await o.http.register(livenessRoutes(service));
    const extra = this.extraRoutes(i);
    if (extra) await o.http.register(extra);
    o.url = await o.http.listen({ host: '127.0.0.1', port: 0 });
    o.p2p = new P2PNetwork({
      seed: o.p2pSeed, listen: ['/ip4/127.0.0.1/tcp/0'], topic: `splitup/consensus/v1/${Buffer.from(this.committee.id).toString('hex')}`, peers: [],
      validate: (d) => service.precheck(d),
      onMessage: (d) => { o.seen.push(d); service.receiveValidated(d); },
      extraTopics: this.extraTopics(i),
      ...this.p2pOptions,
    });
    await o.p2p.start();
    const transport: Transport = o.equivocate
      ? { publish: async (d) => { await o.p2p!.publish(d); const twin = this.twin(o, d); if (twin) await o.p2p!.publish(twin); } }
      : { publish: (d) => o.p2p!.publish(d) };
    await service.start(transport);
    this.refreshPeers();
  }

  /** A conflicting message for the same (round, view, kind), signed by the equivocator. */
  private twin(o: TestOracle, d: Uint8Array): Uint8Array | null {
    const m = decodeMessage(d);
    let body: Body;
    if (m.kind === 'proposal') body = { ...m, asOf: m.asOf + 1 };
    else if (m.kind === 'prevote' || m.kind === 'precommit') body = { ...m, value: m.value ? null : new Uint8Array(randomBytes(32)) };
    else return null;
    return signMessage(body, o.signer).bytes;
  }

  refreshPeers(): void {
    const peers = this.oracles.filter((o) => o.p2p).map((o) => ({ peerId: o.peerId, multiaddrs: o.p2p!.addresses }));
    for (const o of this.oracles) o.p2p?.setPeers(peers);
  }

  async stop(i: number): Promise<void> {
    const o = this.oracles[i]!;
    await o.service?.stop();
    await o.p2p?.stop();
    if (o.http) await closeWithin(o.http);
    await o.db?.close();
    o.service = undefined; o.p2p = undefined; o.http = undefined; o.url = undefined; o.db = undefined;
  }

  head(i: number): bigint { return this.oracles[i]!.service?.latest.committed.round ?? -2n; }

  async committedHash(i: number, round: bigint): Promise<string | null> {
    const c = await this.oracles[i]!.service?.getCommitted(round);
    return c ? Buffer.from(c.committed.hash).toString('hex') : null;
  }

  /** (sender, round, view, kind) with two different signed messages, among all messages seen. */
  doubleSigned(sender: number): number {
    const by = new Map<string, string>();
    let bad = 0;
    for (const o of this.oracles) for (const d of o.seen) {
      let m; try { m = decodeMessage(d); } catch { continue; }
      if (m.sender !== sender || m.kind === 'decision' || m.kind === 'head') continue;
      const k = `${m.round}/${m.view}/${m.kind}`, h = Buffer.from(d).toString('hex');
      if (by.has(k) && by.get(k) !== h) bad++;
      by.set(k, h);
    }
    return bad;
  }

  async close(): Promise<void> {
    for (const o of this.oracles) await this.stop(o.index).catch(() => {});
    for (const c of this.cleanups) c();
  }
}
