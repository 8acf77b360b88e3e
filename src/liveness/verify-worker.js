// Ed25519 verification worker (plain JS so it loads without the TypeScript
// loader). Receives batches {id, items: [[pubKey32, msg, sig64], ...]} and
// answers {id, results: Uint8Array(1 = valid)}. Keys are cached as KeyObjects.
import { parentPort } from 'node:worker_threads';
import { createPublicKey, verify } from 'node:crypto';

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const cache = new Map();

function keyFor(pub) {
  const h = Buffer.from(pub).toString('hex');
  let k = cache.get(h);
  if (!k) {
    k = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });
    if (cache.size > 100_000) cache.clear();
    cache.set(h, k);
  }
  return k;
}

parentPort.on('message', ({ id, items }) => {
  const results = new Uint8Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const [pub, msg, sig] = items[i];
    try { results[i] = sig.length === 64 && verify(null, msg, keyFor(pub), sig) ? 1 : 0; } catch { results[i] = 0; }
  }
  parentPort.postMessage({ id, results }, [results.buffer]);
});
