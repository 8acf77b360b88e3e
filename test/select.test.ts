import t from 'tap';
import { readFileSync } from 'node:fs';
import { toHex, fromHex, compareBytes } from '../src/common/bytes.js';
import { SUITES, eligibleSet, proverIndex, selectionAlpha, indexFromBeta, proveSelection, verifySelection, publicKeyFromSecret, encodeSelectionProof, decodeSelectionProof, ProofMessageError, type SelectionRequest } from '../src/vrf/index.js';
import { h32, fixtureNodes } from './helpers/select.js';

const suite = SUITES[0];
const req = (i: number, exclude: Uint8Array[] = []): SelectionRequest => ({ executionId: BigInt(1000 + i), taskId: 7, attempt: 0, seed: h32(`seed-${i}`), exclude });

t.test('eligible set: active, specialised, online, not excluded, sorted, unique', async (t) => {
  const { nodes, table } = fixtureNodes(8);
  nodes[0]!.active = false;
  nodes[1]!.specializations = [8];
  table[2]!.status = 'suspect';
  table[3]!.status = 'offline';
  const el = eligibleSet([...nodes, nodes[5]!], table.filter((_, i) => i !== 6), 7, [nodes[4]!.nodeId]);
  t.same(el.map(toHex), [nodes[5]!, nodes[7]!].map((n) => n.nodeId).sort(compareBytes).map(toHex));
  t.same(eligibleSet(nodes, table, 99), [], 'nobody specialised');
});

t.test('prover index and fallback order', async (t) => {
  const counts = new Array(4).fill(0);
  for (let i = 0; i < 400; i++) {
    const p0 = proverIndex(req(i), 4);
    counts[p0]++;
    t.equal(proverIndex(req(i), 4, 1), (p0 + 1) % 4);
    t.equal(proverIndex(req(i), 4, 4), p0, 'wraps around after n timeouts');
  }
  t.ok(counts.every((c) => c > 60), `every oracle proves sometimes: ${counts}`);
  t.not(proverIndex({ ...req(1), attempt: 1 }, 1000), proverIndex(req(1), 1000), 'attempt changes the prover');
  t.throws(() => proverIndex({ ...req(1), seed: new Uint8Array(31) }, 4), /seed/);
});

t.test('alpha layout of PROTOCOL §4', async (t) => {
  const a = selectionAlpha({ executionId: 0x0102030405060708n, taskId: 0x0a0b0c0d, attempt: 3, seed: new Uint8Array(32).fill(0xee), exclude: [] }, new Uint8Array(32).fill(0xaa));
  t.equal(toHex(a), Buffer.from('splitup/select/v1').toString('hex') + 'ee'.repeat(32) + '0102030405060708' + '0a0b0c0d' + '00000003' + 'aa'.repeat(32));
  t.equal(indexFromBeta(fromHex('00'.repeat(63) + '0b'), 4), 3);
  t.equal(indexFromBeta(fromHex('01' + '00'.repeat(63)), 3), Number((1n << 504n) % 3n), 'big-endian');
});

