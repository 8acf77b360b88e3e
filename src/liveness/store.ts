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
  /**
   * `sync`: each batch is fsync'ed before saveMany resolves (an acknowledged heartbeat survives an
   * OS crash or power loss, not only a process kill); the tracker's group commit shares one fsync
   * among all heartbeats that arrived while the previous batch was being written.
   */
  constructor(db: Db, readonly o: { sync?: boolean } = {}) { this.db = sub(db, 'heartbeats'); }
  async loadAll(): Promise<Array<[string, NodeRecord]>> {
    const out: Array<[string, NodeRecord]> = [];
    for await (const [k, v] of this.db.iterator()) out.push([k, decode(v)]);
    return out;
  }
  async saveMany(records: Array<[string, NodeRecord]>): Promise<void> {
    // level batches are atomic; LevelDB's write-ahead log makes them survive a process kill.
    // With `sync` the batch is also fsync'ed (level's sync option) before it resolves.
    await this.db.batch(records.map(([k, r]) => ({ type: 'put' as const, key: k, value: encode(r) })), { sync: this.o.sync === true } as never);
  }
}

/** In-memory store for tests and the simulator (the simulator models crashes itself). */
export class MemoryHeartbeatStore implements HeartbeatStore {
  readonly data = new Map<string, Uint8Array>();
  async loadAll(): Promise<Array<[string, NodeRecord]>> { return [...this.data].map(([k, v]) => [k, decode(v)]); }
  async saveMany(records: Array<[string, NodeRecord]>): Promise<void> { for (const [k, r] of records) this.data.set(k, encode(r)); }
}
