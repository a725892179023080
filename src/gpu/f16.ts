// Array helpers for f16 storage buffers (the *F16 kernels). The scalar conversions are the weights loader's
// (src/weights/dtypes.ts: f32 → f16 round-to-nearest-even with overflow to ±Infinity, and an exact f16 → f32 table),
// tested there against IEEE half semantics; this file only maps them over arrays, so there is one converter.
import { f16BitsToNumber, numberToF16Bits } from '../weights/dtypes.ts';

export { f16BitsToNumber, numberToF16Bits };

/** f16 bit patterns of `values` (each first rounded to f32, then to f16, ties to even). */
export function toF16Bits(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = numberToF16Bits(values[i]);
  return out;
}

/** Widens f16 bit patterns to f32 (exact). */
export function fromF16Bits(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f16BitsToNumber(bits[i]);
  return out;
}

/** The values an f16 buffer would hold: `values` rounded to f16 and widened back (what a CPU reference should use). */
export function roundToF16(values: ArrayLike<number>): Float32Array {
  return fromF16Bits(toF16Bits(values));
}
