// The committee's money as SPL token instructions (@solana/spl-token): a USDC-like mint (6 decimals)
// for local chains, associated token accounts, minting test USDC, and the books check every test and
// the audit rely on: the vault holds exactly the sum of the program's books.
import { Keypair, PublicKey, SystemProgram, type TransactionInstruction } from '@solana/web3.js';
import {
  createAssociatedTokenAccountIdempotentInstruction, createInitializeMint2Instruction, createMintToCheckedInstruction,
  MINT_SIZE, TOKEN_2022_PROGRAM_ID, getAssociatedTokenAddressSync,
} from '@solana/spl-token';
import { USDC_DECIMALS, type Money } from './program.js';
import type { Committee, ExecutionAccount, NodeAccount } from './layout.js';

/** Rent-exempt minimum with the runtime's default rent (what the program uses too). */
export const rentExempt = (space: number): bigint => BigInt((128 + space) * 3480 * 2);

/**
 * Creates a USDC-like mint (6 decimals) on Token-2022 (LiteSVM and the local validator ship it): the
 * account and InitializeMint2, `authority` minting and (for tests of frozen accounts) freezing.
 */
export function createMintIxs(payer: PublicKey, mint: Keypair, authority: PublicKey, program: PublicKey = TOKEN_2022_PROGRAM_ID, decimals = USDC_DECIMALS): TransactionInstruction[] {
  return [
    SystemProgram.createAccount({ fromPubkey: payer, newAccountPubkey: mint.publicKey, lamports: Number(rentExempt(MINT_SIZE)), space: MINT_SIZE, programId: program }),
    createInitializeMint2Instruction(mint.publicKey, decimals, authority, authority, program),
  ];
}

/** `owner`'s associated token account of the mint (allowing off-curve owners such as program addresses). */
export const associatedTokenAccount = (money: Money, owner: PublicKey): PublicKey => getAssociatedTokenAddressSync(money.mint, owner, true, money.program);

/** Creates `owner`'s associated token account unless it exists (the ATA program's idempotent create). */
export function createTokenAccountIx(payer: PublicKey, owner: PublicKey, money: Money): TransactionInstruction {
  return createAssociatedTokenAccountIdempotentInstruction(payer, associatedTokenAccount(money, owner), owner, money.mint, money.program);
}

/** Mints `amount` base units to `owner`'s associated token account (created first when absent). */
export function mintToIxs(payer: PublicKey, authority: PublicKey, owner: PublicKey, money: Money, amount: bigint): TransactionInstruction[] {
  return [createTokenAccountIx(payer, owner, money),
    createMintToCheckedInstruction(money.mint, associatedTokenAccount(money, owner), authority, amount, USDC_DECIMALS, [], money.program)];
}

/** The balance of a token account's data (amount u64 at 64). */
export const tokenAmount = (data: Uint8Array): bigint => Buffer.from(data.buffer, data.byteOffset, data.byteLength).readBigUInt64LE(64);

/**
 * The program's books for one committee: treasury + every node's stake and earnings + every
 * execution's escrow. The vault's balance equals it (more only if someone sent tokens to the vault
 * directly: anyone can transfer into any token account; such tokens are outside the books).
 */
export function booksTotal(cm: Pick<Committee, 'treasury'>, nodes: Array<Pick<NodeAccount, 'stake' | 'earned'>>, execs: Array<Pick<ExecutionAccount, 'escrow'>>): bigint {
  let t = cm.treasury;
  for (const n of nodes) t += n.stake + n.earned;
  for (const e of execs) t += e.escrow;
  return t;
}
