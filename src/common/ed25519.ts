// Ed25519 over node:crypto (OpenSSL). Measured on this class of machine at
// several times the throughput of pure-JS implementations (see ../shared
// STACK notes and bench/), so it is used for every signature on hot paths:
// heartbeats, consensus votes and certificates.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as cSign, verify as cVerify, type KeyObject } from 'node:crypto';

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface Ed25519KeyPair {
  /** 32-byte seed (RFC 8032 private key). */
  secretKey: Uint8Array;
  /** 32-byte public key. */
  publicKey: Uint8Array;
}

export function publicKeyObject(pub: Uint8Array): KeyObject {
  if (pub.length !== 32) throw new TypeError('ed25519 public key must be 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });
}

export function privateKeyObject(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new TypeError('ed25519 secret key must be 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function generateKeyPair(): Ed25519KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pubDer = publicKey.export({ format: 'der', type: 'spki' });
  const privDer = privateKey.export({ format: 'der', type: 'pkcs8' });
  return { publicKey: new Uint8Array(pubDer.subarray(pubDer.length - 32)), secretKey: new Uint8Array(privDer.subarray(privDer.length - 32)) };
}

export function keyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  const priv = privateKeyObject(seed);
  const pubDer = createPublicKey(priv).export({ format: 'der', type: 'spki' });
  return { secretKey: new Uint8Array(seed), publicKey: new Uint8Array(pubDer.subarray(pubDer.length - 32)) };
}

/** Signer holding a parsed key object, so repeated signing skips DER parsing. */
export class Ed25519Signer {
  readonly publicKey: Uint8Array;
  private readonly key: KeyObject;
  constructor(seed: Uint8Array) {
    const kp = keyPairFromSeed(seed);
    this.publicKey = kp.publicKey;
    this.key = privateKeyObject(seed);
  }
  sign(msg: Uint8Array): Uint8Array { return new Uint8Array(cSign(null, msg, this.key)); }
}

export function sign(seed: Uint8Array, msg: Uint8Array): Uint8Array {
  return new Uint8Array(cSign(null, msg, privateKeyObject(seed)));
}

/** Verifies; returns false (never throws) on malformed keys or signatures. */
export function verify(pub: Uint8Array | KeyObject, msg: Uint8Array, sig: Uint8Array): boolean {
  if (sig.length !== 64) return false;
  try {
    const key = pub instanceof Uint8Array ? publicKeyObject(pub) : pub;
    return cVerify(null, msg, key, sig);
  } catch {
    return false;
  }
}
