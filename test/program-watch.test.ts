// ProgramWatch against the real local validator: notifications for program account changes over
// programSubscribe, a reconnect after the endpoint restarts, and the socket closed with the last
// listener (so a process that stopped its loops can exit; tap would time the file out otherwise).
import { Keypair, PublicKey } from '@solana/web3.js';
import t from 'tap';
import { airdrop, registerNode } from '../src/chain/bootstrap.js';
import { ChainRegistry } from '../src/registry/chain-registry.js';
import { loadProgramBinary } from '../src/chain/program.js';
import { ProgramWatch, pubsubUrlFor } from '../src/chain/program-watch.js';
import { LocalValidator } from '../src/validator/server.js';
import { until } from './helpers/heartbeat.js';
import { tempDir } from './helpers/oracle.js';
import { start, withCommittee } from './helpers/validator.js';

const PROGRAM_ID = new PublicKey('SpLitUp111111111111111111111111111111111111');

t.test('pubsubUrlFor follows web3.js: ws(s), port + 1', async (t) => {
  t.equal(pubsubUrlFor('http://127.0.0.1:8899'), 'ws://127.0.0.1:8900/');
  t.equal(pubsubUrlFor('https://api.example.org'), 'wss://api.example.org/');
});

t.test('notifications for program changes, reconnect after a restart, closed with the last listener', async (t) => {
  const { dir, cleanup } = tempDir('splitup-watch-');
  let v = await LocalValidator.start({ dataDir: dir, programs: [{ id: PROGRAM_ID, so: loadProgramBinary() }], slotMs: 50 });
  t.teardown(async () => { await v.close(); cleanup(); });
  const watch = new ProgramWatch(pubsubUrlFor(v.url), PROGRAM_ID.toBase58());
  let woken = 0;
  const unsubscribe = watch.subscribe(() => { woken++; });
  await until('connected', () => watch.stats.connects === 1, 20_000, 20);
  await withCommittee(v.url, PROGRAM_ID);
  await until('a program notification', () => watch.stats.notifications > 0 && woken > 0, 20_000, 20);

  // the endpoint goes away and comes back on the same ports: the watch reconnects by itself
  const port = Number(new URL(v.url).port);
  await v.close();
  v = await LocalValidator.start({ dataDir: dir, programs: [{ id: PROGRAM_ID, so: loadProgramBinary() }], slotMs: 50, port });
  await until('reconnected', () => watch.stats.connects >= 2, 30_000, 50);

  await unsubscribe();
  t.equal((watch as unknown as { ws: unknown }).ws, null, 'socket closed with the last listener');
  t.equal((watch as unknown as { retry: unknown }).retry, null, 'no retry pending');
});

t.test('the chain registry follows node accounts by subscription, without re-reading them all', async (t) => {
  const v = await start(t, 50);
  const { chain } = await withCommittee(v.url, PROGRAM_ID);
  const registry = new ChainRegistry(chain);
  t.teardown(() => registry.close());
  await registry.watch(100, { subscribe: true, fullEveryMs: 600_000 });
  // the start's read, and one more once the subscription is live (nothing between the two is missed)
  await until('subscription live', () => registry.stats.fullReads >= 2, 20_000, 20);
  const reads = registry.stats.fullReads;
  t.same(registry.list(), [], 'no node yet');
  const node = Keypair.generate();
  await airdrop(chain, node.publicKey, 10_000_000_000_000n);
  await registerNode(chain, node, 8, [1, 2], { fund: true });
  await until('the new node in the registry', () => registry.get(node.publicKey.toBase58())?.active === true, 20_000, 20);
  t.same(registry.get(node.publicKey.toBase58())!.specializations, [1, 2], 'with its specializations');
  await chain.send([node], [chain.program.exitNode(node.publicKey)]);
  await until('the exit seen', () => registry.get(node.publicKey.toBase58())?.active === false, 20_000, 20);
  t.ok(registry.stats.incremental >= 2, `${registry.stats.incremental} node-account changes applied one by one`);
  t.equal(registry.stats.fullReads, reads, 'and no full re-read after the start (polling would have re-read every 100 ms)');
});
