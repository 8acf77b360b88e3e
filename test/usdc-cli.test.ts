// `splitup-chain faucet | status | withdraw` as an operator runs them against the local validator (real
// processes, JSON-RPC on 127.0.0.1): test USDC minted to an owner's associated token account, the
// committee's money in USDC with the vault checked against the books, the treasury withdrawn to an
// owner's token account; the faucet refuses a cluster that is not the local validator.
import t from 'tap';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keypair } from '@solana/web3.js';
import { bootstrapChain } from '../src/chain/bootstrap.js';
import { ChainClient } from '../src/chain/client.js';
import { programId, start } from './helpers/validator.js';
import { tempDir } from './helpers/oracle.js';
import { runCli } from './helpers/cli.js';

const bin = new URL('../bin/chain.js', import.meta.url).pathname;
const run = (args: string[]) => runCli(bin, args);

t.test('faucet (local only), status in USDC with vault = books, withdraw to an owner', async (t) => {
  const v = await start(t, 50);
  const { dir, cleanup } = tempDir('splitup-usdc-cli-');
  t.teardown(cleanup);
  const authority = Keypair.generate();
  const authorityFile = join(dir, 'authority.json');
  writeFileSync(authorityFile, JSON.stringify(Array.from(authority.secretKey)), { mode: 0o600 });
  const chain = new ChainClient(v.url, programId, authority.publicKey);
  const node = Keypair.generate();
  await bootstrapChain(chain, { authority, oracles: [0, 1, 2].map(() => Keypair.generate().publicKey), nodes: [{ keypair: node }] });
  const base = ['--rpc', v.url, '--program-id', programId.toBase58(), '--authority'];

  const someone = Keypair.generate().publicKey;
  const f = await run(['faucet', ...base, authority.publicKey.toBase58(), '--to', someone.toBase58(), '--amount', '12.5']);
  t.equal(f.status, 0, f.stderr);
  const minted = JSON.parse(f.stdout);
  t.same([minted.minted, minted.balance, minted.tokenAccount], ['12.5', '12.5', chain.program.tokenAccountOf(someone).toBase58()], "12.5 USDC minted to the owner's associated token account");
  t.equal(await chain.usdcOf(someone), 12_500_000n);

  const s = await run(['status', ...base, authority.publicKey.toBase58()]);
  t.equal(s.status, 0, s.stderr);
  const st = JSON.parse(s.stdout);
  t.equal(st.unit, 'USDC');
  t.equal(st.nodes[0].stake, '3400', 'the node staked 1000 + 100 x 24 USDC');
  t.equal(st.committee.decimals, 6);
  t.equal(st.books.vaultBalance, '3400', 'the vault holds the stake');
  t.equal(st.books.books, st.books.vaultBalance, 'vault = books');
  t.ok(st.books.ok);

  // the treasury is empty: withdrawing more is refused by the program, by name
  const w = await run(['withdraw', ...base, authorityFile, '--to', someone.toBase58(), '--amount', '1']);
  t.equal(w.status, 2);
  t.match(w.stderr, /the program refused: InsufficientFunds/);

  // another cluster (a JSON-RPC server whose getVersion is not the local validator's): refused
  const other = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const { id } = JSON.parse(body) as { id: number };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id, result: { 'solana-core': '2.1.0', 'feature-set': 1 } }));
    });
  });
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => other.close(() => r())));
  const url = `http://127.0.0.1:${(other.address() as { port: number }).port}`;
  const refused = await run(['faucet', '--rpc', url, '--program-id', programId.toBase58(), '--authority', authority.publicKey.toBase58(), '--to', someone.toBase58(), '--amount', '5']);
  t.equal(refused.status, 2, 'the faucet against another cluster: exit 2');
  t.match(refused.stderr, /the faucet mints test USDC on the local validator only/);
  t.equal(await chain.usdcOf(someone), 12_500_000n, 'nothing minted');
});
