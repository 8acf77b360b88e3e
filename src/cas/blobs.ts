// Where compute nodes and requesters keep the tensors a `cas://<sha256>` URI names. A BlobStore is
// the local directory (embedded default) or the local directory in front of an HTTP
// content-addressed server that nodes on other machines reach (src/cas/server.ts): writes go to
// both, reads come from the directory when the blob is there, else from the server — verified
// against the name before they are kept or used, so a server (or anyone on the path) can withhold
// a blob but never substitute one.
import { CasError, CasStore, sha256hex } from './store.js';

export interface BlobStore {
  /** Stores bytes where the other parties can read them; returns their hex SHA-256. */
  put(bytes: Uint8Array): Promise<string>;
  /** The bytes named by `hex`, hash-verified; CasError when no store has them. */
  get(hex: string): Promise<Uint8Array>;
  /** Where the blobs are, for logs. */
  readonly where: string;
}

/** The local directory alone (one machine, or a shared filesystem). */
export function localBlobs(store: CasStore): BlobStore {
  return {
    where: store.dir,
    put: async (bytes) => store.put(bytes),
    get: async (hex) => store.get(hex),
  };
}

export interface HttpBlobsOptions {
  /** base URL of the CAS server, e.g. http://127.0.0.1:8899 (blobs at /cas/<hex>) */
  url: string;
  /** bearer token for PUT (the server's --token-file), if it requires one */
  token?: string;
  /** the largest blob accepted from the server (bytes; default 64 MiB) */
  maxBytes?: number;
  /** per-request time limit (ms; default 30 s) */
  timeoutMs?: number;
}

export const DEFAULT_MAX_BLOB_BYTES = 64 * 1024 * 1024;

/** The local directory as a cache in front of a CAS server. */
export class HttpBlobs implements BlobStore {
  readonly where: string;
  private readonly base: string;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;

  constructor(private readonly cache: CasStore, private readonly o: HttpBlobsOptions) {
    this.base = o.url.replace(/\/+$/, '');
    this.where = `${this.base} (cache ${cache.dir})`;
    this.maxBytes = o.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
    this.timeoutMs = o.timeoutMs ?? 30_000;
  }

  async put(bytes: Uint8Array): Promise<string> {
    const hex = this.cache.put(bytes);
    const res = await fetch(`${this.base}/cas/${hex}`, {
      method: 'PUT', body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length) as unknown as BodyInit, signal: AbortSignal.timeout(this.timeoutMs),
      headers: { 'content-type': 'application/octet-stream', ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}) },
    }).catch((e: Error) => { throw new CasError(`PUT ${this.base}/cas/${hex}: ${e.message}`); });
    if (res.status !== 201 && res.status !== 200) throw new CasError(`PUT ${this.base}/cas/${hex}: HTTP ${res.status} ${await errorText(res)}`);
    return hex;
  }

  async get(hex: string): Promise<Uint8Array> {
    if (this.cache.has(hex)) return this.cache.get(hex);
    const res = await fetch(`${this.base}/cas/${hex}`, { signal: AbortSignal.timeout(this.timeoutMs) })
      .catch((e: Error) => { throw new CasError(`GET ${this.base}/cas/${hex}: ${e.message}`); });
    if (res.status !== 200) throw new CasError(`GET ${this.base}/cas/${hex}: HTTP ${res.status} ${await errorText(res)}`);
    const len = Number(res.headers.get('content-length') ?? NaN);
    if (len > this.maxBytes) { await res.body?.cancel(); throw new CasError(`GET ${this.base}/cas/${hex}: ${len} bytes is over the ${this.maxBytes}-byte limit`); }
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length > this.maxBytes) throw new CasError(`GET ${this.base}/cas/${hex}: ${bytes.length} bytes is over the ${this.maxBytes}-byte limit`);
    // the name is the proof: bytes that do not hash to it are refused, never cached or used
    if (sha256hex(bytes) !== hex) throw new CasError(`GET ${this.base}/cas/${hex}: the server sent bytes that do not hash to the name`);
    this.cache.put(bytes);
    return bytes;
  }
}

async function errorText(res: Response): Promise<string> {
  try { const j = await res.json() as { code?: string; message?: string }; return `${j.code ?? ''}: ${j.message ?? ''}`; } catch { return ''; }
}

/** `--cas DIR [--cas-url URL --cas-token-file F]` as a BlobStore. */
export function blobStore(dir: string, url?: string, token?: string): BlobStore {
  const store = new CasStore(dir);
  return url ? new HttpBlobs(store, { url, ...(token ? { token } : {}) }) : localBlobs(store);
}
