// Chromium here runs WebGPU on SwiftShader, which has no shader-f16, so the f16 kernel cases run only in Node
// (lavapipe). What this suite checks is what the runtime does about it: the adapter says "no f16", and lowering
// the BERT graph in f32 (the dtype the runtime picks then; test/browser/pipeline.test.ts sees info.dtype 'f32')
// uses no kernel that needs shader-f16. If Chromium gains shader-f16 here the first assertion fails on purpose:
// then the f16 cases (test/kernels/f16-cases.ts) should run here too.
import { describe, expect, it } from 'vitest';
import { requestBrowserGpu } from '../../src/gpu/device.ts';
import { needsF16 } from '../../src/gpu/kernels.ts';
import { lowerOpDispatches } from '../../src/graph/lower.ts';
import { buildBertGraph } from '../../src/model/bert.ts';
import { parseBertConfig } from '../../src/model/config.ts';
import config from '../fixtures/tiny-bert/config.json';

describe('f16 kernels in Chromium (SwiftShader)', () => {
  it('the adapter reports no shader-f16, and the f32 graph uses only f32 kernels', async () => {
    const ctx = await requestBrowserGpu();
    expect(ctx.facts.hasF16).toBe(false);
    expect(ctx.device.features.has('shader-f16')).toBe(false);
    const graph = buildBertGraph(parseBertConfig(config), { B: 2, T: 16, dtype: 'f32', head: 'sequence-classification', hasPooler: true, attentionLayer: 0 });
    const stub = ctx.device.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE });
    const kernels = graph.ops.flatMap((op) => lowerOpDispatches(op, () => stub, 'f32', undefined, () => stub).map((d) => d.kernel));
    stub.destroy();
    expect(kernels.length).toBeGreaterThan(0);
    expect(kernels.filter(needsF16)).toEqual([]);
  });
});
