// Liveness rounds at scale (issue #14): proposal bytes and per-round CPU for 1k, 10k, 100k and
// 1M compute nodes, n = 4 (q = 3) by default. Per size, one round on a roster of N nodes of which
// 95 % heartbeat (each oracle misses 0.1 % of them at random):
//   attest    an oracle's attestation: bits over the roster from a heartbeat map, encoded, signed
//   build     the proposer's round: q bitmaps decoded and counted, next entries, table hash, signed proposal
//   validate  a validator's check of the proposal bytes: decode, q attestation signatures, recompute, hash
// Bytes are the signed proposal (a decision carries the same plus q signatures).
//   npx tsx bench/liveness-table.ts [--sizes 1000,10000,100000,1000000] [--n 4] [--runs 5]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Ed25519Signer } from '../src/common/ed25519.js';
import { compareBytes } from '../src/common/bytes.js';
import { Rng } from '../src/common/rng.js';
import { epochEnd, makeCommittee } from '../src/consensus/committee.js';
import { CommitteeKeys, decodeMessage, signMessage, type AttestationMessage } from '../src/consensus/messages.js';
import { buildRound, signAttestation, validateRound, type CommittedRound, type LivenessSource } from '../src/consensus/validity.js';
import { tableHash, type TableEntry } from '../src/liveness/table.js';
import { publicKeyFromSecret } from '../src/vrf/index.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1000,10000,100000,1000000' }, n: { type: 'string', default: '4' }, runs: { type: 'string', default: '5' } } });
const n = Number(values.n), runs = Number(values.runs);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = (f: () => void) => { const t0 = performance.now(); f(); return performance.now() - t0; };

const rng = new Rng(14);
const signers = Array.from({ length: n }, () => new Ed25519Signer(rng.bytes(32)));
const committee = makeCommittee(signers.map((s, i) => ({ name: `o${i}`, signingKey: s.publicKey, vrfKey: publicKeyFromSecret(rng.bytes(32)), multiaddrs: [] })), { epochMs: 30_000 });
const keys = new CommitteeKeys(committee);
const round = 100n;
const asOf = epochEnd(committee, round);

const results = [];
for (const N of values.sizes!.split(',').map(Number)) {
  const ids = Array.from({ length: N }, () => rng.bytes(32)).sort(compareBytes);
  const entries: TableEntry[] = ids.map((nodeId) => ({ nodeId, status: 'online', missed: 0, since: 1 }));
  const prevTable = { roundId: round - 1n, asOf: epochEnd(committee, round - 1n), prevHash: new Uint8Array(32), entries };
  const prev: CommittedRound = { round: round - 1n, asOf: prevTable.asOf, prevHash: prevTable.prevHash, hash: tableHash(prevTable), entries, cert: null };
  const alive = ids.map(() => rng.float() < 0.95);
  // each oracle's tracker: node id → newest heartbeat time (a map keyed like the real one, by id)
  const trackers = signers.map(() => {
    const m = new Map<Uint8Array, number>();
    ids.forEach((id, j) => { if (alive[j] && rng.float() >= 0.001) m.set(id, asOf - 5_000); });
    return m;
  });
  const sourceOf = (m: Map<Uint8Array, number>): LivenessSource => ({
    attest(roster, since) {
      const bits = new Uint8Array((roster.length + 7) >> 3);
      for (let i = 0; i < roster.length; i++) { const t = m.get(roster[i]!.nodeId); if (t !== undefined && t >= since) bits[i >> 3]! |= 0x80 >> (i & 7); }
      return bits;
    },
    newcomers: () => [],
    isRegistered: () => true,
  });
  const sources = trackers.map(sourceOf);
  const attestMs: number[] = [], buildMs: number[] = [], validateMs: number[] = [];
  let bytes = 0, attBytes = 0, online = 0;
  for (let r = 0; r < runs; r++) {
    let atts: AttestationMessage[] = [];
    attestMs.push(time(() => { atts = [signAttestation(committee, 0, signers[0]!, prev, sources[0]!)]; }));
    for (let i = 1; i < n; i++) atts.push(signAttestation(committee, i, signers[i]!, prev, sources[i]!));
    attBytes = atts[0]!.bytes.length;
    let proposal: Uint8Array = new Uint8Array();
    buildMs.push(time(() => {
      const t = buildRound(committee, prev, atts.slice(0, committee.q), sources[0]!);
      proposal = signMessage({ kind: 'proposal', committeeId: committee.id, round, view: 0, sender: 0, validView: -1, asOf: t.asOf, prevHash: t.prevHash, tableHash: t.tableHash, added: t.added, attestations: t.attestations }, signers[0]!).bytes;
      online = t.entries.filter((e) => e.status === 'online').length;
    }));
    bytes = proposal.length;
    const fresh = new CommitteeKeys(committee); // no verdict cache carried between runs
    validateMs.push(time(() => {
      const m = decodeMessage(proposal);
      if (m.kind !== 'proposal' || !fresh.verifyMessage(m.sender, m.bytes, m.signature)) throw new Error('bad proposal');
      const v = validateRound(committee, prev, m, fresh, () => true);
      if (!v.ok) throw new Error(v.reason);
    }));
  }
  void keys;
  const row = { nodes: N, n, q: committee.q, online, attestationBytes: attBytes, proposalBytes: bytes, attestMs: median(attestMs), buildMs: median(buildMs), validateMs: median(validateMs) };
  results.push(row);
  console.log(`${String(N).padStart(9)} nodes: attestation ${(attBytes / 1024).toFixed(1)} KiB, proposal ${(bytes / 1024).toFixed(1)} KiB; attest ${row.attestMs.toFixed(1)} ms, build ${row.buildMs.toFixed(1)} ms, validate ${row.validateMs.toFixed(1)} ms (median of ${runs}); ${online} online`);
}
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/liveness-table.json', import.meta.url), JSON.stringify({ at: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, runs, results }, null, 2) + '\n');
