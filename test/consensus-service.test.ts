// The consensus service around the core (issue 12, items 3 and 4): catch-up from peers in random
// order that moves on from junk answers (also by snapshot, far behind), and a failing store that
// takes the oracle out of voting without ever sending a vote that is not durable.
import t from 'tap';
import Fastify from 'fastify';
import { randomBytes } from 'node:crypto';
import { ConsensusSim } from '../src/sim/consensus-sim.js';
import { ConsensusService } from '../src/consensus/service.js';
import { LevelConsensusStore, type ConsensusStore } from '../src/consensus/store.js';
import { makeCommittee } from '../src/consensus/committee.js';
import { decodeMessage, signMessage, type Message } from '../src/consensus/messages.js';
import { httpCatchUp } from '../src/api/liveness-routes.js';
import { closeWithin } from '../src/api/server.js';
import { encodeTable } from '../src/liveness/table.js';
import { ManualClock, SystemClock } from '../src/common/clock.js';
import { Ed25519Signer } from '../src/common/ed25519.js';
import { openDb } from '../src/store/db.js';
import { publicKeyFromSecret } from '../src/vrf/index.js';
import { tempDir } from './helpers/oracle.js';
import { until } from './helpers/heartbeat.js';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** A peer that serves a simulated oracle's commits (honest) or junk signed by member 0 (Byzantine). */
async function peer(sim: ConsensusSim, kind: 'honest' | 'junk', hits: { n: number }) {
  const app = Fastify();
  const disk = sim.nodes[1]!.disk.commits;
  const serve = (round: bigint) => {
    hits.n++;
    const c = kind === 'honest' ? disk.get(round) : disk.get(round) ?? [...disk.values()].at(-1);
    if (!c) return null;
    const table = encodeTable({ roundId: c.committed.round, asOf: c.committed.asOf, prevHash: c.committed.prevHash, entries: c.committed.entries });
    if (kind === 'honest') return { decision: b64(c.decision.bytes), table: b64(table) };
    const d = c.decision;
    if (d.kind !== 'decision') return null;
    // alternately: no certificate; a real certificate under other attestations; a table that does not hash to it
    switch (hits.n % 3) {
      case 0: return { decision: b64(signMessage({ ...d, round, sigs: [] }, sim.nodes[0]!.signer).bytes), table: b64(table) };
      case 1: return { decision: b64(signMessage({ ...d, sender: 0, attestations: [] }, sim.nodes[0]!.signer).bytes), table: null };
      default: { const bad = new Uint8Array(table); bad[bad.length - 1]! ^= 1; return { decision: b64(d.bytes), table: b64(bad) }; }
    }
  };
  app.get<{ Params: { id: string } }>('/api/liveness/rounds/:id', async (req, reply) => serve(BigInt(req.params.id)) ?? reply.code(404).send({}));
  app.get('/api/liveness/latest', async (_req, reply) => serve([...disk.keys()].at(-1)!) ?? reply.code(404).send({}));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

for (const far of [false, true]) {
  t.test(`3. catch-up ${far ? 'by snapshot, more than 64 rounds behind' : 'round by round'}: a junk answer from the first peer asked does not block it`, async (t) => {
    const sim = new ConsensusSim({ n: 4, seed: far ? 302 : 301, ...(far ? { params: { epochMs: 100, proposeTimeoutMs: 40, prevoteTimeoutMs: 20, precommitTimeoutMs: 20, timeoutDeltaMs: 20, liveness: { intervalMs: 100, missedForOffline: 3, graceMs: 20 } } } : {}) });
    sim.runUntil(far ? 9_000 : 20_000);
    const head = [...sim.nodes[1]!.disk.commits.keys()].at(-1)!;
    t.ok(far ? head > 70n : head > 10n, `the committee is at round ${head}`);
    const junkHits = { n: 0 }, honestHits = { n: 0 };
    const junk = await peer(sim, 'junk', junkHits), honest = await peer(sim, 'honest', honestHits);
    const { dir, cleanup } = tempDir('splitup-catchup-');
    const db = await openDb(`${dir}/db`);
    // randomInt 0 puts the junk peer first: [honest, junk] → swap → [junk, honest]
    const clock = new ManualClock(sim.now);
    const svc = new ConsensusService({
      committee: sim.committee, me: 3, signer: sim.nodes[3]!.signer, store: new LevelConsensusStore(db), clock,
      source: { attest: (r) => new Uint8Array((r.length + 7) >> 3), newcomers: () => [], isRegistered: () => true }, catchUp: httpCatchUp([honest.url, junk.url]), randomInt: () => 0, catchUpIntervalMs: 50,
    });
    t.teardown(async () => { await svc.stop(); await closeWithin(junk.app); await closeWithin(honest.app); await db.close(); cleanup(); });
    await svc.start({ publish: async () => {} });
    // what gossip would bring: the newest decision, whose certificate tells how far behind we are
    t.equal(svc.receive(sim.nodes[1]!.disk.commits.get(head)!.decision.bytes), undefined, 'the newest decision is accepted');
    await until('caught up with the committee', () => svc.latest.committed.round >= head, 30_000);
    t.same(Buffer.from(svc.latest.committed.hash), Buffer.from(sim.nodes[1]!.disk.commits.get(head)!.committed.hash), 'same table as the committee');
    t.ok(junkHits.n >= 1 && svc.counters.catchUpRejected >= 1, `the junk peer was asked (${junkHits.n}) and its answer refused (${svc.counters.catchUpRejected})`);
    if (far) {
      t.ok(svc.counters.snapshots >= 1, 'caught up by a snapshot');
      const skipped = head - 30n;
      const c = await svc.getCommitted(skipped);
      t.ok(c, `round ${skipped}, skipped by the snapshot, is fetched on demand and verified`);
      t.same(Buffer.from(c!.committed.hash), Buffer.from(sim.nodes[1]!.disk.commits.get(skipped)!.committed.hash));
      // a skipped round no peer can serve: every peer asked once, then not again until the retry interval
      const lost = head - 40n;
      sim.nodes[1]!.disk.commits.delete(lost);
      const before = junkHits.n + honestHits.n;
      t.equal(await svc.getCommitted(lost), null, 'a round no peer serves is not invented');
      const asked = junkHits.n + honestHits.n - before;
      t.equal(asked, 2, 'both peers were asked');
      t.equal(await Promise.all([svc.getCommitted(lost), svc.getCommitted(lost)]).then((x) => x.every((v) => v === null)), true);
      t.equal(junkHits.n + honestHits.n - before, asked, 'repeated callers within the retry interval ask nobody');
      clock.advance(5_000);
      await svc.getCommitted(lost);
      t.equal(junkHits.n + honestHits.n - before, 2 * asked, 'after the interval the peers are asked again');
    }
  });
}

/** A level store whose writes fail while `failing` (EIO), recording what it refused. */
class FlakyStore implements ConsensusStore {
  failing = false;
  refused: Message[] = [];
  probes = 0;
  constructor(private readonly inner: LevelConsensusStore) {}
  private check() { if (this.failing) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }); }
  loadOwn(r: bigint) { return this.inner.loadOwn(r); }
  /** own messages whose write succeeded (hex) */
  readonly saved = new Set<string>();
  async saveOwn(m: Message) { if (this.failing) this.refused.push(m); this.check(); await this.inner.saveOwn(m); this.saved.add(Buffer.from(m.bytes).toString('hex')); }
  async saveCommit(...a: Parameters<ConsensusStore['saveCommit']>) { this.check(); return this.inner.saveCommit(...a); }
  async saveRound(...a: Parameters<ConsensusStore['saveRound']>) { this.check(); return this.inner.saveRound(...a); }
  saveEvidence(...a: Parameters<ConsensusStore['saveEvidence']>) { return this.inner.saveEvidence(...a); }
  loadEvidence(n: number) { return this.inner.loadEvidence(n); }
  async probe() { this.probes++; this.check(); return this.inner.probe(); }
  loadHead() { return this.inner.loadHead(); }
  loadCommit(r: bigint) { return this.inner.loadCommit(r); }
}

