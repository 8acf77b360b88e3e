// Chain-aware garbage collection against real executions of the real program (LiteSVM): the
// collector runs after every step of an execution and must never delete what an unsettled
// execution references; once it settles its intermediate tensors go, its final output stays until
// the requester's signed release (a forged one is dropped) or the final TTL; a blob a running
// execution shares with a settled one stays; unreferenced blobs follow the TTL; a recent write
// protects a blob; a failed execution's outputs are all intermediate.
import t from 'tap';
import { Keypair, PublicKey } from '@solana/web3.js';
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { DEFAULT_PARAMS } from '../src/chain/program.js';
import { ExecStatus, Phase } from '../src/chain/layout.js';
import { CasStore, sha256hex } from '../src/cas/store.js';
import { dirTarget, localBlobs, openBlobStore } from '../src/cas/blobs.js';
import { createCasServer } from '../src/cas/server.js';
import { join } from 'node:path';
import { chainRefs, collectGarbage, planCollection, startCollector, type ChainView, type GcPolicy, type GcReport } from '../src/cas/gc.js';
import { until } from './helpers/heartbeat.js';
import { decodeRelease, encodeRelease, releaseBytes, signRelease, verifyRelease } from '../src/cas/release.js';
import { MODEL_ID, stepper, withRequester } from './helpers/chain.js';
import { tempDir } from './helpers/oracle.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** The collector's view of a LocalChain: the executions whose ids are in `ids` (the test adds them as it requests). */
function viewOf(c: ReturnType<typeof withRequester>['c'], ids: bigint[]): ChainView {
  return {
    committee: c.program.committeeAddress(),
    executions: async () => ids.map((id) => c.execution(id)),
    execution: async (id) => (ids.includes(id) ? c.execution(id) : null),
    model: async (id) => c.model(id),
  };
}

