import { afterEach, describe, expect, it } from 'vitest';
import { getTestGpu } from '../helpers/gpu.ts';
import { kernelEnv, type KernelEnv } from '../kernels/env.ts';
import { variantCases } from '../kernels/variant-cases.ts';
import { f32Cases } from '../kernels/f32-cases.ts';
import { f16Cases } from '../kernels/f16-cases.ts';
import { blockCases } from '../kernels/block-cases.ts';
import { getKernel, kernelNames } from '../../src/gpu/kernels.ts';
import { getGpuKernel, type GpuKernelName } from '../../src/gpu/gpu-kernels.ts';
import { nodeGpuCases } from '../kernels/gpu-cases.ts';

let env: KernelEnv | null = null;
async function getEnv(): Promise<KernelEnv> {
  env ??= kernelEnv(await getTestGpu());
  return env;
}

const overrides = (code: string) => [...code.matchAll(/^override\s+(\w+)/gm)].map((m) => m[1]).sort();

describe('kernel variants', () => {
  it('vec4 variants have their scalar kernel\'s bindings and Params (so the variant table can swap them)', () => {
    for (const [scalar, vec4] of [['matmul', 'matmulVec4'], ['matmulF16', 'matmulVec4F16'], ['attention', 'attentionVec4'],
      ['matmulLayernorm', 'matmulLayernormVec4']] as const) {
      expect(getKernel(vec4).iface, vec4).toEqual(getKernel(scalar).iface);
    }
    expect(overrides(getKernel('matmulVec4').code)).toEqual(overrides(getKernel('matmul').code));
    expect(overrides(getKernel('matmul').code)).toEqual(['TILE_COLS_T', 'TILE_ROWS_T']);
  });

  it('every registered kernel is checked against the CPU reference by some GPU case', () => {
    const names = [...f32Cases, ...variantCases, ...f16Cases, ...blockCases].map((c) => c.name.split(' ')[0]);
    // The GPU-profile kernels have their own cases (test/unit/kernels-gpu.test.ts), by family and storage.
    // A case named "a+b" runs both kernels (gemmTiledPartial then layernormRow).
    for (const c of nodeGpuCases()) {
      for (const part of c.name.split(' ')[0].split('+')) names.push(getGpuKernel(part as GpuKernelName, c.storage).name);
    }
    expect(kernelNames.filter((k) => !names.includes(k))).toEqual([]);
  });
});

describe('f32 matmul variants vs float64 CPU reference (Dawn)', () => {
  afterEach(() => env?.buffers.destroyAll());
  for (const c of variantCases) it(c.name, async () => c.run(await getEnv()));
});
