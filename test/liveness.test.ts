import t from 'tap';
import { readFileSync } from 'node:fs';
import { ManualClock } from '../src/common/clock.js';
import { Ed25519Signer } from '../src/common/ed25519.js';
import { concatBytes, fromHex, toBase58, toHex, u32be, u64be, utf8 } from '../src/common/bytes.js';
import { heartbeatFromJson, heartbeatSigningBytes, signHeartbeat, HEARTBEAT_SIGNED_LENGTH } from '../src/liveness/heartbeat-codec.js';
import { checkHeartbeatSignature, checkHeartbeatSignatureIntake, INTAKE_VERIFIER, parseSignedHeartbeat, verifySignedHeartbeat } from '../src/liveness/verify.js';
import { VerifyPool } from '../src/liveness/verify-pool.js';
import { LivenessTracker, REJECT_HTTP_STATUS, type HeartbeatStore } from '../src/liveness/tracker.js';
import { MemoryHeartbeatStore } from '../src/liveness/store.js';
import { statusAt } from '../src/liveness/status.js';
import { StaticRegistry } from '../src/registry/registry.js';
import { TestNode } from './helpers/heartbeat.js';

const T0 = 1_764_000_000_000;
const timing = { intervalMs: 1000, missedForOffline: 3, graceMs: 100 };

async function setup(nodes: TestNode[], opts: { inactive?: TestNode[]; store?: HeartbeatStore } = {}) {
  const clock = new ManualClock(T0);
  const registry = new StaticRegistry([...nodes.map((n) => ({ nodeId: n.nodeId, active: true, specializations: [1] })), ...(opts.inactive ?? []).map((n) => ({ nodeId: n.nodeId, active: false, specializations: [1] }))]);
  const store = opts.store ?? new MemoryHeartbeatStore();
  const tracker = await LivenessTracker.open({ clock, registry, store, timing, maxSkewMs: 5000, rateBurst: 3, rateRefillMs: 500 });
  return { clock, registry, store, tracker };
}

t.test('test vectors: canonical bytes and signatures', async (t) => {
  const doc = JSON.parse(readFileSync(new URL('./vectors/heartbeat-v1.json', import.meta.url), 'utf8'));
  t.equal(doc.vectors.length, 3);
  for (const v of doc.vectors) {
    const data = heartbeatFromJson(v.signed.payload);
    const bytes = heartbeatSigningBytes(data);
    t.equal(bytes.length, HEARTBEAT_SIGNED_LENGTH);
    t.equal(toHex(bytes), v.signingBytes, 'canonical bytes');
    const again = signHeartbeat(new Ed25519Signer(fromHex(v.secretKeySeed)), { ...data });
    t.equal(again.signature, v.signed.signature, 'deterministic signature');
    t.ok(verifySignedHeartbeat(v.signed).ok, 'vector verifies');
  }
});

t.test('stateless verification rejects forged, mismatched and malformed heartbeats', async (t) => {
  const a = new TestNode(), b = new TestNode();
  const hb = a.heartbeat(T0);
  t.ok(verifySignedHeartbeat(hb).ok);
  const forged = { ...hb, payload: { ...hb.payload, vramFreeMb: 1 } };
  t.match(verifySignedHeartbeat(forged), { ok: false, code: 'BAD_SIGNATURE' });
  const otherKey = { ...hb, publicKey: b.nodeId };
  t.match(verifySignedHeartbeat(otherKey), { ok: false, code: 'KEY_MISMATCH' });
  const signedByB = { ...b.heartbeat(T0), payload: { ...b.heartbeat(T0).payload, nodeId: a.nodeId }, publicKey: a.nodeId };
  t.match(verifySignedHeartbeat(signedByB), { ok: false, code: 'BAD_SIGNATURE' }, 'signature by another key');
  for (const bad of [null, [], {}, { ...hb, signature: 'zz'.repeat(64) }, { ...hb, payload: { ...hb.payload, seq: '-1' } }, { ...hb, payload: { ...hb.payload, seq: '18446744073709551616' } }, { ...hb, payload: { ...hb.payload, nodeStatus: 'asleep' } }, { ...hb, payload: { ...hb.payload, nodeId: '1111' } }, { ...hb, payload: { ...hb.payload, timestamp: 1.5 } }]) {
    t.match(verifySignedHeartbeat(bad), { ok: false, code: 'MALFORMED' }, JSON.stringify(bad)?.slice(0, 60));
  }
});