t.test('the collector never deletes what a running execution needs; settled intermediates go, finals on release', async (t) => {
  const { dir, cleanup } = tempDir('splitup-gc-');
  t.teardown(cleanup);
  const store = new CasStore(dir), target = dirTarget(store), blobs = localBlobs(store);
  const { c, requester } = withRequester({ ...DEFAULT_PARAMS, minTimeoutSlots: 2n });
  const nodes = [c.node(), c.node(), c.node()];
  const ids: bigint[] = [];
  const view = viewOf(c, ids);
  // grace 0: only the chain protects a blob; unreferenced blobs live an hour; finals until released
  const policy: GcPolicy = { ttlMs: 3600_000, finalTtlMs: 0, graceMs: 0 };
  const later = () => Date.now() + 60_000;

  // two executions of the diamond on the same input; each task's output is a real blob
  const input = enc('the requester\'s input bundle');
  const inputHex = sha256hex(input);
  const outputs = (tag: string) => [0, 1, 2, 3].map((i) => enc(`${tag}: output bundle of task ${i}`));
  const outA = outputs('A'), outB = outputs('B');
  const request = (nonce: bigint) => {
    c.ok([requester], c.program.requestExecution(requester.publicKey, MODEL_ID, nonce, `cas://${inputHex}`, 1_000_000_000n));
    const id = c.program.executionId(requester.publicKey, nonce);
    ids.push(id);
    return id;
  };
  await blobs.put(input);
  for (const b of [...outA, ...outB]) await blobs.put(b); // as the nodes put them when they reveal
  const junk = store.put(enc('an old blob nobody names'));
  store.touch(junk, Date.now() - 2 * 3600_000);
  const A = request(1n), B = request(2n);
  t.equal(c.model(MODEL_ID).outputs.length, 1, 'the diamond has one final output (task 3)');

  // A runs to its end; after every step a collector pass
  const stepA = stepper(c, A, nodes, (i) => Buffer.from(sha256hex(outA[i]!), 'hex'));
  let passes = 0;
  for (let n = 0; n < 200; n++) {
    if (stepA()) break;
    const r = await collectGarbage(target, view, policy, later());
    passes++;
    const e = c.execution(A);
    const accepted = e.tasks.filter((ts) => ts.phase === Phase.Done).map((ts) => Buffer.from(ts.output).toString('hex'));
    for (const h of [inputHex, ...accepted]) if (!store.has(h)) t.fail(`pass ${passes}: ${h} deleted while execution A runs`);
    if (r.deleted !== (passes === 1 ? 1 : 0)) t.fail(`pass ${passes}: deleted ${r.deleted}`);
  }
  t.equal(c.execution(A).status, ExecStatus.Done, 'A finished');
  t.ok(passes > 8, `${passes} collector passes while A ran`);
  t.notOk(store.has(junk), 'the unreferenced blob past its TTL went in the first pass');
  t.ok(store.has(inputHex) && outA.every((b) => store.has(sha256hex(b))), 'nothing A referenced was deleted while it ran');

  // A settled: its intermediates go; its final output stays; the input stays (B still needs it)
  let r = await collectGarbage(target, view, policy, later());
  t.match(r.byReason, { settled: 3, final: 1, needed: 1, unreferenced: 4 }, 'A\'s three intermediates settled, its final kept, the input needed by B, B\'s future outputs unreferenced');
  t.equal(r.deleted, 3);
  t.same(outA.map((b) => store.has(sha256hex(b))), [false, false, false, true], 'A\'s intermediate tensors are deleted, its final output kept');
  t.ok(store.has(inputHex), 'the input B shares stays');

  // a release signed by someone else is dropped; the requester's is honoured
  const mallory = Keypair.generate();
  store.putRecord('releases', `${A}-${mallory.publicKey.toBase58()}`, encodeRelease(signRelease(view.committee, A, mallory)));
  const wrongCommittee = signRelease(Keypair.generate().publicKey, A, requester);
  store.putRecord('releases', `${A}-x`, encodeRelease(wrongCommittee));
  store.putRecord('releases', 'garbage', enc('not json'));
  r = await collectGarbage(target, view, policy, later());
  t.match(r, { deleted: 0, releases: { honoured: 0, dropped: 3 } }, 'forged, cross-committee and malformed releases are dropped');
  t.ok(store.has(sha256hex(outA[3]!)), 'A\'s final output is still kept');
  await blobs.release(signRelease(view.committee, A, requester));
  r = await collectGarbage(target, view, policy, later());
  t.match(r, { deleted: 1, releases: { honoured: 1, dropped: 0 }, byReason: { settled: 1 } }, 'the requester released A: its final output goes');
  t.notOk(store.has(sha256hex(outA[3]!)));

  // B runs and settles: now the input goes too; B's final stays until its own TTL
  const stepB = stepper(c, B, nodes, (i) => Buffer.from(sha256hex(outB[i]!), 'hex'));
  for (let n = 0; n < 200 && !stepB(); n++) {
    if (n % 5 === 0) await collectGarbage(target, view, policy, later());
    if (!store.has(inputHex)) { t.fail('the input deleted while B runs'); break; }
  }
  t.equal(c.execution(B).status, ExecStatus.Done);
  r = await collectGarbage(target, view, { ...policy, finalTtlMs: 3600_000 }, later());
  t.match(r.byReason, { settled: 4, final: 1 }, 'B settled: the input and B\'s intermediates go');
  t.notOk(store.has(inputHex));
  r = await collectGarbage(target, view, { ...policy, finalTtlMs: 3600_000 }, Date.now() + 2 * 3600_000);
  t.match(r, { deleted: 1, byReason: { 'final-expired': 1 } }, 'B\'s unreleased final output goes after its final TTL');
  t.same(store.scan().blobs, [], 'the store is empty');
});

t.test('the plan: a recent write protects a blob; a failed execution has no final output', async (t) => {
  const { c, requester } = withRequester({ ...DEFAULT_PARAMS, minTimeoutSlots: 2n });
  const nodes = [c.node(), c.node()];
  const outs = [0, 1, 2, 3].map((i) => enc(`output ${i}`));
  const input = enc('in');
  c.ok([requester], c.program.requestExecution(requester.publicKey, MODEL_ID, 9n, `cas://${sha256hex(input)}`, 1_000_000_000n));
  const id = c.program.executionId(requester.publicKey, 9n);
  const step = stepper(c, id, nodes, (i) => Buffer.from(sha256hex(outs[i]!), 'hex'));
  for (let n = 0; n < 200 && !step(); n++);
  const e = c.execution(id);
  t.equal(e.status, ExecStatus.Done);
  const models = new Map([[MODEL_ID, c.model(MODEL_ID)]]);
  const now = 10_000_000;
  const info = [input, ...outs].map((b, k) => ({ hex: sha256hex(b), size: b.length, touchedMs: k === 1 ? now - 1000 : now - 600_000 }));
  const p: GcPolicy = { ttlMs: 0, finalTtlMs: 0, graceMs: 60_000 };
  const plan = planCollection(info, chainRefs([e], models, new Set()), now, p);
  t.same(plan.map((x) => x.reason), ['settled', 'recent', 'settled', 'settled', 'final'], 'output 0 was written a second ago: kept; output 3 is the final');
  const failed = planCollection(info, chainRefs([{ ...e, failed: true }], models, new Set()), now, p);
  t.same(failed.map((x) => x.reason), ['settled', 'recent', 'settled', 'settled', 'settled'], 'a failed execution delivers nothing: all its tensors are intermediate');
  const running = planCollection(info, chainRefs([{ ...e, status: ExecStatus.Running }], models, new Set()), now, { ...p, graceMs: 0 });
  t.same(running.map((x) => x.reason), ['needed', 'needed', 'needed', 'needed', 'needed'], 'a running execution needs them all');
});

