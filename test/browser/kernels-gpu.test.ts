// The GPU-shaped kernels (shaders/gpu) in Chromium on SwiftShader: f32 storage (SwiftShader has no shader-f16), the
// subgroup variant (it has subgroups), every GEMM tile candidate, small shapes (SwiftShader is ~0.5 GFLOP/s).
import { afterEach, describe, it } from 'vitest';
import { browserGpuCases, gpuKernelEnv, type GpuKernelEnv } from '../kernels/gpu-cases.ts';

let env: Promise<GpuKernelEnv> | null = null;
function getEnv(): Promise<GpuKernelEnv> {
  env ??= (async () => {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) throw new Error('no WebGPU adapter in this Chromium');
    return gpuKernelEnv(adapter);
  })();
  return env;
}

describe('GPU kernels vs float64 CPU reference (Chromium WebGPU)', () => {
  afterEach(async () => (await env)?.buffers.destroyAll());
  for (const c of browserGpuCases()) {
    it(c.name, async () => {
      const e = await getEnv();
      if (c.kernel === 'gemmNarrowSubgroup' && !e.hasSubgroups) throw new Error('this Chromium adapter lacks subgroups');
      await c.run(e);
    });
  }
});
