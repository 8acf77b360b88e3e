// The requester's round trip end to end: a model developer registers a manifest (CLI), a requester
// (CLI: `request --wait`, then `result`) uploads its input to an HTTP CAS server, requests the
// execution with a max fee and receives the final output, verified against the hash the program
// accepted. The execution runs on the real program (local validator over LiteSVM), three oracles'
// chain loops (ECVRF selection proofs exchanged in process, assignTask votes to a quorum of 2,
// settlements) and three compute agents, each with its own CAS directory, sharing tensors only
// through the CAS server. To stay within seconds, the oracles' liveness table is one fixed table (every
// node online) instead of BFT rounds over libp2p — those are exercised by test/chain-loop.test.ts,
// test/agent.test.ts and test/workflow.test.ts.
import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Keypair } from '@solana/web3.js';
import { formatUsdc, USDC } from '../src/chain/program.js';
import { auditBooks } from '../src/chain/audit.js';
import { ExecStatus } from '../src/chain/layout.js';
import { createCasServer } from '../src/cas/server.js';
import { blobStore } from '../src/cas/blobs.js';
import { chainViewOf } from '../src/cas/gc.js';
import { sha256hex } from '../src/cas/store.js';
import { ComputeAgent } from '../src/node/agent.js';
import { exampleInput, runTask } from '../src/model/example.js';
import { encodeBundle, decodeBundle } from '../src/model/tensor.js';
import { tempDir } from './helpers/oracle.js';
import { startFixedCommittee } from './helpers/fixed-committee.js';
import { runCli } from './helpers/cli.js';

const bin = new URL('../bin/chain.js', import.meta.url).pathname;
const run = (args: string[], timeoutMs = 150_000) => runCli(bin, args, timeoutMs);

