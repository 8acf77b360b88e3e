// Builds the SplitUp program: clang-16 (Debian's BPF target) → relocatable object →
// programs/tools/sbpf-link.ts → programs/splitup/splitup.so (legacy loader, SBPF v0).
//   npm run build:program             build and write splitup.so
//   npm run build:program -- --check  build and fail if the committed splitup.so differs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { link } from '../tools/sbpf-link.js';

export const PROGRAM_DIR = fileURLToPath(new URL('.', import.meta.url));
export const SO_PATH = join(PROGRAM_DIR, 'splitup.so');
// -fno-builtin keeps loops as loops (no libc calls); -fno-jump-tables keeps pointer tables out of
// .rodata (the linker takes no relocations there); the source is one translation unit so the
// object has one .text section; no -g, so the object carries no paths and rebuilds byte-identically.
export const CFLAGS = ['-target', 'bpfel', '-mcpu=v1', '-O2', '-ffreestanding', '-fno-builtin', '-fno-jump-tables', '-Wall', '-Wextra', '-Werror'];

export function buildProgram(clang = process.env.CLANG ?? 'clang-16'): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'splitup-build-'));
  try {
    const obj = join(dir, 'splitup.o');
    execFileSync(clang, [...CFLAGS, '-c', join(PROGRAM_DIR, 'src', 'splitup.c'), '-o', obj], { stdio: ['ignore', 'inherit', 'inherit'] });
    return link(new Uint8Array(readFileSync(obj)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const so = buildProgram();
  if (process.argv.includes('--check')) {
    const committed = existsSync(SO_PATH) ? new Uint8Array(readFileSync(SO_PATH)) : new Uint8Array();
    if (Buffer.compare(Buffer.from(committed), Buffer.from(so)) !== 0) {
      console.error(`build:program --check: the committed ${SO_PATH} (${committed.length} bytes) differs from a fresh build (${so.length} bytes); run npm run build:program and commit it`);
      process.exit(1);
    }
    console.log(`splitup.so matches a fresh build (${so.length} bytes)`);
  } else {
    writeFileSync(SO_PATH, so);
    console.log(`${SO_PATH}: ${so.length} bytes`);
  }
}
