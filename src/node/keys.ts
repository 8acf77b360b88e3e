// Compute-node identity: an Ed25519 key whose public key (base58) is the
// node id and Solana address. File `splitup/node-key/v1`, mode 0600.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fromHex, toBase58, toHex } from '../common/bytes.js';
import { generateKeyPair, keyPairFromSeed, type Ed25519KeyPair } from '../common/ed25519.js';
import { KeyFileError } from '../oracle/keys.js';

export const NODE_KEY_VERSION = 'splitup/node-key/v1';

export function writeNodeKey(file: string, kp: Ed25519KeyPair = generateKeyPair(), { overwrite = false } = {}): string {
  let exists = false;
  try { statSync(file); exists = true; } catch { /* absent */ }
  if (exists && !overwrite) throw new KeyFileError(file, 'already exists; refusing to overwrite a node identity');
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const nodeId = toBase58(kp.publicKey);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ version: NODE_KEY_VERSION, nodeId, secretKey: toHex(kp.secretKey) }, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
  return nodeId;
}

export function readNodeKey(file: string): Ed25519KeyPair & { nodeId: string } {
  let d: { version?: string; secretKey?: string };
  try { d = JSON.parse(readFileSync(file, 'utf8')); } catch (e) { throw new KeyFileError(file, `cannot read node key (${(e as Error).message})`); }
  if (d.version !== NODE_KEY_VERSION) throw new KeyFileError(file, `version must be ${NODE_KEY_VERSION}`);
  if ((statSync(file).mode & 0o077) !== 0) throw new KeyFileError(file, 'permissions are too open; run chmod 600');
  let seed: Uint8Array;
  try { seed = fromHex(d.secretKey ?? ''); } catch { throw new KeyFileError(file, 'secretKey must be hex'); }
  if (seed.length !== 32) throw new KeyFileError(file, 'secretKey must be 32 bytes');
  const kp = keyPairFromSeed(seed);
  return { ...kp, nodeId: toBase58(kp.publicKey) };
}