t.test('4. a vote that could not be made durable is never sent, the oracle leaves voting, and rejoins from disk when writes work again', async (t) => {
  const now = Date.now(), epochMs = 200;
  const seed = new Uint8Array(randomBytes(32));
  const signer = new Ed25519Signer(seed);
  const committee = makeCommittee([{ name: 'solo', signingKey: signer.publicKey, vrfKey: publicKeyFromSecret(new Uint8Array(randomBytes(32))), multiaddrs: [] }], {
    epochMs, genesisMs: now - (now % epochMs), proposeTimeoutMs: 60, prevoteTimeoutMs: 30, precommitTimeoutMs: 30, timeoutDeltaMs: 20, maxSkewMs: 1000,
    liveness: { intervalMs: epochMs, missedForOffline: 3, graceMs: 50 },
  });
  const { dir, cleanup } = tempDir('splitup-flaky-');
  const db = await openDb(`${dir}/db`);
  const store = new FlakyStore(new LevelConsensusStore(db));
  const published: Message[] = [];
  /** own signed messages published before their write had succeeded */
  const notDurable: Message[] = [];
  const svc = new ConsensusService({ committee, me: 0, signer, store, clock: SystemClock, source: { attest: (r) => new Uint8Array((r.length + 7) >> 3), newcomers: () => [], isRegistered: () => true }, storeProbeMs: 100 });
  const events: string[] = [];
  svc.on('store-failed', () => events.push('failed'));
  svc.on('store-recovered', () => events.push('recovered'));
  t.teardown(async () => { await svc.stop(); await db.close(); cleanup(); });
  await svc.start({ publish: async (d) => {
    const m = decodeMessage(d);
    published.push(m);
    if (m.kind !== 'decision' && m.kind !== 'head' && !store.saved.has(Buffer.from(d).toString('hex'))) notDurable.push(m);
  } });
  await until('two rounds committed', () => svc.latest.committed.round >= 1n, 20_000);
  store.failing = true;
  await until('a write refused and the oracle out of voting', () => store.refused.length >= 1 && svc.storeError !== null, 20_000);
  const atFailure = published.length;
  await until('three failed probes', () => store.probes >= 3, 20_000);
  t.equal(published.length, atFailure, 'nothing published while the store fails');
  t.match(svc.storeError, /EIO/, 'the failure is reported');
  t.equal(svc.precheck(published[0]!.bytes), 'not voting: store failed', 'gossip is not taken in meanwhile');
  store.failing = false;
  const resumedAt = svc.latest.committed.round;
  await until('commits resume from disk', () => svc.latest.committed.round >= resumedAt + 2n, 20_000);
  t.same(events.slice(0, 2), ['failed', 'recovered']);
  t.equal(svc.storeError, null, 'voting again');
  // a refused message may be signed again after the recovery (Ed25519 is deterministic: an attestation
  // of the same roster has the same bytes), but it is published only once its write has succeeded
  t.ok(store.refused.length >= 1, `${store.refused.length} write(s) refused`);
  t.same(notDurable, [], 'no own message was published before its write succeeded');
  const byStep = new Map<string, string>();
  let conflicts = 0;
  for (const m of published) {
    if (m.kind === 'decision' || m.kind === 'head') continue;
    const k = `${m.round}/${m.view}/${m.kind}`, h = Buffer.from(m.bytes).toString('hex');
    if (byStep.has(k) && byStep.get(k) !== h) conflicts++;
    byStep.set(k, h);
  }
  t.equal(conflicts, 0, 'no two different messages published for one (round, view, kind)');
});
