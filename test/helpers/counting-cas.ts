// A compute node's CAS in front of the shared HTTP server, counting what crosses the network: bytes
// and blobs read from the server (a blob already in the node's own directory is not a transfer) and
// written to it. Used by the task-group test and bench/groups.ts to measure transfer.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Keypair } from '@solana/web3.js';
import { CachedRemote, HttpRemote, type BlobStore, type RemoteBlobs } from '../../src/cas/blobs.js';
import { createCasServer } from '../../src/cas/server.js';
import { CasStore } from '../../src/cas/store.js';
import type { ChainClient } from '../../src/chain/client.js';
import { ComputeAgent } from '../../src/node/agent.js';

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

/**
 * The shared HTTP CAS server (under `dir/cas-server`, a random PUT token) and one started compute
 * agent per node key, each with its own directory (`dir/node-i`) counting its transfer; server and
 * agents are stopped by `closers`.
 */
export async function startCountedAgents(dir: string, closers: Array<() => Promise<unknown>>, chain: ChainClient, nodes: Keypair[], minComputeMs = 0) {
  const token = randomBytes(16).toString('hex');
  const server = await createCasServer({ dir: join(dir, 'cas-server'), token });
  closers.push(() => server.close());
  const casUrl = await server.app.listen({ port: 0, host: '127.0.0.1' });
  const stores = nodes.map((_, i) => countingStore(join(dir, `node-${i}`), casUrl, token));
  const agents = nodes.map((keypair, i) => new ComputeAgent({ chain, keypair, cas: stores[i]!.store, pollMs: 200, minComputeMs }));
  agents.forEach((a) => a.start());
  closers.push(() => Promise.all(agents.map((a) => a.stop())));
  return { server, casUrl, token, stores, agents };
}
