// Where compute nodes and requesters keep the tensors a `cas://<sha256>` URI names. A BlobStore is
// one of three backends behind one interface, chosen by a URL (openBlobStore):
//
//   a directory              DIR (or file:///DIR)    the embedded default: one machine, or a shared filesystem
//   an HTTP CAS server       http(s)://HOST:PORT     src/cas/server.ts (`splitup-node cas-serve`)
//   an S3-compatible bucket  s3://BUCKET[/PREFIX]?endpoint=URL&region=R    src/cas/s3.ts
//
// A remote backend (HTTP, S3) sits behind a local directory: writes go to both, reads come from
// the directory when the blob is there, else from the remote — and every read, from any backend,
// is checked against the name before it is kept or used (CasError HASH_MISMATCH otherwise), so a
// server, a bucket or anyone on the path can withhold a blob but never substitute one. Blobs over
// the size limit are refused both ways (TOO_LARGE) before they are read into memory.
import { CasError, CasStore, sha256hex } from './store.js';
import { encodeRelease, releaseName, type SignedRelease } from './release.js';
import type { GcTarget } from './gc.js';

export interface BlobStore {
  /** Stores bytes where the other parties can read them; returns their hex SHA-256. */
  put(bytes: Uint8Array): Promise<string>;
  /** The bytes named by `hex`, hash-verified; CasError when no store has them (or only other bytes). */
  get(hex: string): Promise<Uint8Array>;
  /** Leaves a requester's signed release of an execution's final outputs for the store's collector. */
  release(r: SignedRelease): Promise<void>;
  /** Where the blobs are, for logs. */
  readonly where: string;
}

/** A remote backend: raw bytes by name; the BlobStore in front of it verifies them. */
export interface RemoteBlobs {
  readonly where: string;
  write(hex: string, bytes: Uint8Array): Promise<void>;
  /** The bytes stored under `hex` (not yet verified); CasError NOT_FOUND, TOO_LARGE, UNAVAILABLE. */
  read(hex: string, maxBytes: number): Promise<Uint8Array>;
  release(r: SignedRelease): Promise<void>;
}

export const DEFAULT_MAX_BLOB_BYTES = 64 * 1024 * 1024;

function checkSize(bytes: Uint8Array, maxBytes: number, where: string): void {
  if (bytes.length > maxBytes) throw new CasError('TOO_LARGE', `${where}: ${bytes.length} bytes is over the ${maxBytes}-byte limit`);
}

/** The local directory alone (one machine, or a shared filesystem). */
export function localBlobs(store: CasStore, maxBytes = DEFAULT_MAX_BLOB_BYTES): BlobStore {
  return {
    where: store.dir,
    put: async (bytes) => { checkSize(bytes, maxBytes, store.dir); return store.put(bytes); },
    get: async (hex) => store.get(hex, maxBytes),
    release: async (r) => store.putRecord('releases', releaseName(r), encodeRelease(r)),
  };
}

/** A directory as the collector's target (a CAS server's, a node's cache, a shared directory). */
export function dirTarget(store: CasStore): GcTarget {
  return {
    where: store.dir,
    list: async () => store.scan().blobs,
    remove: async (hex, t) => store.remove(hex, t),
    releases: async () => store.records('releases'),
    dropRelease: async (name) => store.dropRecord('releases', name),
  };
}

/** A remote backend behind a local directory (the node's or requester's own copy). */
export class CachedRemote implements BlobStore {
  readonly where: string;
  constructor(readonly cache: CasStore, readonly remote: RemoteBlobs, private readonly maxBytes = DEFAULT_MAX_BLOB_BYTES) {
    this.where = `${remote.where} (cache ${cache.dir})`;
  }

  async put(bytes: Uint8Array): Promise<string> {
    checkSize(bytes, this.maxBytes, this.remote.where);
    const hex = this.cache.put(bytes);
    await this.remote.write(hex, bytes);
    return hex;
  }

  async get(hex: string): Promise<Uint8Array> {
    if (this.cache.has(hex)) {
      try { return this.cache.get(hex, this.maxBytes); } catch (e) {
        // a corrupt or tampered copy of our own: refused and dropped; the remote's copy is checked below
        if ((e as CasError).code !== 'HASH_MISMATCH') throw e;
        this.cache.remove(hex);
      }
    }
    const bytes = await this.remote.read(hex, this.maxBytes);
    if (bytes.length > this.maxBytes) throw new CasError('TOO_LARGE', `${this.remote.where} ${hex}: ${bytes.length} bytes is over the ${this.maxBytes}-byte limit`);
    // the name is the proof: bytes that do not hash to it are refused, never cached or used
    if (sha256hex(bytes) !== hex) throw new CasError('HASH_MISMATCH', `${this.remote.where} ${hex}: the bytes do not hash to the name (tampered or substituted)`);
    this.cache.put(bytes);
    return bytes;
  }

  release(r: SignedRelease): Promise<void> { return this.remote.release(r); }
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

/** The HTTP content-addressed server (src/cas/server.ts) as a remote backend. */
export class HttpRemote implements RemoteBlobs {
  readonly where: string;
  private readonly timeoutMs: number;
  constructor(private readonly o: Omit<HttpBlobsOptions, 'maxBytes'>) {
    this.where = o.url.replace(/\/+$/, '');
    this.timeoutMs = o.timeoutMs ?? 30_000;
  }

