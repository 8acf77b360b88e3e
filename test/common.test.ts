import t from 'tap';
import { quorum, maxFaulty } from '../src/common/quorum.js';
import { generateKeyPair, sign, verify } from '../src/common/ed25519.js';
import { fromBase58, toBase58, fromHex, toHex, u64be, compareBytes } from '../src/common/bytes.js';

t.test('quorum rule of PROTOCOL §1', async (t) => {
  const expect: Record<number, [number, number]> = { 3: [0, 2], 4: [1, 3], 7: [2, 5], 10: [3, 7], 1: [0, 1] };
  for (const [n, [f, q]] of Object.entries(expect)) {
    t.equal(maxFaulty(Number(n)), f, `f(${n})`);
    t.equal(quorum(Number(n)), q, `q(${n})`);
  }
  // two quorums always intersect in at least f+1 oracles (one honest)
  for (let n = 1; n <= 40; n++) t.ok(2 * quorum(n) - n >= maxFaulty(n) + 1, `intersection n=${n}`);
  t.throws(() => quorum(0));
});

t.test('ed25519 via node:crypto', async (t) => {
  const kp = generateKeyPair();
  const msg = new Uint8Array([1, 2, 3]);
  const sig = sign(kp.secretKey, msg);
  t.ok(verify(kp.publicKey, msg, sig));
  const bad = new Uint8Array(sig); bad[0]! ^= 1;
  t.notOk(verify(kp.publicKey, msg, bad));
  t.notOk(verify(kp.publicKey, msg, sig.subarray(0, 63)));
  t.notOk(verify(new Uint8Array(31), msg, sig));
});

t.test('byte helpers', async (t) => {
  const b = new Uint8Array([0, 1, 255]);
  t.same(fromBase58(toBase58(b)), b);
  t.same(fromHex(toHex(b)), b);
  t.throws(() => fromHex('zz'));
  t.throws(() => fromBase58('0OIl'));
  t.throws(() => fromBase58(toBase58(b), 32));
  t.same([...u64be(258n)], [0, 0, 0, 0, 0, 0, 1, 2]);
  t.throws(() => u64be(-1n));
  t.ok(compareBytes(new Uint8Array([1]), new Uint8Array([2])) < 0);
});
