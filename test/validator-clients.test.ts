// The local validator driven by unmodified client libraries: @solana/web3.js
// (sendAndConfirmTransaction / confirmTransaction over the PubSub port, every subscription, the
// PubSub protocol itself) and @solana/kit (sendAndConfirmTransactionFactory with its RPC
// subscriptions). The HTTP methods are in validator-rpc.test.ts.
import t from 'tap';
import WebSocket from 'ws';
import bs58 from 'bs58';
import {
  Connection, Keypair, LAMPORTS_PER_SOL, SystemProgram, Transaction, sendAndConfirmTransaction, type Commitment, type Context,
} from '@solana/web3.js';
import {
  AccountRole, address, airdropFactory, appendTransactionMessageInstruction, createSolanaRpc, createSolanaRpcSubscriptions,
  createTransactionMessage, generateKeyPairSigner, getSignatureFromTransaction, lamports, pipe, sendAndConfirmTransactionFactory,
  setTransactionMessageFeePayerSigner, setTransactionMessageLifetimeUsingBlockhash, signTransactionMessageWithSigners,
} from '@solana/kit';
import { FINALITY_DEPTH } from '../src/validator/ledger.js';
import { until } from './helpers/heartbeat.js';
import { programId, rpc, start, wsIdle } from './helpers/validator.js';

t.test('web3.js: sendAndConfirmTransaction, confirmTransaction and airdrops confirm over PubSub at every commitment', async (t) => {
  const v = await start(t, 40);
  t.equal(v.wsUrl, v.url.replace('http', 'ws').replace(/:(\d+)$/, (_, p) => `:${Number(p) + 1}`), 'PubSub listens on the RPC port + 1');
  const conn = new Connection(v.url); // no commitment: the server default, finalized
  const payer = Keypair.generate();
  const sig = await conn.requestAirdrop(payer.publicKey, 2 * LAMPORTS_PER_SOL);
  const bh = await conn.getLatestBlockhash();
  const conf = await conn.confirmTransaction({ signature: sig, ...bh }, 'confirmed');
  t.equal(conf.value.err, null, 'airdrop confirmed through signatureSubscribe');
  t.equal(await conn.getBalance(payer.publicKey, 'confirmed'), 2 * LAMPORTS_PER_SOL);

  const to = Keypair.generate().publicKey;
  for (const commitment of ['processed', 'confirmed', 'finalized'] as Commitment[]) {
    const tx = new Transaction().add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports: LAMPORTS_PER_SOL / 100 }));
    const s = await sendAndConfirmTransaction(conn, tx, [payer], { commitment });
    const st = (await conn.getSignatureStatuses([s])).value[0]!;
    t.ok(st, `${commitment}: status known`);
    const order = ['processed', 'confirmed', 'finalized'];
    t.ok(order.indexOf(st.confirmationStatus!) >= order.indexOf(commitment), `${commitment}: sendAndConfirmTransaction resolved once the transaction reached it (now ${st.confirmationStatus})`);
  }
  // a Connection whose commitment is finalized, with no per-call option
  const s = await sendAndConfirmTransaction(new Connection(v.url, 'finalized'), new Transaction().add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: to, lamports: 1_000_000 })), [payer]);
  const st = (await conn.getSignatureStatuses([s])).value[0]!;
  t.equal(st.confirmationStatus, 'finalized');
  t.equal(st.confirmations, null, 'a rooted transaction has confirmations: null');
  t.equal(await conn.getBalance(to, 'finalized'), 3 * LAMPORTS_PER_SOL / 100 + 1_000_000);
  await wsIdle(v);
});

