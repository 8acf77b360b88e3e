// HeartbeatStore on level: one key per node under the `heartbeats` sublevel.
//
// Record encoding (v2, 95 bytes; integers big-endian), written since 2026-11-27:
//   0x02 version | lastSeq u64 | lastSeen u64 (the heartbeat's own timestamp, ms) |
//   receivedAt u64 (ms) | nodeStatus u8 | hasCapacity u8 | vramFreeMb u32 | signature 64 bytes
// The node's key is the record's key (base58 nodeId), and the accepted heartbeat is rebuilt
// exactly from these fields (the tracker stores it normalised: seq as a decimal string,
// signature as lower-case hex). A fifth of the JSON record's size (~480 bytes), and no JSON on the intake
// path: at single-request intake the JSON encoding and its larger level writes cost ~10 µs per
// heartbeat. Records written as JSON by earlier versions (first byte `{`) are still read.
import { fromBase58, fromHex, toHex } from '../common/bytes.js';
import { NODE_STATUSES } from './heartbeat-codec.js';
import { sub, type Db } from '../store/db.js';
import type { HeartbeatStore, NodeRecord } from './tracker.js';

const dec = new TextDecoder();
const RECORD_V2 = 0x02;
const RECORD_V2_LENGTH = 1 + 8 + 8 + 8 + 1 + 1 + 4 + 64;

export function encodeRecord(r: NodeRecord): Uint8Array {
  const p = r.heartbeat.payload;
  // from Node's pooled off-heap memory: every byte is written below. A fresh small Uint8Array lives
  // on V8's heap, and handing it to level's native batch moves it off the heap first: ~10 µs per
  // record, a quarter of a heartbeat's intake cost (measured).
  const out = Buffer.allocUnsafe(RECORD_V2_LENGTH);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[0] = RECORD_V2;
  dv.setBigUint64(1, r.lastSeq);
  dv.setBigUint64(9, BigInt(r.lastSeen));
  dv.setBigUint64(17, BigInt(r.receivedAt));
  out[25] = NODE_STATUSES.indexOf(p.nodeStatus);
  out[26] = p.hasCapacity ? 1 : 0;
  dv.setUint32(27, p.vramFreeMb);
  out.set(fromHex(r.heartbeat.signature), 31);
  return out;
}

export function decodeRecord(nodeId: string, b: Uint8Array): NodeRecord {
  if (b[0] === 0x7b) { // '{': a JSON record of an earlier version
    const o = JSON.parse(dec.decode(b));
    return { lastSeq: BigInt(o.lastSeq), lastSeen: o.lastSeen, receivedAt: o.receivedAt, heartbeat: o.heartbeat };
  }
  if (b[0] !== RECORD_V2 || b.length !== RECORD_V2_LENGTH) throw new Error(`heartbeat record of ${nodeId}: unknown encoding (version ${b[0]}, ${b.length} bytes)`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const nodeStatus = NODE_STATUSES[b[25]!];
  if (!nodeStatus) throw new Error(`heartbeat record of ${nodeId}: invalid nodeStatus ${b[25]}`);
  fromBase58(nodeId, 32); // the key must be a node key
  const lastSeq = dv.getBigUint64(1), lastSeen = Number(dv.getBigUint64(9)), receivedAt = Number(dv.getBigUint64(17));
  return {
    lastSeq, lastSeen, receivedAt,
    heartbeat: {
      payload: { nodeId, timestamp: lastSeen, seq: lastSeq.toString(), nodeStatus, hasCapacity: b[26] === 1, vramFreeMb: dv.getUint32(27) },
      signature: toHex(b.subarray(31, 95)),
      publicKey: nodeId,
    },
  };
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
    for await (const [k, v] of this.db.iterator()) out.push([k, decodeRecord(k, v)]);
    return out;
  }
  async saveMany(records: Array<[string, NodeRecord]>): Promise<void> {
    // level batches are atomic; LevelDB's write-ahead log makes them survive a process kill.
    // With `sync` the batch is also fsync'ed (level's sync option) before it resolves.
    // No options object unless syncing: abstract-level copies the options into every operation of
    // a sublevel's batch, which cost ~25 µs per heartbeat at single-request intake (measured).
    const ops = records.map(([k, r]) => ({ type: 'put' as const, key: k, value: encodeRecord(r) }));
    if (this.o.sync === true) await this.db.batch(ops, { sync: true } as never);
    else await this.db.batch(ops);
  }
}

/** In-memory store for tests and the simulator (the simulator models crashes itself). */
export class MemoryHeartbeatStore implements HeartbeatStore {
  readonly data = new Map<string, Uint8Array>();
  async loadAll(): Promise<Array<[string, NodeRecord]>> { return [...this.data].map(([k, v]) => [k, decodeRecord(k, v)]); }
  async saveMany(records: Array<[string, NodeRecord]>): Promise<void> { for (const [k, r] of records) this.data.set(k, encodeRecord(r)); }
}
