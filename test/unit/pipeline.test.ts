// The public API in Node ('bertgpu/node'): results vs the fp64 PyTorch references, micro-batching, dispose, device
// loss and bad input. GPU memory over many calls: soak-pipeline.test.ts.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pipeline } from '../../src/node.ts';
import { softmax } from '../../src/model/heads.ts';
import { expectClose } from '../helpers/validate.ts';
import { fixturesDir, readReference, validRows } from '../model/fixture.ts';

const tiny = join(fixturesDir, 'tiny-bert');
const ref = readReference('tiny-bert');
const singles = ref.cases.filter((c) => c.text.length === 1);
const labels = ['negative', 'neutral', 'positive'];
const input = (c: (typeof singles)[number]) => (c.textPair ? { text: c.text[0], textPair: c.textPair[0] } : c.text[0]);

describe('text-classification pipeline (Node)', async () => {
  const classify = await pipeline('text-classification', tiny, { dtype: 'f32' });
  afterAll(() => classify.dispose());

  it('scores equal softmax of the PyTorch logits for every input, single and batched', async () => {
    const batched = await classify(singles.map(input), { topK: null });
    for (const [i, c] of singles.entries()) {
      const want = softmax(c.logits.data);
      const one = await classify(input(c), { topK: null });
      for (const result of [one, batched[i]]) {
        expect(result).toHaveLength(3);
        const got = labels.map((l) => result.find((r) => r.label === l)!.score);
        expectClose(c.name, got, want, { atol: 1e-4, rtol: 0 });
        expect(result[0].score).toBe(Math.max(...got));
      }
    }
    expect(await classify(singles[0].text[0])).toHaveLength(1); // topK defaults to 1, as transformers.js
  });

  it('loss() equals PyTorch loss for labelled inputs', async () => {
    for (const c of ref.cases.filter((x) => x.loss !== undefined)) {
      const inputs = c.text.map((t, i) => (c.textPair ? { text: t, textPair: c.textPair[i] } : t));
      expect(Math.abs((await classify.loss(inputs, c.labels as number[])) - c.loss!)).toBeLessThan(1e-4);
    }
  });

  it('200 concurrent calls each get their own result, in fewer forwards than calls', async () => {
    const before = await classify.stats();
    const inputs = Array.from({ length: 200 }, (_, i) => singles[i % singles.length]);
    const results = await Promise.all(inputs.map((c) => classify(input(c), { topK: null })));
    const after = await classify.stats();
    results.forEach((r, i) => {
      const want = softmax(inputs[i].logits.data);
      expectClose(`call ${i}`, labels.map((l) => r.find((x) => x.label === l)!.score), want, { atol: 1e-4, rtol: 0 });
    });
    expect(after.calls - before.calls).toBe(200);
    expect(after.forwards - before.forwards).toBeLessThan(200);
  });

  it('rejects bad input with clear errors', async () => {
    await expect(classify(42 as unknown as string)).rejects.toThrow(TypeError);
    await expect(classify(42 as unknown as string)).rejects.toThrow(/inputs must be a string/);
    await expect(classify(null as unknown as string)).rejects.toThrow(/got null/);
    await expect(classify([] as string[])).rejects.toThrow(/empty array/);
    await expect(classify({ text: 'a', textPair: 5 } as unknown as string)).rejects.toThrow(/textPair must be a string/);
    await expect(classify('x', { topK: 0 })).rejects.toThrow(/topK must be a positive integer/);
    await expect(classify('x', { top_k: 0 })).rejects.toThrow(/top_k must be a positive integer/);
    const aborted = AbortSignal.abort();
    await expect(classify('x', { signal: aborted })).rejects.toThrow(/abort/i);
    const huge = 'word '.repeat(200_000); // 1 MB
    const r = await classify(huge);
    expect(r[0].score).toBeGreaterThan(0);
  });

  it('inspect(): the tokens the HF tokenizer gives, attention rows that are distributions, scores, timings', async () => {
    const c = singles.find((x) => x.name === 'single')! as (typeof singles)[number] & { tokens: string[][] };
    for (const layer of [0, 1]) {
      const r = await classify.inspect(c.text[0], { layer });
      expect(r.tokens).toEqual(c.tokens[0]);
      const T = r.tokens.length;
      expect(r.attentions.length).toBe(r.numHeads * T * T);
      for (let row = 0; row < r.numHeads * T; row++) {
        const sum = r.attentions.subarray(row * T, (row + 1) * T).reduce((a, b) => a + b, 0);
        expect(sum).toBeCloseTo(1, 5);
      }
      expectClose('inspect scores', labels.map((l) => r.scores.find((x) => x.label === l)!.score), softmax(c.logits.data), { atol: 1e-4, rtol: 0 });
      expect(r.timings.totalMs).toBeGreaterThanOrEqual(r.timings.gpuMs);
    }
    await expect(classify.inspect('x', { layer: 2 })).rejects.toThrow(RangeError);
    await expect(classify.inspect(['a', 'b'] as unknown as string)).rejects.toThrow(/one input/);
  });

  it('a signal shared by many calls keeps no listener once they are done', async () => {
    const { getEventListeners } = (await import('node:events')) as unknown as { getEventListeners(t: EventTarget, type: string): unknown[] };
    const shared = new AbortController();
    await Promise.all(Array.from({ length: 20 }, () => classify('hello', { signal: shared.signal })));
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });

  it('long inputs: windows average the logits of overlapping windows', async () => {
    const long = singles.find((c) => c.name === 'truncated')!.text[0].repeat(3);
    const truncated = await classify(long, { topK: null });
    const windowed = await classify(long, { topK: null, truncation: { window: { stride: 8 } } });
    expect(windowed).toHaveLength(3);
    expect(windowed.reduce((a, r) => a + r.score, 0)).toBeCloseTo(1, 6);
    expect(windowed).not.toEqual(truncated);
  });
});

