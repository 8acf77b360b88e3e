// Sets up a SplitUp chain over JSON-RPC: the committee (with its USDC mint and vault), the example
// tasks and model, and funded, registered, specialized compute nodes. Used by the local committee,
// tests and benchmarks against the local validator (airdrops, test USDC from the local faucet) — on a
// real cluster the same instructions are sent by their owners, with the cluster's USDC mint.
import { Keypair, LAMPORTS_PER_SOL, PublicKey } from '@solana/web3.js';
import { createHash } from 'node:crypto';
import { TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID } from '@solana/spl-token';
import type { ChainClient } from './client.js';
import { DIAMOND, MODEL_ID, TASKS } from './example-model.js';
import { DEFAULT_PARAMS, quorumFor, USDC, type CommitteeParams, type Money } from './program.js';
import { createMintIxs, createTokenAccountIx, mintToIxs } from './usdc.js';

export async function airdrop(chain: ChainClient, to: PublicKey, lamports: bigint): Promise<void> {
  const sig = await chain.connection.requestAirdrop(to, Number(lamports));
  for (let i = 0; i < 100; i++) {
    if ((await chain.connection.getSignatureStatuses([sig])).value[0]) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`airdrop to ${to.toBase58()} not confirmed`);
}

/**
 * The mint authority of local test USDC: a key anyone can derive (so test USDC is worthless by
 * construction). Only the local validator gets such a mint; the faucet refuses any other cluster and
 * any mint this key does not control.
 */
export const LOCAL_USDC_AUTHORITY = Keypair.fromSeed(createHash('sha256').update('splitup/local-usdc/faucet/v1').digest());

/** A refusal of the faucet or of a local-only step (another cluster, another mint). */
export class FaucetError extends Error { override name = 'FaucetError'; }

/** Whether `chain` talks to this project's local validator (its getVersion names it). */
export async function isLocalValidator(chain: ChainClient): Promise<boolean> {
  const v = await chain.connection.getVersion().catch(() => null);
  return typeof v?.['solana-core'] === 'string' && v['solana-core'].startsWith('splitup-local-validator');
}

/** The money of an existing mint: its token program is the account's owner (the classic Token program or Token-2022 only). */
export async function moneyOf(chain: ChainClient, mint: PublicKey): Promise<Money> {
  const a = await chain.connection.getAccountInfo(mint);
  if (!a) throw new Error(`no mint ${mint.toBase58()} on this chain`);
  if (!a.owner.equals(TOKEN_PROGRAM_ID) && !a.owner.equals(TOKEN_2022_PROGRAM_ID)) throw new Error(`${mint.toBase58()} is not a mint of the Token program or Token-2022 (owner ${a.owner.toBase58()})`);
  return { mint, program: a.owner };
}

/** Creates a local test USDC mint (6 decimals, Token-2022, LOCAL_USDC_AUTHORITY mints). Local validator only. */
export async function createLocalUsdc(chain: ChainClient, payer: Keypair): Promise<Money> {
  if (!(await isLocalValidator(chain))) throw new FaucetError('test USDC is created on the local validator only: on a real cluster name the USDC mint');
  const mint = Keypair.generate();
  await chain.send([payer, mint], createMintIxs(payer.publicKey, mint, LOCAL_USDC_AUTHORITY.publicKey));
  return { mint: mint.publicKey, program: TOKEN_2022_PROGRAM_ID };
}

/**
 * Mints `amount` test USDC (base units) to `to`'s associated token account of the committee's mint
 * (created when absent; `payer` pays its rent and the fee). Refused against any other cluster than the
 * local validator and for a mint the local faucet key does not control.
 */
export async function faucet(chain: ChainClient, payer: Keypair, to: PublicKey, amount: bigint): Promise<PublicKey> {
  if (!(await isLocalValidator(chain))) throw new FaucetError(`the faucet mints test USDC on the local validator only; ${chain.rpcUrl} is another cluster`);
  const money = await chain.money();
  const m = await chain.connection.getAccountInfo(money.mint);
  const authority = m && m.data.length >= 36 && m.data.readUInt32LE(0) === 1 ? new PublicKey(m.data.subarray(4, 36)) : null;
  if (!authority?.equals(LOCAL_USDC_AUTHORITY.publicKey)) throw new FaucetError(`the committee's mint ${money.mint.toBase58()} is not local test USDC (its mint authority is not the local faucet's)`);
  await chain.send([payer, LOCAL_USDC_AUTHORITY], mintToIxs(payer.publicKey, LOCAL_USDC_AUTHORITY.publicKey, to, money, amount));
  return chain.program.tokenAccountOf(to);
}