t.test('register → request --wait → outputs verified → result, through an HTTP CAS server', async (t) => {
  const { dir, cleanup } = tempDir('splitup-requester-');
  t.teardown(cleanup);
  const closers: Array<() => Promise<unknown>> = [];
  t.teardown(async () => { for (const c of closers.reverse()) await c().catch(() => undefined); });

  // the chain: 100 ms blocks, a 10 s minimum task timeout (a loaded machine must not time tasks out)
  const { chain, nodes, base, startLoops } = await startFixedCommittee(dir, closers);

  // the CAS server every party shares tensors through (token for writes)
  const token = randomBytes(16).toString('hex');
  const tokenFile = join(dir, 'cas-token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const server = await createCasServer({ dir: join(dir, 'cas-server'), token, chain: chainViewOf(chain) });
  closers.push(() => server.close());
  const casUrl = await server.app.listen({ port: 0, host: '127.0.0.1' });

  // three oracles' chain loops over one fixed liveness table (every compute node online)
  startLoops();
  // three compute agents, each with its own directory in front of the CAS server
  const agents = nodes.map((keypair, i) => new ComputeAgent({ chain, keypair, cas: blobStore(join(dir, `node-${i}`), casUrl, token), pollMs: 200 }));
  agents.forEach((a) => a.start());
  closers.push(() => Promise.all(agents.map((a) => a.stop())));

  // the model developer registers the diamond over the registered example tasks: model 2
  const reg = await run(['model', 'register', ...base, '--key', join(dir, 'developer.json'), '--airdrop', '2', '--manifest', new URL('../models/diamond-registered.json', import.meta.url).pathname]);
  t.equal(reg.status, 0, reg.stderr);
  const modelId = JSON.parse(reg.stdout).modelId;
  t.equal(modelId, 2);

  // the requester
  const input = exampleInput(7);
  const inputFile = join(dir, 'input.json');
  writeFileSync(inputFile, JSON.stringify({ tensors: [{ shape: input.shape, data: Array.from(input.data) }] }));
  const requesterKey = join(dir, 'requester.json');
  const req = ['request', ...base, '--key', requesterKey, '--model', String(modelId), '--input', inputFile, '--cas', join(dir, 'requester-cas'), '--cas-url', casUrl, '--cas-token-file', tokenFile];
  const low = await run([...req, '--max-fee', '0.000001', '--airdrop', '20']);
  t.equal(low.status, 2, 'a fee below the model\'s minimum: refused before sending');
  t.match(low.stderr, /^error: FeeTooLow: --max-fee 0\.000001 USDC is below the [\d.]+ USDC model 2 needs/);
  const poor = await run([...req, '--max-fee', '2000']);
  t.equal(poor.status, 2, 'more than the requester holds: refused before sending');
  t.match(poor.stderr, /^error: InsufficientFunds: the requester's token account \w+ holds 0\.000001 USDC, below --max-fee 2000 USDC/);
  const lowOnChain = await run([...req, '--max-fee', '0.000001', '--no-check']);
  t.equal(lowOnChain.status, 2);
  t.match(lowOnChain.stderr, /^error: the program refused: FeeTooLow: /, 'and the program refuses it too, by name');
  const wrong = join(dir, 'wrong.json');
  writeFileSync(wrong, JSON.stringify({ tensors: [{ shape: [1, 4], data: [1, 2, 3, 4] }] }));
  const mismatch = await run([...req.map((a) => (a === inputFile ? wrong : a)), '--max-fee', '2000']);
  t.equal(mismatch.status, 2);
  t.match(mismatch.stderr, /^error: InputMismatch: input 0 is f32\[1,4\], the model takes f32\[1,8\]/);

  const outFile = join(dir, 'out.bundle');
  const started = Date.now();
  const res = await run([...req, '--max-fee', '2000', '--airdrop', '1', '--wait', '--timeout-s', '120', '--out', outFile]);
  t.equal(res.status, 0, res.stderr);
  t.comment(`request --wait: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const got = JSON.parse(res.stdout);
  t.equal(got.status, 'done');
  t.match(res.stderr, /requested execution \d+ of model 2/);
  t.match(res.stderr, /4\/4 tasks done/, 'progress shown until every task is done');

  // the reference: the diamond computed here
  const h = runTask(1, [input])[0]!, l = runTask(2, [h])[0]!, r = runTask(3, [h])[0]!;
  const y = runTask(4, [l, r]);
  const e = (await chain.execution(BigInt(got.execId)))!;
  t.equal(e.status, ExecStatus.Done);
  const accepted = Buffer.from(e.tasks[3]!.output).toString('hex');
  t.equal(got.outputs.length, 1);
  t.equal(got.outputs[0].sha256, accepted, 'the output is the bundle whose hash the program accepted for the last task');
  t.equal(sha256hex(encodeBundle(y)), accepted, 'and it is the diamond computed from the input');
  t.same(got.outputs[0].data, Array.from(y[0]!.data));
  t.same(decodeBundle(new Uint8Array(readFileSync(outFile)))[0]!.data, y[0]!.data, '--out holds the output tensor');
  t.equal(e.uri, `cas://${sha256hex(encodeBundle([input]))}`, 'the input went to the CAS under its hash');
  t.ok(server.store.has(accepted) && server.store.has(e.uri.slice(6)), 'input and output are on the CAS server');
  t.equal(got.released, 'released', 'the requester released the output to the server\'s collector (POST /release, checked on chain)');
  t.equal(server.store.records('releases').length, 1);

  // later, from another directory: result fetches the output through the server and checks it
  const later = await run(['result', got.execId, ...base, '--cas', join(dir, 'elsewhere'), '--cas-url', casUrl]);
  t.equal(later.status, 0, later.stderr);
  const r2 = JSON.parse(later.stdout);
  t.equal(r2.status, 'done');
  t.equal(r2.outputs[0].sha256, accepted);
  t.equal(r2.outputs[0].verified, true);
  // a store that holds other bytes under the output's name: refused, never shown as the output
  const tampered = join(dir, 'tampered');
  mkdirSync(join(tampered, accepted.slice(0, 2)), { recursive: true });
  writeFileSync(join(tampered, accepted.slice(0, 2), accepted), encodeBundle([{ shape: [1, 4], data: Float32Array.from([6, 6, 6, 6]) }]));
  const forged = await run(['result', got.execId, ...base, '--cas', tampered]);
  t.equal(forged.status, 2, 'bytes that do not hash to the accepted output: exit 2');
  t.match(forged.stderr, /^error: OutputUnavailable: HASH_MISMATCH: blob [0-9a-f]{64} in .* does not hash to its name/);
  t.notMatch(forged.stdout, /"data"/, 'no output printed');
  const unknown = await run(['result', '12345', ...base]);
  t.equal(unknown.status, 2);
  t.match(unknown.stderr, /UnknownExecution/);

  // the requester closes the finished execution: the unspent escrow comes back in USDC
  const requester = Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(requesterKey, 'utf8'))));
  const held = await chain.usdcOf(requester.publicKey), escrow = e.escrow;
  t.ok(escrow > 0n && escrow < 2000n * USDC, `escrow left after the fees: ${escrow}`);
  const close = await run(['close', got.execId, ...base, '--key', requesterKey]);
  t.equal(close.status, 0, close.stderr);
  t.equal(JSON.parse(close.stdout).refunded, formatUsdc(escrow), 'the refund is the unspent escrow');
  t.equal(await chain.usdcOf(requester.publicKey), held + escrow, "back in the requester's token account");
  t.equal(held, 1n, 'before closing it held the 0.000001 USDC of its first airdrop: 2000 minted, 2000 escrowed');
  const books = await auditBooks(chain);
  t.equal(books.vaultBalance, books.books, 'vault = the books');
  const twice = await run(['close', got.execId, ...base, '--key', requesterKey]);
  t.equal(twice.status, 2, 'closed once');
});
