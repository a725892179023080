import { describe, expect, it } from 'vitest';
import { requestBrowserGpu } from '../../src/gpu/device.ts';

describe('Chromium WebGPU adapter', () => {
  it('finds an adapter and creates a device (a missing adapter fails, never skips)', async () => {
    const ctx = await requestBrowserGpu();
    expect(ctx.device).toBeTruthy();
  });
});
