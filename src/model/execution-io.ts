// The tensors an execution's task reads or a requester receives, from the content-addressed store:
// a model input by the execution's input URI, a task output by the hash the chain accepted for it.
// Shared by the compute agent (a task's inputs) and the requester (the model's final outputs). Every
// bundle is checked against the SHA-256 the chain (or the URI) names before it is decoded.
import type { ExecutionAccount } from '../chain/layout.js';
import { parseCasUri, sha256hex } from '../cas/store.js';
import type { BlobStore } from '../cas/blobs.js';
import { decodeBundle, type Tensor } from './tensor.js';

export type Source = { node: number | 'input'; slot: number };

export class ExecutionDataError extends Error { override name = 'ExecutionDataError'; }

/** Task `node`'s accepted output (hex SHA-256 of its bundle), or null while none is accepted. */
export function acceptedOutput(e: ExecutionAccount, node: number): string | null {
  const up = e.tasks[node];
  if (!up) throw new ExecutionDataError(`execution ${e.execId}: no task ${node}`);
  return up.output.some((b) => b !== 0) ? Buffer.from(up.output).toString('hex') : null;
}

/** The hex SHA-256 naming the bundle a source reads: the execution's input, or task `node`'s accepted output. */
export function bundleHash(e: ExecutionAccount, s: Source): string {
  if (s.node === 'input') return parseCasUri(e.uri);
  const hex = acceptedOutput(e, s.node);
  if (hex === null) throw new ExecutionDataError(`execution ${e.execId}: task ${s.node} has no accepted output yet`);
  return hex;
}

/** Fetches a bundle and checks it hashes to its name (whatever the store: a directory, a server). */
export async function verifiedBundle(cas: BlobStore, hex: string): Promise<Uint8Array> {
  const bytes = await cas.get(hex);
  if (sha256hex(bytes) !== hex) throw new ExecutionDataError(`bundle ${hex}: the bytes do not hash to their name`);
  return bytes;
}

/** The tensors `sources` name, each bundle fetched and decoded once. */
export async function tensorsFrom(e: ExecutionAccount, sources: Source[], cas: BlobStore): Promise<Tensor[]> {
  const bundles = new Map<string, Tensor[]>();
  const out: Tensor[] = [];
  for (const s of sources) {
    const hex = bundleHash(e, s);
    let b = bundles.get(hex);
    if (!b) { b = decodeBundle(await verifiedBundle(cas, hex)); bundles.set(hex, b); }
    const t = b[s.slot];
    if (!t) throw new ExecutionDataError(s.node === 'input' ? `execution ${e.execId}: model input ${s.slot} missing from ${e.uri}` : `execution ${e.execId}: output ${s.slot} of task ${s.node} missing`);
    out.push(t);
  }
  return out;
}
