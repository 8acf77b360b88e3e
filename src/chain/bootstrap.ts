// Sets up a SplitUp chain over JSON-RPC: the committee, the example tasks and model, and
// funded, registered, specialized compute nodes. Used by the local committee, tests and
// benchmarks against the local validator (airdrops) — on a real cluster the same
// instructions are sent by their owners.
import { Keypair, LAMPORTS_PER_SOL, type PublicKey } from '@solana/web3.js';
import type { ChainClient } from './client.js';
import { DIAMOND, MODEL_ID, TASKS } from './example-model.js';
import { DEFAULT_PARAMS, quorumFor, type CommitteeParams } from './program.js';

export async function airdrop(chain: ChainClient, to: PublicKey, lamports: bigint): Promise<void> {
  const sig = await chain.connection.requestAirdrop(to, Number(lamports));
  for (let i = 0; i < 100; i++) {
    if ((await chain.connection.getSignatureStatuses([sig])).value[0]) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`airdrop to ${to.toBase58()} not confirmed`);
}

export interface BootstrapOptions {
  oracles: PublicKey[];
  params?: CommitteeParams;
  nodes?: Array<{ keypair: Keypair; vramGb?: number; specializations?: number[] }>;
  modelId?: number;
  /** The committee's authority (the key `chain` was built with): pays for and signs the setup; airdropped when unfunded (local validator). */
  authority: Keypair;
}

/** Creates the committee, the example tasks and model (if absent) and registers the nodes. */
export async function bootstrapChain(chain: ChainClient, o: BootstrapOptions): Promise<{ authority: Keypair }> {
  const authority = o.authority;
  if (!authority.publicKey.equals(chain.program.authority)) throw new Error(`bootstrap: the authority ${authority.publicKey.toBase58()} is not the chain client's committee authority ${chain.program.authority.toBase58()}`);
  if ((await chain.connection.getBalance(authority.publicKey)) === 0) await airdrop(chain, authority.publicKey, 100n * BigInt(LAMPORTS_PER_SOL));
  const p = chain.program;
  if (!(await chain.committee())) await chain.send([authority], [p.initCommittee(authority.publicKey, o.oracles, quorumFor(o.oracles.length), o.params ?? DEFAULT_PARAMS)]);
  for (const t of Object.values(TASKS)) {
    if (!(await chain.connection.getAccountInfo(p.taskAddress(t.id)))) await chain.send([authority], [p.registerTask(authority.publicKey, t.id, t.cu, [...t.inputs], [...t.outputs])]);
  }
  const modelId = o.modelId ?? MODEL_ID;
  if (!(await chain.connection.getAccountInfo(p.modelAddress(modelId)))) await chain.send([authority], [p.registerModel(authority.publicKey, modelId, DIAMOND)]);
  for (const n of o.nodes ?? []) await registerNode(chain, n.keypair, n.vramGb ?? 24, n.specializations ?? Object.values(TASKS).map((t) => t.id), { fund: true });
  return { authority };
}

/** Registers (stake) and specializes a node unless it is registered; `fund` airdrops first (local validator only). */
export async function registerNode(chain: ChainClient, node: Keypair, vramGb: number, specializations: number[], { fund = false } = {}): Promise<void> {
  if (await chain.node(node.publicKey)) return;
  if (fund) await airdrop(chain, node.publicKey, 10n * BigInt(LAMPORTS_PER_SOL));
  await chain.send([node], [chain.program.registerNode(node.publicKey, vramGb), chain.program.specialize(node.publicKey, specializations)]);
}
