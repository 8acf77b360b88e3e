// Tensors as bytes — `splitup/tensor/v1` bundles, what tasks read and write in the CAS:
//   bundle = u8 count, then per tensor: u8 dtype (1 = f32), u8 rank, u32 LE dims[rank], f32 LE data
// A task's output is one bundle of its output tensors; its hash (SHA-256) is what the node
// reports on chain, so two nodes agree exactly when their bytes are identical.
import { DType, type TensorSpec } from '../chain/layout.js';

export interface Tensor { shape: number[]; data: Float32Array }

export class TensorError extends Error { override name = 'TensorError'; }

export const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

export function encodeBundle(ts: Tensor[]): Uint8Array {
  const len = 1 + ts.reduce((a, t) => a + 2 + 4 * t.shape.length + 4 * t.data.length, 0);
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  out[0] = ts.length;
  let o = 1;
  for (const t of ts) {
    if (t.data.length !== size(t.shape)) throw new TensorError(`data length ${t.data.length} does not match shape [${t.shape}]`);
    out[o++] = DType.F32;
    out[o++] = t.shape.length;
    for (const d of t.shape) { dv.setUint32(o, d, true); o += 4; }
    for (const x of t.data) { dv.setFloat32(o, x, true); o += 4; }
  }
  return out;
}

export function decodeBundle(b: Uint8Array): Tensor[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const need = (n: number, o: number) => { if (o + n > b.length) throw new TensorError('truncated tensor bundle'); };
  need(1, 0);
  const count = b[0]!;
  let o = 1;
  const out: Tensor[] = [];
  for (let k = 0; k < count; k++) {
    need(2, o);
    if (b[o] !== DType.F32) throw new TensorError(`unsupported dtype ${b[o]}`);
    const rank = b[o + 1]!;
    o += 2;
    need(4 * rank, o);
    const shape = Array.from({ length: rank }, (_, i) => dv.getUint32(o + 4 * i, true));
    o += 4 * rank;
    const n = size(shape);
    need(4 * n, o);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = dv.getFloat32(o + 4 * i, true);
    o += 4 * n;
    out.push({ shape, data });
  }
  if (o !== b.length) throw new TensorError('trailing bytes after tensor bundle');
  return out;
}

export function matchesSpec(t: Tensor, s: TensorSpec): boolean {
  return s.dtype === DType.F32 && t.shape.length === s.shape.length && t.shape.every((d, i) => d === s.shape[i]);
}
