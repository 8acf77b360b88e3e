// The local validator as a client sees it, over HTTP JSON-RPC and PubSub with unmodified
// @solana/web3.js: sendTransaction round trip (preflight, execute, fsync'ed log + record),
// confirmation by signatureSubscribe at each commitment, and the restart time after kill -9
// (snapshot + log replay). Client and validator share this process (and the machine's cores).
//   npx tsx bench/validator.ts [--txs 200] [--confirms 20] [--slot-ms 100]
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, SystemProgram, Transaction, type Commitment } from '@solana/web3.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalValidator } from '../src/validator/server.js';
import { loadProgramBinary } from '../src/chain/program.js';

const { values } = parseArgs({ options: { txs: { type: 'string', default: '200' }, confirms: { type: 'string', default: '20' }, 'slot-ms': { type: 'string', default: '100' } } });
const txs = Number(values.txs), confirms = Number(values.confirms), slotMs = Number(values['slot-ms']);
const programs = [{ id: new PublicKey('SpLitUp111111111111111111111111111111111111'), so: loadProgramBinary() }];
const dir = mkdtempSync(join(tmpdir(), 'splitup-bench-validator-'));
const pct = (a: number[], p: number) => { const s = [...a].sort((x, y) => x - y); return +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(1); };

let v = await LocalValidator.start({ dataDir: dir, programs, slotMs });
let conn = new Connection(v.url, 'processed');
const payer = Keypair.generate(), dest = Keypair.generate().publicKey;
await conn.requestAirdrop(payer.publicKey, 1000 * LAMPORTS_PER_SOL);
await conn.requestAirdrop(dest, LAMPORTS_PER_SOL);

// sendTransaction round trips, one at a time
const send: number[] = [];
const t0 = performance.now();
for (let i = 0; i < txs; i++) {
  const { blockhash } = await conn.getLatestBlockhash('processed');
  const tx = new Transaction({ recentBlockhash: blockhash, feePayer: payer.publicKey }).add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: dest, lamports: 1000 + i }));
  tx.sign(payer);
  const s = performance.now();
  await conn.sendRawTransaction(tx.serialize());
  send.push(performance.now() - s);
}
const sendPerSec = +(txs / ((performance.now() - t0) / 1000)).toFixed(0);

// send → notified at each commitment (web3.js confirmTransaction over signatureSubscribe)
const confirm: Record<string, number[]> = { processed: [], confirmed: [], finalized: [] };
for (const c of ['processed', 'confirmed', 'finalized'] as Commitment[]) {
  for (let i = 0; i < (c === 'finalized' ? Math.max(3, Math.floor(confirms / 4)) : confirms); i++) {
    const bh = await conn.getLatestBlockhash('processed');
    const tx = new Transaction({ recentBlockhash: bh.blockhash, feePayer: payer.publicKey }).add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: dest, lamports: 100_000 + i }));
    tx.sign(payer);
    const s = performance.now();
    const signature = await conn.sendRawTransaction(tx.serialize());
    await conn.confirmTransaction({ signature, ...bh }, c);
    confirm[c]!.push(performance.now() - s);
  }
}

// restart after a crash: no closing snapshot, the log since the last one is replayed
const slotBefore = v.ledger.slot;
await v.close({ snapshot: false });
const r0 = performance.now();
v = await LocalValidator.start({ dataDir: dir, programs, slotMs });
const restartMs = +(performance.now() - r0).toFixed(0);
conn = new Connection(v.url, 'processed');
if (v.ledger.slot !== slotBefore) throw new Error('restart lost slots');
await v.close();
rmSync(dir, { recursive: true, force: true });

const result = {
  slotMs, txs, sendP50Ms: pct(send, 50), sendP99Ms: pct(send, 99), sendPerSec,
  confirmP50Ms: Object.fromEntries(Object.entries(confirm).map(([k, a]) => [k, pct(a, 50)])),
  confirmP99Ms: Object.fromEntries(Object.entries(confirm).map(([k, a]) => [k, pct(a, 99)])),
  restartAfterCrashMs: restartMs, cpus: cpus().length, loadAvg1m: +loadavg()[0]!.toFixed(1),
};
console.log(JSON.stringify(result));
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/validator.json', import.meta.url), JSON.stringify({ measuredAt: new Date().toISOString(), ...result }, null, 2) + '\n');
process.exit(0);
