// The local validator's ledger under a real kill -9 (a child process), and its block hashes'
// unpredictability.
import t from 'tap';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createHash, createHmac } from 'node:crypto';
import bs58 from 'bs58';
import { Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, SystemProgram, Transaction } from '@solana/web3.js';
import { Ledger } from '../src/validator/ledger.js';
import { LocalValidator } from '../src/validator/server.js';
import { programIdFor } from '../src/chain/program-id.js';
import { loadProgramBinary } from '../src/chain/program.js';
import { until } from './helpers/heartbeat.js';
import { tempDir } from './helpers/oracle.js';

const bin = new URL('../bin/validator.js', import.meta.url).pathname;
const programs = [{ id: new PublicKey('SpLitUp111111111111111111111111111111111111'), so: loadProgramBinary() }];

/** Starts `splitup-validator start` on ephemeral ports; resolves with its URLs from the startup log line. */
function startValidator(dir: string, slotMs: number): Promise<{ child: ChildProcess; rpcUrl: string; wsUrl: string; output: () => string }> {
  const child = spawn(process.execPath, [bin, 'start', '--dir', dir, '--port', '0', '--slot-ms', String(slotMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d) => { out += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`validator did not start within 60 s:\n${out}`)); }, 60_000);
    const early = (code: number | null) => { clearTimeout(timer); reject(new Error(`validator exited (${code}) before starting:\n${out}`)); };
    child.once('exit', early);
    child.stdout!.on('data', (d) => {
      out += d;
      for (const line of out.split('\n')) {
        if (!line.includes('local validator started')) continue;
        const j = JSON.parse(line) as { rpcUrl: string; wsUrl: string };
        clearTimeout(timer);
        child.off('exit', early);
        resolve({ child, rpcUrl: j.rpcUrl, wsUrl: j.wsUrl, output: () => out });
        return;
      }
    });
  });
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((r) => { if (child.exitCode !== null || child.signalCode !== null) return r(); child.once('exit', () => r()); child.kill('SIGKILL'); });
}

t.test('every acknowledged transaction, airdrops included, survives kill -9 with its status, logs and bytes', async (t) => {
  const { dir, cleanup } = tempDir('splitup-validator-kill-');
  t.teardown(cleanup);
  // a ledger with history and a snapshot (a clean close writes one): what follows lands after it
  const pre = await Ledger.open(join(dir, 'ledger'), programs, Date.now());
  const early = Keypair.generate();
  const earlySig = await pre.airdrop(early.publicKey, BigInt(LAMPORTS_PER_SOL));
  for (let i = 0; i < 3; i++) await pre.produceSlot(Date.now());
  await pre.close();
  const v = await startValidator(dir, 200);
  t.teardown(() => kill9(v.child));
  let conn = new Connection(v.rpcUrl, { commitment: 'processed', wsEndpoint: v.wsUrl });
  const payer = Keypair.generate(), dest = Keypair.generate().publicKey;
  const acked: string[] = [await conn.requestAirdrop(payer.publicKey, 2 * LAMPORTS_PER_SOL)];
  for (let i = 0; i < 5; i++) {
    const { blockhash } = await conn.getLatestBlockhash('processed');
    const tx = new Transaction({ recentBlockhash: blockhash, feePayer: payer.publicKey }).add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: dest, lamports: LAMPORTS_PER_SOL / 10 + i }));
    tx.sign(payer);
    acked.push(await conn.sendRawTransaction(tx.serialize()));
  }
  const lastAirdrop = await conn.requestAirdrop(dest, LAMPORTS_PER_SOL); // the very last acknowledgement…
  acked.push(lastAirdrop);
  await kill9(v.child); // …and the process dies at once
  t.equal(v.child.signalCode, 'SIGKILL');

  // the restart reads the same directory (in this process: a second child start costs ~40 s on a loaded machine)
  const again = await LocalValidator.start({ dataDir: join(dir, 'ledger'), programs: [{ id: programIdFor(dir), so: loadProgramBinary() }], slotMs: 200 });
  t.teardown(() => again.close());
  conn = new Connection(again.url, { commitment: 'processed', wsEndpoint: again.wsUrl });
  t.equal(await conn.getBalance(early.publicKey), LAMPORTS_PER_SOL, 'the state of the snapshot');
  t.ok((await conn.getSignatureStatuses([earlySig])).value[0], 'and the status of its airdrop');
  const statuses = (await conn.getSignatureStatuses(acked)).value;
  t.ok(statuses.every((s) => s && s.err === null), 'every acknowledged signature has its status after the restart');
  t.equal(await conn.getBalance(dest), LAMPORTS_PER_SOL + 5 * (LAMPORTS_PER_SOL / 10) + 10, 'balances include every acknowledged transfer and airdrop');
  await until('the last transaction to be confirmed', async () => (await conn.getSignatureStatuses([lastAirdrop])).value[0]?.confirmationStatus === 'confirmed');
  for (const sig of acked) {
    const tx = await conn.getTransaction(sig, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 });
    t.equal(tx?.transaction.signatures[0], sig, `${sig.slice(0, 8)}…: the transaction itself`);
    t.ok(tx?.meta?.logMessages?.some((l) => l.includes('11111111111111111111111111111111 success')), `${sig.slice(0, 8)}…: its logs`);
  }
  t.same((await conn.getSignaturesForAddress(dest, {}, 'confirmed')).map((s) => s.signature), [...acked.slice(1)].reverse(), 'address history after the restart');
  // and it keeps producing blocks and taking transactions
  const { blockhash } = await conn.getLatestBlockhash('processed');
  const tx = new Transaction({ recentBlockhash: blockhash, feePayer: payer.publicKey }).add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: dest, lamports: 1 }));
  tx.sign(payer);
  t.ok(await conn.sendRawTransaction(tx.serialize()));
});

