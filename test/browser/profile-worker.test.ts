// pipe.profile(input) in Chromium on SwiftShader, whose adapter has timestamp-query: per-dispatch times through the
// runtime Worker (the default), and in-thread on a caller's device made without the feature, the clear error.
import { describe, expect, it } from 'vitest';
import { pipeline } from '../../src/index.ts';

const modelUrl = () => `${location.origin}/test/fixtures/tiny-bert`;

describe('pipeline.profile in Chromium (Worker)', () => {
  it('gives per-dispatch GPU times through the Worker; calls still work after', async () => {
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    // SwiftShader exposes timestamp-query (checked 2026-11: Chromium's SwiftShader adapter lists it).
    expect(adapter!.features.has('timestamp-query')).toBe(true);
    const classify = await pipeline('text-classification', modelUrl());
    try {
      const p = await classify.profile(['a short text to time', 'and another']);
      expect(p.B).toBe(2);
      expect(p.dispatches.map((d) => d.op)).toEqual(['embedding',
        // Software profile (SwiftShader), f32: each matmul + LayerNorm as matmulVec4 + layernorm.
        ...Array(2).fill(['matmul', 'attention', 'matmulLayernorm', 'matmulLayernorm', 'matmul', 'matmulLayernorm', 'matmulLayernorm']).flat(), 'matmul', 'matmul']);
      expect(p.dispatches.filter((d) => d.op === 'matmulLayernorm').map((d) => d.kernel)).toEqual(Array(4).fill(['matmulVec4', 'layernorm']).flat());
      for (const d of p.dispatches) {
        expect(Number.isFinite(d.gpuMs) && d.gpuMs >= 0).toBe(true);
        expect(d.workgroups.every((n) => n >= 1)).toBe(true);
        expect(d.workgroupSize.every((n) => n >= 1)).toBe(true);
      }
      expect(p.totals.gpuMs).toBeGreaterThan(0);
      expect(p.totals.flops).toBe(p.dispatches.reduce((a, d) => a + d.flops, 0));
      expect((await classify('still fine'))[0].label).toMatch(/negative|neutral|positive/);
    } finally {
      await classify.dispose();
    }
  });

  it('in-thread on a device made without timestamp-query: the error says how to request it', async () => {
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    const device = await adapter!.requestDevice();
    const classify = await pipeline('text-classification', modelUrl(), { worker: false, device, dtype: 'f32' });
    try {
      await expect(classify.profile('text')).rejects.toThrow(/created without timestamp-query; to profile, request it with requiredFeatures/);
      expect(await classify('text')).toHaveLength(1);
    } finally {
      await classify.dispose();
      device.destroy();
    }
  });
});
