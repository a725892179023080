// The public API in Chromium: pipeline() from the page runs the runtime in a module Worker (the default), loading the
// tiny fixture over HTTP from the test server. Results vs the fp64 PyTorch references.
import { describe, expect, it } from 'vitest';
import { pipeline } from '../../src/index.ts';
import { softmax } from '../../src/model/heads.ts';
import { expectClose } from '../helpers/validate.ts';
import reference from '../fixtures/tiny-bert/reference.json';

interface RefCase { name: string; text: string[]; textPair?: string[]; attentionMask: number[][]; logits: { data: number[] }; lastHiddenState: { data: number[] } }
const cases = (reference as unknown as { cases: RefCase[] }).cases.filter((c) => c.text.length === 1);
const labels = ['negative', 'neutral', 'positive'];
const modelUrl = () => `${location.origin}/test/fixtures/tiny-bert`;
const input = (c: RefCase) => (c.textPair ? { text: c.text[0], textPair: c.textPair[0] } : c.text[0]);

describe('pipeline in Chromium (Worker)', () => {
  it('text-classification matches PyTorch on every input; 200 concurrent calls batch; dispose', async () => {
    const progress: number[] = [];
    const classify = await pipeline('text-classification', modelUrl(), { onProgress: (p) => progress.push(p.loadedBytes / p.totalBytes) });
    try {
      expect(classify.info.dtype).toBe('f32'); // SwiftShader has no shader-f16
      expect(progress.at(-1)).toBe(1);
      for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);
      for (const c of cases) {
        const r = await classify(input(c), { topK: null });
        expectClose(c.name, labels.map((l) => r.find((x) => x.label === l)!.score), softmax(c.logits.data), { atol: 1e-4, rtol: 0 });
      }
      const ins = await classify.inspect(cases[0].text[0], { layer: 0 });
      const T = ins.tokens.length;
      expect(ins.attentions.length).toBe(ins.numHeads * T * T);
      expect(ins.attentions.subarray(0, T).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      const before = await classify.stats();
      const calls = Array.from({ length: 200 }, (_, i) => cases[i % cases.length]);
      const results = await Promise.all(calls.map((c) => classify(input(c), { topK: null })));
      results.forEach((r, i) => expectClose(`call ${i}`, labels.map((l) => r.find((x) => x.label === l)!.score), softmax(calls[i].logits.data), { atol: 1e-4, rtol: 0 }));
      const after = await classify.stats();
      expect(after.calls - before.calls).toBe(200);
      expect(after.forwards - before.forwards).toBeLessThan(200);
      // 800 more (1 000 in all): every live buffer is a weight or belongs to one of at most 8 cached plans.
      for (let wave = 0; wave < 8; wave++) {
        await Promise.all(Array.from({ length: 100 }, (_, j) => classify(input(cases[(wave + j) % cases.length]))));
        const s = await classify.stats();
        expect(s.weightBuffers).toBe(after.weightBuffers);
        expect(s.plans).toBeLessThanOrEqual(8);
        expect(s.liveBuffers).toBe(s.weightBuffers + s.planBuffers);
      }
    } finally {
      await classify.dispose();
    }
    await expect(classify('hello')).rejects.toThrow(/disposed/);
    const again = await pipeline('text-classification', modelUrl());
    expect((await again('hello'))[0].label).toMatch(/negative|neutral|positive/);
    await again.dispose();
  });

  it('feature-extraction mean pooling matches PyTorch', async () => {
    const extract = await pipeline('feature-extraction', modelUrl());
    try {
      const c = cases.find((x) => x.name === 'single')!;
      const C = 64;
      const n = c.attentionMask[0].reduce((a, b) => a + b, 0);
      const mean = Array.from({ length: C }, (_, j) => {
        let s = 0;
        for (let t = 0; t < n; t++) s += c.lastHiddenState.data[t * C + j];
        return s / n;
      });
      const out = await extract(c.text[0], { pooling: 'mean' });
      expect(out.dims).toEqual([1, C]);
      expectClose('mean', out.data, mean, { atol: 1e-4, rtol: 0 });
    } finally {
      await extract.dispose();
    }
  });

  it('bad input rejects with clear errors, and the Worker keeps serving', async () => {
    const classify = await pipeline('text-classification', modelUrl());
    try {
      await expect(classify(42 as unknown as string)).rejects.toThrow(TypeError);
      await expect(classify(null as unknown as string)).rejects.toThrow(/null/);
      await expect(classify([] as string[])).rejects.toThrow(/empty array/);
      await expect(classify('x', 5 as unknown as object)).rejects.toThrow(/options of text-classification must be an object, got number/);
      const controller = new AbortController();
      controller.abort();
      await expect(classify('x', { signal: controller.signal })).rejects.toThrow(/abort/i);
      const r = await classify('word '.repeat(200_000));
      expect(r[0].score).toBeGreaterThan(0);
    } finally {
      await classify.dispose();
    }
    await expect(pipeline('nope' as 'text-classification', modelUrl())).rejects.toThrow(/unknown task/);
    await expect(pipeline('text-classification', `${location.origin}/no/such/model`)).rejects.toThrow(/config\.json/);
  });
});
