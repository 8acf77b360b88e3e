// A local content-addressed store: blobs named by their SHA-256, on disk under one
// directory (two-level fan-out). URIs are `cas://<hex sha256>`. Writes are atomic
// (temp file + rename), reads verify the hash, so a torn or tampered blob is never served.
// A blob's mtime is when it was last written or read through a store that renews it (the CAS
// server does): the garbage collector (src/cas/gc.ts) measures time to live from it.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const CAS_SCHEME = 'cas://';
export const sha256hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * Why a blob could not be stored or read, whatever the backend: the code is machine-readable and
 * leads the message. HASH_MISMATCH: the bytes a store holds or sent do not hash to their name
 * (tampered, torn, or a lying server) — they are never used or kept.
 */
export type CasErrorCode = 'NOT_FOUND' | 'HASH_MISMATCH' | 'TOO_LARGE' | 'UNAUTHORIZED' | 'UNAVAILABLE' | 'BAD_NAME' | 'BAD_URL' | 'REFUSED';
export class CasError extends Error {
  override name = 'CasError';
  constructor(readonly code: CasErrorCode, detail: string) { super(`${code}: ${detail}`); }
}

export function parseCasUri(uri: string): string {
  const m = /^cas:\/\/([0-9a-f]{64})$/.exec(uri);
  if (!m) throw new CasError('BAD_NAME', `not a cas:// URI: ${uri}`);
  return m[1]!;
}

export const BLOB_NAME = /^[0-9a-f]{64}$/;

/** A blob as the collector sees it: its name, size and when it was last written or read. */
export interface BlobInfo { hex: string; size: number; touchedMs: number }

export class CasStore {
  constructor(readonly dir: string) { mkdirSync(dir, { recursive: true }); }

  private path(hex: string): string { return join(this.dir, hex.slice(0, 2), hex); }

  /** Stores bytes; returns their hex SHA-256 (idempotent; a second write renews the blob's time). */
  put(bytes: Uint8Array): string {
    const hex = sha256hex(bytes);
    const p = this.path(hex);
    if (existsSync(p)) { this.touch(hex, Date.now()); return hex; }
    mkdirSync(join(this.dir, hex.slice(0, 2)), { recursive: true });
    const tmp = `${p}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, p);
    return hex;
  }

  has(hex: string): boolean { return BLOB_NAME.test(hex) && existsSync(this.path(hex)); }

  get(hex: string, maxBytes = Infinity): Uint8Array {
    if (!BLOB_NAME.test(hex)) throw new CasError('BAD_NAME', `${hex} is not a SHA-256 in hex`);
    let size: number;
    try { size = statSync(this.path(hex)).size; } catch { throw new CasError('NOT_FOUND', `blob ${hex} not found in ${this.dir}`); }
    if (size > maxBytes) throw new CasError('TOO_LARGE', `blob ${hex} in ${this.dir}: ${size} bytes is over the ${maxBytes}-byte limit`);
    let b: Uint8Array;
    try { b = new Uint8Array(readFileSync(this.path(hex))); } catch { throw new CasError('NOT_FOUND', `blob ${hex} not found in ${this.dir}`); }
    if (sha256hex(b) !== hex) throw new CasError('HASH_MISMATCH', `blob ${hex} in ${this.dir} does not hash to its name (corrupt or tampered)`);
    return b;
  }

  /** Sets the blob's last-use time (ms); false when it is not there. */
  touch(hex: string, atMs: number): boolean {
    const t = new Date(atMs);
    try { utimesSync(this.path(hex), t, t); return true; } catch { return false; }
  }

  /** When the blob was last written or renewed (ms), or null when it is not there. */
  touchedMs(hex: string): number | null {
    try { return statSync(this.path(hex)).mtimeMs; } catch { return null; }
  }

  /** Every blob (name, size, last use) and the temp files of writes torn by a crash. */
  scan(): { blobs: BlobInfo[]; torn: Array<{ path: string; touchedMs: number }> } {
    const blobs: BlobInfo[] = [], torn: Array<{ path: string; touchedMs: number }> = [];
    for (const fan of readdirSync(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(fan)) continue;
      for (const f of readdirSync(join(this.dir, fan))) {
        const p = join(this.dir, fan, f);
        let st; try { st = statSync(p); } catch { continue; }
        if (BLOB_NAME.test(f)) blobs.push({ hex: f, size: st.size, touchedMs: st.mtimeMs });
        else if (f.endsWith('.tmp')) torn.push({ path: p, touchedMs: st.mtimeMs });
      }
    }
    return { blobs, torn };
  }

  /**
   * Deletes the blob unless it was written or read after `unlessTouchedAfterMs` (a write that
   * raced the collector wins). Returns the bytes freed (null: not deleted).
   */
  remove(hex: string, unlessTouchedAfterMs = Infinity): number | null {
    const p = this.path(hex);
    let st; try { st = statSync(p); } catch { return null; }
    if (st.mtimeMs > unlessTouchedAfterMs) return null;
    try { unlinkSync(p); return st.size; } catch { return null; }
  }

  /** Small named records beside the blobs (the requesters' releases), under `<dir>/<kind>/`. */
  putRecord(kind: string, name: string, bytes: Uint8Array): void {
    const d = join(this.dir, kind);
    mkdirSync(d, { recursive: true });
    const tmp = join(d, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    writeFileSync(tmp, bytes);
    renameSync(tmp, join(d, name));
  }

  records(kind: string): Array<{ name: string; bytes: Uint8Array }> {
    let names: string[];
    try { names = readdirSync(join(this.dir, kind)); } catch { return []; }
    return names.filter((n) => !n.startsWith('.')).flatMap((name) => {
      try { return [{ name, bytes: new Uint8Array(readFileSync(join(this.dir, kind, name))) }]; } catch { return []; }
    });
  }

  dropRecord(kind: string, name: string): void { try { unlinkSync(join(this.dir, kind, name)); } catch { /* gone already */ } }
}
