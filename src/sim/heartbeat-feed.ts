// Deterministic compute nodes for simulations: node j heartbeats every
// interval at a fixed phase; `down` windows model crashed or flapping nodes,
// and dormant nodes are registered but never heartbeat.
//
// What an oracle hears is modelled, not signed: the attestation path (bitmaps,
// signed attestations, proposals, validation) is the real one, while heartbeat
// signing and verification — the intake's job, measured in bench/heartbeat.ts —
// are left out, so 100,000 nodes cost arithmetic per node and round. Node keys
// are real Ed25519 public keys from per-node seeds (the chain simulation
// registers them), or, with `modelledKeys`, random 32-byte ids (large runs).
import { Ed25519Signer } from '../common/ed25519.js';
import { compareBytes } from '../common/bytes.js';
import type { Rng } from '../common/rng.js';
import type { LivenessSource } from '../consensus/validity.js';
import type { TableEntry } from '../liveness/table.js';

export interface FeedNode { seed: Uint8Array; nodeId: Uint8Array; phase: number; down: Array<[number, number]>; dormant: boolean }

export class HeartbeatFeed {
  readonly nodes: FeedNode[];
  private readonly index = new Map<string, number>();
  private readonly byObject = new WeakMap<Uint8Array, number>();
  constructor(count: number, readonly intervalMs: number, rng: Rng, opts: { dormant?: number; modelledKeys?: boolean } = {}) {
    const dormant = opts.dormant ?? 0;
    this.nodes = Array.from({ length: count + dormant }, (_, j) => {
      const seed = rng.bytes(32);
      const nodeId = opts.modelledKeys ? rng.bytes(32) : new Ed25519Signer(seed).publicKey;
      return { seed, nodeId, phase: rng.int(intervalMs), down: [], dormant: j >= count };
    });
    for (const [j, n] of this.nodes.entries()) { this.index.set(Buffer.from(n.nodeId).toString('hex'), j); this.byObject.set(n.nodeId, j); }
  }

  /** Position of a node id in `nodes`, −1 if unknown. */
  indexOf(id: Uint8Array): number {
    const j = this.byObject.get(id);
    if (j !== undefined) return j;
    const k = this.index.get(Buffer.from(id).toString('hex'));
    if (k === undefined) return -1;
    this.byObject.set(id, k);
    return k;
  }

  isRegistered = (id: Uint8Array): boolean => this.indexOf(id) >= 0;

  /** Timestamp of the newest heartbeat node j has sent by time t, or −Infinity (none yet, or dormant). */
  lastSeenAt(j: number, t: number): number {
    const n = this.nodes[j]!;
    if (n.dormant) return -Infinity;
    let k = Math.floor((t - n.phase) / this.intervalMs);
    for (let guard = 0; k >= 0 && guard <= n.down.length; guard++) {
      const ts = n.phase + k * this.intervalMs;
      const w = n.down.find(([a, b]) => ts >= a && ts < b);
      if (!w) return ts;
      k = Math.floor((w[0] - 1 - n.phase) / this.intervalMs); // the last beat before the window
    }
    return -Infinity;
  }

  /**
   * What oracle `oracle` hears at time now(): every heartbeat sent by then, except from the nodes
   * it is deaf to (`deaf(oracle, j)`).
   */
  source(now: () => number, deaf: (j: number) => boolean = () => false): LivenessSource {
    const mark = (roster: readonly TableEntry[]) => {
      const seen = new Uint8Array(this.nodes.length);
      for (const e of roster) { const j = this.indexOf(e.nodeId); if (j >= 0) seen[j] = 1; }
      return seen;
    };
    return {
      attest: (roster, since) => {
        const t = now();
        const bits = new Uint8Array((roster.length + 7) >> 3);
        for (let i = 0; i < roster.length; i++) {
          const j = this.indexOf(roster[i]!.nodeId);
          if (j >= 0 && !deaf(j) && this.lastSeenAt(j, t) >= since) bits[i >> 3]! |= 0x80 >> (i & 7);
        }
        return bits;
      },
      newcomers: (roster, since, max) => {
        const t = now();
        const inRoster = mark(roster);
        const out: Uint8Array[] = [];
        for (let j = 0; j < this.nodes.length; j++) if (!inRoster[j] && !deaf(j) && this.lastSeenAt(j, t) >= since) out.push(this.nodes[j]!.nodeId);
        return out.sort(compareBytes).slice(0, max);
      },
      isRegistered: this.isRegistered,
    };
  }
}