  private async call(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.where}${path}`, { method, signal: AbortSignal.timeout(this.timeoutMs), ...init })
      .catch((e: Error) => { throw new CasError('UNAVAILABLE', `${method} ${this.where}${path}: ${e.message}`); });
  }

  async write(hex: string, bytes: Uint8Array): Promise<void> {
    const res = await this.call('PUT', `/cas/${hex}`, {
      body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length) as unknown as BodyInit,
      headers: { 'content-type': 'application/octet-stream', ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}) },
    });
    if (res.status !== 201 && res.status !== 200) throw await httpError(res, `PUT ${this.where}/cas/${hex}`);
  }

  async read(hex: string, maxBytes: number): Promise<Uint8Array> {
    const res = await this.call('GET', `/cas/${hex}`);
    if (res.status !== 200) throw await httpError(res, `GET ${this.where}/cas/${hex}`);
    const len = Number(res.headers.get('content-length') ?? NaN);
    const tooLarge = (n: number | string) => new CasError('TOO_LARGE', `GET ${this.where}/cas/${hex}: ${n} bytes is over the ${maxBytes}-byte limit`);
    if (len > maxBytes) { await res.body?.cancel(); throw tooLarge(len); }
    if (!res.body) return new Uint8Array(0);
    // read at most maxBytes whatever the server claims (a body without a length, or a longer one)
    const chunks: Uint8Array[] = [];
    let total = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read().catch((e: Error) => { throw new CasError('UNAVAILABLE', `GET ${this.where}/cas/${hex}: ${e.message}`); });
      if (done) break;
      total += value.length;
      if (total > maxBytes) { await reader.cancel(); throw tooLarge(`more than ${maxBytes}`); }
      chunks.push(value);
    }
    return new Uint8Array(Buffer.concat(chunks));
  }

  async release(r: SignedRelease): Promise<void> {
    const res = await this.call('POST', '/release', { body: encodeRelease(r) as unknown as BodyInit, headers: { 'content-type': 'application/json' } });
    if (res.status !== 200) throw await httpError(res, `POST ${this.where}/release`);
  }
}

async function httpError(res: Response, what: string): Promise<CasError> {
  let detail = '', named = '';
  try { const j = await res.json() as { code?: string; message?: string }; named = j.code ?? ''; detail = `${j.code ?? ''}: ${j.message ?? ''}`; } catch { /* no JSON body */ }
  const code = named === 'HASH_MISMATCH' ? 'HASH_MISMATCH' : res.status === 404 ? 'NOT_FOUND' : res.status === 401 || res.status === 403 ? 'UNAUTHORIZED' : res.status === 413 ? 'TOO_LARGE' : res.status === 422 ? 'HASH_MISMATCH' : res.status >= 500 ? 'UNAVAILABLE' : 'REFUSED';
  return new CasError(code, `${what}: HTTP ${res.status} ${detail}`);
}

/** The local directory as a cache in front of a CAS server. */
export class HttpBlobs extends CachedRemote {
  constructor(cache: CasStore, o: HttpBlobsOptions) { super(cache, new HttpRemote(o), o.maxBytes); }
}

export interface BlobStoreOptions {
  /** the local directory (the store itself, or the cache in front of a remote) */
  dir: string;
  /** the remote: http(s)://… (a CAS server) or s3://BUCKET[/PREFIX]?endpoint=…&region=… (none: the directory alone) */
  url?: string;
  /** bearer token for PUT to a CAS server */
  token?: string;
  maxBytes?: number;
  /** S3 credentials (default: the AWS SDK's chain — AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, …) */
  s3Credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** The backend a URL selects: `--cas DIR [--cas-url http(s)://…|s3://… [--cas-token-file F]]`. */
export async function openBlobStore(o: BlobStoreOptions): Promise<BlobStore> {
  const store = new CasStore(o.dir.startsWith('file://') ? new URL(o.dir).pathname : o.dir);
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
  if (!o.url) return localBlobs(store, maxBytes);
  if (/^https?:\/\//.test(o.url)) return new CachedRemote(store, new HttpRemote({ url: o.url, ...(o.token ? { token: o.token } : {}) }), maxBytes);
  if (o.url.startsWith('s3://')) {
    const { S3Blobs } = await import('./s3.js');
    return new CachedRemote(store, S3Blobs.fromUrl(o.url, o.s3Credentials), maxBytes);
  }
  throw new CasError('BAD_URL', `${o.url}: a CAS URL is http(s)://HOST:PORT or s3://BUCKET[/PREFIX]?endpoint=URL`);
}

/** `--cas DIR [--cas-url URL --cas-token-file F]` (directory or HTTP server) as a BlobStore. */
export function blobStore(dir: string, url?: string, token?: string): BlobStore {
  const store = new CasStore(dir);
  if (url?.startsWith('s3://')) throw new CasError('BAD_URL', 'an s3:// store is opened with openBlobStore()');
  return url ? new HttpBlobs(store, { url, ...(token ? { token } : {}) }) : localBlobs(store);
}