describe('feature-extraction pipeline (Node)', () => {
  it('mean pooling over real tokens equals the PyTorch hidden states, cls and none too', async () => {
    const extract = await pipeline('feature-extraction', tiny, { dtype: 'f32' });
    try {
      const C = 64;
      for (const c of singles.filter((x) => !x.textPair)) {
        const valid = validRows(c.lastHiddenState.data, c.attentionMask, C);
        const n = valid.length / C;
        const mean = Array.from({ length: C }, (_, j) => valid.filter((_, i) => i % C === j).reduce((a, b) => a + b, 0) / n);
        const out = await extract(c.text[0], { pooling: 'mean' });
        expect(out.dims).toEqual([1, C]);
        expectClose(`${c.name} mean`, out.data, mean, { atol: 1e-4, rtol: 0 });
        const cls = await extract(c.text[0], { pooling: 'cls' });
        expectClose(`${c.name} cls`, cls.data, valid.slice(0, C), { atol: 1e-4, rtol: 0 });
        const none = await extract(c.text[0]);
        expect(none.dims).toEqual([1, n, C]);
        expectClose(`${c.name} none`, none.data, valid, { atol: 1e-4, rtol: 0 });
      }
      const norm = await extract(['hello world', 'the music was great'], { pooling: 'mean', normalize: true });
      expect(norm.dims).toEqual([2, C]);
      expect(Math.hypot(...norm.data.subarray(0, C))).toBeCloseTo(1, 5);
      await expect(extract([1, 2] as unknown as string[])).rejects.toThrow(TypeError);
      await expect(extract('x', { normalize: true })).rejects.toThrow(/normalize needs pooling/);
    } finally {
      await extract.dispose();
    }
  });
});

