// `splitup-chain committee propose|approve|status` as an operator runs it: real processes against an
// in-process validator (JSON-RPC on 127.0.0.1), oracle key files, a new committee file. Refusals are
// one line with exit 2 (a non-member's approval, an approval of other content than announced).
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keypair, PublicKey } from '@solana/web3.js';
import { airdrop, bootstrapChain } from '../src/chain/bootstrap.js';
import { ChainClient } from '../src/chain/client.js';
import { COMMITTEE_VERSION } from '../src/consensus/committee.js';
import { generateOracleKeys, writeOracleKeys } from '../src/oracle/keys.js';
import { publicKeyFromSecret } from '../src/vrf/index.js';
import { toBase58, toHex } from '../src/common/bytes.js';
import { programId, start } from './helpers/validator.js';
import { tempDir } from './helpers/oracle.js';
import { runCli } from './helpers/cli.js';

const bin = new URL('../bin/chain.js', import.meta.url).pathname;
const run = (args: string[]) => runCli(bin, args);

t.test('committee propose, approve (refusals named), status: the committee switches at q approvals', async (t) => {
  const v = await start(t, 50);
  const { dir, cleanup } = tempDir('splitup-rotation-cli-');
  t.teardown(cleanup);
  const keys = Array.from({ length: 5 }, (_, i) => { const k = generateOracleKeys(); writeOracleKeys(join(dir, `oracle-${i}.json`), k); return k; });
  const pub = (i: number) => new PublicKey(keys[i]!.signingPublicKey);
  const authority = Keypair.generate();
  const authorityFile = join(dir, 'authority.json');
  writeFileSync(authorityFile, JSON.stringify(Array.from(authority.secretKey)), { mode: 0o600 });
  const chain = new ChainClient(v.url, programId, authority.publicKey);
  await bootstrapChain(chain, { authority, oracles: [0, 1, 2, 3].map(pub), nodes: [] });
  for (const i of [0, 1, 2, 3, 4]) await airdrop(chain, pub(i), 1_000_000_000n);
  // the next epoch's committee file: oracle 3 leaves, oracle 4 joins
  const nextFile = join(dir, 'committee-next.json');
  writeFileSync(nextFile, JSON.stringify({
    version: COMMITTEE_VERSION,
    members: [0, 1, 2, 4].map((i) => ({ name: `oracle-${i}`, signingKey: toBase58(keys[i]!.signingPublicKey), vrfKey: toHex(publicKeyFromSecret(keys[i]!.vrfSecretKey)), multiaddrs: [] })),
  }));
  const base = ['--rpc', v.url, '--program-id', programId.toBase58(), '--authority'];

  const p = await run(['committee', 'propose', ...base, authorityFile, '--committee', nextFile]);
  t.equal(p.status, 0, p.stderr);
  const proposed = JSON.parse(p.stdout);
  t.same({ epoch: proposed.epoch, n: proposed.n, q: proposed.q }, { epoch: 1, n: 4, q: 3 });
  t.same(proposed.oracles, [0, 1, 2, 4].map((i) => pub(i).toBase58()));
  t.match(proposed.digest, /^[0-9a-f]{64}$/);

  const approve = (i: number, extra: string[] = []) => run(['committee', 'approve', ...base, authority.publicKey.toBase58(), '--oracle-keys', join(dir, `oracle-${i}.json`), ...extra]);
  const outsider = await approve(4);
  t.equal(outsider.status, 2, 'a key outside the current set: exit 2');
  t.match(outsider.stderr, /NotCommitteeMember/);
  t.notMatch(outsider.stderr, /\n\s+at /, 'no stack trace');
  const other = await approve(0, ['--digest', '00'.repeat(32)]);
  t.equal(other.status, 2, 'content other than announced: not approved');
  t.match(other.stderr, /is not the one to approve/);
  const a0 = await approve(0, ['--digest', proposed.digest]);
  t.equal(a0.status, 0, a0.stderr);
  t.same(JSON.parse(a0.stdout), { epoch: 1, oracle: pub(0).toBase58(), applied: false, approvals: 1, needed: 3 });
  const again = await approve(0);
  t.equal(again.status, 2);
  t.match(again.stderr, /AlreadyApproved/);
  t.equal((await approve(1)).status, 0);

  const s1 = await run(['committee', 'status', ...base, authority.publicKey.toBase58()]);
  t.equal(s1.status, 0, s1.stderr);
  const st1 = JSON.parse(s1.stdout);
  t.equal(st1.epoch, 0);
  t.same(st1.pending.approvedBy, [pub(0).toBase58(), pub(1).toBase58()], 'two of three approvals');
  t.equal(st1.pending.digest, proposed.digest);

  const a3 = await approve(3);
  t.equal(a3.status, 0, a3.stderr);
  const applied = JSON.parse(a3.stdout);
  t.equal(applied.applied, true, 'the third approval applies the rotation');
  const s2 = JSON.parse((await run(['committee', 'status', ...base, authority.publicKey.toBase58()])).stdout);
  t.equal(s2.epoch, 1);
  t.equal(s2.startSlot, applied.startSlot);
  t.same(s2.oracles, proposed.oracles, 'the new set');
  t.same(s2.previous.oracles, [0, 1, 2, 3].map((i) => pub(i).toBase58()), 'the previous set, kept for selections seeded before the switch');
  t.equal(s2.pending, null);
  const sets = await chain.memberSets();
  t.same([...sets.keys()].sort(), [0, 1]);

  // two more rotations (through the client): epochs 0 and 1 are then only on the ledger, and
  // memberSets reads them back (initCommittee's keys, the rotation record of epoch 1)
  const approveBy = async (ids: number[], digest: Uint8Array) => { for (const i of ids) await chain.approveRotation(Keypair.fromSeed(keys[i]!.signingSeed), digest); };
  const r2 = await chain.proposeRotation(authority, [0, 1, 2, 3].map(pub), 3);
  await approveBy([0, 1, 4], r2.digest);
  const r3 = await chain.proposeRotation(authority, [0, 1, 3, 4].map(pub), 3);
  await approveBy([0, 1, 2], r3.digest);
  t.equal((await chain.committee())!.epoch, 3);
  const all = await chain.memberSets();
  t.same([...all.keys()].sort(), [0, 1, 2, 3], 'every epoch\'s set');
  const b = (ks: PublicKey[]) => ks.map((k) => k.toBase58());
  t.same(b(all.get(0)!.oracles), b([0, 1, 2, 3].map(pub)), 'epoch 0 from initCommittee on the ledger');
  t.same(b(all.get(1)!.oracles), b([0, 1, 2, 4].map(pub)), 'epoch 1 from its rotation record');
  t.same(b(all.get(2)!.oracles), b([0, 1, 2, 3].map(pub)));
  t.same(b(all.get(3)!.oracles), b([0, 1, 3, 4].map(pub)));
  t.equal(all.get(1)!.startSlot, BigInt(applied.startSlot));
});
