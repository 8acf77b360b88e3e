// Writes test/vectors/consensus-v2.json: one message of every kind of splitup/consensus/v2, the
// splitup/liveness-table/v2 tables before and after the round, and bitmap encodings, from fixed keys
// (Ed25519 is deterministic, so re-running gives the same bytes). Run: npx tsx test/vectors/gen/consensus-v2.ts
import { writeFileSync } from 'node:fs';
import { Ed25519Signer } from '../../../src/common/ed25519.js';
import { epochEnd, makeCommittee } from '../../../src/consensus/committee.js';
import { signMessage, type AttestationMessage, type Body } from '../../../src/consensus/messages.js';
import { tableFor, type CommittedRound } from '../../../src/consensus/validity.js';
import { encodeBitmap } from '../../../src/liveness/attestation.js';
import { encodeTable, NEVER_ONLINE, tableHash, type TableEntry } from '../../../src/liveness/table.js';
import { publicKeyFromSecret } from '../../../src/vrf/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const seeds = [1, 2, 3, 4].map((i) => new Uint8Array(32).fill(i));
const signers = seeds.map((s) => new Ed25519Signer(s));
const params = { epochMs: 30_000, genesisMs: 1_764_000_000_000, proposeTimeoutMs: 1000, prevoteTimeoutMs: 500, precommitTimeoutMs: 500, timeoutDeltaMs: 500, maxSkewMs: 10_000, liveness: { intervalMs: 30_000, missedForOffline: 3, graceMs: 2000 } };
const committee = makeCommittee(signers.map((s, i) => ({ name: `oracle-${i + 1}`, signingKey: s.publicKey, vrfKey: publicKeyFromSecret(new Uint8Array(32).fill(16 + i)), multiaddrs: [] })), params);
const nodeKeys = [9, 10, 11, 12].map((b) => new Ed25519Signer(new Uint8Array(32).fill(b)).publicKey).sort(Buffer.compare);
// round 6's table: three nodes (online, suspect, offline); round 7 adds the fourth
const prevEntries: TableEntry[] = [
  { nodeId: nodeKeys[0]!, status: 'online', missed: 0, since: 2 },
  { nodeId: nodeKeys[1]!, status: 'suspect', missed: 1, since: 2 },
  { nodeId: nodeKeys[2]!, status: 'offline', missed: NEVER_ONLINE, since: 4 },
];
const prevTable = { roundId: 6n, asOf: epochEnd(committee, 6n), prevHash: new Uint8Array(32).fill(0xab), entries: prevEntries };
const prev: CommittedRound = { round: 6n, asOf: prevTable.asOf, prevHash: prevTable.prevHash, hash: tableHash(prevTable), entries: prevEntries, cert: null };
const round = 7n, asOf = epochEnd(committee, round);
const base = { committeeId: committee.id, round };
// members 0, 1, 2 attest over round 6's roster: 110, 100, 011 → node 0 by 2 (online), node 1 by 2 (online), node 2 by 1 (not)
const bits = [[1, 1, 0], [1, 0, 0], [0, 1, 1]];
const bitmapOf = (b: number[]) => Uint8Array.of(b.reduce((a, x, k) => a | (x << (7 - k)), 0));
const attestations = bits.map((b, i) => signMessage({ kind: 'attestation', ...base, view: 0, sender: i, prevHash: prev.hash, rosterSize: 3, bitmap: encodeBitmap(bitmapOf(b), 3) }, signers[i]!) as AttestationMessage);
const added = [nodeKeys[3]!];
const t = tableFor(committee, prev, added, attestations);
const table = { roundId: round, asOf, prevHash: prev.hash, entries: t.entries };
const th = t.tableHash;
const precommits = [0, 1, 2].map((i) => signMessage({ kind: 'precommit', ...base, view: 1, sender: i, value: th }, signers[i]!));
const sigs = precommits.map((m) => ({ index: m.sender, sig: m.signature }));
const content = { asOf, prevHash: prev.hash, tableHash: th, added, attestations };
const bodies: Array<[string, Body, number]> = [
  ['attestation', attestations[0]!, 0],
  ['proposal', { kind: 'proposal', ...base, view: 1, sender: 0, validView: 0, ...content }, 0],
  ['prevote', { kind: 'prevote', ...base, view: 1, sender: 1, value: th }, 1],
  ['prevote-nil', { kind: 'prevote', ...base, view: 0, sender: 2, value: null }, 2],
  ['precommit', { kind: 'precommit', ...base, view: 1, sender: 0, value: th }, 0],
  ['decision', { kind: 'decision', ...base, view: 1, sender: 3, ...content, sigs }, 3],
  ['head', { kind: 'head', ...base, view: 1, sender: 2, tableHash: th, sigs }, 2],
];
const entryJson = (e: TableEntry) => ({ nodeId: hex(e.nodeId), status: e.status, missed: e.missed, since: e.since });
// bitmaps: 20 bits, all set but bit 3 (raw is shorter), and 1000 bits all set (runs are shorter)
const some = Uint8Array.of(0xef, 0xff, 0xf0);
const many = new Uint8Array(125).fill(0xff);
const doc = {
  format: 'splitup/consensus/v2',
  description: 'header ‖ body ‖ Ed25519 signature (src/consensus/messages.ts); the committee id binds members and every parameter (src/consensus/committee.ts); liveness tables are splitup/liveness-table/v2 (src/liveness/table.ts) and follow from the attestations by the rule of src/liveness/attestation.ts (online iff at least f + 1 = 2 carried attestations set the bit; new nodes enter offline). Integers big-endian.',
  committee: { memberSeeds: seeds.map(hex), vrfSecrets: [16, 17, 18, 19].map((b) => hex(new Uint8Array(32).fill(b))), params, id: hex(committee.id) },
  previousTable: { round: '6', asOf: prevTable.asOf, prevHash: hex(prevTable.prevHash), entries: prevEntries.map(entryJson), encoded: hex(encodeTable(prevTable)), tableHash: hex(prev.hash) },
  table: { round: round.toString(), asOf, prevHash: hex(prev.hash), added: added.map(hex), attestationBits: bits, entries: t.entries.map(entryJson), encoded: hex(encodeTable(table)), tableHash: hex(th) },
  bitmaps: [
    { bits: 20, bitmap: hex(some), encoded: hex(encodeBitmap(some, 20)) },
    { bits: 1000, bitmap: hex(many), encoded: hex(encodeBitmap(many, 1000)) },
  ],
  messages: bodies.map(([name, body, signer]) => ({ name, signerIndex: signer, bytes: hex(signMessage(body, signers[signer]!).bytes) })),
};
writeFileSync(new URL('../consensus-v2.json', import.meta.url), JSON.stringify(doc, null, 2) + '\n');
