// The pipeline on the CPU backend in Node: device 'cpu' / 'wasm' / 'auto' (lavapipe is a software adapter, so 'auto'
// takes the CPU here) vs the fp64 PyTorch references, info.device, and what only the GPU does (profile) refused.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pipeline } from '../../src/node.ts';
import { softmax } from '../../src/model/heads.ts';
import { expectClose } from '../helpers/validate.ts';
import { fixturesDir, readReference } from '../model/fixture.ts';

const tiny = join(fixturesDir, 'tiny-bert');
const ref = readReference('tiny-bert');
const singles = ref.cases.filter((c) => c.text.length === 1);
const labels = ['negative', 'neutral', 'positive'];
const input = (c: (typeof singles)[number]) => (c.textPair ? { text: c.text[0], textPair: c.textPair[0] } : c.text[0]);

describe('text-classification pipeline on the CPU backend (Node)', async () => {
  const classify = await pipeline('text-classification', tiny, { device: 'cpu' });
  afterAll(() => classify.dispose());

  it('runs on the CPU and says so', () => {
    expect(classify.info.device).toEqual({ backend: 'cpu', reason: "device 'cpu' was asked for" });
    expect(classify.info.kernelProfile).toBe('cpu');
    expect(classify.info.dtype).toBe('f32');
    expect(classify.info.kernels.matmul?.[0]).toMatch(/^wasm-(simd128|relaxed-simd)\.gemm$/);
  });

  it('scores equal softmax of the PyTorch logits, single and micro-batched', async () => {
    const batched = await classify(singles.map(input), { topK: null });
    for (const [i, c] of singles.entries()) {
      const one = await classify(input(c), { topK: null });
      for (const result of [one, batched[i]]) {
        expectClose(c.name, labels.map((l) => result.find((r) => r.label === l)!.score), softmax(c.logits.data), { atol: 1e-4, rtol: 0 });
      }
    }
  });

  it('loss() and inspect() work; profile() and the GPU device are refused by name', async () => {
    const c = ref.cases.find((x) => x.loss !== undefined)!;
    const inputs = c.text.map((t, i) => (c.textPair ? { text: t, textPair: c.textPair[i] } : t));
    expect(Math.abs((await classify.loss(inputs, c.labels as number[])) - c.loss!)).toBeLessThan(1e-4);
    const seen = await classify.inspect(singles[0].text[0], { layer: 1 });
    expect(seen.attentions.length).toBe(seen.numHeads * seen.tokens.length ** 2);
    await expect(classify.profile(singles[0].text[0])).rejects.toThrow(/profile\(\) needs the GPU backend; this pipeline runs on the CPU/);
  });
});

describe('device option', () => {
  it("'wasm' is the CPU and 'auto' leaves a software adapter (lavapipe) for the CPU", async () => {
    for (const [device, reason] of [['wasm', /device 'cpu' was asked for/], ['auto', /is a software one/]] as const) {
      const p = await pipeline('text-classification', tiny, { device });
      try {
        expect(p.info.device.backend).toBe('cpu');
        expect(p.info.device.reason).toMatch(reason);
        const [top] = await p(singles[0].text[0]);
        expect(labels).toContain(top.label);
      } finally {
        await p.dispose();
      }
    }
  });

  it("'webgpu' stays on the GPU adapter, software or not", async () => {
    const p = await pipeline('text-classification', tiny, { device: 'webgpu', tune: 'off' });
    try {
      expect(p.info.device).toEqual({ backend: 'gpu', reason: "device 'gpu' was asked for" });
      expect(p.info.adapter.isFallbackAdapter).toBe(true);
    } finally {
      await p.dispose();
    }
  });

  it('an unknown device is a TypeError naming the choices', async () => {
    await expect(pipeline('text-classification', tiny, { device: 'npu' as 'cpu' })).rejects.toThrow(/device must be 'auto', 'gpu', 'cpu'/);
  });
});
