// An S3-compatible bucket as a CAS backend, through the AWS SDK's S3 client (@aws-sdk/client-s3;
// any S3-compatible server: AWS, MinIO, Ceph RGW, R2, s3rver in the tests). A blob is the object
// `<prefix><hex sha256>`; a requester's release is the object `<prefix>releases/<execId>-<requester>`.
//
//   s3://BUCKET[/PREFIX]?endpoint=http://host:9000&region=us-east-1&path-style=1
//
// endpoint: the server (default: AWS for the region); region: default us-east-1; path-style:
// bucket in the path rather than the host name (default on when an endpoint is given). Credentials
// come from the SDK's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, …),
// never from the URL. Reads are size-checked from the object's length before the body is read and
// hash-checked by the BlobStore in front (src/cas/blobs.ts). The collector runs over the bucket
// with `splitup-node cas-gc` (the bucket's owner; see src/cas/gc.ts): an object's time is its
// LastModified (a re-upload renews it; reads do not).
import {
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { BLOB_NAME, CasError, type BlobInfo } from './store.js';
import { encodeRelease, releaseName, type SignedRelease } from './release.js';
import type { RemoteBlobs } from './blobs.js';
import type { GcTarget } from './gc.js';

export interface S3Location { bucket: string; prefix: string; endpoint?: string; region: string; pathStyle: boolean }

export function parseS3Url(url: string): S3Location {
  let u: URL;
  try { u = new URL(url); } catch { throw new CasError('BAD_URL', `${url}: not a URL`); }
  if (u.protocol !== 's3:' || !u.hostname) throw new CasError('BAD_URL', `${url}: an S3 location is s3://BUCKET[/PREFIX]?endpoint=URL&region=R`);
  if (u.username || u.password) throw new CasError('BAD_URL', `${url}: credentials do not go in the URL (use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)`);
  const known = new Set(['endpoint', 'region', 'path-style']);
  for (const k of u.searchParams.keys()) if (!known.has(k)) throw new CasError('BAD_URL', `${url}: unknown parameter ${k} (endpoint, region, path-style)`);
  const endpoint = u.searchParams.get('endpoint') ?? undefined;
  if (endpoint && !/^https?:\/\/[^/]+\/?$/.test(endpoint)) throw new CasError('BAD_URL', `${url}: endpoint must be http(s)://HOST[:PORT]`);
  const prefix = decodeURIComponent(u.pathname.replace(/^\/+/, ''));
  const ps = u.searchParams.get('path-style');
  return { bucket: u.hostname, prefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix, ...(endpoint ? { endpoint } : {}), region: u.searchParams.get('region') ?? 'us-east-1', pathStyle: ps === null ? !!endpoint : ps === '1' || ps === 'true' };
}

const status = (e: unknown): number | undefined => (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
/** Bounds the listing loop: at 1,000 keys a page, 10 million objects. */
const MAX_PAGES = 10_000;

export class S3Blobs implements RemoteBlobs, GcTarget {
  readonly where: string;
  readonly client: S3Client;

  constructor(readonly loc: S3Location, credentials?: S3ClientConfig['credentials']) {
    this.where = `s3://${loc.bucket}/${loc.prefix}${loc.endpoint ? ` at ${loc.endpoint}` : ''}`;
    // the SDK warns on every process under Node < 22 about its future releases; the lock file pins one that supports Node 20
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client({
      region: loc.region, forcePathStyle: loc.pathStyle, ...(loc.endpoint ? { endpoint: loc.endpoint } : {}), ...(credentials ? { credentials } : {}),
      maxAttempts: 3,
    });
  }

  static fromUrl(url: string, credentials?: S3ClientConfig['credentials']): S3Blobs { return new S3Blobs(parseS3Url(url), credentials); }

  private fail(e: unknown, what: string): CasError {
    const s = status(e);
    const code = s === 404 ? 'NOT_FOUND' : s === 401 || s === 403 ? 'UNAUTHORIZED' : s === 400 || s === 409 ? 'REFUSED' : 'UNAVAILABLE';
    return new CasError(code, `${what} ${this.where}: ${(e as Error).name}${s ? ` (HTTP ${s})` : ''}: ${(e as Error).message}`);
  }

  async write(hex: string, bytes: Uint8Array): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.loc.bucket, Key: this.loc.prefix + hex, Body: bytes, ContentLength: bytes.length, ContentType: 'application/octet-stream' }))
      .catch((e) => { throw this.fail(e, `PUT ${hex}`); });
  }

  async read(hex: string, maxBytes: number): Promise<Uint8Array> {
    if (!BLOB_NAME.test(hex)) throw new CasError('BAD_NAME', `${hex} is not a SHA-256 in hex`);
    const res = await this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.loc.prefix + hex })).catch((e) => { throw this.fail(e, `GET ${hex}`); });
    const body = res.Body as (NonNullable<typeof res.Body> & { destroy?: () => void }) | undefined;
    if ((res.ContentLength ?? 0) > maxBytes) { body?.destroy?.(); throw new CasError('TOO_LARGE', `GET ${hex} ${this.where}: ${res.ContentLength} bytes is over the ${maxBytes}-byte limit`); }
    if (!body) throw new CasError('UNAVAILABLE', `GET ${hex} ${this.where}: no body`);
    return body.transformToByteArray().catch((e) => { throw this.fail(e, `GET ${hex}`); });
  }

  async release(r: SignedRelease): Promise<void> {
    const bytes = encodeRelease(r);
    await this.client.send(new PutObjectCommand({ Bucket: this.loc.bucket, Key: `${this.loc.prefix}releases/${releaseName(r)}`, Body: bytes, ContentLength: bytes.length, ContentType: 'application/json' }))
      .catch((e) => { throw this.fail(e, 'PUT release'); });
  }

  private async keys(prefix: string): Promise<Array<{ key: string; size: number; touchedMs: number }>> {
    const out: Array<{ key: string; size: number; touchedMs: number }> = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.client.send(new ListObjectsV2Command({ Bucket: this.loc.bucket, Prefix: prefix, Delimiter: '/', ...(token ? { ContinuationToken: token } : {}) }))
        .catch((e) => { throw this.fail(e, 'LIST'); });
      for (const o of res.Contents ?? []) if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0, touchedMs: o.LastModified?.getTime() ?? 0 });
      if (!res.IsTruncated || !res.NextContinuationToken) return out;
      token = res.NextContinuationToken;
    }
    throw new CasError('UNAVAILABLE', `LIST ${this.where}: more than ${MAX_PAGES} pages`);
  }

  async list(): Promise<BlobInfo[]> {
    return (await this.keys(this.loc.prefix)).flatMap((o) => {
      const hex = o.key.slice(this.loc.prefix.length);
      return BLOB_NAME.test(hex) ? [{ hex, size: o.size, touchedMs: o.touchedMs }] : [];
    });
  }

  /** Deletes unless re-uploaded after `unlessTouchedAfterMs` (S3 has no conditional delete: a head, then the delete). */
  async remove(hex: string, unlessTouchedAfterMs: number): Promise<number | null> {
    const Key = this.loc.prefix + hex;
    let head;
    try { head = await this.client.send(new HeadObjectCommand({ Bucket: this.loc.bucket, Key })); } catch (e) { if (status(e) === 404) return null; throw this.fail(e, `HEAD ${hex}`); }
    if ((head.LastModified?.getTime() ?? 0) > unlessTouchedAfterMs) return null;
    await this.client.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key })).catch((e) => { throw this.fail(e, `DELETE ${hex}`); });
    return head.ContentLength ?? 0;
  }

  async releases(): Promise<Array<{ name: string; bytes: Uint8Array }>> {
    const out: Array<{ name: string; bytes: Uint8Array }> = [];
    for (const o of await this.keys(`${this.loc.prefix}releases/`)) {
      if (o.size > 4096) continue; // larger than any release record: not one
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: o.key })).catch(() => null);
      const bytes = res?.Body ? await res.Body.transformToByteArray().catch(() => null) : null;
      if (bytes) out.push({ name: o.key.slice(`${this.loc.prefix}releases/`.length), bytes });
    }
    return out;
  }

  async dropRelease(name: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: `${this.loc.prefix}releases/${name}` })).catch(() => undefined);
  }

  close(): void { this.client.destroy(); }
}
