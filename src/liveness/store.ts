// HeartbeatStore on level: one key per node under the `heartbeats` sublevel.
import { sub, type Db } from '../store/db.js';
import type { HeartbeatStore, NodeRecord } from './tracker.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function encode(r: NodeRecord): Uint8Array {
  return enc.encode(JSON.stringify({ lastSeq: r.lastSeq.toString(), lastSeen: r.lastSeen, receivedAt: r.receivedAt, heartbeat: r.heartbeat }));
}

function decode(b: Uint8Array): NodeRecord {
  const o = JSON.parse(dec.decode(b));
  return { lastSeq: BigInt(o.lastSeq), lastSeen: o.lastSeen, receivedAt: o.receivedAt, heartbeat: o.heartbeat };
}

export class LevelHeartbeatStore implements HeartbeatStore {
  private readonly db;
  constructor(db: Db) { this.db = sub(db, 'heartbeats'); }
  async loadAll(): Promise<Array<[string, NodeRecord]>> {
    const out: Array<[string, NodeRecord]> = [];
    for await (const [k, v] of this.db.iterator()) out.push([k, decode(v)]);
    return out;
  }
  async saveMany(records: Array<[string, NodeRecord]>): Promise<void> {
    // level batches are atomic; LevelDB's write-ahead log makes them survive a process kill.
    await this.db.batch(records.map(([k, r]) => ({ type: 'put' as const, key: k, value: encode(r) })));
  }
}

/** In-memory store for tests and the simulator (the simulator models crashes itself). */
export class MemoryHeartbeatStore implements HeartbeatStore {
  readonly data = new Map<string, Uint8Array>();
  async loadAll(): Promise<Array<[string, NodeRecord]>> { return [...this.data].map(([k, v]) => [k, decode(v)]); }
  async saveMany(records: Array<[string, NodeRecord]>): Promise<void> { for (const [k, r] of records) this.data.set(k, encode(r)); }
}
