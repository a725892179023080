import { afterEach, describe, expect, it } from 'vitest';
import { getTestGpu } from '../helpers/gpu.ts';
import { kernelEnv, type KernelEnv } from '../kernels/env.ts';
import { variantCases } from '../kernels/variant-cases.ts';
import { getKernel } from '../../src/gpu/kernels.ts';
import { shaderSources } from '../../src/gpu/shaders.ts';

let env: KernelEnv | null = null;
async function getEnv(): Promise<KernelEnv> {
  env ??= kernelEnv(await getTestGpu());
  return env;
}

describe('matmul variants', () => {
  it('matmulVec4 has matmul\'s bindings, Params and overrides (so the executor can swap them)', () => {
    expect(getKernel('matmulVec4').iface).toEqual(getKernel('matmul').iface);
    const overrides = (src: string) => [...src.matchAll(/^override\s+(\w+)/gm)].map((m) => m[1]);
    expect(overrides(shaderSources.matmulVec4)).toEqual(overrides(shaderSources.matmul));
  });
});

describe('f32 matmul variants vs float64 CPU reference (Dawn)', () => {
  afterEach(() => env?.buffers.destroyAll());
  for (const c of variantCases) it(c.name, async () => c.run(await getEnv()));
});