t.test('the CAS server: POST /release is checked on chain; its collector is chain-aware', async (t) => {
  const { dir, cleanup } = tempDir('splitup-gc-server-');
  t.teardown(cleanup);
  const { c, requester } = withRequester({ ...DEFAULT_PARAMS, minTimeoutSlots: 2n });
  const nodes = [c.node(), c.node()];
  const ids: bigint[] = [];
  const view = viewOf(c, ids);
  let now = Date.now();
  const server = await createCasServer({ dir, chain: view, graceMs: 60_000, finalTtlMs: 0, now: () => now, releasesPerMinute: 7 });
  const url = await server.app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => server.close());
  const clientDir = tempDir('splitup-gc-client-');
  t.teardown(clientDir.cleanup);
  const client = await openBlobStore({ dir: clientDir.dir, url });

  const input = enc('input'), outs = [0, 1, 2, 3].map((i) => enc(`out ${i}`));
  for (const b of [input, ...outs]) await client.put(b);
  c.ok([requester], c.program.requestExecution(requester.publicKey, MODEL_ID, 5n, `cas://${sha256hex(input)}`, 1_000_000_000n));
  const id = c.program.executionId(requester.publicKey, 5n);
  ids.push(id);
  const post = async (body: unknown) => {
    const r = await fetch(`${url}/release`, { method: 'POST', body: typeof body === 'string' ? body : Buffer.from(encodeRelease(body as Parameters<typeof encodeRelease>[0])), headers: { 'content-type': 'application/json' } });
    return { status: r.status, code: ((await r.json()) as { code?: string }).code };
  };
  const committee = view.committee;
  t.same(await post(signRelease(committee, id, requester)), { status: 409, code: 'NOT_SETTLED' }, 'a running execution cannot be released');
  t.same(await post(signRelease(committee, 999n, requester)), { status: 404, code: 'UNKNOWN_EXECUTION' });
  t.same(await post('{"execId": "1"}'), { status: 400, code: 'BAD_RELEASE' });
  const forged = { ...signRelease(committee, id, Keypair.generate()), requester: requester.publicKey };
  t.same(await post(forged), { status: 401, code: 'BAD_SIGNATURE' }, 'a signature not by the named requester');
  t.same(await post(signRelease(committee, id, Keypair.generate())), { status: 403, code: 'NOT_REQUESTER' }, 'someone else\'s own signature');

  now += 120_000; // past the grace period
  t.match(await server.collect(), { deleted: 0, byReason: { needed: 1, unreferenced: 4 } }, 'running: the input is needed; outputs not yet accepted are unreferenced (TTL)');
  const step = stepper(c, id, nodes, (i) => Buffer.from(sha256hex(outs[i]!), 'hex'));
  for (let n = 0; n < 200 && !step(); n++);
  t.match(await server.collect(), { deleted: 4, byReason: { settled: 4, final: 1 } }, 'settled: input and intermediates deleted, the final kept');
  t.same(await post(signRelease(committee, id, requester)), { status: 200, code: undefined }, 'the requester releases it');
  t.match(await server.collect(), { deleted: 1, releases: { honoured: 1 } }, 'and the next pass deletes it');
  t.same(await (await fetch(`${url}/healthz`)).json(), { blobs: 0, bytes: 0 });
  t.same(await post(signRelease(committee, id, requester)), { status: 200, code: undefined }, 'the 7th release this minute');
  t.same(await post(signRelease(committee, id, requester)), { status: 429, code: 'RATE_LIMITED' }, 'the 8th: each costs a chain read, so they are limited per address');

  const plain = await createCasServer({ dir: join(dir, 'plain') });
  const plainUrl = await plain.app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => plain.close());
  const r = await fetch(`${plainUrl}/release`, { method: 'POST', body: Buffer.from(encodeRelease(signRelease(committee, id, requester))), headers: { 'content-type': 'application/json' } });
  t.same({ status: r.status, code: ((await r.json()) as { code: string }).code }, { status: 501, code: 'NO_CHAIN' }, 'a server without a chain reader cannot check releases');
});