t.test('block hashes cannot be computed from public data; a restart replays them', async (t) => {
  const a = tempDir('splitup-ledger-a-'), b = tempDir('splitup-ledger-b-');
  t.teardown(() => { a.cleanup(); b.cleanup(); });
  const now = 1_800_000_000_000;
  let la = await Ledger.open(a.dir, programs, now);
  const lb = await Ledger.open(b.dir, programs, now);
  t.teardown(() => lb.close());
  // identical public inputs (programs, clock, slots, no transactions) …
  const ha: string[] = [la.latestBlockhash.blockhash], hb: string[] = [lb.latestBlockhash.blockhash];
  for (let i = 1; i <= 5; i++) {
    await la.produceSlot(now + i * 400); await lb.produceSlot(now + i * 400);
    ha.push(la.latestBlockhash.blockhash); hb.push(lb.latestBlockhash.blockhash);
  }
  t.equal(la.slot, lb.slot);
  // … give unrelated hashes: the hash is no function of public data
  t.ok(ha.every((h, i) => h !== hb[i]), 'two ledgers with the same public history have different block hashes');
  t.not(la.genesisHash, lb.genesisHash);
  // the previous scheme, sha256(tag ‖ previous hash ‖ slot), and its v2 tag do not predict the next hash
  const slot = la.slot;
  for (const tag of ['splitup/local-validator/blockhash/v1', 'splitup/local-validator/blockhash/v2']) {
    for (const s of [slot - 1n, slot]) {
      const guess = bs58.encode(createHash('sha256').update(tag).update(bs58.decode(ha.at(-1)!)).update(s.toString()).digest());
      const guess2 = bs58.encode(createHmac('sha256', Buffer.alloc(32)).update(tag).update(bs58.decode(ha.at(-1)!)).update(s.toString().padStart(16, '0')).digest());
      await la.produceSlot(now + 10_000);
      t.not(la.latestBlockhash.blockhash, guess, `not sha256(${tag} ‖ prev ‖ ${s})`);
      t.not(la.latestBlockhash.blockhash, guess2, 'not an HMAC under an all-zero key');
      ha.push(la.latestBlockhash.blockhash);
    }
  }
  // the secret comes from the CSPRNG and stays with the ledger; the chain of hashes is replayed after a crash
  const secret = await la.db.get('secret');
  t.equal(secret?.length, 32);
  t.not(Buffer.from(secret!).toString('hex'), Buffer.from((await lb.db.get('secret'))!).toString('hex'));
  const before = { hash: la.latestBlockhash.blockhash, slot: la.slot, genesis: la.genesisHash };
  await la.close({ snapshot: false });
  la = await Ledger.open(a.dir, programs, now + 60_000);
  t.same({ hash: la.latestBlockhash.blockhash, slot: la.slot, genesis: la.genesisHash }, before, 'restart: same slot, same latest hash, same genesis hash');
  // the same secret continues the same chain: a copy of the ledger produces the same next hash
  const copy = tempDir('splitup-ledger-copy-');
  t.teardown(copy.cleanup);
  await la.close({ snapshot: false });
  execFileSync('cp', ['-a', `${a.dir}/.`, copy.dir]);
  la = await Ledger.open(a.dir, programs, now);
  const lc = await Ledger.open(copy.dir, programs, now);
  await la.produceSlot(now + 20_000); await lc.produceSlot(now + 20_000);
  t.equal(la.latestBlockhash.blockhash, lc.latestBlockhash.blockhash, 'deterministic given the ledger (replay)');
  const block = await la.block(Number(la.slot) - 1);
  t.equal(block?.blockhash, la.latestBlockhash.blockhash, 'the stored block header names the hash');
  await la.close(); await lc.close();
});
