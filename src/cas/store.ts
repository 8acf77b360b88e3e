// A local content-addressed store: blobs named by their SHA-256, on disk under one
// directory (two-level fan-out). URIs are `cas://<hex sha256>`. Writes are atomic
// (temp file + rename), reads verify the hash, so a torn or tampered blob is never served.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const CAS_SCHEME = 'cas://';
export const sha256hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export class CasError extends Error { override name = 'CasError'; }

export function parseCasUri(uri: string): string {
  const m = /^cas:\/\/([0-9a-f]{64})$/.exec(uri);
  if (!m) throw new CasError(`not a cas:// URI: ${uri}`);
  return m[1]!;
}

export class CasStore {
  constructor(readonly dir: string) { mkdirSync(dir, { recursive: true }); }

  private path(hex: string): string { return join(this.dir, hex.slice(0, 2), hex); }

  /** Stores bytes; returns their hex SHA-256 (idempotent). */
  put(bytes: Uint8Array): string {
    const hex = sha256hex(bytes);
    const p = this.path(hex);
    if (existsSync(p)) return hex;
    mkdirSync(join(this.dir, hex.slice(0, 2)), { recursive: true });
    const tmp = `${p}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, p);
    return hex;
  }

  has(hex: string): boolean { return existsSync(this.path(hex)); }

  get(hex: string): Uint8Array {
    let b: Uint8Array;
    try { b = new Uint8Array(readFileSync(this.path(hex))); } catch { throw new CasError(`blob ${hex} not found in ${this.dir}`); }
    if (sha256hex(b) !== hex) throw new CasError(`blob ${hex} is corrupt`);
    return b;
  }
}