t.test('commitment advances processed → confirmed → finalized as slots are produced', async (t) => {
  const v = await start(t, 0);
  const conn = new Connection(v.url, 'processed');
  const payer = Keypair.generate();
  const air = await conn.requestAirdrop(payer.publicKey, LAMPORTS_PER_SOL);
  let st = (await conn.getSignatureStatuses([air])).value[0]!;
  t.match(st, { confirmationStatus: 'processed', confirmations: 0, err: null });
  const slot0 = await conn.getSlot('processed');
  t.equal(await conn.getSlot('confirmed'), Math.max(0, slot0 - 1));
  await v.produceSlot();
  st = (await conn.getSignatureStatuses([air])).value[0]!;
  t.match(st, { confirmationStatus: 'confirmed', confirmations: 1 });
  for (let i = 1; i < FINALITY_DEPTH - 1; i++) await v.produceSlot();
  st = (await conn.getSignatureStatuses([air])).value[0]!;
  t.match(st, { confirmationStatus: 'confirmed', confirmations: FINALITY_DEPTH - 1 });
  await v.produceSlot();
  st = (await conn.getSignatureStatuses([air])).value[0]!;
  t.match(st, { confirmationStatus: 'finalized', confirmations: null });
  t.equal(await conn.getSlot('finalized'), slot0, 'the root is the airdrop slot, FINALITY_DEPTH slots later');
  // getTransaction defaults to finalized and refuses processed
  t.ok(await conn.getTransaction(air, { commitment: 'finalized', maxSupportedTransactionVersion: 0 }));
  const bad = await rpc(v.url, 'getTransaction', [air, { commitment: 'processed' }]);
  t.equal(bad.error?.code, -32602);
  // a block hash is valid through its lastValidBlockHeight, and not after
  const { blockhash, lastValidBlockHeight } = await conn.getLatestBlockhash('processed');
  while ((await conn.getBlockHeight('processed')) < lastValidBlockHeight) await v.produceSlot();
  t.equal((await conn.isBlockhashValid(blockhash, { commitment: 'processed' })).value, true, 'valid at lastValidBlockHeight');
  await v.produceSlot();
  t.equal((await conn.isBlockhashValid(blockhash, { commitment: 'processed' })).value, false, 'expired after it');
});

