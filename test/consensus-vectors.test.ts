// splitup/consensus/v2 and splitup/liveness-table/v2 test vectors (test/vectors/consensus-v2.json,
// written by test/vectors/gen/consensus-v2.ts): an implementation in another language must produce
// the same committee id, bitmap encodings, table bytes and hash — the table that follows from the
// previous one, the additions and the attestations — and message bytes from the same keys and fields.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { Ed25519Signer } from '../src/common/ed25519.js';
import { makeCommittee } from '../src/consensus/committee.js';
import { checkSignature, CommitteeKeys, decodeMessage, signingBytes, signMessage, verifyCertificate } from '../src/consensus/messages.js';
import { decodeTable, encodeTable, tableHash } from '../src/liveness/table.js';
import { decodeBitmap, encodeBitmap } from '../src/liveness/attestation.js';
import { tableFor, validateRound } from '../src/consensus/validity.js';
import { publicKeyFromSecret } from '../src/vrf/index.js';

const doc = JSON.parse(readFileSync(new URL('./vectors/consensus-v2.json', import.meta.url), 'utf8'));
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

t.test('committee id, table bytes and hash', async (t) => {
  const signers = doc.committee.memberSeeds.map((s: string) => new Ed25519Signer(fromHex(s)));
  const c = makeCommittee(signers.map((s: Ed25519Signer, i: number) => ({ name: `oracle-${i + 1}`, signingKey: s.publicKey, vrfKey: publicKeyFromSecret(fromHex(doc.committee.vrfSecrets[i])), multiaddrs: [] })), doc.committee.params);
  t.equal(hex(c.id), doc.committee.id, 'committee id');
  const entries = (es: any[]) => es.map((e) => ({ nodeId: fromHex(e.nodeId), status: e.status, missed: Number(e.missed), since: Number(e.since) }));
  const p = doc.previousTable;
  const prevTable = { roundId: BigInt(p.round), asOf: p.asOf, prevHash: fromHex(p.prevHash), entries: entries(p.entries) };
  t.equal(hex(encodeTable(prevTable)), p.encoded, 'canonical bytes of the previous table');
  t.equal(hex(tableHash(prevTable)), p.tableHash, 'its hash');
  const table = { roundId: BigInt(doc.table.round), asOf: doc.table.asOf, prevHash: fromHex(doc.table.prevHash), entries: entries(doc.table.entries) };
  t.equal(hex(encodeTable(table)), doc.table.encoded, 'canonical table bytes');
  t.equal(hex(tableHash(table)), doc.table.tableHash, 'table hash');
  t.same(decodeTable(fromHex(doc.table.encoded)).entries.map((e) => hex(e.nodeId)), doc.table.entries.map((e: any) => e.nodeId));
  for (const b of doc.bitmaps) {
    t.equal(hex(encodeBitmap(fromHex(b.bitmap), b.bits)), b.encoded, `bitmap of ${b.bits} bits: canonical encoding`);
    t.equal(hex(decodeBitmap(fromHex(b.encoded), b.bits)), b.bitmap, 'and back');
  }
  const keys = new CommitteeKeys(c);
  t.equal(doc.messages.length, 7, 'every kind, a nil vote among them');
  // the round's table follows from the previous table, the additions and the decision's attestations
  const decision = decodeMessage(fromHex(doc.messages.find((m: any) => m.name === 'decision').bytes));
  if (decision.kind !== 'decision') throw new Error('vector decision');
  const prev = { round: prevTable.roundId, asOf: prevTable.asOf, prevHash: prevTable.prevHash, hash: tableHash(prevTable), entries: prevTable.entries, cert: null };
  t.same(decision.attestations.map((a) => [...decodeBitmap(a.bitmap, a.rosterSize)]), doc.table.attestationBits.map((b: number[]) => [b.reduce((a, x, k) => a | (x << (7 - k)), 0)]), 'the attestation bitmaps');
  t.equal(hex(tableFor(c, prev, decision.added, decision.attestations).tableHash), doc.table.tableHash, 'the table the attestations give');
  t.match(validateRound(c, prev, decision, keys, () => true), { ok: true }, 'and a validator accepts it');
  for (const v of doc.messages) {
    const bytes = fromHex(v.bytes);
    const m = decodeMessage(bytes);
    t.equal(checkSignature(m, keys), undefined, `${v.name}: signed by member ${v.signerIndex}`);
    t.equal(hex(signingBytes(m)), hex(bytes.subarray(0, bytes.length - 64)), `${v.name}: canonical re-encoding`);
    t.equal(hex(signMessage(m, signers[v.signerIndex]).bytes), v.bytes, `${v.name}: same bytes when signed again`);
    if (m.kind === 'decision' || m.kind === 'head') t.match(verifyCertificate({ round: m.round, view: m.view, tableHash: m.tableHash, sigs: m.sigs }, keys), { ok: true }, `${v.name}: its certificate verifies`);
    const tampered = new Uint8Array(bytes); tampered[30]! ^= 1;
    t.not(checkSignature(decodeMessage(tampered), keys), undefined, `${v.name}: a flipped header bit breaks the signature`);
  }
});
