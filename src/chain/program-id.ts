// The program id a local validator's data directory hosts: chosen once, then kept with the ledger.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keypair, PublicKey } from '@solana/web3.js';

/** The program id kept in DIR/program-id (created on first use unless given). */
export function programIdFor(dir: string, given?: string): PublicKey {
  const file = join(dir, 'program-id');
  mkdirSync(dir, { recursive: true });
  if (given) {
    const id = new PublicKey(given);
    if (existsSync(file) && readFileSync(file, 'utf8').trim() !== id.toBase58()) throw new Error(`${dir} holds a ledger for program ${readFileSync(file, 'utf8').trim()}, not ${id.toBase58()}`);
    writeFileSync(file, id.toBase58() + '\n');
    return id;
  }
  if (!existsSync(file)) writeFileSync(file, Keypair.generate().publicKey.toBase58() + '\n');
  return new PublicKey(readFileSync(file, 'utf8').trim());
}