t.test('prove, publish, verify, re-derive; wrong claims and keys fail', async (t) => {
  const { nodes, table } = fixtureNodes(5);
  const sk = h32('oracle-vrf-key'), pk = publicKeyFromSecret(sk);
  const tableHash = h32('table');
  const eligible = eligibleSet(nodes, table, 7);
  const r = req(1);
  const { proof, outcome } = proveSelection(suite, sk, r, tableHash, eligible);
  t.equal(outcome.kind, 'selected');
  const node = outcome.kind === 'selected' ? outcome.node : null;
  t.match(verifySelection(suite, pk, r, tableHash, eligible, proof, node), { ok: true, outcome: { kind: 'selected' } });
  const other = eligible.find((e) => toHex(e) !== toHex(node!))!;
  t.match(verifySelection(suite, pk, r, tableHash, eligible, proof, other), { ok: false, code: 'WRONG_SELECTION' }, 'a Byzantine prover cannot claim another node');
  t.match(verifySelection(suite, publicKeyFromSecret(h32('other')), r, tableHash, eligible, proof), { ok: false, code: 'INVALID_PROOF' });
  t.match(verifySelection(suite, pk, r, h32('other table'), eligible, proof), { ok: false, code: 'INVALID_PROOF' }, 'bound to the table');
  t.match(verifySelection(suite, pk, { ...r, attempt: 1 }, tableHash, eligible, proof), { ok: false, code: 'INVALID_PROOF' }, 'bound to the attempt');
  const none = proveSelection(suite, sk, r, tableHash, []);
  t.same(none.outcome, { kind: 'no-eligible-node' }, 'empty eligible set is reported, not guessed');
  t.match(verifySelection(suite, pk, r, tableHash, [], none.proof, null), { ok: true, outcome: { kind: 'no-eligible-node' } });
  t.match(verifySelection(suite, pk, r, tableHash, [], none.proof, node), { ok: false, code: 'WRONG_SELECTION' });
  // PoSP: the asserter excluded
  const withoutAsserter = eligibleSet(nodes, table, 7, [node!]);
  const v = proveSelection(suite, sk, { ...r, exclude: [node!] }, tableHash, withoutAsserter);
  t.ok(v.outcome.kind === 'selected' && toHex(v.outcome.node) !== toHex(node!), 'validator differs from asserter');
});

t.test('chi-square: selection is uniform over a fixed eligible set across seeds', async (t) => {
  const m = 8, samples = 1600;
  const { nodes, table } = fixtureNodes(m);
  const eligible = eligibleSet(nodes, table, 7);
  const sk = h32('chi-square prover');
  const counts = new Array(m).fill(0);
  for (let i = 0; i < samples; i++) {
    const { outcome } = proveSelection(SUITES[i % 2]!, sk, req(i), h32(`table-${i % 17}`), eligible);
    if (outcome.kind === 'selected') counts[outcome.index]++;
  }
  const expected = samples / m;
  const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  // df = 7: P(chi2 > 24.32) = 0.001. Inputs are fixed, so this is deterministic.
  t.ok(chi2 < 24.32, `chi2 = ${chi2.toFixed(2)} over counts ${counts}`);
  // a deliberately biased picker (beta's first byte mod m) would still pass; a broken one (always index 0) fails:
  const biased = [samples, 0, 0, 0, 0, 0, 0, 0].reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  t.ok(biased > 24.32, 'the statistic detects a degenerate selector');
});

t.test('selection-proof/v1 message: vectors and round trip', async (t) => {
  const doc = JSON.parse(readFileSync(new URL('./vectors/select-v1.json', import.meta.url), 'utf8'));
  for (const v of doc.vectors) {
    const sk = fromHex(v.vrfSecretKey);
    const { nodes, table } = fixtureNodes(v.nodes);
    const r: SelectionRequest = { executionId: BigInt(v.executionId), taskId: v.taskId, attempt: v.attempt, seed: fromHex(v.seed), exclude: v.exclude.map(fromHex) };
    const eligible = eligibleSet(nodes, table, r.taskId, r.exclude);
    const { proof, outcome } = proveSelection(v.suite, sk, r, fromHex(v.tableHash), eligible);
    t.equal(toHex(proof), v.pi, 'pi');
    t.equal(outcome.kind === 'selected' ? toHex(outcome.node) : null, v.selected, 'selected node');
    const bytes = encodeSelectionProof({ suite: v.suite, request: r, roundId: BigInt(v.roundId), tableHash: fromHex(v.tableHash), proverIndex: v.proverIndex, proof, selected: v.selected ? fromHex(v.selected) : null });
    t.equal(toHex(bytes), v.message, 'canonical message bytes');
    const back = decodeSelectionProof(bytes);
    t.same(toHex(encodeSelectionProof(back)), v.message, 'decode ∘ encode = id');
  }
  t.throws(() => decodeSelectionProof(new Uint8Array(10)), ProofMessageError);
  const good = fromHex(doc.vectors[0].message);
  const tampered = new Uint8Array(good); tampered[0] ^= 1;
  t.throws(() => decodeSelectionProof(tampered), /domain/);
  t.throws(() => decodeSelectionProof(good.subarray(0, good.length - 1)), ProofMessageError);
});
