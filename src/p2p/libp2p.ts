// The committee's libp2p network: TCP + noise + yamux + identify +
// gossipsub on one per-committee topic. The committee is small and known, so
// every member is a gossipsub *direct peer* (always forwarded to, reconnected
// by gossipsub) and is also dialled by a reconnect loop here. Consensus
// messages carry their own Ed25519 signatures, so gossipsub's per-message
// signing is off (StrictNoSign) and message ids are the SHA-256 of the data.
// Every message is validated (signature, membership, round window) before it
// is delivered or forwarded.
//
// Gossip envelope: 8-byte send counter ‖ message. gossipsub drops any message
// whose id it has seen, and the consensus layer deliberately re-sends the
// same signed bytes (after loss or a partition); the counter gives every send
// its own id while the signed message inside stays byte-identical.
import { createHash } from 'node:crypto';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { gossipsub } from '@chainsafe/libp2p-gossipsub';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import { keyFromSeed } from './peer-id.js';
import { multiaddr } from '@multiformats/multiaddr';
import { TopicValidatorResult, type PeerId } from '@libp2p/interface';

// Parts of the libp2p stack call Promise.withResolvers (ES2024), which Node 20 lacks.
if (typeof (Promise as unknown as { withResolvers?: unknown }).withResolvers !== 'function') {
  (Promise as unknown as { withResolvers: () => unknown }).withResolvers = function withResolvers<T>() {
    let resolve!: (v: T | PromiseLike<T>) => void, reject!: (e?: unknown) => void;
    const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}

export interface P2PPeer { peerId: string; multiaddrs: string[] }

export interface P2POptions {
  /** 32-byte seed of the libp2p Ed25519 identity (persisted with the oracle's keys). */
  seed: Uint8Array;
  listen: string[];
  topic: string;
  peers: P2PPeer[];
  /** Returns a reason to reject, or undefined to accept and forward. */
  validate: (data: Uint8Array) => string | undefined;
  onMessage: (data: Uint8Array) => void;
  /** Further topics on the same peers (e.g. selection proofs), each with its own validation. */
  extraTopics?: TopicHandler[];
  reconnectMs?: number;
  /**
   * Refuse connections with any peer that is not in `peers` (the committee). Gossipsub's peer
   * scoring exempts direct peers, so members are bounded by the consensus core's per-member
   * limits; everyone else is kept out here, before a stream is opened.
   */
  membersOnly?: boolean;
  /** Make members gossipsub direct peers (every message forwarded to every member: n² sends; for comparison only). */
  directPeers?: boolean;
}

export interface TopicHandler {
  topic: string;
  validate: (data: Uint8Array) => string | undefined;
  onMessage: (data: Uint8Array) => void;
}

export { peerIdFromSeed } from './peer-id.js';

export class P2PNetwork {
  private node: Libp2p | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Peers whose connections are refused (partition tests and operator bans). */
  readonly blocked = new Set<string>();
  private readonly missing = new Map<string, number>();
  private readonly unsubscribed = new Map<string, number>();
  rejected = 0;
  /** connections refused because the peer is not a committee member (membersOnly) */
  outsidersRefused = 0;
  /** connections recycled because gossipsub never came up on them */
  recycled = 0;
  private sendCounter = BigInt(Date.now()) * 1000n;

  constructor(private readonly o: P2POptions) {}

  get peerId(): string { return this.node!.peerId.toString(); }
  get addresses(): string[] { return this.node!.getMultiaddrs().map((a) => a.toString()); }
  connectedPeers(): string[] { return this.node ? this.node.getPeers().map((p) => p.toString()) : []; }

  async start(): Promise<void> {
    const privateKey = await keyFromSeed(this.o.seed);
    const blocked = (p: PeerId) => {
      const id = p.toString();
      if (this.blocked.has(id)) return true;
      if (this.o.membersOnly && !this.o.peers.some((x) => x.peerId === id)) { this.outsidersRefused++; return true; }
      return false;
    };
    const direct = this.o.peers.filter((p) => p.peerId !== peerIdFromPrivateKey(privateKey).toString())
      .map((p) => ({ id: peerIdFromString(p.peerId), addrs: p.multiaddrs.map((a) => multiaddr(a)) }));
    this.node = await createLibp2p({
      privateKey,
      addresses: { listen: this.o.listen },
      transports: [tcp()],
      // libp2p refuses more than 5 inbound connections per second from one host and holds at most
      // 10 connecting at once: committees that share a host (a local committee, tests, several
      // oracles behind one NAT) exceed that while they all dial each other, and n = 10 never got
      // connected (connections refused and redialled in a loop). The committee is small and known:
      // allow a few connections per member.
      connectionManager: { inboundConnectionThreshold: Math.max(5, 4 * this.o.peers.length, 64), maxIncomingPendingConnections: Math.max(10, 4 * this.o.peers.length, 64) },
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: {
        denyDialPeer: async (p) => blocked(p),
        denyInboundEncryptedConnection: async (p) => blocked(p),
        denyOutboundEncryptedConnection: async (p) => blocked(p),
        denyDialMultiaddr: async () => false,
      },
      services: {
        identify: identify(),
        pubsub: gossipsub({
          emitSelf: false,
          allowPublishToZeroTopicPeers: true,
          floodPublish: true,
          globalSignaturePolicy: 'StrictNoSign',
          msgIdFn: (m) => new Uint8Array(createHash('sha256').update(m.data).digest()),
          // Members are NOT gossipsub direct peers: gossipsub forwards every message to every
          // direct peer, so each message crossed the committee (n − 1)² times (81 sends per vote
          // at n = 10, CPU-bound in noise and yamux). The redial loop below keeps every member
          // connected; publishing floods to all of them, and a small mesh relays for partial
          // connectivity, so each message reaches each oracle a few times, not n times.
          ...(this.o.directPeers ? { directPeers: direct, directConnectTicks: 5 } : {}),
          heartbeatInterval: 500,
          D: 2, Dlo: 1, Dhi: 3, Dout: 1, Dlazy: 2,
          // members share hosts in local committees and tests, and outsiders are refused by the
          // gate: no colocation penalty, and thresholds no honest member's score can reach
          scoreParams: { IPColocationFactorWeight: 0 },
          scoreThresholds: { gossipThreshold: -1e6, publishThreshold: -2e6, graylistThreshold: -3e6 },
        }),
      },
    });
    const pubsub = this.node.services.pubsub as ReturnType<ReturnType<typeof gossipsub>>;
    const handlers: TopicHandler[] = [{ topic: this.o.topic, validate: this.o.validate, onMessage: this.o.onMessage }, ...(this.o.extraTopics ?? [])];
    for (const h of handlers) {
      pubsub.topicValidators.set(h.topic, (_peer, msg) => {
        if (msg.data.length <= 8) { this.rejected++; return TopicValidatorResult.Reject; }
        const reason = h.validate(msg.data.subarray(8));
        if (reason === 'stale') return TopicValidatorResult.Ignore; // old but honest: drop without penalty
        if (reason) { this.rejected++; return TopicValidatorResult.Reject; }
        return TopicValidatorResult.Accept;
      });
      pubsub.subscribe(h.topic);
    }
    pubsub.addEventListener('message', (evt) => {
      const h = handlers.find((x) => x.topic === evt.detail.topic);
      if (h && evt.detail.data.length > 8) h.onMessage(evt.detail.data.subarray(8));
    });
    this.timer = setInterval(() => { this.redial(); }, this.o.reconnectMs ?? 500);
    this.redial();
  }

  /** Replaces the committee peer list (e.g. once ephemeral ports are known) and dials them. */
  setPeers(peers: P2PPeer[]): void {
    this.o.peers = peers;
    this.redial();
  }

  /**
   * Keeps the committee connected: dials missing peers, and repairs
   * connections whose gossipsub stream never came up (a peer connected but not
   * listed as subscribed to the topic for two checks in a row is hung up and
   * redialled — simultaneous dials can leave gossipsub on a closed duplicate).
   * To make simultaneous dials rare, the peer with the smaller id dials first;
   * the other side joins in if still unconnected after a few checks.
   */
  redial(): void {
    const node = this.node;
    if (!node) return;
    const me = this.peerId;
    const connected = new Set(this.connectedPeers());
    const pubsub = node.services.pubsub as ReturnType<ReturnType<typeof gossipsub>>;
    const subscribed = new Set(pubsub.getSubscribers(this.o.topic).map((p) => p.toString()));
    for (const p of this.o.peers) {
      if (p.peerId === me || this.blocked.has(p.peerId)) continue;
      if (connected.has(p.peerId)) {
        this.missing.delete(p.peerId);
        const strikes = subscribed.has(p.peerId) ? 0 : (this.unsubscribed.get(p.peerId) ?? 0) + 1;
        this.unsubscribed.set(p.peerId, strikes);
        if (strikes >= 10) {
          this.unsubscribed.delete(p.peerId);
          this.recycled++;
          node.hangUp(peerIdFromString(p.peerId)).catch(() => {});
        }
        continue;
      }
      const waited = (this.missing.get(p.peerId) ?? 0) + 1;
      this.missing.set(p.peerId, waited);
      if (me < p.peerId || waited > 3) {
        const a = p.multiaddrs[0];
        if (a) node.dial(multiaddr(a)).catch(() => {});
      }
    }
  }

  publish(data: Uint8Array): Promise<void> { return this.publishTo(this.o.topic, data); }

  /** Publishes on one of this network's topics (8-byte counter envelope, so equal payloads stay distinct messages). */
  async publishTo(topic: string, data: Uint8Array): Promise<void> {
    if (!this.node) return;
    const env = new Uint8Array(8 + data.length);
    new DataView(env.buffer).setBigUint64(0, this.sendCounter++, false);
    env.set(data, 8);
    try { await (this.node.services.pubsub as ReturnType<ReturnType<typeof gossipsub>>).publish(topic, env); } catch { /* no peers yet: rebroadcasts cover it */ }
  }

  /** Cuts and refuses connections to these peers (a partition, seen from here). */
  async block(peerIds: string[]): Promise<void> {
    for (const p of peerIds) {
      this.blocked.add(p);
      await this.node?.hangUp(peerIdFromString(p)).catch(() => {});
    }
  }

  unblock(peerIds: string[]): void {
    for (const p of peerIds) this.blocked.delete(p);
    this.redial();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.node?.stop();
    this.node = null;
  }
}
