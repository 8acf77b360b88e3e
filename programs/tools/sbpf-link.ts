// Post-link step for on-chain programs built with Debian's clang-16 BPF target
// (the Solana platform tools cannot be installed here). Reads one ELF64 BPF
// relocatable object and writes the shared object the legacy Solana loader
// (SBPF v0, e_flags = 0) accepts:
//   ELF64 LE, ET_DYN, EM_BPF (247); sections .text .rodata .dynamic .dynsym .dynstr .rel.dyn
//   .shstrtab with virtual address = file offset; PT_LOAD for text, rodata and the dynamic
//   tables, plus PT_DYNAMIC; e_entry and a global `entrypoint` dynamic symbol.
// Relocations:
//   R_BPF_64_64 (lddw of read-only data)  → the immediate becomes the data's address, and an
//                                            R_BPF_64_RELATIVE (8) dynamic relocation is emitted
//   R_BPF_64_32 (call of an undefined sym) → kept by symbol name (syscall; the loader resolves it),
//                                            call src = 0, imm = −1
//   R_BPF_64_32 (call of a defined func)   → patched to a PC-relative call (src = 1)
// Limits (fail loudly): no writable data (.data/.bss), no relocations inside .rodata.
// The output depends only on the input bytes, so rebuilding is byte-identical.
//   tsx programs/tools/sbpf-link.ts in.o out.so
import { readFileSync, writeFileSync } from 'node:fs';

const SHT_PROGBITS = 1, SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_REL = 9, SHT_NOBITS = 8, SHT_DYNAMIC = 6, SHT_DYNSYM = 11;
const SHF_WRITE = 1, SHF_ALLOC = 2, SHF_EXECINSTR = 4;
const R_BPF_64_64 = 1, R_BPF_64_RELATIVE = 8, R_BPF_64_32 = 10;
const PT_LOAD = 1, PT_DYNAMIC = 2, PF_X = 1, PF_R = 4;

export class LinkError extends Error { override name = 'LinkError'; }

interface Section { index: number; name: string; type: number; flags: bigint; offset: number; size: number; link: number; info: number; entsize: number; data: Uint8Array }
interface Symbol { name: string; value: bigint; size: bigint; info: number; shndx: number }

function parse(obj: Uint8Array) {
  const dv = new DataView(obj.buffer, obj.byteOffset, obj.byteLength);
  if (dv.getUint32(0, false) !== 0x7f454c46) throw new LinkError('not an ELF file');
  if (obj[4] !== 2 || obj[5] !== 1) throw new LinkError('expected ELF64 little-endian');
  if (dv.getUint16(16, true) !== 1) throw new LinkError('expected a relocatable object (ET_REL)');
  if (dv.getUint16(18, true) !== 247) throw new LinkError('expected a BPF object (EM_BPF)');
  const shoff = Number(dv.getBigUint64(40, true)), shentsize = dv.getUint16(58, true), shnum = dv.getUint16(60, true), shstrndx = dv.getUint16(62, true);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    const offset = Number(dv.getBigUint64(o + 24, true)), size = Number(dv.getBigUint64(o + 32, true)), type = dv.getUint32(o + 4, true);
    return { nameOff: dv.getUint32(o, true), type, flags: dv.getBigUint64(o + 8, true), offset, size, link: dv.getUint32(o + 40, true), info: dv.getUint32(o + 44, true), entsize: Number(dv.getBigUint64(o + 56, true)), data: type === SHT_NOBITS ? new Uint8Array(size) : obj.slice(offset, offset + size) };
  });
  const cstr = (tab: Uint8Array, off: number) => { let e = off; while (tab[e] !== 0) e++; return Buffer.from(tab.subarray(off, e)).toString('latin1'); };
  const shstr = raw[shstrndx]!.data;
  const sections: Section[] = raw.map((s, index) => ({ index, name: cstr(shstr, s.nameOff), ...s }));
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) throw new LinkError('object has no symbol table');
  const strtab = sections[symtab.link]!.data;
  const sdv = new DataView(symtab.data.buffer, symtab.data.byteOffset, symtab.data.byteLength);
  const symbols: Symbol[] = Array.from({ length: symtab.size / 24 }, (_, i) => ({
    name: cstr(strtab, sdv.getUint32(i * 24, true)), info: symtab.data[i * 24 + 4]!, shndx: sdv.getUint16(i * 24 + 6, true),
    value: sdv.getBigUint64(i * 24 + 8, true), size: sdv.getBigUint64(i * 24 + 16, true),
  }));
  return { sections, symbols };
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