t.test('web3.js subscriptions: account, program, signature, slot, root and logs, with unsubscribes', async (t) => {
  const v = await start(t, 60);
  const conn = new Connection(v.url, 'confirmed');
  const payer = Keypair.generate();
  await conn.confirmTransaction({ signature: await conn.requestAirdrop(payer.publicKey, 5 * LAMPORTS_PER_SOL), ...(await conn.getLatestBlockhash()) });
  const target = Keypair.generate().publicKey;

  const seen: Record<string, unknown[]> = { processed: [], confirmed: [], finalized: [], program: [], logs: [], logsAll: [], slot: [], root: [], sig: [], sigReceived: [] };
  const subs = [
    conn.onAccountChange(target, (a, c) => seen.processed!.push([a.lamports, c.slot]), { commitment: 'processed' }),
    conn.onAccountChange(target, (a, c) => seen.confirmed!.push([a.lamports, c.slot]), { commitment: 'confirmed' }),
    conn.onAccountChange(target, (a, c) => seen.finalized!.push([a.lamports, c.slot]), { commitment: 'finalized' }),
  ];
  const programSub = conn.onProgramAccountChange(SystemProgram.programId, (k) => seen.program!.push(k.accountId.toBase58()), { commitment: 'confirmed', filters: [{ dataSize: 0 }] });
  const logsSub = conn.onLogs(target, (l) => seen.logs!.push(l), 'processed');
  const logsAllSub = conn.onLogs('all', (l) => seen.logsAll!.push(l.signature), 'confirmed');
  const slotSub = conn.onSlotChange((s) => seen.slot!.push(s));
  const rootSub = conn.onRootChange((r) => seen.root!.push(r));

  const tx = new Transaction().add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: target, lamports: LAMPORTS_PER_SOL }));
  const { blockhash, lastValidBlockHeight } = await conn.getLatestBlockhash();
  tx.recentBlockhash = blockhash; tx.feePayer = payer.publicKey; tx.sign(payer);
  const sigSub = conn.onSignatureWithOptions(bs58.encode(tx.signature!), (n) => seen.sigReceived!.push(n.type), { commitment: 'finalized', enableReceivedNotification: true });
  await until('the nine subscriptions to reach the server', () => v.pubsub.subscriptionCount >= 9);
  const sig = await conn.sendRawTransaction(tx.serialize());
  conn.onSignature(sig, (r, c: Context) => seen.sig!.push([r.err, c.slot]), 'confirmed');
  await conn.confirmTransaction({ signature: sig, blockhash, lastValidBlockHeight }, 'finalized');

  await until('finalized account notification', () => seen.finalized!.length > 0);
  const txSlot = (await conn.getSignatureStatuses([sig])).value[0]!.slot;
  t.same(seen.processed, [[LAMPORTS_PER_SOL, txSlot]], 'processed: notified as it executed');
  t.same(seen.confirmed, [[LAMPORTS_PER_SOL, txSlot]], 'confirmed: notified once its slot closed');
  t.same(seen.finalized, [[LAMPORTS_PER_SOL, txSlot]], 'finalized: notified once its slot was rooted');
  t.ok(seen.program!.includes(target.toBase58()) && seen.program!.includes(payer.publicKey.toBase58()), 'programSubscribe saw both system accounts change');
  t.equal(seen.logs!.length, 1);
  t.match(seen.logs![0], { signature: sig, err: null, logs: ['Program 11111111111111111111111111111111 invoke [1]', 'Program 11111111111111111111111111111111 success'] });
  t.ok(seen.logsAll!.includes(sig), 'logsSubscribe("all") at confirmed');
  t.same(seen.sig, [[null, txSlot]], 'signatureSubscribe notified once');
  t.same(seen.sigReceived, ['received'], 'enableReceivedNotification: received (web3.js then unsubscribes)');
  await until('slot and root notifications', () => seen.slot!.length >= 3 && seen.root!.length >= 1);
  const slots = seen.slot as Array<{ slot: number; parent: number; root: number }>;
  t.ok(slots.every((s, i) => s.parent === s.slot - 1 && (i === 0 || s.slot > slots[i - 1]!.slot)), 'slots increase, each naming its parent');
  t.ok((seen.root as number[]).every((r, i, a) => i === 0 || r > a[i - 1]!), 'roots increase');

  for (const id of subs) await conn.removeAccountChangeListener(id);
  await conn.removeProgramAccountChangeListener(programSub);
  await conn.removeOnLogsListener(logsSub);
  await conn.removeOnLogsListener(logsAllSub);
  await conn.removeSlotChangeListener(slotSub);
  await conn.removeRootChangeListener(rootSub);
  await conn.removeSignatureListener(sigSub).catch(() => undefined); // already ended by its notification
  await wsIdle(v);
});