t.test('every acceptance rule and rejection code', async (t) => {
  const a = new TestNode(), stranger = new TestNode(), idle = new TestNode();
  const { tracker, clock } = await setup([a], { inactive: [idle] });
  t.match(await tracker.submit(a.heartbeat(T0)), { ok: true, status: 'online' });
  t.match(await tracker.submit(stranger.heartbeat(T0)), { ok: false, code: 'UNREGISTERED_NODE' });
  t.match(await tracker.submit(idle.heartbeat(T0)), { ok: false, code: 'NODE_INACTIVE' });
  t.match(await tracker.submit(a.heartbeat(T0 - 5001)), { ok: false, code: 'STALE_TIMESTAMP' });
  t.match(await tracker.submit(a.heartbeat(T0 + 5001)), { ok: false, code: 'FUTURE_TIMESTAMP' });
  t.match(await tracker.submit(a.heartbeat(T0 + 5000)), { ok: true }, 'edge of skew accepted');
  const replay = a.heartbeat(T0, { seq: 1n });
  t.match(await tracker.submit(replay), { ok: false, code: 'REPLAYED_SEQ' }, 'same seq again');
  const hb = a.heartbeat(T0);
  t.match(await tracker.submit({ ...hb, payload: { ...hb.payload, hasCapacity: false } }), { ok: false, code: 'BAD_SIGNATURE' });
  t.match(await tracker.submit({ ...hb, publicKey: stranger.nodeId }), { ok: false, code: 'KEY_MISMATCH' });
  t.match(await tracker.submit({ payload: 'x' }), { ok: false, code: 'MALFORMED' });
  t.equal(tracker.record(a.nodeId)?.lastSeq, 4n, 'rejected heartbeats change nothing (seq 4 was the last accepted)');
  // every code maps to its own HTTP status
  t.equal(new Set(Object.values(REJECT_HTTP_STATUS)).size, Object.keys(REJECT_HTTP_STATUS).length);
  clock.advance(1);
});

t.test('per-node token bucket stops a flood from one node only', async (t) => {
  const a = new TestNode(), b = new TestNode();
  const { tracker, clock } = await setup([a, b]);
  const results = [];
  for (let i = 0; i < 10; i++) results.push(await tracker.submit(a.heartbeat(T0)));
  t.equal(results.filter((r) => r.ok).length, 3, 'burst of 3 accepted');
  t.ok(results.slice(3).every((r) => !r.ok && r.code === 'RATE_LIMITED'));
  t.match(await tracker.submit(b.heartbeat(T0)), { ok: true }, 'other nodes unaffected');
  clock.advance(500);
  t.match(await tracker.submit(a.heartbeat(T0 + 500)), { ok: true }, 'one token back after refill period');
  t.match(await tracker.submit(a.heartbeat(T0 + 500)), { ok: false, code: 'RATE_LIMITED' });
});

t.test('forged heartbeats do not consume the victim node rate budget', async (t) => {
  const a = new TestNode();
  const { tracker } = await setup([a]);
  for (let i = 0; i < 20; i++) {
    const hb = a.heartbeat(T0);
    await tracker.submit({ ...hb, payload: { ...hb.payload, vramFreeMb: 7 } });
  }
  t.match(await tracker.submit(a.heartbeat(T0)), { ok: true });
});

t.test('liveness transitions online → suspect → offline under a fake clock', async (t) => {
  const a = new TestNode(), never = new TestNode();
  const { tracker, clock } = await setup([a, never]);
  t.equal(tracker.status(a.nodeId), 'offline', 'never seen');
  await tracker.submit(a.heartbeat(T0));
  const at = (ms: number) => { clock.set(T0 + ms); return tracker.status(a.nodeId); };
  t.equal(at(0), 'online');
  t.equal(at(1100), 'online', 'within interval + grace');
  t.equal(at(1101), 'suspect', 'one missed');
  t.equal(at(2500), 'suspect', 'two missed');
  t.equal(at(3100), 'suspect');
  t.equal(at(3101), 'offline', 'three missed');
  await tracker.submit(a.heartbeat(T0 + 3101));
  t.equal(tracker.status(a.nodeId), 'online', 'back online on a fresh heartbeat');
  t.equal(statusAt(0, T0), 'offline');
  t.same(tracker.countByStatus(), { online: 1, suspect: 0, offline: 1 });
});

t.test('seq survives a restart from the store (no replay reopens)', async (t) => {
  const a = new TestNode();
  const store = new MemoryHeartbeatStore();
  const first = await setup([a], { store });
  const hb5 = a.heartbeat(T0, { seq: 5n });
  t.match(await first.tracker.submit(hb5), { ok: true });
  const second = await setup([a], { store });
  t.match(await second.tracker.submit(hb5), { ok: false, code: 'REPLAYED_SEQ' });
  t.match(await second.tracker.submit(a.heartbeat(T0, { seq: 4n })), { ok: false, code: 'REPLAYED_SEQ' });
  t.match(await second.tracker.submit(a.heartbeat(T0, { seq: 6n })), { ok: true });
  t.same(second.tracker.record(a.nodeId)?.heartbeat.payload.seq, '6');
});