export interface BootstrapOptions {
  oracles: PublicKey[];
  params?: CommitteeParams;
  nodes?: Array<{ keypair: Keypair; vramGb?: number; specializations?: number[] }>;
  modelId?: number;
  /** The committee's authority (the key `chain` was built with): pays for and signs the setup; airdropped when unfunded (local validator). */
  authority: Keypair;
  /** The committee's mint (USDC on a real cluster); default: a new local test USDC mint (local validator only). */
  mint?: PublicKey;
}

/** Creates the committee (its mint: `mint`, or new local test USDC), the example tasks and model (if absent) and registers the nodes. */
export async function bootstrapChain(chain: ChainClient, o: BootstrapOptions): Promise<{ authority: Keypair; money: Money }> {
  const authority = o.authority;
  if (!authority.publicKey.equals(chain.program.authority)) throw new Error(`bootstrap: the authority ${authority.publicKey.toBase58()} is not the chain client's committee authority ${chain.program.authority.toBase58()}`);
  if ((await chain.connection.getBalance(authority.publicKey)) === 0) await airdrop(chain, authority.publicKey, 100n * BigInt(LAMPORTS_PER_SOL));
  const p = chain.program;
  if (!(await chain.committee())) {
    const money = o.mint ? await moneyOf(chain, o.mint) : await createLocalUsdc(chain, authority);
    await chain.send([authority], [p.initCommittee(authority.publicKey, o.oracles, quorumFor(o.oracles.length), o.params ?? DEFAULT_PARAMS, money)]);
  }
  const money = await chain.money();
  for (const t of Object.values(TASKS)) {
    if (!(await chain.connection.getAccountInfo(p.taskAddress(t.id)))) await chain.send([authority], [p.registerTask(authority.publicKey, t.id, t.cu, [...t.inputs], [...t.outputs])]);
  }
  const modelId = o.modelId ?? MODEL_ID;
  if (!(await chain.connection.getAccountInfo(p.modelAddress(modelId)))) await chain.send([authority], [p.registerModel(authority.publicKey, modelId, DIAMOND)]);
  for (const n of o.nodes ?? []) await registerNode(chain, n.keypair, n.vramGb ?? 24, n.specializations ?? Object.values(TASKS).map((t) => t.id), { fund: true });
  return { authority, money };
}

/** Test USDC a funded local node gets: its stake for 24 GB is 3 400 USDC. */
export const LOCAL_NODE_USDC = 10_000n * USDC;

/**
 * Registers (its stake from its associated token account into the vault) and specializes a node
 * unless it is registered; `fund` airdrops SOL and mints test USDC first (local validator only).
 */
export async function registerNode(chain: ChainClient, node: Keypair, vramGb: number, specializations: number[], { fund = false } = {}): Promise<void> {
  if (await chain.node(node.publicKey)) return;
  await chain.money();
  if (fund) {
    await airdrop(chain, node.publicKey, 10n * BigInt(LAMPORTS_PER_SOL));
    await faucet(chain, node, node.publicKey, LOCAL_NODE_USDC);
  }
  await chain.send([node], [chain.program.registerNode(node.publicKey, vramGb), chain.program.specialize(node.publicKey, specializations)]);
}

/** Creates `owner`'s associated token account of the committee's mint unless it exists (`payer` pays its rent). */
export async function ensureTokenAccount(chain: ChainClient, payer: Keypair, owner: PublicKey): Promise<PublicKey> {
  const money = await chain.money();
  const ata = chain.program.tokenAccountOf(owner);
  if (!(await chain.connection.getAccountInfo(ata))) await chain.send([payer], [createTokenAccountIx(payer.publicKey, owner, money)]);
  return ata;
}
