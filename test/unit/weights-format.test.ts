// Safetensors parsing and dtype conversion on the CPU path: values written by the independent test writer must come
// back exactly, and f32→f16 rounding must match a nearest-representable search over the f16 values decoded from
// their IEEE definition (not from the loader's table).
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/weights/cpu-reader.ts';
import { convertElements, f16BitsToNumber, numberToF16Bits } from '../../src/weights/dtypes.ts';
import { parseHeader } from '../../src/weights/safetensors.ts';
import { bytesSource } from '../../src/weights/source.ts';
import { readSafetensorsHeader } from '../../src/weights/stream.ts';
import { exactF16Bits, writeSafetensors } from '../helpers/safetensors-writer.ts';
import { seededRandom } from '../helpers/validate.ts';

/** f16 value from its bit fields, straight from IEEE 754 (normal, subnormal, inf, nan). */
function ieeeHalf(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const HALF_EDGE_VALUES = [0, -0, 1, -1, 0.5, 1 / 1024, 65504, -65504, 2 ** -24, -(2 ** -24), 2 ** -14, 3 * 2 ** -24, 1023 * 2 ** -24, 0.0999755859375, 1.5, 2048, 2047];

describe('dtype conversion', () => {
  it('decodes every f16 bit pattern like the IEEE definition', () => {
    for (let h = 0; h < 65536; h++) {
      const want = ieeeHalf(h);
      const got = f16BitsToNumber(h);
      if (!(Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)))) throw new Error(`f16 0x${h.toString(16)}: got ${got}, want ${want}`);
    }
  });

  it('rounds f32 to the nearest f16, ties to even, overflow to infinity', () => {
    const finite: number[] = [];
    for (let h = 0; h < 0x7c00; h++) finite.push(ieeeHalf(h));
    const nearest = (x: number): number => {
      const a = Math.abs(x);
      if (a >= 65520) return Math.sign(x) * Infinity; // 65504 + half an ulp (16) rounds up to infinity
      let lo = 0;
      let hi = finite.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (finite[mid] <= a) lo = mid; else hi = mid;
      }
      const dLo = a - finite[lo];
      const dHi = finite[hi] - a;
      const pick = dLo < dHi ? lo : dHi < dLo ? hi : (lo % 2 === 0 ? lo : hi);
      const v = a === finite[hi] ? finite[hi] : finite[pick];
      return x < 0 || Object.is(x, -0) ? -v : v;
    };
    const rand = seededRandom(7);
    const xs = [...HALF_EDGE_VALUES, 65519.99, 65520, 1e6, 2 ** -25, 2 ** -25 * 1.0001, 3 * 2 ** -25, 1 + 2 ** -11, 1 + 3 * 2 ** -11];
    for (let i = 0; i < 20000; i++) xs.push(Math.fround((rand() * 2 - 1) * 2 ** Math.floor(rand() * 40 - 26)));
    for (const x0 of xs) {
      const x = Math.fround(x0);
      const got = ieeeHalf(numberToF16Bits(x));
      const want = nearest(x);
      if (!Object.is(got, want)) throw new Error(`f32 ${x} → f16 ${got}, want ${want}`);
    }
  });

  it('flags the first f32 element that overflows f16 storage', () => {
    const src = new Float32Array([1, 2, 70000, -1e9]);
    const dst = new Uint8Array(8);
    expect(convertElements('F32', 'f16', new Uint8Array(src.buffer), dst, 4)).toBe(2);
    expect(convertElements('F32', 'f16', new Uint8Array(new Float32Array([1, Infinity]).buffer), dst, 2)).toBe(-1);
  });
});

describe('safetensors reader (CPU)', () => {
  const f32 = [1.5, -2.25, 3.1415927410125732, 1e-30, -0, 123456.7890625];
  const half = HALF_EDGE_VALUES;
  const bf16 = [1, -2, 0.5, 3.140625, 1e10 - 1e10 + 65536, -1.1754943508222875e-38, 3.3895313892515355e38, 2 ** -133];

  it('reads F32, F16 and BF16 exactly and keeps metadata, integer tensors skipped', async () => {
    const file = writeSafetensors([
      { name: 'a', dtype: 'F32', shape: [2, 3], data: f32 },
      { name: 'h', dtype: 'F16', shape: [half.length], data: half },
      { name: 'b', dtype: 'BF16', shape: [2, 4], data: bf16 },
      { name: 'position_ids', dtype: 'I64', shape: [1, 4], data: [0, 1, 2, 3] },
      { name: 'empty', dtype: 'F32', shape: [0, 3], data: [] },
    ], { format: 'pt' });
    // 7-byte chunks split elements and the header across chunks.
    const { tensors, header } = await readSafetensors(bytesSource('mixed.safetensors', file, 7));
    expect(header.metadata.get('format')).toBe('pt');
    expect([...tensors.keys()].sort()).toEqual(['a', 'b', 'empty', 'h']);
    expect(Array.from(tensors.get('a')!.data)).toEqual(f32.map(Math.fround));
    expect(tensors.get('a')!.shape).toEqual([2, 3]);
    expect(Array.from(tensors.get('h')!.data)).toEqual(half);
    expect(Array.from(tensors.get('b')!.data)).toEqual(bf16);
    expect(tensors.get('b')!.sourceDtype).toBe('BF16');
    expect(tensors.get('empty')!.data.length).toBe(0);
  });

  it('converts across staging blocks (tensor larger than the block)', async () => {
    const n = 1000;
    const values = Array.from({ length: n }, (_, i) => (i - 500) / 64);
    for (const v of values) exactF16Bits(v);
    const file = writeSafetensors([{ name: 'big', dtype: 'F16', shape: [10, 100], data: values }]);
    const { tensors } = await readSafetensors(bytesSource('big.safetensors', file, 333), { blockBytes: 64 });
    expect(Array.from(tensors.get('big')!.data)).toEqual(values);
  });

  it('reads only the header with two small reads', async () => {
    const file = writeSafetensors([{ name: 'x', dtype: 'F32', shape: [4], data: [1, 2, 3, 4] }]);
    const header = await readSafetensorsHeader(bytesSource('x.safetensors', file));
    expect(header.tensors.map((t) => [t.name, t.dtype, t.shape, t.begin, t.end])).toEqual([['x', 'F32', [4], 0, 16]]);
    expect(header.dataStart + header.dataLength).toBe(file.byteLength);
  });

  it('keeps hostile names out of Object.prototype', () => {
    const json = '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    expect(() => parseHeader('p.safetensors', new TextEncoder().encode(json), 8 + json.length + 4)).toThrow(/forbidden key "__proto__"/);
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
  });
});
