// splitup/consensus/v1 and splitup/liveness-table/v1 test vectors (test/vectors/consensus-v1.json,
// written by test/vectors/gen/consensus-v1.ts): an implementation in another language must produce
// the same committee id, table bytes and hash, and message bytes from the same keys and fields.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { Ed25519Signer } from '../src/common/ed25519.js';
import { makeCommittee } from '../src/consensus/committee.js';
import { checkSignature, CommitteeKeys, decodeMessage, signingBytes, signMessage, verifyCertificate } from '../src/consensus/messages.js';
import { decodeTable, encodeTable, tableHash } from '../src/liveness/table.js';
import { publicKeyFromSecret } from '../src/vrf/index.js';

const doc = JSON.parse(readFileSync(new URL('./vectors/consensus-v1.json', import.meta.url), 'utf8'));
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

t.test('committee id, table bytes and hash', async (t) => {
  const signers = doc.committee.memberSeeds.map((s: string) => new Ed25519Signer(fromHex(s)));
  const c = makeCommittee(signers.map((s: Ed25519Signer, i: number) => ({ name: `oracle-${i + 1}`, signingKey: s.publicKey, vrfKey: publicKeyFromSecret(fromHex(doc.committee.vrfSecrets[i])), multiaddrs: [] })), doc.committee.params);
  t.equal(hex(c.id), doc.committee.id, 'committee id');
  const table = { roundId: BigInt(doc.table.round), asOf: doc.table.asOf, prevHash: fromHex(doc.table.prevHash), entries: doc.table.entries.map((e: any) => ({ nodeId: fromHex(e.nodeId), status: e.status, lastSeen: e.lastSeen, lastSeq: BigInt(e.lastSeq) })) };
  t.equal(hex(encodeTable(table)), doc.table.encoded, 'canonical table bytes');
  t.equal(hex(tableHash(table)), doc.table.tableHash, 'table hash');
  t.same(decodeTable(fromHex(doc.table.encoded)).entries.map((e) => hex(e.nodeId)), doc.table.entries.map((e: any) => e.nodeId));
  const keys = new CommitteeKeys(c);
  t.equal(doc.messages.length, 6, 'every kind, a nil vote among them');
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
