// transformers.js's option names and call shapes on bertgpu: unknown options are TypeErrors that name the key (and
// the right spelling), device/dtype names, progress_callback's events, text_pair, and the Tensor output's methods.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pipeline, Tensor, cos_sim, dot, magnitude } from '../../src/node.ts';
import { fixturesDir } from '../model/fixture.ts';

const tiny = join(fixturesDir, 'tiny-bert');

describe('transformers.js options on bertgpu', async () => {
  const events: Array<Record<string, unknown>> = [];
  const classify = await pipeline('sentiment-analysis', tiny, { dtype: 'fp32', device: 'webgpu', progress_callback: (e) => events.push({ ...e }) });
  afterAll(() => classify.dispose());

  it('progress_callback gets initiate, download, progress (file, progress, loaded, total), done, then ready', () => {
    const statuses = events.map((e) => e.status);
    expect(statuses.slice(0, 2)).toEqual(['initiate', 'download']);
    expect(statuses.at(-2)).toBe('done');
    expect(events.at(-1)).toEqual({ status: 'ready', task: 'sentiment-analysis', model: tiny });
    const progress = events.filter((e) => e.status === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    for (const e of progress) expect(Object.keys(e).sort()).toEqual(['file', 'loaded', 'name', 'progress', 'status', 'total']);
    expect(progress.at(-1)).toMatchObject({ file: 'model.safetensors', progress: 100 });
    expect(classify.info.task).toBe('text-classification');
  });

  it('an unknown option is a TypeError naming it and the right spelling', async () => {
    await expect(classify('hi', { topk: 2 } as never)).rejects.toThrow(/unknown option 'topk' for text-classification; did you mean 'top_k'\?/);
    await expect(classify('hi', { topk: 2 } as never)).rejects.toThrow(TypeError);
    await expect(classify('hi', { pooling: 'mean' } as never)).rejects.toThrow(/unknown option 'pooling'/);
    await expect(classify('hi', { top_k: 2, topK: 2 })).rejects.toThrow(/'topK' and 'top_k'|'top_k' and 'topK'/);
    await expect(pipeline('text-classification', tiny, { dtyp: 'fp32' } as never)).rejects.toThrow(/unknown option 'dtyp' for pipeline\(\); did you mean 'dtype'\?/);
    await expect(pipeline('text-classification', tiny, { revision: 'main' } as never)).rejects.toThrow(/'revision' is not supported.*org\/name@revision/);
  });

  it("an unknown device and quantized dtypes are refused clearly; camelCase spellings stay", async () => {
    // 'wasm' and 'cpu' run on the CPU backend (cpu-backend-pipeline.test.ts).
    await expect(pipeline('text-classification', tiny, { device: 'npu' as never })).rejects.toThrow(/device must be 'auto', 'gpu', 'cpu'/);
    await expect(pipeline('text-classification', tiny, { dtype: 'q8' as never })).rejects.toThrow(/no quantized weights/);
    expect(await classify('hi', { topK: 2 })).toEqual(await classify('hi', { top_k: 2 }));
  });

  it('text_pair (HF) and textPair give the same pair encoding; both at once is an error', async () => {
    const a = await classify({ text: 'a man eats', text_pair: 'someone eats' }, { top_k: null });
    const b = await classify({ text: 'a man eats', textPair: 'someone eats' }, { top_k: null });
    const single = await classify('a man eats', { top_k: null });
    expect(a).toEqual(b);
    expect(a).not.toEqual(single);
    await expect(classify({ text: 'a', text_pair: 'b', textPair: 'c' } as never)).rejects.toThrow(/text_pair or textPair/);
  });
});

describe('Tensor and similarity helpers', () => {
  const t = new Tensor(Float32Array.from([3, 4, 0, 5]), [2, 2]);
  it('tolist, size, type, normalize, mean', () => {
    expect(t.tolist()).toEqual([[3, 4], [0, 5]]);
    expect([t.size, t.type]).toEqual([4, 'float32']);
    expect(t.normalize().tolist()).toEqual([[0.6000000238418579, 0.800000011920929], [0, 1]]);
    expect(t.mean(0).tolist()).toEqual([1.5, 4.5]);
    expect(t.mean(1, true).dims).toEqual([2, 1]);
    expect(() => new Tensor(new Float32Array(3), [2, 2])).toThrow(/hold 4 values, data has 3/);
  });
  it('cos_sim, dot, magnitude; mismatched lengths are an error', () => {
    expect(dot([1, 2], [3, 4])).toBe(11);
    expect(magnitude([3, 4])).toBe(5);
    expect(cos_sim([1, 0], [0, 1])).toBe(0);
    expect(cos_sim([1, 2], [2, 4])).toBeCloseTo(1, 12);
    expect(() => cos_sim([1], [1, 2])).toThrow(/different lengths \(1 and 2\)/);
  });
});
