// Chromium here runs WebGPU on SwiftShader, which has no shader-f16, so the f16 kernel cases run only in Node
// (lavapipe). What this suite can check honestly is the selection: the adapter says "no f16" and every kernel
// resolves to its f32 form. If Chromium gains shader-f16 on this machine the first assertion fails on purpose:
// then the f16 cases (test/kernels/f16-cases.ts) should run here too.
import { describe, expect, it } from 'vitest';
import { requestBrowserGpu } from '../../src/gpu/device.ts';
import { kernelNames, needsF16, selectKernel } from '../../src/gpu/kernels.ts';

describe('f16 kernels in Chromium (SwiftShader)', () => {
  it('the adapter reports no shader-f16, so only f32 kernels are selected', async () => {
    const ctx = await requestBrowserGpu();
    expect(ctx.facts.hasF16).toBe(false);
    expect(ctx.device.features.has('shader-f16')).toBe(false);
    const chosen = kernelNames.filter((n) => !needsF16(n)).map((n) => selectKernel(n, ctx.facts.hasF16));
    expect(chosen.filter(needsF16)).toEqual([]);
  });
});
