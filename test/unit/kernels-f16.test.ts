import { afterEach, describe, expect, it } from 'vitest';
import { getTestGpu } from '../helpers/gpu.ts';
import { kernelEnv, type KernelEnv } from '../kernels/env.ts';
import { f16Cases, f16KernelsCovered } from '../kernels/f16-cases.ts';
import { f16Variant, getKernel, kernelNames, needsF16 } from '../../src/gpu/kernels.ts';
import { shaderSources } from '../../src/gpu/shaders.ts';
import { fromF16Bits, roundToF16, toF16Bits } from '../../src/gpu/f16.ts';

let env: KernelEnv | null = null;
async function getEnv(): Promise<KernelEnv> {
  env ??= kernelEnv(await getTestGpu());
  return env;
}

const overrideNames = (src: string) => [...src.matchAll(/^override\s+(\w+)/gm)].map((m) => m[1]);
// Element type of each binding in order: f32 / f16 / u32 / the uniform struct.
const bindingTypes = (src: string) =>
  [...src.matchAll(/@binding\(\d+\)\s*var(?:<[^>]*>)?\s+\w+\s*:\s*(?:array<([\w<>]+)>|(\w+))/g)].map((m) => m[1] ?? m[2]);

describe('f16 twins: same interface as the f32 kernels', () => {
  const twins = kernelNames.flatMap((name) => {
    const twin = f16Variant(name);
    return twin ? [[name, twin] as const] : [];
  });

  it('every f16 twin is registered, needs shader-f16 and is exercised by the GPU cases', () => {
    expect(twins.map(([, t]) => t).sort()).toEqual([...f16KernelsCovered].sort());
    for (const [f32, f16] of twins) {
      expect(needsF16(f16)).toBe(true);
      expect(needsF16(f32)).toBe(false);
    }
    expect(f16Variant('matmulNaive')).toBeNull();
  });

  for (const [f32, f16] of [
    ['matmul', 'matmulF16'], ['matmulLayernorm', 'matmulLayernormF16'], ['layernorm', 'layernormF16'],
    ['attention', 'attentionF16'], ['embedding', 'embeddingF16'], ['gelu', 'geluF16'], ['softmax', 'softmaxF16'],
    ['matmulVec4', 'matmulVec4F16'],
  ] as const) {
    it(`${f16} has ${f32}'s bindings, Params and overrides; f32 storage becomes f16, u32 stays`, () => {
      const a = getKernel(f32).iface;
      const b = getKernel(f16).iface;
      expect(b.bindings).toEqual(a.bindings);
      expect(b.params).toEqual(a.params);
      expect(b.paramsSize).toBe(a.paramsSize);
      expect(overrideNames(shaderSources[f16])).toEqual(overrideNames(shaderSources[f32]));
      expect(bindingTypes(shaderSources[f16])).toEqual(bindingTypes(shaderSources[f32]).map((t) => t.replace('f32', 'f16')));
      expect(shaderSources[f16].split('\n')[0]).toBe('enable f16;');
    });
  }
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
