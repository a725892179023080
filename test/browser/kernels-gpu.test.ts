// The GPU-shaped kernels (shaders/gpu) in Chromium on SwiftShader: f32 storage (SwiftShader has no shader-f16), the
// subgroup variant (it has subgroups), every GEMM tile candidate, small shapes (SwiftShader is ~0.5 GFLOP/s); and that
// the f16-arithmetic kernels are neither offered nor compilable here.
import { afterEach, describe, expect, it } from 'vitest';
import { getGpuKernel } from '../../src/gpu/gpu-kernels.ts';
import type { Op } from '../../src/graph/ops.ts';
import { applicableVariants, type AdapterProfile } from '../../src/graph/variants.ts';
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

// f16 arithmetic (the …HalfF16 kernels) needs shader-f16, which SwiftShader lacks: the variant table must not offer it
// here, even with the GPU profile forced (as the tests force it on SwiftShader), and its module must not compile.
describe('f16-arithmetic kernels on this adapter (SwiftShader: no shader-f16)', () => {
  it('are not offered, and do not compile', async () => {
    const e = await getEnv();
    expect(e.hasF16, 'this test is about an adapter without shader-f16').toBe(false);
    const features = (['shader-f16', 'subgroups'] as const).filter((f) => e.device.features.has(f));
    const profile: AdapterProfile = { kind: 'gpu', features };
    const ops = [
      { kind: 'matmul', M: 128, N: 768, K: 768, xRowStep: 1, epilogue: 'none', residual: null },
      { kind: 'matmul', M: 1, N: 768, K: 768, xRowStep: 1, epilogue: 'tanh', residual: null },
      { kind: 'matmulLayernorm', M: 128, N: 768, K: 3072, eps: 1e-12 },
      { kind: 'attention', B: 1, T: 128, NH: 12, HS: 64 },
      { kind: 'attentionOutput', B: 1, T: 128, NH: 12, HS: 64 },
    ] as unknown as Op[];
    for (const op of ops) {
      const f32 = applicableVariants(op, 'f32', profile).map((c) => c.kernel);
      expect(f32.length, op.kind).toBeGreaterThan(0);
      expect(f32.filter((k) => /Half/.test(k)), op.kind).toEqual([]);
      expect(applicableVariants(op, 'f16', profile), op.kind).toEqual([]);
    }
    const { code } = getGpuKernel('gemmTiledHalf', 'f16');
    e.device.pushErrorScope('validation');
    const module = e.device.createShaderModule({ code });
    const messages = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
    await e.device.popErrorScope();
    expect(messages.length).toBeGreaterThan(0);
  });
});
