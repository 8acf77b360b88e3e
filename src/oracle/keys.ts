// Oracle identities (PROTOCOL §1): an Ed25519 signing key (consensus messages
// and chain transactions: its Solana address), an ECVRF key on edwards25519 and
// a libp2p identity (Ed25519). One JSON file, written with mode 0600; a
// restart keeps every identity.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { fromHex, toBase58, toHex } from '../common/bytes.js';
import { keyPairFromSeed } from '../common/ed25519.js';

export const ORACLE_KEYS_VERSION = 'splitup/oracle-keys/v1';

export interface OracleKeys {
  signingSeed: Uint8Array;
  signingPublicKey: Uint8Array;
  vrfSecretKey: Uint8Array;
  libp2pSeed: Uint8Array;
}

export class KeyFileError extends Error {
  constructor(readonly file: string, message: string) { super(`${file}: ${message}`); this.name = 'KeyFileError'; }
}

export function generateOracleKeys(rand: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n))): OracleKeys {
  const signingSeed = rand(32);
  return { signingSeed, signingPublicKey: keyPairFromSeed(signingSeed).publicKey, vrfSecretKey: rand(32), libp2pSeed: rand(32) };
}

/** Writes atomically (temp file + rename) with mode 0600; refuses to overwrite. */
export function writeOracleKeys(file: string, k: OracleKeys, { overwrite = false } = {}): void {
  let exists = false;
  try { statSync(file); exists = true; } catch { /* absent */ }
  if (exists && !overwrite) throw new KeyFileError(file, 'already exists; refusing to overwrite an oracle identity');
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const doc = {
    version: ORACLE_KEYS_VERSION,
    signing: { publicKey: toBase58(k.signingPublicKey), secretKey: toHex(k.signingSeed) },
    vrf: { secretKey: toHex(k.vrfSecretKey) },
    libp2p: { secretKey: toHex(k.libp2pSeed) },
  };
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

export function readOracleKeys(file: string): OracleKeys {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw new KeyFileError(file, `cannot read (${(e as NodeJS.ErrnoException).code})`); }
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) throw new KeyFileError(file, `permissions ${mode.toString(8)} are too open; run chmod 600`);
  let d: { version?: string; signing?: { secretKey?: string }; vrf?: { secretKey?: string }; libp2p?: { secretKey?: string } };
  try { d = JSON.parse(text); } catch { throw new KeyFileError(file, 'invalid JSON'); }
  if (d.version !== ORACLE_KEYS_VERSION) throw new KeyFileError(file, `version must be ${ORACLE_KEYS_VERSION}`);
  const seed = (v: string | undefined, what: string) => {
    try { const b = fromHex(v ?? ''); if (b.length === 32) return b; } catch { /* fallthrough */ }
    throw new KeyFileError(file, `${what} must be 32 bytes of hex`);
  };
  const signingSeed = seed(d.signing?.secretKey, 'signing.secretKey');
  return { signingSeed, signingPublicKey: keyPairFromSeed(signingSeed).publicKey, vrfSecretKey: seed(d.vrf?.secretKey, 'vrf.secretKey'), libp2pSeed: seed(d.libp2p?.secretKey, 'libp2p.secretKey') };
}
