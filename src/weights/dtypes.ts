// Safetensors element types and the conversions to the two GPU storage types (f32, f16). Conversions work on aligned
// typed arrays in the platform's byte order; safetensors is little-endian, and so is every platform WebGPU ships on
// (checked once below, so a big-endian host fails loudly instead of loading garbage).

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';
export type StorageDtype = 'f32' | 'f16';

/** Bytes per element of every dtype we parse. Integer tensors are parsed (HF checkpoints carry `position_ids`) but
 * never converted to float storage. */
export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = Object.freeze({
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
});

/** Float dtypes we can convert to GPU storage. */
export const FLOAT_DTYPES: ReadonlySet<SafetensorsDtype> = new Set<SafetensorsDtype>(['F32', 'F16', 'BF16']);

export const STORAGE_BYTES: Readonly<Record<StorageDtype, number>> = Object.freeze({ f32: 4, f16: 2 });

export function isSafetensorsDtype(x: unknown): x is SafetensorsDtype {
  return typeof x === 'string' && Object.hasOwn(DTYPE_BYTES, x);
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('bertgpu weights: big-endian hosts are not supported (safetensors data is little-endian)');
}

let f16Table: Float32Array | null = null;

/** All 65 536 half-precision values as f32 (256 KiB, built on first use): exact, and faster than bit twiddling. */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const bits = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) {
      if (mant === 0) {
        bits[h] = sign;
      } else {
        // Subnormal m·2⁻²⁴: renormalise around its highest set bit k, giving 1.f·2^(k−24).
        const k = 31 - Math.clz32(mant);
        bits[h] = sign | ((k + 103) << 23) | (((mant << (10 - k)) & 0x3ff) << 13);
      }
    } else if (exp === 0x1f) {
      bits[h] = sign | 0x7f800000 | (mant << 13);
    } else {
      bits[h] = sign | ((exp + 112) << 23) | (mant << 13);
    }
  }
  f16Table = new Float32Array(bits.buffer);
  return f16Table;
}

export function f16BitsToNumber(h: number): number {
  return halfTable()[h & 0xffff];
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** f32 → f16 bits, round to nearest, ties to even; overflow gives ±Infinity, NaN stays NaN. */
export function numberToF16Bits(x: number): number {
  scratchF32[0] = x;
  const b = scratchU32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // re-biased exponent (127 → 15)
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let h = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (h & 1) === 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and may reach Infinity).
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
  return sign | h;
}

/**
 * Converts `count` elements from `src` (dtype `from`, byte offset 0, 4-byte aligned) into `dst` (storage `to`).
 * Returns the index of the first finite source value that overflowed f16, or -1.
 */
export function convertElements(from: SafetensorsDtype, to: StorageDtype, src: Uint8Array, dst: Uint8Array, count: number): number {
  if (src.byteOffset % 4 !== 0 || dst.byteOffset % 4 !== 0) throw new Error('convertElements: buffers must be 4-byte aligned');
  const srcBytes = count * DTYPE_BYTES[from];
  if ((from === 'F32' && to === 'f32') || (from === 'F16' && to === 'f16')) {
    dst.set(src.subarray(0, srcBytes));
    return -1;
  }
  if (to === 'f32') {
    const out = new Uint32Array(dst.buffer, dst.byteOffset, count);
    const inp = new Uint16Array(src.buffer, src.byteOffset, count);
    if (from === 'BF16') {
      // bfloat16 is the top half of an f32: widening is exact.
      for (let i = 0; i < count; i++) out[i] = inp[i] << 16;
    } else if (from === 'F16') {
      const table = new Uint32Array(halfTable().buffer);
      for (let i = 0; i < count; i++) out[i] = table[inp[i]];
    } else {
      throw new Error(`convertElements: cannot convert ${from} to ${to}`);
    }
    return -1;
  }
  const out = new Uint16Array(dst.buffer, dst.byteOffset, count);
  let overflow = -1;
  if (from === 'F32') {
    const inp = new Float32Array(src.buffer, src.byteOffset, count);
    for (let i = 0; i < count; i++) {
      const h = numberToF16Bits(inp[i]);
      if ((h & 0x7fff) === 0x7c00 && overflow < 0 && Number.isFinite(inp[i])) overflow = i;
      out[i] = h;
    }
  } else if (from === 'BF16') {
    const inp = new Uint16Array(src.buffer, src.byteOffset, count);
    for (let i = 0; i < count; i++) {
      scratchU32[0] = inp[i] << 16;
      const v = scratchF32[0];
      const h = numberToF16Bits(v);
      if ((h & 0x7fff) === 0x7c00 && overflow < 0 && Number.isFinite(v)) overflow = i;
      out[i] = h;
    }
  } else {
    throw new Error(`convertElements: cannot convert ${from} to ${to}`);
  }
  return overflow;
}
