// Which selections an oracle proves and votes on across a rotation (selectionEpochGate): only those
// of the epoch its committee file holds, when that file is the on-chain set of the epoch in the
// chain's order; its vote bit is its index there. The on-chain committee states come from the
// program in LiteSVM (a real rotation), the committee files from makeCommittee.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { Keypair } from '@solana/web3.js';
import { LocalChain } from '../src/chain/local-chain.js';
import { selectionEpochGate } from '../src/chain/loop.js';
import { makeCommittee } from '../src/consensus/committee.js';
import { publicKeyFromSecret } from '../src/vrf/index.js';

const fileOf = (ks: Keypair[], epoch: number) =>
  makeCommittee(ks.map((k, i) => ({ name: `o${i}`, signingKey: k.publicKey.toBytes(), vrfKey: publicKeyFromSecret(new Uint8Array(randomBytes(32))), multiaddrs: [] })), {}, epoch);

t.test('the gate follows the selection\'s epoch, the file\'s epoch and the on-chain order', async (t) => {
  const c = new LocalChain(4);
  c.initCommittee();
  const [o0, o1, o2, o3] = c.oracles as [Keypair, Keypair, Keypair, Keypair];
  const newcomer = Keypair.generate();
  const file0 = fileOf([o0, o1, o2, o3], 0);
  const file1 = fileOf([o0, o1, o2, newcomer], 1);
  let cm = c.committee();
  const before = c.svm.slot() - 1n;
  t.same(selectionEpochGate(cm, file0, o3.publicKey, before), { act: true, index: 3 }, 'epoch 0: its member acts, at its index');
  t.match(selectionEpochGate(cm, file1, newcomer.publicKey, before), { act: false, reason: /a selection of epoch 0; this oracle runs epoch 1/ }, 'a file of the next epoch does not act before the switch');
  t.same(selectionEpochGate(null, file0, o2.publicKey, before), { act: true, index: 2 }, 'no on-chain committee read: the file order');
  t.match(selectionEpochGate(null, file0, newcomer.publicKey, before), { act: false });

  c.svm.advanceSlots(1);
  c.rotate([o0, o1, o2, newcomer]);
  cm = c.committee();
  const after = cm.epochStartSlot;
  t.match(selectionEpochGate(cm, file0, o3.publicKey, after), { act: false, reason: /epoch 1; this oracle runs epoch 0/ }, 'the removed oracle leaves selections seeded after the switch alone');
  t.match(selectionEpochGate(cm, file0, o0.publicKey, after), { act: false }, 'so does a staying oracle still on the old file');
  t.same(selectionEpochGate(cm, file1, newcomer.publicKey, after), { act: true, index: 3 }, 'the newcomer acts on epoch 1, at its on-chain index');
  t.same(selectionEpochGate(cm, file0, o3.publicKey, before), { act: true, index: 3 }, 'a selection seeded before the switch is still epoch 0\'s');
  t.match(selectionEpochGate(cm, file1, o0.publicKey, before), { act: false }, 'and not epoch 1\'s');

  // a file whose members are the set in another order (prover indices and vote bits would disagree), or other keys
  t.match(selectionEpochGate(cm, fileOf([o1, o0, o2, newcomer], 1), o0.publicKey, after), { act: false, reason: /not the committee file's/ });
  t.match(selectionEpochGate(cm, fileOf([o0, o1, o2, o3], 1), o0.publicKey, after), { act: false, reason: /not the committee file's/ });

  // two rotations later, epoch 0's selections are stale for everyone
  c.svm.advanceSlots(1);
  c.rotate([o0, o1, o2, o3]);
  cm = c.committee();
  t.match(selectionEpochGate(cm, file0, o0.publicKey, before), { act: false, reason: /before the previous epoch/ });
  t.same(selectionEpochGate(cm, fileOf([o0, o1, o2, o3], 2), o3.publicKey, cm.epochStartSlot), { act: true, index: 3 }, 'o3 back in epoch 2');
});
