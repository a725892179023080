// Cold start: the kernels' pipelines start compiling as the weights start streaming (config and headers checked), and
// the first call then compiles nothing new; batch sizes share plans through power-of-two buckets.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requestNodeGpu } from '../../src/gpu/node-gpu.ts';
import { batchBucket, padRows } from '../../src/model/batch-shape.ts';
import { pipeline } from '../../src/node.ts';
import { fixturesDir } from '../model/fixture.ts';

const tiny = join(fixturesDir, 'tiny-bert');

describe('cold start', () => {
  it('shader modules and pipelines are requested as the weights start streaming (by the first progress event); the first calls compile nothing new', async () => {
    // The GPU instance is held to the end: Dawn tears it down (and crashes pending work) once it is collected.
    const { gpu, adapter } = await requestNodeGpu();
    const device = await adapter.requestDevice({ label: 'cold-start' });
    const counts = { modules: 0, pipelines: 0 };
    const createModule = device.createShaderModule.bind(device);
    const createPipeline = device.createComputePipelineAsync.bind(device);
    device.createShaderModule = (d) => { counts.modules++; return createModule(d); };
    device.createComputePipelineAsync = (d) => { counts.pipelines++; return createPipeline(d); };
    let atFirstProgress: number | null = null;
    const classify = await pipeline('text-classification', tiny, {
      dtype: 'f32', device, onProgress: () => { atFirstProgress ??= counts.modules; },
    });
    try {
      // Every kernel of the model (embedding, matmul, attention, matmul+LayerNorm) is compiling before any weight.
      expect(atFirstProgress).toBeGreaterThanOrEqual(4);
      await new Promise((r) => setTimeout(r, 0));
      const before = { ...counts };
      expect(before.pipelines).toBeGreaterThanOrEqual(4);
      await classify('a first call, of some length');
      await classify(['and a batch', 'of two']);
      expect(counts).toEqual(before);
    } finally {
      await classify.dispose();
      device.destroy();
      expect(gpu).toBeTruthy();
    }
  });

  it('batches of 3 and 4 sequences share one plan; results equal the sequences run one by one', async () => {
    const classify = await pipeline('text-classification', tiny, { dtype: 'f32' });
    try {
      const texts = ['first text here', 'second text here', 'third text here', 'fourth text here'];
      const three = await classify(texts.slice(0, 3), { topK: null });
      const four = await classify(texts, { topK: null });
      expect((await classify.stats()).plans).toBe(1);
      for (let i = 0; i < 3; i++) {
        const alone = await classify(texts[i], { topK: null });
        for (const row of [three[i], four[i]]) {
          for (const { label, score } of alone) expect(row.find((r) => r.label === label)!.score).toBeCloseTo(score, 5);
        }
      }
    } finally {
      await classify.dispose();
    }
  });

  it('batchBucket: powers of two up to 8, then multiples of 8, never below B, capped by the device limit; spare rows repeat row 0', () => {
    expect([1, 2, 3, 4, 5, 8, 9, 16, 17, 31, 32, 33].map((b) => batchBucket(b))).toEqual([1, 2, 4, 4, 8, 8, 16, 16, 24, 32, 32, 40]);
    expect(batchBucket(5, 6)).toBe(6);
    expect(batchBucket(7, 5)).toBe(7);
    // B=2, T=2 → Bb=4, Tb=3: rows padded with 0 on the right; rows 2 and 3 copy row 0.
    expect(Array.from(padRows([1, 2, 3, 4], 2, 2, 4, 3, 0))).toEqual([1, 2, 0, 3, 4, 0, 1, 2, 0, 1, 2, 0]);
  });
});