t.test('splitup/cas-release/v1 vectors (test/vectors/cas-release-v1.json)', async (t) => {
  const doc = JSON.parse(readFileSync(new URL('./vectors/cas-release-v1.json', import.meta.url), 'utf8'));
  t.equal(doc.format, 'splitup/cas-release/v1');
  const committee = new PublicKey(doc.committee);
  for (const v of doc.cases) {
    const requester = Keypair.fromSeed(Buffer.from(v.requesterSeed, 'hex'));
    t.equal(requester.publicKey.toBase58(), v.requester);
    const bytes = releaseBytes(committee, BigInt(v.execId));
    t.equal(Buffer.from(bytes).toString('hex'), v.signingBytes, `execId ${v.execId}: the signing bytes`);
    const r = signRelease(committee, BigInt(v.execId), requester);
    t.equal(Buffer.from(r.signature).toString('hex'), v.signature, 'the signature');
    t.ok(ed25519.verify(Buffer.from(v.signature, 'hex'), bytes, requester.publicKey.toBytes()), 'verified by an independent Ed25519 (@noble/curves)');
    const decoded = decodeRelease(v.record);
    t.ok(decoded.requester.equals(requester.publicKey) && decoded.execId === BigInt(v.execId) && verifyRelease(committee, decoded), 'the record decodes and verifies');
    t.notOk(verifyRelease(Keypair.generate().publicKey, decoded), 'not for another committee');
    t.notOk(verifyRelease(committee, { ...decoded, execId: decoded.execId ^ 1n }), 'not for another execution');
  }
  t.throws(() => decodeRelease({ execId: '18446744073709551616', requester: doc.cases[0].requester, signature: doc.cases[0].signature }), /execId: a u64/);
  t.throws(() => decodeRelease({ execId: '1', requester: 'not-base58!', signature: doc.cases[0].signature }), /requester/);
  t.throws(() => decodeRelease({ execId: '1', requester: doc.cases[0].requester, signature: 'ab' }), /signature/);
});

t.test('a running collector (a node\'s cache, cas-gc --every): settled tensors go; an unreachable chain deletes nothing', async (t) => {
  const { dir, cleanup } = tempDir('splitup-gc-loop-');
  t.teardown(cleanup);
  const store = new CasStore(dir);
  const { c, requester } = withRequester({ ...DEFAULT_PARAMS, minTimeoutSlots: 2n });
  const nodes = [c.node(), c.node()];
  const input = enc('cache input'), outs = [0, 1, 2, 3].map((i) => enc(`cached output ${i}`));
  for (const b of [input, ...outs]) { const h = store.put(b); store.touch(h, Date.now() - 60_000); }
  c.ok([requester], c.program.requestExecution(requester.publicKey, MODEL_ID, 3n, `cas://${sha256hex(input)}`, 1_000_000_000n));
  const id = c.program.executionId(requester.publicKey, 3n);
  const step = stepper(c, id, nodes, (i) => Buffer.from(sha256hex(outs[i]!), 'hex'));
  for (let n = 0; n < 200 && !step(); n++);
  const view: ChainView = { committee: c.program.committeeAddress(), executions: async () => [c.execution(id)], execution: async () => c.execution(id), model: async (m) => c.model(m) };
  const policy: GcPolicy = { ttlMs: 3600_000, finalTtlMs: 0, graceMs: 10_000 };

  const errors: unknown[] = [];
  const down = startCollector({ target: dirTarget(store), chain: { ...view, executions: async () => { throw new Error('RPC unreachable'); } }, policy, everyMs: 20, onError: (e) => errors.push(e) });
  await until('the failing collector tried a few passes', () => errors.length >= 3, 10_000, 10);
  await down.stop();
  t.equal(store.scan().blobs.length, 5, 'a pass that cannot read the chain deletes nothing');
  t.match(String(errors[0]), /RPC unreachable/);

  const reports: GcReport[] = [];
  const gc = startCollector({ target: dirTarget(store), chain: view, policy, everyMs: 20, onReport: (r) => reports.push(r) });
  await until('the settled tensors collected', () => store.scan().blobs.length === 1, 10_000, 10);
  await gc.stop();
  t.same(store.scan().blobs.map((b) => b.hex), [sha256hex(outs[3]!)], 'only the final output is left');
  t.ok(reports.some((r) => r.deleted === 4), 'one pass deleted the input and the three intermediates');
});