t.test('store failure is reported, not acknowledged', async (t) => {
  const a = new TestNode();
  const store = new MemoryHeartbeatStore();
  store.saveMany = async () => { throw new Error('disk full'); };
  const { tracker } = await setup([a], { store });
  t.match(await tracker.submit(a.heartbeat(T0)), { ok: false, code: 'STORE_UNAVAILABLE' });
});

t.test('intake verifier: same verdicts as node:crypto on valid and forged heartbeats, stricter on small-order keys', async (t) => {
  t.equal(INTAKE_VERIFIER, 'libsodium', 'sodium-native is installed: the intake uses libsodium');
  const nodes = Array.from({ length: 4 }, () => new TestNode());
  let checked = 0;
  for (let i = 0; i < 200; i++) {
    const n = nodes[i % 4]!;
    const hb = n.heartbeat(T0 + i, { seq: BigInt(i + 1) });
    const variants = [hb, { ...hb, payload: { ...hb.payload, vramFreeMb: i } }, { ...hb, signature: hb.signature.slice(0, 2 * (i % 64)) + (hb.signature[2 * (i % 64)] === 'a' ? 'b' : 'a') + hb.signature.slice(2 * (i % 64) + 1) }];
    for (const v of variants) {
      const p = parseSignedHeartbeat(v);
      if (!p.ok) { t.fail(`variant ${i} malformed`); continue; }
      const intake = checkHeartbeatSignatureIntake(p), node = checkHeartbeatSignature(p);
      if (intake !== node) t.fail(`variant of heartbeat ${i}: intake ${intake}, node:crypto ${node}`);
      checked++;
    }
  }
  t.equal(checked, 600, '600 valid and forged heartbeats judged alike');
  // The identity as public key with R = identity and s = 0 satisfies the cofactorless equation
  // for every message: libsodium refuses small-order keys and R, whatever node:crypto says.
  const identity = new Uint8Array(32); identity[0] = 1;
  const data = { nodeId: toBase58(identity), timestamp: T0, seq: 1n, nodeStatus: 'idle' as const, hasCapacity: true, vramFreeMb: 0 };
  const sig = new Uint8Array(64); sig[0] = 1;
  const weak = { data, nodeKey: identity, signature: sig };
  t.equal(checkHeartbeatSignatureIntake(weak), false, 'small-order key rejected by the intake');
  t.comment(`node:crypto on the same: ${checkHeartbeatSignature(weak)}`);
});

t.test('verify pool: one transferred buffer per batch, answers in order, work spread over the workers', async (t) => {
  const pool = new VerifyPool(2, 64);
  t.teardown(() => pool.close());
  const nodes = Array.from({ length: 8 }, () => new TestNode());
  const items = Array.from({ length: 600 }, (_, i) => {
    const p = parseSignedHeartbeat(nodes[i % 8]!.heartbeat(T0, { seq: BigInt(i + 1) }));
    if (!p.ok) throw new Error('malformed');
    const sig = new Uint8Array(p.signature);
    if (i % 3 === 1) sig[i % 64]! ^= 1; // forged
    return { ...p, signature: i % 97 === 5 ? sig.subarray(0, 63) : sig };
  });
  const rs = await Promise.all(items.map((h) => pool.verifier(h)));
  t.same(rs, items.map((h) => checkHeartbeatSignatureIntake(h)), '600 answers equal the main-thread intake check, in order');
  t.ok(rs.filter(Boolean).length > 300 && rs.filter((x) => !x).length > 150, 'both verdicts present');
  t.ok(pool.checkedBy.every((n) => n > 0), `both workers checked signatures (${pool.checkedBy.join(', ')})`);
  t.equal(pool.checkedBy.reduce((a, b) => a + b, 0), items.filter((h) => h.signature.length === 64).length, 'every well-formed item went to a worker once');
  await pool.close();
  await t.rejects(pool.verify(items[0]!.nodeKey, new Uint8Array(74), items[0]!.signature), /closed/, 'closed pool refuses work');
});

