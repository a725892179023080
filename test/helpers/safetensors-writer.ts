// Writes safetensors files for tests. The format is trivial, so this is written from the spec, independently of the
// loader: values are encoded by routes different from src/weights/dtypes.ts (f16 from log2/exponent arithmetic, bf16
// from the high half of a DataView f32), and each encoder refuses numbers it cannot represent exactly, so a test's
// expected values are simply the numbers it put in.

export type WriterDtype = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8';

export interface WriterTensor {
  name: string;
  dtype: WriterDtype;
  shape: number[];
  /** Numbers to encode, or raw little-endian bytes used as-is. */
  data: ArrayLike<number> | Uint8Array;
}

const BYTES: Record<WriterDtype, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1 };

/** IEEE half bits for a number exactly representable in f16 (throws otherwise). */
export function exactF16Bits(x: number): number {
  if (Object.is(x, -0)) return 0x8000;
  if (x === 0) return 0;
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  let e = Math.floor(Math.log2(a));
  // log2 can be off by one ulp near powers of two; fix the exponent by direct comparison.
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  if (e < -14) {
    const m = a / 2 ** -24;
    if (!Number.isInteger(m) || m >= 1024) throw new Error(`${x} is not exactly representable in f16`);
    return sign | m;
  }
  const frac = (a / 2 ** e - 1) * 1024;
  if (e > 15 || !Number.isInteger(frac)) throw new Error(`${x} is not exactly representable in f16`);
  return sign | ((e + 15) << 10) | frac;
}

/** bfloat16 bits: the high half of the f32 bit pattern (throws if the low half is not zero, i.e. inexact). */
export function exactBf16Bits(x: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, x, false);
  if (dv.getUint16(2, false) !== 0 || (!Number.isNaN(x) && dv.getFloat32(0, false) !== x)) {
    throw new Error(`${x} is not exactly representable in bf16`);
  }
  return dv.getUint16(0, false);
}

export function encodeTensor(t: WriterTensor): Uint8Array {
  if (t.data instanceof Uint8Array) return t.data;
  const n = t.data.length;
  const out = new Uint8Array(n * BYTES[t.dtype]);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const v = t.data[i];
    switch (t.dtype) {
      case 'F32': dv.setFloat32(i * 4, v, true); break;
      case 'F16': dv.setUint16(i * 2, exactF16Bits(v), true); break;
      case 'BF16': dv.setUint16(i * 2, exactBf16Bits(v), true); break;
      case 'I64': dv.setBigInt64(i * 8, BigInt(v), true); break;
      case 'I32': dv.setInt32(i * 4, v, true); break;
      case 'U8': dv.setUint8(i, v); break;
    }
  }
  return out;
}

export interface HeaderEntry {
  name: string;
  dtype: string;
  shape: number[];
  byteLength: number;
}

/** Header bytes (JSON padded with spaces to 8 bytes, as the reference writer does) for tensors laid out in order. */
export function headerBytes(entries: HeaderEntry[], metadata?: Record<string, string>): Uint8Array {
  const obj: Record<string, unknown> = {};
  if (metadata) obj.__metadata__ = metadata;
  let offset = 0;
  for (const e of entries) {
    obj[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.byteLength] };
    offset += e.byteLength;
  }
  let json = JSON.stringify(obj);
  while ((json.length + 8) % 8 !== 0) json += ' ';
  return withLength(new TextEncoder().encode(json));
}

/** Prefixes raw header bytes with their little-endian u64 length (or a forged one). */
export function withLength(header: Uint8Array, forgedLength?: bigint): Uint8Array {
  const out = new Uint8Array(8 + header.byteLength);
  new DataView(out.buffer).setBigUint64(0, forgedLength ?? BigInt(header.byteLength), true);
  out.set(header, 8);
  return out;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** A complete safetensors file in memory. */
export function writeSafetensors(tensors: WriterTensor[], metadata?: Record<string, string>): Uint8Array {
  const data = tensors.map(encodeTensor);
  const header = headerBytes(tensors.map((t, i) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteLength: data[i].byteLength })), metadata);
  return concatBytes([header, ...data]);
}

/** A file from a raw JSON header text and raw data (for malformed headers). */
export function rawSafetensors(headerJson: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concatBytes([withLength(new TextEncoder().encode(headerJson)), data]);
}
