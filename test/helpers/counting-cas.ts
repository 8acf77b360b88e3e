// A compute node's CAS in front of the shared HTTP server, counting what crosses the network: bytes
// and blobs read from the server (a blob already in the node's own directory is not a transfer) and
// written to it. Used by the task-group test and bench/groups.ts to measure transfer.
import { CachedRemote, HttpRemote, type BlobStore, type RemoteBlobs } from '../../src/cas/blobs.js';
import { CasStore } from '../../src/cas/store.js';

export interface Transfer { reads: number; readBytes: number; writes: number; writeBytes: number; readHashes: string[] }

export function countingStore(dir: string, url: string, token: string): { store: BlobStore; transfer: Transfer } {
  const transfer: Transfer = { reads: 0, readBytes: 0, writes: 0, writeBytes: 0, readHashes: [] };
  const http = new HttpRemote({ url, token });
  const remote: RemoteBlobs = {
    where: http.where,
    read: async (hex, maxBytes) => {
      const b = await http.read(hex, maxBytes);
      transfer.reads++; transfer.readBytes += b.length; transfer.readHashes.push(hex);
      return b;
    },
    write: async (hex, bytes) => {
      await http.write(hex, bytes);
      transfer.writes++; transfer.writeBytes += bytes.length;
    },
    release: (r) => http.release(r),
  };
  return { store: new CachedRemote(new CasStore(dir), remote), transfer };
}
