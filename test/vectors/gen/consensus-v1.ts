// Writes test/vectors/consensus-v1.json: one message of every kind of splitup/consensus/v1 and the
// liveness table it certifies, from fixed keys (Ed25519 is deterministic, so re-running gives the
// same bytes). Run: npx tsx test/vectors/gen/consensus-v1.ts
import { writeFileSync } from 'node:fs';
import { Ed25519Signer } from '../../../src/common/ed25519.js';
import { makeCommittee } from '../../../src/consensus/committee.js';
import { signMessage, type Body } from '../../../src/consensus/messages.js';
import { encodeTable, tableHash } from '../../../src/liveness/table.js';
import { heartbeatSigningBytes } from '../../../src/liveness/heartbeat-codec.js';
import { publicKeyFromSecret } from '../../../src/vrf/index.js';
import { toBase58 } from '../../../src/common/bytes.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const seeds = [1, 2, 3, 4].map((i) => new Uint8Array(32).fill(i));
const signers = seeds.map((s) => new Ed25519Signer(s));
const params = { epochMs: 30_000, genesisMs: 1_764_000_000_000, proposeTimeoutMs: 1000, prevoteTimeoutMs: 500, precommitTimeoutMs: 500, timeoutDeltaMs: 500, maxSkewMs: 10_000, liveness: { intervalMs: 30_000, missedForOffline: 3, graceMs: 2000 } };
const committee = makeCommittee(signers.map((s, i) => ({ name: `oracle-${i + 1}`, signingKey: s.publicKey, vrfKey: publicKeyFromSecret(new Uint8Array(32).fill(16 + i)), multiaddrs: [] })), params);
const node = new Ed25519Signer(new Uint8Array(32).fill(9));
const round = 7n, asOf = params.genesisMs + 8 * params.epochMs + 120;
const lastSeen = asOf - 4000;
const hb = heartbeatSigningBytes({ nodeId: toBase58(node.publicKey), timestamp: lastSeen, seq: 42n, nodeStatus: 'idle', hasCapacity: true, vramFreeMb: 24576 }, node.publicKey);
const entries = [{ nodeId: node.publicKey, status: 'online' as const, lastSeen, lastSeq: 42n }];
const prevHash = new Uint8Array(32).fill(0xab);
const table = { roundId: round, asOf, prevHash, entries };
const th = tableHash(table);
const base = { committeeId: committee.id, round };
const precommits = [0, 1, 2].map((i) => signMessage({ kind: 'precommit', ...base, view: 1, sender: i, value: th }, signers[i]!));
const sigs = precommits.map((m) => ({ index: m.sender, sig: m.signature }));
const bodies: Array<[string, Body, number]> = [
  ['proposal', { kind: 'proposal', ...base, view: 1, sender: 0, validView: 0, asOf, prevHash, tableHash: th, updates: entries, evidence: [{ bytes: hb, sig: node.sign(hb) }] }, 0],
  ['prevote', { kind: 'prevote', ...base, view: 1, sender: 1, value: th }, 1],
  ['prevote-nil', { kind: 'prevote', ...base, view: 0, sender: 2, value: null }, 2],
  ['precommit', { kind: 'precommit', ...base, view: 1, sender: 0, value: th }, 0],
  ['decision', { kind: 'decision', ...base, view: 1, sender: 3, asOf, prevHash, tableHash: th, updates: entries, sigs }, 3],
  ['head', { kind: 'head', ...base, view: 1, sender: 2, tableHash: th, sigs }, 2],
];
const doc = {
  format: 'splitup/consensus/v1',
  description: 'header ‖ body ‖ Ed25519 signature (src/consensus/messages.ts); the committee id binds members and every parameter (src/consensus/committee.ts); the liveness table is splitup/liveness-table/v1 (src/liveness/table.ts). Integers big-endian.',
  committee: { memberSeeds: seeds.map(hex), vrfSecrets: [16, 17, 18, 19].map((b) => hex(new Uint8Array(32).fill(b))), params, id: hex(committee.id) },
  table: { round: round.toString(), asOf, prevHash: hex(prevHash), entries: entries.map((e) => ({ nodeId: hex(e.nodeId), status: e.status, lastSeen: e.lastSeen, lastSeq: e.lastSeq.toString() })), encoded: hex(encodeTable(table)), tableHash: hex(th) },
  messages: bodies.map(([name, body, signer]) => ({ name, signerIndex: signer, bytes: hex(signMessage(body, signers[signer]!).bytes) })),
};
writeFileSync(new URL('../consensus-v1.json', import.meta.url), JSON.stringify(doc, null, 2) + '\n');
