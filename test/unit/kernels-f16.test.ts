import { afterEach, describe, expect, it } from 'vitest';
import { getTestGpu } from '../helpers/gpu.ts';
import { kernelEnv, type KernelEnv } from '../kernels/env.ts';
import { f16Cases, f16KernelsCovered } from '../kernels/f16-cases.ts';
import { f16Variant, getKernel, isGpuKernel, kernelNames, needsF16, shaderPrelude } from '../../src/gpu/kernels.ts';
import { shaderSources } from '../../src/gpu/shaders.ts';
import { fromF16Bits, roundToF16, toF16Bits } from '../../src/gpu/f16.ts';

let env: KernelEnv | null = null;
async function getEnv(): Promise<KernelEnv> {
  env ??= kernelEnv(await getTestGpu());
  return env;
}

// Element type of each storage binding of a family source: elem / elem4 / u32 / a fixed f32.
const stripComments = (src: string) => src.replace(/\/\/[^\n]*/g, '');
const bindingTypes = (src: string) =>
  [...src.matchAll(/@binding\(\d+\)\s*var<storage[^>]*>\s+(\w+)\s*:\s*array<([\w<>]+)>/g)].map((m) => [m[1], m[2]] as const);

describe('f16 kernels: one source per family, the storage type from the prelude', () => {
  // The GPU-shaped kernels (shaders/gpu) have their own checks, f16 included, in kernels-gpu.test.ts.
  const pairs = kernelNames.filter((name) => !isGpuKernel(name)).flatMap((name) => {
    const twin = f16Variant(name);
    return twin ? [[name, twin] as const] : [];
  });

  it('every f16 kernel is registered, needs shader-f16 and is exercised by the GPU cases', () => {
    expect(pairs.map(([, t]) => t).sort()).toEqual([...f16KernelsCovered].sort());
    expect(kernelNames.filter((k) => needsF16(k) && !isGpuKernel(k)).sort()).toEqual([...f16KernelsCovered].sort());
    for (const [f32, f16] of pairs) {
      expect(needsF16(f16)).toBe(true);
      expect(needsF16(f32)).toBe(false);
    }
    expect(f16Variant('matmulNaive')).toBeNull();
  });

  for (const [f32, f16] of [
    ['matmul', 'matmulF16'], ['matmulVec4', 'matmulVec4F16'], ['matmulLayernorm', 'matmulLayernormF16'],
    ['layernorm', 'layernormF16'], ['attention', 'attentionF16'], ['attentionProbs', 'attentionProbsF16'],
    ['embedding', 'embeddingF16'],
  ] as const) {
    it(`${f16} is ${f32}'s source under the f16 prelude: same bindings, Params and overrides`, () => {
      const a = getKernel(f32);
      const b = getKernel(f16);
      expect(b.family).toBe(a.family);
      expect(b.iface).toEqual(a.iface);
      expect(b.code.split('\n')[0]).toBe('enable f16;');
      expect(stripComments(a.code)).not.toMatch(/\bf16\b/);
      expect(b.code.replace(shaderPrelude('f16'), '')).toBe(a.code.replace(shaderPrelude('f32'), ''));
    });
  }

  it('no family source names a storage type of its own: floats are elem / elem4, integers u32', () => {
    for (const [family, src] of Object.entries(shaderSources)) {
      expect(stripComments(src), family).not.toMatch(/\bf16\b/);
      for (const [name, type] of bindingTypes(src)) {
        // The probabilities of attentionProbs are f32 whatever the model's storage (a debug output read by the CPU).
        const allowed = family === 'attentionProbs' && name === 'probs' ? ['f32'] : ['elem', 'elem4', 'u32'];
        expect(allowed, `${family}.${name}: array<${type}>`).toContain(type);
      }
    }
  });
});

describe('f32 ↔ f16 conversion (src/gpu/f16.ts)', () => {
  it('rounds to nearest even, keeps specials, and round-trips every f16 value', () => {
    expect(Array.from(roundToF16([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65520, -0, 2 ** -25, 3 * 2 ** -26, Infinity])))
      .toEqual([1, 1 + 2 ** -9, 65504, Infinity, -0, 0, 2 ** -24, Infinity]);
    expect(Number.isNaN(roundToF16([NaN])[0])).toBe(true);
    const all = Uint16Array.from({ length: 0x10000 }, (_, i) => i).filter((h) => (h & 0x7c00) !== 0x7c00 || (h & 0x3ff) === 0);
    expect(toF16Bits(fromF16Bits(all))).toEqual(all);
  });
});

describe('f16 kernels vs float64 CPU reference (Dawn)', () => {
  afterEach(() => env?.buffers.destroyAll());
  // lavapipe (what set-up installs) has shader-f16: a missing feature fails every case, never skips it.
  for (const c of f16Cases) {
    it(c.name, async () => {
      const e = await getEnv();
      if (!e.hasF16) throw new Error('f16 kernels cannot run: the WebGPU adapter lacks shader-f16 (lavapipe has it: run `npm run setup`)');
      await c.run(e);
    });
  }
});
