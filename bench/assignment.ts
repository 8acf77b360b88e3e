// Time from an execution request landing on chain to its root task's on-chain assignment
// (q matching assignTask votes), with n oracles in one process over real libp2p gossipsub
// on 127.0.0.1 (consensus + selection proofs) and the local validator over HTTP JSON-RPC.
//   npx tsx bench/assignment.ts [--n 4] [--requests 40] [--poll-ms 250] [--poll-only]
// The chain loops are woken by the validator's WebSocket program subscription and by selection
// proofs from gossip, polling every --poll-ms as the fallback; --poll-only measures polling alone.
import { Keypair, LAMPORTS_PER_SOL } from '@solana/web3.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { ChainCommittee } from '../test/helpers/chain-committee.js';
import { airdrop, faucet } from '../src/chain/bootstrap.js';
import { Phase } from '../src/chain/layout.js';
import { DEFAULT_PARAMS, USDC } from '../src/chain/program.js';
import { MODEL_ID } from '../src/chain/local-chain.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '4' }, requests: { type: 'string', default: '40' }, 'poll-ms': { type: 'string', default: '250' }, 'poll-only': { type: 'boolean', default: false } } });
const n = Number(values.n), requests = Number(values.requests), pollMs = Number(values['poll-ms']), subscribe = !values['poll-only'];

// tasks are never computed here: a long timeout keeps reassignments out of the measurement
const cc = new ChainCommittee(n, 8, { loopPollMs: pollMs, loopSubscribe: subscribe, params: { ...DEFAULT_PARAMS, minTimeoutSlots: 100_000n } });
await cc.start();
const t0 = Date.now();
while (!cc.tc.oracles.every((_, i) => cc.tc.head(i) >= 3n)) {
  if (Date.now() - t0 > 30_000) throw new Error('committee did not commit');
  await new Promise((r) => setTimeout(r, 50));
}
for (let i = 0; i < n; i++) cc.startLoop(i);
const chain = cc.chain;
const requester = Keypair.generate();
await airdrop(chain, requester.publicKey, 500n * BigInt(LAMPORTS_PER_SOL)); // fees and rent
await faucet(chain, requester, requester.publicKey, 1_000_000n * USDC); // test USDC for the escrows

const lat: number[] = [];
for (let k = 1; k <= requests; k++) {
  const id = chain.program.executionId(requester.publicKey, BigInt(k));
  await chain.send([requester], [chain.program.requestExecution(requester.publicKey, MODEL_ID, BigInt(k), `cas://bench-${k}`, 2_000_000_000n)]);
  const start = performance.now();
  for (;;) {
    const e = await chain.execution(id);
    if (e?.tasks[0]!.phase === Phase.Assigned) break;
    if (performance.now() - start > 20_000) throw new Error(`request ${k} not assigned in 20 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
  lat.push(performance.now() - start);
}
const ticks = cc.loops.reduce((a, l) => a + (l?.pollStats.ticks ?? 0), 0), woken = cc.loops.reduce((a, l) => a + (l?.pollStats.woken ?? 0), 0);
await cc.close();
lat.sort((a, b) => a - b);
const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!;
const result = { n, q: Math.ceil((n + Math.floor((n - 1) / 3) + 1) / 2), requests, loopPollMs: pollMs, subscribe, slotMs: 100, p50Ms: +pct(50).toFixed(0), p99Ms: +pct(99).toFixed(0), maxMs: +lat[lat.length - 1]!.toFixed(0), loopTicks: ticks, loopTicksWoken: woken, cpus: cpus().length };
console.log(JSON.stringify(result));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL(`./results/assignment${subscribe ? '' : '-poll-only'}.json`, import.meta.url), JSON.stringify({ measuredAt: new Date().toISOString(), ...result }, null, 2) + '\n');
process.exit(0); // web3.js keeps its WebSocket client reconnecting to the closed validator
