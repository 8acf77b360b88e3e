// Deterministic compute nodes for simulations: node j heartbeats every
// interval at a fixed phase; `down` windows model crashed or flapping nodes.
// Signatures are real (node:crypto Ed25519) and cached per heartbeat.
import { Ed25519Signer } from '../common/ed25519.js';
import { heartbeatSigningBytes } from '../liveness/heartbeat-codec.js';
import { toBase58 } from '../common/bytes.js';
import type { Rng } from '../common/rng.js';
import type { HeartbeatCandidate } from '../consensus/validity.js';

export interface FeedNode { seed: Uint8Array; signer: Ed25519Signer; nodeId: Uint8Array; phase: number; down: Array<[number, number]> }

export class HeartbeatFeed {
  readonly nodes: FeedNode[];
  private cache = new Map<string, HeartbeatCandidate>();
  constructor(count: number, readonly intervalMs: number, rng: Rng) {
    this.nodes = Array.from({ length: count }, () => {
      const seed = rng.bytes(32);
      const signer = new Ed25519Signer(seed);
      return { seed, signer, nodeId: signer.publicKey, phase: rng.int(intervalMs), down: [] };
    });
  }
  isRegistered = (id: Uint8Array): boolean => this.nodes.some((n) => Buffer.compare(n.nodeId, id) === 0);

  /** The newest heartbeat each node has sent by time t (what an oracle that saw everything holds). */
  latest(t: number): HeartbeatCandidate[] {
    const out: HeartbeatCandidate[] = [];
    for (const [j, n] of this.nodes.entries()) {
      let k = Math.floor((t - n.phase) / this.intervalMs);
      while (k >= 0 && n.down.some(([a, b]) => { const ts = n.phase + k * this.intervalMs; return ts >= a && ts < b; })) k--;
      if (k < 0) continue;
      const key = `${j}/${k}`;
      let c = this.cache.get(key);
      if (!c) {
        const timestamp = n.phase + k * this.intervalMs;
        const bytes = heartbeatSigningBytes({ nodeId: toBase58(n.nodeId), timestamp, seq: BigInt(k + 1), nodeStatus: 'idle', hasCapacity: true, vramFreeMb: 1024 }, n.nodeId);
        c = { nodeId: n.nodeId, lastSeen: timestamp, lastSeq: BigInt(k + 1), evidence: { bytes, sig: n.signer.sign(bytes) } };
        this.cache.set(key, c);
      }
      out.push(c);
    }
    return out;
  }
}
