// Commit latency per liveness round over real libp2p gossipsub on 127.0.0.1:
// n oracles in one process (level stores with fsync, Ed25519 signatures,
// heartbeat evidence from 20 compute nodes). Latency of a round at an oracle
// = time of its commit − end of the round's epoch (when the round can start).
// Rounds are measured from 3 s after every oracle has committed once (n libp2p stacks starting in
// one process leave a backlog that is start-up, not consensus).
//   npx tsx bench/consensus.ts [--rounds 30] [--epoch-ms 400] [--sizes 4,7,10] [--direct-peers]
// --direct-peers: members as gossipsub direct peers (every message forwarded to every member), the
// configuration before the relay change, for comparison.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { epochEnd } from '../src/consensus/committee.js';
import type { CommitEvent } from '../src/consensus/service.js';
import { TestCommittee } from '../test/helpers/committee.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '30' }, 'epoch-ms': { type: 'string', default: '400' }, sizes: { type: 'string', default: '4,7,10' }, 'direct-peers': { type: 'boolean', default: false } } });
const rounds = Number(values.rounds), epochMs = Number(values['epoch-ms']);
const q = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]!; };

const results = [];
for (const n of values.sizes!.split(',').map(Number)) {
  const c = new TestCommittee(n, epochMs, 20);
  if (values['direct-peers']) c.p2pOptions = { directPeers: true };
  await c.startAll();
  const lat: number[] = [];
  const lastOf = new Map<bigint, number>();
  const countOf = new Map<bigint, number>(); // oracles that committed each round
  // warm-up: measure rounds whose epoch ends at least 3 s after every oracle committed once
  let measureFrom = Infinity;
  const up = new Set<number>();
  c.oracles.forEach((o, i) => o.service!.on('commit', (e: CommitEvent) => {
    if (!up.has(i)) { up.add(i); if (up.size === n) measureFrom = e.at + 3000; }
    if (epochEnd(c.committee, e.committed.round) < measureFrom) return;
    const l = e.at - epochEnd(c.committee, e.committed.round);
    lat.push(l);
    lastOf.set(e.committed.round, Math.max(lastOf.get(e.committed.round) ?? 0, l));
    countOf.set(e.committed.round, (countOf.get(e.committed.round) ?? 0) + 1);
  }));
  const deadline = Date.now() + 60_000 + (rounds + 10) * epochMs * 3;
  while (lastOf.size < rounds && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const viewChanges = c.oracles.reduce((s, o) => s + (o.service!.stats?.viewChanges ?? 0), 0);
  await c.close();
  const all = [...lastOf.values()];
  // every round from the first measured to the last, committed by every oracle (a catch-up
  // commit counts: the bench asks whether the committee kept committing, not how)
  const measured = [...lastOf.keys()].sort((a, b) => (a < b ? -1 : 1));
  const span = measured.length ? Number(measured.at(-1)! - measured[0]!) + 1 : 0;
  const everyRound = measured.length === span && measured.every((r) => countOf.get(r) === n);
  const r = { n, rounds: lastOf.size, commits: lat.length, p50Ms: q(lat, 0.5), p99Ms: q(lat, 0.99), maxMs: Math.max(...lat), lastOraclePerRoundP50Ms: q(all, 0.5), lastOraclePerRoundP99Ms: q(all, 0.99), viewChanges, everyRoundCommittedByAll: everyRound, perRoundMs: [...lastOf.entries()].map(([r, l]) => [Number(r), l]) };
  results.push(r);
  console.log(`n=${String(n).padStart(2)}  ${r.rounds} rounds  commit latency p50 ${r.p50Ms.toFixed(1)} ms  p99 ${r.p99Ms.toFixed(1)} ms  (slowest oracle per round: p50 ${r.lastOraclePerRoundP50Ms.toFixed(1)} ms, p99 ${r.lastOraclePerRoundP99Ms.toFixed(1)} ms; view changes ${viewChanges}; ${everyRound ? 'every round committed by every oracle' : 'NOT every round committed by every oracle'})`);
}
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/consensus.json', import.meta.url), JSON.stringify({ bench: 'consensus', date: new Date().toISOString(), cpuModel: cpus()[0]?.model, cpus: cpus().length, node: process.version, epochMs, directPeers: values['direct-peers'], results }, null, 2) + '\n');
process.exit(0);