t.test('PubSub protocol: ids, unsubscribe, errors', async (t) => {
  const v = await start(t, 0);
  const ws = new WebSocket(v.wsUrl);
  t.teardown(() => ws.close());
  const inbox: any[] = [];
  ws.on('message', (m) => inbox.push(JSON.parse(m.toString())));
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const call = async (id: number, method: string, params: unknown[] = []) => {
    ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    return until(`reply ${id}`, () => inbox.find((m) => m.id === id), 5000, 10);
  };
  const sub = await call(1, 'accountSubscribe', [Keypair.generate().publicKey.toBase58(), { encoding: 'base64', commitment: 'processed' }]);
  t.type(sub.result, 'number');
  t.same((await call(2, 'accountUnsubscribe', [sub.result])).result, true);
  t.match((await call(3, 'accountUnsubscribe', [sub.result])).error, { code: -32602, message: 'Invalid subscription id.' });
  t.match((await call(4, 'accountSubscribe', ['not-a-key'])).error, { code: -32602 });
  t.match((await call(5, 'fooSubscribe', [])).error, { code: -32601 });
  t.match((await call(6, 'logsSubscribe', [{ mentions: [] }])).error, { code: -32602 });
  const slotSub = await call(7, 'slotSubscribe');
  const rootSub = await call(8, 'rootSubscribe');
  t.same((await call(9, 'slotUnsubscribe', [rootSub.result])).error?.code, -32602, 'an id of another kind is refused');
  await v.produceSlot();
  const n = await until('slotNotification', () => inbox.find((m) => m.method === 'slotNotification'), 5000, 10);
  t.equal(n.params.subscription, slotSub.result);
  t.match(n.params.result, { slot: Number(v.ledger.slot), parent: Number(v.ledger.slot) - 1 });
  // enableReceivedNotification: "receivedSignature" as it executes, then the status at its commitment
  const payer = Keypair.generate();
  const air = await v.ledger.airdrop(payer.publicKey, 1_000_000_000n);
  const tx = new Transaction({ recentBlockhash: v.ledger.latestBlockhash.blockhash, feePayer: payer.publicKey }).add(SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1_000_000_000 / 2 }));
  tx.sign(payer);
  const sigSub = await call(10, 'signatureSubscribe', [bs58.encode(tx.signature!), { commitment: 'confirmed', enableReceivedNotification: true }]);
  const doneSub = await call(11, 'signatureSubscribe', [air, { commitment: 'processed' }]);
  const done = await until('notification for a signature already processed', () => inbox.find((m) => m.params?.subscription === doneSub.result), 5000, 10);
  t.same(done.params.result.value, { err: null }, 'a signature that already reached the commitment is notified at once');
  await v.ledger.submit(tx.serialize());
  await until('received', () => inbox.find((m) => m.params?.subscription === sigSub.result), 5000, 10);
  await v.produceSlot();
  const sigNotes = await until('status', () => { const l = inbox.filter((m) => m.params?.subscription === sigSub.result); return l.length === 2 && l; }, 5000, 10);
  t.same(sigNotes.map((m: any) => m.params.result.value), ['receivedSignature', { err: null }]);
  t.match((await call(12, 'signatureUnsubscribe', [sigSub.result])).error, { code: -32602 }, 'a signature subscription ends with its notification');
  ws.send('{not json');
  t.match(await until('parse error', () => inbox.find((m) => m.error?.code === -32700), 5000, 10), { id: null });
});

t.test('@solana/kit: sendAndConfirmTransactionFactory and airdropFactory with RPC subscriptions', async (t) => {
  const v = await start(t, 40);
  const rpcClient = createSolanaRpc(v.url);
  const subs = createSolanaRpcSubscriptions(v.wsUrl);
  const payer = await generateKeyPairSigner();
  const airdrop = airdropFactory({ rpc: rpcClient, rpcSubscriptions: subs });
  await airdrop({ recipientAddress: payer.address, lamports: lamports(2_000_000_000n), commitment: 'confirmed' });
  t.equal((await rpcClient.getBalance(payer.address, { commitment: 'confirmed' }).send()).value, 2_000_000_000n);
  const to = address(Keypair.generate().publicKey.toBase58());
  const data = new Uint8Array(12);
  new DataView(data.buffer).setUint32(0, 2, true);
  new DataView(data.buffer).setBigUint64(4, 50_000_000n, true);
  const sendAndConfirm = sendAndConfirmTransactionFactory({ rpc: rpcClient, rpcSubscriptions: subs });
  for (const commitment of ['confirmed', 'finalized'] as const) {
    const { value: latest } = await rpcClient.getLatestBlockhash().send();
    const msg = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(payer, m),
      (m) => setTransactionMessageLifetimeUsingBlockhash(latest, m),
      (m) => appendTransactionMessageInstruction({
        programAddress: address('11111111111111111111111111111111'),
        accounts: [{ address: payer.address, role: AccountRole.WRITABLE_SIGNER, signer: payer } as never, { address: to, role: AccountRole.WRITABLE }],
        data,
      }, m),
    );
    const signed = await signTransactionMessageWithSigners(msg);
    await sendAndConfirm(signed as never, { commitment });
    const sig = getSignatureFromTransaction(signed);
    const { value: [st] } = await rpcClient.getSignatureStatuses([sig]).send();
    t.ok(st && (commitment === 'confirmed' ? st.confirmationStatus !== 'processed' : st.confirmationStatus === 'finalized'), `kit: confirmed at ${commitment}`);
  }
  t.equal((await rpcClient.getBalance(to, { commitment: 'finalized' }).send()).value, 100_000_000n);
});

