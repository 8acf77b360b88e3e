// Shared by the validator's client tests: an in-process validator on ephemeral ports, a committee
// set up on it, a raw JSON-RPC call, and a wait for web3.js to drop its PubSub socket.
import { Keypair, PublicKey } from '@solana/web3.js';
import { bootstrapChain } from '../../src/chain/bootstrap.js';
import { ChainClient } from '../../src/chain/client.js';
import { LocalValidator } from '../../src/validator/server.js';
import { loadProgramBinary } from '../../src/chain/program.js';
import { until } from './heartbeat.js';
import { tempDir } from './oracle.js';

export const programId = new PublicKey('SpLitUp111111111111111111111111111111111111');

export async function start(t: { teardown: (fn: () => unknown) => void }, slotMs: number): Promise<LocalValidator> {
  const { dir, cleanup } = tempDir('splitup-validator-');
  const v = await LocalValidator.start({ dataDir: dir, programs: [{ id: programId, so: loadProgramBinary() }], slotMs });
  t.teardown(async () => { await v.close(); cleanup(); });
  return v;
}

/** A committee of three fresh oracle keys (no nodes) bootstrapped on the validator at `url`. */
export async function withCommittee(url: string, program = programId): Promise<{ chain: ChainClient; authority: Keypair }> {
  const authority = Keypair.generate();
  const chain = new ChainClient(url, program, authority.publicKey);
  await bootstrapChain(chain, { authority, oracles: [Keypair.generate().publicKey, Keypair.generate().publicKey, Keypair.generate().publicKey], nodes: [] });
  return { chain, authority };
}

export async function rpc(url: string, method: string, params: unknown[] = []): Promise<{ result?: any; error?: { code: number; message: string; data?: any } }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return r.json() as never;
}

/** Waits until web3.js has dropped its PubSub connection (no subscription left). */
export async function wsIdle(v: LocalValidator): Promise<void> {
  await until('web3.js to close its PubSub socket', () => v.pubsub.subscriptionCount === 0 && v.pubsub.wss.clients.size === 0, 20_000);
}

