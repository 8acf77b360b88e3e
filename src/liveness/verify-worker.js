// Ed25519 verification worker (plain JS so it loads without the TypeScript
// loader). Receives {id, n, buf}: one transferred ArrayBuffer holding n items,
// each laid out as u16be msgLen ‖ pubKey (32) ‖ sig (64) ‖ msg (msgLen); answers
// {id, results: Uint8Array(n), 1 = valid}. Verifies with libsodium where
// sodium-native loads (same rule as the main thread's intake check,
// src/liveness/verify.ts), node:crypto with cached key objects otherwise.
import { parentPort } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { createPublicKey, verify } from 'node:crypto';

let sodium = null;
try { sodium = createRequire(import.meta.url)('sodium-native'); } catch { sodium = null; }

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

parentPort.on('message', ({ id, n, buf }) => {
  const b = new Uint8Array(buf);
  const results = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < n; i++) {
    const len = (b[o] << 8) | b[o + 1];
    const pub = b.subarray(o + 2, o + 34), sig = b.subarray(o + 34, o + 98), msg = b.subarray(o + 98, o + 98 + len);
    o += 98 + len;
    try { results[i] = (sodium ? sodium.crypto_sign_verify_detached(sig, msg, pub) : verify(null, msg, keyFor(pub), sig)) ? 1 : 0; } catch { results[i] = 0; }
  }
  parentPort.postMessage({ id, results }, [results.buffer]);
});
