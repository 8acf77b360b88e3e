// The local validator's HTTP JSON-RPC methods driven by unmodified @solana/web3.js: transactions
// (json, jsonParsed, base64), history, blocks, fees, account encodings, simulation, errors,
// SPL Token (Token-2022) and address lookup tables.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import bs58 from 'bs58';
import {
  AddressLookupTableProgram, ComputeBudgetProgram, Connection, Keypair, LAMPORTS_PER_SOL, PublicKey, SystemProgram, Transaction, TransactionMessage,
  VersionedTransaction,
} from '@solana/web3.js';
import { until } from './helpers/heartbeat.js';
import { programId, rpc, start } from './helpers/validator.js';

t.test('web3.js HTTP methods: transactions, blocks, history, fees, encodings, simulation, errors', async (t) => {
  const v = await start(t, 0);
  const conn = new Connection(v.url, 'confirmed');
  const a = Keypair.generate(), b = Keypair.generate();
  await conn.requestAirdrop(a.publicKey, 10 * LAMPORTS_PER_SOL);
  await conn.requestAirdrop(b.publicKey, LAMPORTS_PER_SOL);
  await v.produceSlot();
  const dest = Keypair.generate().publicKey;
  const sigs: string[] = [];
  for (let i = 0; i < 4; i++) {
    const { blockhash } = await conn.getLatestBlockhash();
    const tx = new Transaction({ recentBlockhash: blockhash, feePayer: a.publicKey })
      .add(ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 1000 * (i + 1) }))
      .add(SystemProgram.transfer({ fromPubkey: a.publicKey, toPubkey: dest, lamports: LAMPORTS_PER_SOL / 10 }));
    tx.sign(a);
    sigs.push(await conn.sendRawTransaction(tx.serialize()));
    await v.produceSlot();
  }
  // two signers: fee 10000 + priority; getFeeForMessage agrees with what is charged
  const { blockhash } = await conn.getLatestBlockhash();
  const two = new Transaction({ recentBlockhash: blockhash, feePayer: a.publicKey }).add(SystemProgram.transfer({ fromPubkey: b.publicKey, toPubkey: dest, lamports: 1_000_000 }));
  t.equal((await conn.getFeeForMessage(two.compileMessage())).value, 10_000, 'two signatures: 10000 lamports');
  const unknown = new Transaction({ recentBlockhash: Keypair.generate().publicKey.toBase58(), feePayer: a.publicKey }).add(SystemProgram.transfer({ fromPubkey: a.publicKey, toPubkey: dest, lamports: 1 }));
  t.equal((await conn.getFeeForMessage(unknown.compileMessage())).value, null, 'unknown block hash: null');
  two.sign(a, b);
  const twoSig = await conn.sendRawTransaction(two.serialize());
  await v.produceSlot();

  const got = await conn.getTransaction(twoSig, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 });
  t.equal(got?.meta?.fee, 10_000, 'the fee charged is the fee quoted');
  t.equal(got?.meta!.preBalances[0]! - got!.meta!.postBalances[0]!, 10_000);
  t.equal(got?.version, 'legacy');
  t.same(got?.meta?.logMessages, ['Program 11111111111111111111111111111111 invoke [1]', 'Program 11111111111111111111111111111111 success']);
  const parsed = await conn.getParsedTransaction(sigs[0]!, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 });
  const ix = parsed!.transaction.message.instructions[1] as { program: string; parsed: { type: string; info: Record<string, unknown> } };
  t.match(ix, { program: 'system', parsed: { type: 'transfer', info: { source: a.publicKey.toBase58(), destination: dest.toBase58(), lamports: LAMPORTS_PER_SOL / 10 } } });
  t.match(parsed!.transaction.message.accountKeys[0], { signer: true, writable: true });
  t.equal(parsed!.meta!.fee, 5000 + Math.ceil(1000 * 6000 / 1e6), 'priority fee: price × default limit (3000 CUs per built-in instruction)');
  const quoted = await conn.getFeeForMessage(new Transaction({ recentBlockhash: (await conn.getLatestBlockhash()).blockhash, feePayer: a.publicKey })
    .add(ComputeBudgetProgram.setComputeUnitPrice({ microLamports: 1000 }), SystemProgram.transfer({ fromPubkey: a.publicKey, toPubkey: dest, lamports: 1 })).compileMessage());
  t.equal(quoted.value, parsed!.meta!.fee, 'getFeeForMessage quotes the priority fee the runtime charges');
  const b64 = await rpc(v.url, 'getTransaction', [sigs[0], { encoding: 'base64', commitment: 'confirmed' }]);
  t.equal(VersionedTransaction.deserialize(Buffer.from(b64.result.transaction[0], 'base64')).signatures.length, 1, 'base64: the wire transaction');
  t.equal((await rpc(v.url, 'getTransaction', [sigs[0], { encoding: 'json' }])).result, null, 'default commitment finalized: not yet');

  // history, newest first, with before/until/limit
  const hist = await conn.getSignaturesForAddress(dest);
  t.same(hist.map((h) => h.signature), [twoSig, ...[...sigs].reverse()]);
  t.same((await conn.getSignaturesForAddress(dest, { limit: 2 })).map((h) => h.signature), [twoSig, sigs[3]]);
  t.same((await conn.getSignaturesForAddress(dest, { before: sigs[3] })).map((h) => h.signature), [sigs[2], sigs[1], sigs[0]]);
  t.same((await conn.getSignaturesForAddress(dest, { before: twoSig, until: sigs[0] })).map((h) => h.signature), [sigs[3], sigs[2], sigs[1]]);
  t.ok(hist.every((h) => h.confirmationStatus === 'confirmed' && h.err === null && typeof h.blockTime === 'number'));

  // blocks
  const txSlot = got!.slot;
  const block = await conn.getBlock(txSlot, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 });
  t.same(block?.transactions.map((x) => x.transaction.signatures[0]), [twoSig]);
  t.equal(block?.parentSlot, txSlot - 1);
  const prev = await conn.getBlock(txSlot - 1, { commitment: 'confirmed', maxSupportedTransactionVersion: 0, transactionDetails: 'none' });
  t.equal(block?.previousBlockhash, prev?.blockhash, 'blocks chain by hash');
  t.same(await conn.getBlocks(txSlot - 2, txSlot, 'confirmed'), [txSlot - 2, txSlot - 1, txSlot]);
  const first = (await rpc(v.url, 'getFirstAvailableBlock')).result as number;
  t.same((await rpc(v.url, 'getBlocksWithLimit', [0, 3, { commitment: 'confirmed' }])).result, [first, first + 1, first + 2], 'blocks start at genesis');
  t.ok((await conn.getBlock(first, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 }))?.blockhash);
  t.equal((await rpc(v.url, 'getBlock', [txSlot + 1, { commitment: 'confirmed' }])).error?.code, -32004, 'the open slot is not a block yet');
  const pblock = await conn.getParsedBlock(txSlot, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 });
  t.equal(pblock.transactions.length, 1);

  // epoch info and fees
  const ei = await conn.getEpochInfo();
  t.equal(ei.transactionCount, 7, 'two airdrops + five transfers');
  const fees = await conn.getRecentPrioritizationFees({ lockedWritableAccounts: [dest] });
  t.ok(fees.length > 0 && fees.length <= 150);
  t.same(fees.filter((f) => f.prioritizationFee > 0).map((f) => f.prioritizationFee), [1000, 2000, 3000, 4000]);

  // accounts: every encoding, dataSlice
  const programAcct = await conn.getAccountInfo(programId);
  const so = new PublicKey(programAcct!.data.subarray(4, 36)); // upgradeable loader: the ProgramData account (45-byte header, then the ELF)
  const info = await conn.getAccountInfo(so, { dataSlice: { offset: 45, length: 4 } });
  t.equal(info?.data.length, 4, 'dataSlice');
  t.same([...info!.data], [0x7f, 0x45, 0x4c, 0x46], 'the program ELF magic');
  for (const encoding of ['base58', 'base64', 'base64+zstd']) {
    const r = await rpc(v.url, 'getAccountInfo', [so.toBase58(), { encoding, dataSlice: { offset: 46, length: 3 } }]);
    t.equal(r.result.value.data[1], encoding);
    let bytes: Buffer;
    if (encoding === 'base58') bytes = Buffer.from((await import('bs58')).default.decode(r.result.value.data[0]));
    else if (encoding === 'base64') bytes = Buffer.from(r.result.value.data[0], 'base64');
    else bytes = execFileSync('zstd', ['-d', '-c'], { input: Buffer.from(r.result.value.data[0], 'base64') });
    t.equal(bytes.toString('latin1'), 'ELF', `${encoding}: decodes to the slice`);
  }
  t.equal((await rpc(v.url, 'getAccountInfo', [so.toBase58(), { encoding: 'base58' }])).error?.code, -32600, 'base58 of a large account is refused');
  const multi = await conn.getMultipleAccountsInfo([a.publicKey, Keypair.generate().publicKey]);
  t.ok(multi[0] && multi[1] === null);
  t.equal((await rpc(v.url, 'getProgramAccounts', [SystemProgram.programId.toBase58(), { encoding: 'base64', dataSlice: { offset: 0, length: 0 }, filters: [{ dataSize: 0 }], withContext: true }])).result.value.some((x: any) => x.pubkey === dest.toBase58()), true);

  // simulation: unsigned with sigVerify false + replaceRecentBlockhash; accounts; conflicting config
  const msg = new TransactionMessage({ payerKey: a.publicKey, recentBlockhash: Keypair.generate().publicKey.toBase58(), instructions: [SystemProgram.transfer({ fromPubkey: a.publicKey, toPubkey: dest, lamports: 5 })] }).compileToV0Message();
  const unsigned = new VersionedTransaction(msg);
  const sim = await conn.simulateTransaction(unsigned, { sigVerify: false, replaceRecentBlockhash: true, accounts: { encoding: 'base64', addresses: [dest.toBase58()] }, innerInstructions: true });
  t.equal(sim.value.err, null, 'an unsigned transaction simulates without sigVerify');
  t.equal(sim.value.accounts?.[0]?.lamports, (await conn.getBalance(dest)) + 5, 'accounts: the state after the run');
  t.ok((sim.value as { replacementBlockhash?: { blockhash: string } }).replacementBlockhash?.blockhash, 'replacementBlockhash returned');
  const noReplace = await conn.simulateTransaction(unsigned, { sigVerify: false });
  t.equal(noReplace.value.err, 'BlockhashNotFound');
  const both = await rpc(v.url, 'simulateTransaction', [Buffer.from(unsigned.serialize()).toString('base64'), { encoding: 'base64', sigVerify: true, replaceRecentBlockhash: true }]);
  t.equal(both.error?.code, -32602);

  // minContextSlot and the error shapes
  const far = await rpc(v.url, 'getBalance', [a.publicKey.toBase58(), { minContextSlot: Number(v.ledger.slot) + 1000 }]);
  t.match(far.error, { code: -32016, message: 'Minimum context slot has not been reached', data: { contextSlot: Number(v.ledger.slotAt('finalized')) } });
  await t.rejects(conn.getAccountInfo(a.publicKey, { minContextSlot: Number(v.ledger.slot) + 1000 }), /Minimum context slot/);
  t.match((await rpc(v.url, 'nope')).error, { code: -32601 });
  t.match((await rpc(v.url, 'getBalance', ['xyz'])).error, { code: -32602 });
  t.match((await rpc(v.url, 'getSignaturesForAddress', [dest.toBase58(), { limit: 5000 }])).error, { code: -32602 });
  const raw = await (await fetch(v.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":' })).json() as any;
  t.match(raw, { jsonrpc: '2.0', id: null, error: { code: -32700 } });
  const badReq = await (await fetch(v.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"id":3}' })).json() as any;
  t.match(badReq.error, { code: -32600 });
  // a forged signature: -32003; a program-independent failure (rent) is a JSON error object
  const forged = new Transaction({ recentBlockhash: (await conn.getLatestBlockhash()).blockhash, feePayer: a.publicKey }).add(SystemProgram.transfer({ fromPubkey: a.publicKey, toPubkey: dest, lamports: 7 }));
  forged.sign(a);
  const wire = forged.serialize();
  wire[1] ^= 1;
  t.match((await rpc(v.url, 'sendTransaction', [Buffer.from(wire).toString('base64'), { encoding: 'base64' }])).error, { code: -32003 });
  const rent = new Transaction({ recentBlockhash: (await conn.getLatestBlockhash()).blockhash, feePayer: a.publicKey }).add(SystemProgram.transfer({ fromPubkey: a.publicKey, toPubkey: Keypair.generate().publicKey, lamports: 1 }));
  rent.sign(a);
  const rentErr = await rpc(v.url, 'sendTransaction', [rent.serialize().toString('base64'), { encoding: 'base64' }]);
  t.match(rentErr.error, { code: -32002, data: { err: { InsufficientFundsForRent: { account_index: 1 } } } });
});

t.test('web3.js: SPL Token (Token-2022) instructions and accounts as jsonParsed, token balances, token reads', async (t) => {
  const v = await start(t, 0);
  const conn = new Connection(v.url, 'confirmed');
  const TOKEN_2022 = new PublicKey('TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb');
  const payer = Keypair.generate(), mint = Keypair.generate(), alice = Keypair.generate(), bob = Keypair.generate(), accA = Keypair.generate(), accB = Keypair.generate();
  await v.ledger.airdrop(payer.publicKey, 10n * BigInt(LAMPORTS_PER_SOL));
  const u64le = (n: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(n); return b; };
  const ix = (keys: Array<[PublicKey, boolean, boolean]>, data: Buffer) => ({ programId: TOKEN_2022, keys: keys.map(([pubkey, isSigner, isWritable]) => ({ pubkey, isSigner, isWritable })), data });
  const send = async (signers: Keypair[], ...ixs: ReturnType<typeof ix>[] | any[]) => {
    const tx = new Transaction({ recentBlockhash: v.ledger.latestBlockhash.blockhash, feePayer: payer.publicKey }).add(...ixs);
    tx.sign(payer, ...signers);
    const sig = await conn.sendRawTransaction(tx.serialize());
    await v.produceSlot();
    return sig;
  };
  const rent = async (n: number) => conn.getMinimumBalanceForRentExemption(n);
  const createSig = await send([mint],
    SystemProgram.createAccount({ fromPubkey: payer.publicKey, newAccountPubkey: mint.publicKey, lamports: await rent(82), space: 82, programId: TOKEN_2022 }),
    ix([[mint.publicKey, false, true]], Buffer.concat([Buffer.from([20, 6]), payer.publicKey.toBuffer(), Buffer.from([0])])));
  await send([accA, accB],
    SystemProgram.createAccount({ fromPubkey: payer.publicKey, newAccountPubkey: accA.publicKey, lamports: await rent(165), space: 165, programId: TOKEN_2022 }),
    SystemProgram.createAccount({ fromPubkey: payer.publicKey, newAccountPubkey: accB.publicKey, lamports: await rent(165), space: 165, programId: TOKEN_2022 }),
    ix([[accA.publicKey, false, true], [mint.publicKey, false, false]], Buffer.concat([Buffer.from([18]), alice.publicKey.toBuffer()])),
    ix([[accB.publicKey, false, true], [mint.publicKey, false, false]], Buffer.concat([Buffer.from([18]), bob.publicKey.toBuffer()])),
    ix([[mint.publicKey, false, true], [accA.publicKey, false, true], [payer.publicKey, true, false]], Buffer.concat([Buffer.from([7]), u64le(5_000_000n)])));
  const xfer = await send([alice], ix([[accA.publicKey, false, true], [mint.publicKey, false, false], [accB.publicKey, false, true], [alice.publicKey, true, false]], Buffer.concat([Buffer.from([12]), u64le(1_250_000n), Buffer.from([6])])));

  const created = await conn.getParsedTransaction(createSig, { maxSupportedTransactionVersion: 0 });
  t.match(created?.transaction.message.instructions[0], { program: 'system', parsed: { type: 'createAccount', info: { newAccount: mint.publicKey.toBase58(), space: 82, owner: TOKEN_2022.toBase58() } } });
  t.match(created?.transaction.message.instructions[1], { program: 'spl-token', parsed: { type: 'initializeMint2', info: { mint: mint.publicKey.toBase58(), decimals: 6, mintAuthority: payer.publicKey.toBase58() } } });
  const p = await conn.getParsedTransaction(xfer, { maxSupportedTransactionVersion: 0 });
  t.equal(p?.meta?.err, null);
  t.match(p?.transaction.message.instructions[0], {
    program: 'spl-token', programId: TOKEN_2022,
    parsed: { type: 'transferChecked', info: { source: accA.publicKey.toBase58(), destination: accB.publicKey.toBase58(), authority: alice.publicKey.toBase58(), mint: mint.publicKey.toBase58(), tokenAmount: { amount: '1250000', decimals: 6, uiAmount: 1.25, uiAmountString: '1.25' } } },
  });
  const bal = (l: Array<{ owner?: string; uiTokenAmount: { amount: string } }> | null | undefined, who: Keypair) => l?.find((b) => b.owner === who.publicKey.toBase58())?.uiTokenAmount.amount;
  t.equal(bal(p!.meta!.preTokenBalances, alice), '5000000');
  t.equal(bal(p!.meta!.postTokenBalances, alice), '3750000');
  t.equal(bal(p!.meta!.postTokenBalances, bob), '1250000', 'pre/post token balances');
  t.equal((await conn.getTokenAccountBalance(accB.publicKey)).value.uiAmountString, '1.25');
  t.equal((await conn.getTokenSupply(mint.publicKey)).value.amount, '5000000');
  const byOwner = await conn.getParsedTokenAccountsByOwner(alice.publicKey, { programId: TOKEN_2022 });
  t.same(byOwner.value.map((a) => a.pubkey.toBase58()), [accA.publicKey.toBase58()]);
  t.match(byOwner.value[0]!.account.data, { program: 'spl-token-2022', parsed: { type: 'account', info: { owner: alice.publicKey.toBase58(), state: 'initialized', tokenAmount: { amount: '3750000' } } } });
  t.equal((await conn.getTokenAccountsByOwner(bob.publicKey, { mint: mint.publicKey })).value.length, 1);
  const m = await conn.getParsedAccountInfo(mint.publicKey);
  t.match((m.value?.data as { parsed: unknown }).parsed, { type: 'mint', info: { decimals: 6, supply: '5000000', isInitialized: true, mintAuthority: payer.publicKey.toBase58(), freezeAuthority: null } });
  t.match((await rpc(v.url, 'getTokenAccountBalance', [mint.publicKey.toBase58()])).error, { code: -32602 }, 'a mint is not a token account');
});

t.test('web3.js: a v0 transaction through an address lookup table (loaded addresses, versions, accounts view)', async (t) => {
  const v = await start(t, 0);
  const conn = new Connection(v.url, 'confirmed');
  const payer = Keypair.generate();
  await v.ledger.airdrop(payer.publicKey, 10n * BigInt(LAMPORTS_PER_SOL));
  await v.produceSlot();
  const targets = [Keypair.generate().publicKey, Keypair.generate().publicKey];
  const [createIx, table] = AddressLookupTableProgram.createLookupTable({ authority: payer.publicKey, payer: payer.publicKey, recentSlot: await conn.getSlot('confirmed') });
  const extendIx = AddressLookupTableProgram.extendLookupTable({ lookupTable: table, authority: payer.publicKey, payer: payer.publicKey, addresses: targets });
  const legacy = new Transaction({ recentBlockhash: v.ledger.latestBlockhash.blockhash, feePayer: payer.publicKey }).add(createIx, extendIx);
  legacy.sign(payer);
  await conn.sendRawTransaction(legacy.serialize());
  await v.produceSlot(); // addresses become usable in the next slot
  const lut = (await conn.getAddressLookupTable(table)).value!;
  t.equal(lut.state.addresses.length, 2);
  const msg = new TransactionMessage({
    payerKey: payer.publicKey, recentBlockhash: v.ledger.latestBlockhash.blockhash,
    instructions: targets.map((toPubkey) => SystemProgram.transfer({ fromPubkey: payer.publicKey, toPubkey, lamports: LAMPORTS_PER_SOL })),
  }).compileToV0Message([lut]);
  t.equal(msg.addressTableLookups.length, 1, 'the transfer targets come from the table');
  const vtx = new VersionedTransaction(msg);
  vtx.sign([payer]);
  const sig = await conn.sendRawTransaction(vtx.serialize());
  await v.produceSlot();
  t.equal(await conn.getBalance(targets[1]!), LAMPORTS_PER_SOL);
  const got = await conn.getTransaction(sig, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 });
  t.equal(got?.version, 0);
  t.same(got?.meta?.loadedAddresses?.writable.map((k) => k.toBase58()), targets.map((k) => k.toBase58()), 'loadedAddresses');
  t.equal(got?.meta?.postBalances.length, 4, 'balances cover the loaded accounts (payer, system program, two targets)');
  const parsed = await conn.getParsedTransaction(sig, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 });
  t.same(parsed?.transaction.message.accountKeys.map((k) => [k.source, k.writable, k.signer]), [['transaction', true, true], ['transaction', false, false], ['lookupTable', true, false], ['lookupTable', true, false]]);
  t.match(parsed?.transaction.message.instructions[1], { program: 'system', parsed: { type: 'transfer', info: { destination: targets[1]!.toBase58() } } });
  const noVersion = await rpc(v.url, 'getTransaction', [sig, { commitment: 'confirmed' }]);
  t.equal(noVersion.error?.code, -32015, 'a v0 transaction needs maxSupportedTransactionVersion');
  const block = await rpc(v.url, 'getBlock', [got!.slot, { commitment: 'confirmed', maxSupportedTransactionVersion: 0, transactionDetails: 'accounts' }]);
  t.same(block.result.transactions[0].transaction.signatures, [sig]);
  t.equal(block.result.transactions[0].transaction.accountKeys.length, 4, 'transactionDetails: accounts');
  t.equal(block.result.transactions[0].meta.logMessages, undefined, 'accounts view carries no logs');
});
