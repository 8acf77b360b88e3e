// The post-link tool: clang-16's BPF object → a shared object LiteSVM loads and runs.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keypair, Transaction, TransactionInstruction } from '@solana/web3.js';
import { link, LinkError } from '../programs/tools/sbpf-link.js';
import { Svm } from '../src/chain/svm.js';
import { tempDir } from './helpers/oracle.js';

const clang = spawnSync('clang-16', ['--version']).status === 0;

t.test('links a clang-16 BPF object into a program LiteSVM runs', { skip: clang ? false : 'clang-16 not installed (.ci/run installs it)' }, async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const obj = join(dir, 'hello.o');
  execFileSync('clang-16', ['-target', 'bpfel', '-mcpu=v1', '-O2', '-ffreestanding', '-fno-builtin', '-c', new URL('./fixtures/bpf/hello.c', import.meta.url).pathname, '-o', obj]);
  const so = link(new Uint8Array(readFileSync(obj)));
  t.same(link(new Uint8Array(readFileSync(obj))), so, 'deterministic output');
  t.equal(Buffer.from(so.subarray(0, 4)).toString('latin1'), '\x7fELF');
  t.equal(new DataView(so.buffer).getUint16(16, true), 3, 'ET_DYN');
  t.equal(new DataView(so.buffer).getUint32(48, true), 0, 'e_flags 0: SBPF v0');

  const svm = new Svm();
  const programId = Keypair.generate().publicKey;
  svm.addProgram(programId, so);
  const payer = Keypair.generate();
  svm.airdrop(payer.publicKey, 1_000_000_000n);
  const run = (input: number) => {
    const tx = new Transaction().add(new TransactionInstruction({ programId, keys: [], data: Buffer.alloc(8, input) }));
    tx.recentBlockhash = svm.latestBlockhash();
    tx.feePayer = payer.publicKey;
    tx.sign(payer);
    return svm.send(tx);
  };
  const r = run(1);
  t.ok(r.ok, r.error ?? '');
  t.ok(r.logs.includes('Program log: hello from splitup'), 'read-only data reached through a relocated lddw');
  t.ok(r.logs.includes('Program log: second string'), 'merged string section');
  t.ok(r.computeUnits > 0n);
  // the entrypoint's return value is the program result: helper(x) = 3x + 1 is never 0, so 0 = success above
});

t.test('rejects what the legacy loader cannot take', async (t) => {
  t.throws(() => link(new Uint8Array(64)), LinkError);
  t.throws(() => link(new Uint8Array(readFileSync(process.execPath).subarray(0, 4096))), /relocatable|ELF64|BPF/);
});