t.test('canonical signing bytes at the edges of every field (one-allocation encoder)', async (t) => {
  const key = new Uint8Array(32).fill(7);
  const nodeId = toBase58(key);
  for (const timestamp of [0, 1, 0xffffffff, 0x100000000, 1_764_000_000_123, Number.MAX_SAFE_INTEGER]) {
    for (const seq of [0n, 1n, 0xffffffffn, 0x100000000n, (1n << 64n) - 1n]) {
      for (const vramFreeMb of [0, 0xffffffff]) {
        const hb = { nodeId, timestamp, seq, nodeStatus: 'draining' as const, hasCapacity: seq % 2n === 0n, vramFreeMb };
        const b = heartbeatSigningBytes(hb, key);
        const expect = concatBytes(utf8('splitup/heartbeat/v1'), key, u64be(timestamp), u64be(seq), Uint8Array.of(2, hb.hasCapacity ? 1 : 0), u32be(vramFreeMb));
        if (toHex(b) !== toHex(expect)) t.fail(`ts ${timestamp} seq ${seq} vram ${vramFreeMb}`);
        t.same(heartbeatSigningBytes(hb), b, 'same bytes with the key decoded from nodeId');
      }
    }
  }
  t.throws(() => heartbeatSigningBytes({ nodeId, timestamp: 1.5, seq: 1n, nodeStatus: 'idle', hasCapacity: true, vramFreeMb: 0 }, key), 'non-integer timestamp refused');
  t.throws(() => heartbeatSigningBytes({ nodeId, timestamp: 1, seq: 1n << 64n, nodeStatus: 'idle', hasCapacity: true, vramFreeMb: 0 }, key), RangeError, 'seq ≥ 2^64 refused');
  t.throws(() => heartbeatSigningBytes({ nodeId, timestamp: 1, seq: 1n, nodeStatus: 'idle', hasCapacity: true, vramFreeMb: 2 ** 32 }, key), RangeError, 'vram ≥ 2^32 refused');
});

t.test('sync acks: with syncWrites each group-committed batch is written with fsync (level sync)', async (t) => {
  const { openDb } = await import('../src/store/db.js');
  const { LevelHeartbeatStore } = await import('../src/liveness/store.js');
  const { tempDir } = await import('./helpers/oracle.js');
  const { dir, cleanup } = tempDir();
  const db = await openDb(dir);
  t.teardown(async () => { await db.close(); cleanup(); });
  // every batch reaches the database's own batch write; record the sync flag it is given
  const seen: unknown[] = [];
  const inner = (db as any)._batch.bind(db);
  (db as any)._batch = (ops: unknown, opts: { sync?: boolean }, ...rest: unknown[]) => { seen.push(opts?.sync); return inner(ops, opts, ...rest); };
  const a = new TestNode(), b = new TestNode();
  const synced = await setup([a, b], { store: new LevelHeartbeatStore(db, { sync: true }) });
  const rs = await Promise.all([synced.tracker.submit(a.heartbeat(T0)), synced.tracker.submit(b.heartbeat(T0))]);
  t.ok(rs.every((r) => r.ok), 'both acknowledged');
  t.ok(seen.length >= 1 && seen.length <= 2 && seen.every((s) => s === true), `every batch fsync'ed (${seen.length} batch(es) for 2 concurrent heartbeats)`);
  seen.length = 0;
  const plain = await setup([a], { store: new LevelHeartbeatStore(db) });
  t.match(await plain.tracker.submit(a.heartbeat(T0, { seq: 10n })), { ok: true });
  t.same(seen.map((s) => s === true), [false], 'the default mode does not fsync (one batch, no sync option: level\'s default is no fsync)');
});

t.test('heartbeat records on disk: v2 binary round trip, records of the JSON era still read, unknown encodings refused', async (t) => {
  const { encodeRecord, decodeRecord } = await import('../src/liveness/store.js');
  const a = new TestNode();
  const hb = a.heartbeat(T0, { seq: 7n });
  const parsed = parseSignedHeartbeat(hb);
  if (!parsed.ok) throw new Error('test heartbeat malformed');
  const rec = { lastSeq: 7n, lastSeen: T0, receivedAt: T0 + 15, heartbeat: { payload: { ...parsed.data, seq: '7' }, signature: hb.signature.toLowerCase(), publicKey: a.nodeId } };
  const bytes = encodeRecord(rec);
  t.equal(bytes.length, 95, '95 bytes');
  t.equal(bytes[0], 2, 'version byte 2');
  t.same(decodeRecord(a.nodeId, bytes), rec, 'decodes to the same record (payload field order included)');
  t.ok(verifySignedHeartbeat(decodeRecord(a.nodeId, bytes).heartbeat).ok, 'the rebuilt heartbeat still verifies under its node key');
  const legacy = new TextEncoder().encode(JSON.stringify({ lastSeq: '7', lastSeen: T0, receivedAt: T0 + 15, heartbeat: rec.heartbeat }));
  t.same(decodeRecord(a.nodeId, legacy), rec, 'a JSON record of the earlier format decodes to the same record');
  const v3 = Uint8Array.from(bytes); v3[0] = 3;
  t.throws(() => decodeRecord(a.nodeId, v3), /unknown encoding \(version 3/, 'another version is refused, not misread');
  t.throws(() => decodeRecord(a.nodeId, bytes.subarray(0, 90)), /unknown encoding/, 'a short record is refused');
  const badStatus = Uint8Array.from(bytes); badStatus[25] = 9;
  t.throws(() => decodeRecord(a.nodeId, badStatus), /invalid nodeStatus/);
});