describe('pipeline lifecycle', () => {
  it('dispose frees the model; later calls reject; a new pipeline works', async () => {
    const a = await pipeline('text-classification', tiny, { dtype: 'f32' });
    await a('hello');
    await a.dispose();
    await expect(a('hello')).rejects.toThrow(/disposed/);
    const b = await pipeline('text-classification', tiny, { dtype: 'f32' });
    expect((await b('hello'))[0].label).toMatch(/negative|neutral|positive/);
    await b.dispose();
  });

  it("dtype 'auto' stays f32 on a software adapter's kernel profile, without probing, and says why", async () => {
    const p = await pipeline('text-classification', tiny);
    try {
      expect(p.info.kernelProfile).toBe('software');  // lavapipe
      expect(p.info.dtype).toBe('f32');
      expect(p.info.dtypeReason).toMatch(/^auto: f32 on the software kernel profile/);
    } finally {
      await p.dispose();
    }
  });

  it("dtype 'auto' picks f16 on an adapter with shader-f16 after the probe (GPU kernel profile), and says why", async () => {
    const p = await pipeline('text-classification', tiny, { kernelProfile: 'gpu' });
    try {
      expect(p.info.dtype).toBe(p.info.adapter.hasF16 ? 'f16' : 'f32');
      expect(p.info.dtypeReason).toMatch(/^auto: /);
      const c = singles[0];
      const got = labels.map((l) => (p(input(c), { topK: null }) as Promise<{ label: string; score: number }[]>));
      const scores = await got[0];
      expect(scores[0].label).toBe(labels[softmax(c.logits.data).indexOf(Math.max(...softmax(c.logits.data)))]);
    } finally {
      await p.dispose();
    }
  });

  it('recovers from a lost device: the next call rebuilds it and re-uploads the weights', async () => {
    const { Runtime } = await import('../../src/runtime/runtime.ts');
    const { nodeEnvironment } = await import('../../src/runtime/node-env.ts');
    // The creation's signal aborts later (a load timeout, say): a rebuild after a device loss must not inherit it.
    const creation = new AbortController();
    const rt = await Runtime.create(nodeEnvironment, 'text-classification', tiny, { dtype: 'f32', signal: creation.signal });
    creation.abort();
    try {
      const c = singles[0];
      rt.device.destroy();
      await new Promise((r) => setTimeout(r, 50));
      // Several calls at once after the loss: one recovery, every call answered.
      const outs = (await Promise.all([1, 2, 3].map(() => rt.run(c.text[0], { topK: null })))) as { label: string; score: number }[][];
      for (const out of outs) expectClose('after loss', labels.map((l) => out.find((x) => x.label === l)!.score), softmax(c.logits.data), { atol: 1e-4, rtol: 0 });
      expect(rt.stats.deviceRestarts).toBe(1);
    } finally {
      await rt.dispose();
    }
  });

  it("a caller's own device is used, never destroyed, and its loss is reported instead of repaired", async () => {
    const { requestNodeGpu } = await import('../../src/gpu/node-gpu.ts');
    const { requestDevice } = await import('../../src/gpu/device.ts');
    const own = await requestNodeGpu();
    const mine = await requestDevice(own.adapter, { label: 'callers-device', instance: own.gpu });
    const p = await pipeline('text-classification', tiny, { device: mine.device, dtype: 'f32' });
    const c = singles[0];
    const r = await p(c.text[0], { topK: null });
    expectClose('own device', labels.map((l) => r.find((x) => x.label === l)!.score), softmax(c.logits.data), { atol: 1e-4, rtol: 0 });
    await p.dispose();
    // Still alive: a buffer can be created and the device was not lost.
    const probe = mine.device.createBuffer({ size: 4, usage: GPUBufferUsage.STORAGE });
    probe.destroy();
    const lostYet = await Promise.race([mine.device.lost.then(() => true), new Promise((r) => setTimeout(() => r(false), 50))]);
    expect(lostYet).toBe(false);
    const q = await pipeline('text-classification', tiny, { device: mine.device, dtype: 'f32' });
    mine.device.destroy();
    await new Promise((res) => setTimeout(res, 50));
    await expect(q('hello')).rejects.toThrow(/belongs to the caller/);
  });

  it('bad pipeline arguments reject clearly', async () => {
    await expect(pipeline('summarization' as 'text-classification', tiny)).rejects.toThrow(/unknown task "summarization"; supported: text-classification, sentiment-analysis, feature-extraction, embeddings, fill-mask, /);
    await expect(pipeline('text-classification', '')).rejects.toThrow(/model must be/);
    await expect(pipeline('text-classification', 'http://127.0.0.1:9/nothing', { cache: false })).rejects.toThrow(/127\.0\.0\.1:9/);
    await expect(pipeline('text-classification', tiny, { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
  });
});
