// Small byte helpers shared by every wire format. All multi-byte integers in
// SplitUp canonical encodings are big-endian.
import bs58 from 'bs58';

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

export function u8(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new RangeError(`u8 out of range: ${n}`);
  return Uint8Array.of(n);
}

export function u32be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`u32 out of range: ${n}`);
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
}

export const U64_MAX = (1n << 64n) - 1n;

export function u64be(n: bigint | number): Uint8Array {
  const v = typeof n === 'bigint' ? n : BigInt(n);
  if (v < 0n || v > U64_MAX) throw new RangeError(`u64 out of range: ${v}`);
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, false);
  return b;
}

export function readU64be(b: Uint8Array, off: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, false);
}

export function readU32be(b: Uint8Array, off: number): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, false);
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;
export function fromHex(s: string): Uint8Array {
  if (!HEX_RE.test(s)) throw new TypeError('invalid hex string');
  return new Uint8Array(Buffer.from(s, 'hex'));
}

export function toBase58(b: Uint8Array): string { return bs58.encode(b); }

/** Decodes base58; throws TypeError on invalid input or wrong length (when given). */
export function fromBase58(s: string, expectedLength?: number): Uint8Array {
  let out: Uint8Array;
  try { out = bs58.decode(s); } catch { throw new TypeError('invalid base58 string'); }
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new TypeError(`expected ${expectedLength} bytes, got ${out.length}`);
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Lexicographic byte order (the order of sorted tables and eligible sets). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
