import { describe, expect, it } from 'vitest';
import { getTestGpu } from '../helpers/gpu.ts';

describe('Node WebGPU adapter (Dawn)', () => {
  it('finds an adapter and creates a device (a missing adapter fails, never skips)', async () => {
    const ctx = await getTestGpu();
    expect(ctx.device).toBeTruthy();
    expect(ctx.facts.description.length + ctx.facts.vendor.length).toBeGreaterThan(0);
    // Set-up installs lavapipe, which has shader-f16; CI must exercise the f16 kernels.
    if (process.env.CI) expect(ctx.facts.hasF16).toBe(true);
  });
});