export function link(obj: Uint8Array): Uint8Array {
  const { sections, symbols } = parse(obj);
  for (const s of sections) {
    if ((s.flags & BigInt(SHF_ALLOC)) && (s.flags & BigInt(SHF_WRITE))) throw new LinkError(`writable section ${s.name} is not supported (no globals that change)`);
  }
  const texts = sections.filter((s) => s.type === SHT_PROGBITS && (s.flags & BigInt(SHF_EXECINSTR)));
  if (texts.length !== 1 || texts[0]!.name !== '.text') throw new LinkError(`expected exactly one .text section, found ${texts.map((s) => s.name).join(', ') || 'none'} (build one translation unit without -ffunction-sections)`);
  const textIn = texts[0]!;
  const rodataIn = sections.filter((s) => s.type === SHT_PROGBITS && (s.flags & BigInt(SHF_ALLOC)) && !(s.flags & BigInt(SHF_EXECINSTR)));
  for (const rel of sections.filter((s) => s.type === SHT_REL)) {
    if (rel.info !== textIn.index && rodataIn.some((r) => r.index === rel.info)) throw new LinkError(`relocations inside ${sections[rel.info]!.name} (pointer tables in read-only data) are not supported`);
  }

  // ---- layout
  const EH = 64, PH = 56, nPh = 4;
  const textOff = align(EH + PH * nPh, 8);
  const text = new Uint8Array(textIn.data);
  const rodataOff = align(textOff + text.length, 8);
  const rodataPos = new Map<number, number>(); // input section index → output vaddr
  let rsize = 0;
  for (const r of rodataIn) { rsize = align(rsize, 8); rodataPos.set(r.index, rodataOff + rsize); rsize += r.size; }
  const rodata = new Uint8Array(rsize);
  for (const r of rodataIn) rodata.set(r.data, rodataPos.get(r.index)! - rodataOff);

  // ---- relocations of .text
  const tdv = new DataView(text.buffer);
  const dynRel: Array<{ offset: number; type: number; sym: string | null }> = [];
  const syscalls: string[] = [];
  const textRel = sections.find((s) => s.type === SHT_REL && s.info === textIn.index);
  if (textRel) {
    const rdv = new DataView(textRel.data.buffer, textRel.data.byteOffset, textRel.data.byteLength);
    for (let i = 0; i < textRel.size / 16; i++) {
      const off = Number(rdv.getBigUint64(i * 16, true));
      const info = rdv.getBigUint64(i * 16 + 8, true);
      const type = Number(info & 0xffffffffn), sym = symbols[Number(info >> 32n)]!;
      if (type === R_BPF_64_64) {
        if (tdv.getUint8(off) !== 0x18) throw new LinkError(`R_BPF_64_64 at ${off} is not on an lddw`);
        const base = rodataPos.get(sym.shndx);
        if (base === undefined) throw new LinkError(`lddw at ${off} refers to ${sym.name || `section ${sym.shndx}`}, which is not read-only data`);
        const addend = BigInt(tdv.getUint32(off + 4, true)) | (BigInt(tdv.getUint32(off + 12, true)) << 32n);
        const addr = BigInt(base) + sym.value + addend;
        tdv.setUint32(off + 4, Number(addr & 0xffffffffn), true);
        tdv.setUint32(off + 12, Number(addr >> 32n), true);
        dynRel.push({ offset: textOff + off, type: R_BPF_64_RELATIVE, sym: null });
      } else if (type === R_BPF_64_32) {
        if (tdv.getUint8(off) !== 0x85) throw new LinkError(`R_BPF_64_32 at ${off} is not on a call`);
        if (sym.shndx === 0) {
          tdv.setUint8(off + 1, tdv.getUint8(off + 1) & 0x0f); // src = 0: syscall
          tdv.setInt32(off + 4, -1, true);
          if (!syscalls.includes(sym.name)) syscalls.push(sym.name);
          dynRel.push({ offset: textOff + off, type: R_BPF_64_32, sym: sym.name });
        } else if (sym.shndx === textIn.index) {
          // function symbol: target = its address; section symbol: the target offset is in imm (REL addend)
          const imm = tdv.getInt32(off + 4, true);
          const targetPc = Number(sym.value) / 8 + (imm === -1 ? 0 : imm + 1);
          tdv.setUint8(off + 1, (tdv.getUint8(off + 1) & 0x0f) | 0x10); // src = 1: internal call
          tdv.setInt32(off + 4, targetPc - (off / 8 + 1), true);
        } else throw new LinkError(`call at ${off} to ${sym.name} in an unsupported section`);
      } else throw new LinkError(`unsupported relocation type ${type} at ${off}`);
    }
  }

  // ---- dynamic tables
  const entry = symbols.find((s) => s.name === 'entrypoint' && s.shndx === textIn.index);
  if (!entry) throw new LinkError('no `entrypoint` function in .text');
  const dynstrParts = ['', 'entrypoint', ...syscalls];
  const dynstr = Buffer.from(dynstrParts.join('\0') + '\0', 'latin1');
  const strOff = (name: string) => dynstrParts.slice(0, dynstrParts.indexOf(name)).reduce((a, s) => a + s.length + 1, 0);
  const dynOff = align(rodataOff + rodata.length, 8);
  const nDyn = 9;
  const dynsymOff = dynOff + nDyn * 16;
  const nSyms = 2 + syscalls.length;
  const dynstrOff = dynsymOff + nSyms * 24;
  const relOff = align(dynstrOff + dynstr.length, 8);
  const relSize = dynRel.length * 16;
  const shstrParts = ['', '.text', '.rodata', '.dynamic', '.dynsym', '.dynstr', '.rel.dyn', '.shstrtab'];
  const shstr = Buffer.from(shstrParts.join('\0') + '\0', 'latin1');
  const shstrOff = relOff + relSize;
  const shOff = align(shstrOff + shstr.length, 8);
  const nSh = shstrParts.length;
  const out = new Uint8Array(shOff + nSh * 64);
  const o = new DataView(out.buffer);

  // ELF header
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  o.setUint16(16, 3, true); o.setUint16(18, 247, true); o.setUint32(20, 1, true);
  o.setBigUint64(24, BigInt(textOff) + entry.value, true); // e_entry
  o.setBigUint64(32, BigInt(EH), true); o.setBigUint64(40, BigInt(shOff), true);
  o.setUint32(48, 0, true); // e_flags: SBPF v0
  o.setUint16(52, EH, true); o.setUint16(54, PH, true); o.setUint16(56, nPh, true);
  o.setUint16(58, 64, true); o.setUint16(60, nSh, true); o.setUint16(62, nSh - 1, true);
  // program headers
  const ph = (i: number, type: number, flags: number, off: number, size: number, al: number) => {
    const b = EH + i * PH;
    o.setUint32(b, type, true); o.setUint32(b + 4, flags, true);
    o.setBigUint64(b + 8, BigInt(off), true); o.setBigUint64(b + 16, BigInt(off), true); o.setBigUint64(b + 24, BigInt(off), true);
    o.setBigUint64(b + 32, BigInt(size), true); o.setBigUint64(b + 40, BigInt(size), true); o.setBigUint64(b + 48, BigInt(al), true);
  };
  ph(0, PT_LOAD, PF_R | PF_X, textOff, text.length, 8);
  ph(1, PT_LOAD, PF_R, rodataOff, rodata.length, 8);
  ph(2, PT_LOAD, PF_R, dynOff, shstrOff - dynOff, 8);
  ph(3, PT_DYNAMIC, PF_R, dynOff, nDyn * 16, 8);
  out.set(text, textOff);
  out.set(rodata, rodataOff);
  // .dynamic
  const dyn: Array<[number, number]> = [[17, relOff], [18, relSize], [19, 16], [6, dynsymOff], [11, 24], [5, dynstrOff], [10, dynstr.length], [22, 0], [0, 0]];
  dyn.forEach(([tag, val], i) => { o.setBigUint64(dynOff + i * 16, BigInt(tag), true); o.setBigUint64(dynOff + i * 16 + 8, BigInt(val), true); });
  // .dynsym: null, entrypoint, syscalls
  const sym = (i: number, name: number, info: number, shndx: number, value: number, size: number) => {
    const b = dynsymOff + i * 24;
    o.setUint32(b, name, true); out[b + 4] = info; out[b + 5] = 0; o.setUint16(b + 6, shndx, true);
    o.setBigUint64(b + 8, BigInt(value), true); o.setBigUint64(b + 16, BigInt(size), true);
  };
  sym(1, strOff('entrypoint'), 0x12, 1, textOff + Number(entry.value), Number(entry.size));
  syscalls.forEach((s, i) => sym(2 + i, strOff(s), 0x10, 0, 0, 0));
  out.set(dynstr, dynstrOff);
  // .rel.dyn
  dynRel.forEach((r, i) => {
    o.setBigUint64(relOff + i * 16, BigInt(r.offset), true);
    const symIndex = r.sym === null ? 0 : 2 + syscalls.indexOf(r.sym);
    o.setBigUint64(relOff + i * 16 + 8, (BigInt(symIndex) << 32n) | BigInt(r.type), true);
  });
  out.set(shstr, shstrOff);
  // section headers
  const sh = (i: number, name: string, type: number, flags: number, off: number, size: number, link: number, info: number, al: number, entsize: number) => {
    const b = shOff + i * 64;
    o.setUint32(b, shstrParts.slice(0, shstrParts.indexOf(name)).reduce((a, s) => a + s.length + 1, 0), true);
    o.setUint32(b + 4, type, true); o.setBigUint64(b + 8, BigInt(flags), true);
    o.setBigUint64(b + 16, BigInt(type === SHT_STRTAB && name === '.shstrtab' ? 0 : off), true); o.setBigUint64(b + 24, BigInt(off), true);
    o.setBigUint64(b + 32, BigInt(size), true); o.setUint32(b + 40, link, true); o.setUint32(b + 44, info, true);
    o.setBigUint64(b + 48, BigInt(al), true); o.setBigUint64(b + 56, BigInt(entsize), true);
  };
  sh(1, '.text', SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, textOff, text.length, 0, 0, 8, 0);
  sh(2, '.rodata', SHT_PROGBITS, SHF_ALLOC, rodataOff, rodata.length, 0, 0, 8, 0);
  sh(3, '.dynamic', SHT_DYNAMIC, SHF_ALLOC | SHF_WRITE, dynOff, nDyn * 16, 5, 0, 8, 16);
  sh(4, '.dynsym', SHT_DYNSYM, SHF_ALLOC, dynsymOff, nSyms * 24, 5, 1, 8, 24);
  sh(5, '.dynstr', SHT_STRTAB, SHF_ALLOC, dynstrOff, dynstr.length, 0, 0, 1, 0);
  sh(6, '.rel.dyn', SHT_REL, SHF_ALLOC, relOff, relSize, 4, 0, 8, 16);
  sh(7, '.shstrtab', SHT_STRTAB, 0, shstrOff, shstr.length, 0, 0, 1, 0);
  return out;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) { console.error('usage: sbpf-link IN.o OUT.so'); process.exit(2); }
  try {
    const so = link(new Uint8Array(readFileSync(input)));
    writeFileSync(output, so);
    console.log(`${output}: ${so.length} bytes`);
  } catch (e) {
    console.error(`sbpf-link: ${(e as Error).message}`);
    process.exit(1);
  }
}
