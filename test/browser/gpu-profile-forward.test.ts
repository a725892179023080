// The GPU kernel profile (shaders/gpu) forced in Chromium on SwiftShader (f32: no shader-f16 there; subgroups yes):
// the tiny-bert fixture over HTTP, loaded in the page with loadBert({ kernelProfile: 'gpu' }), vs the PyTorch fp64
// reference at 1e-4 — the tolerance the software profile meets (test/browser/pipeline.test.ts). Small: SwiftShader
// runs a few GFLOP/s.
import { describe, expect, it } from 'vitest';
import { requestBrowserGpu } from '../../src/gpu/device.ts';
import { httpProvider } from '../../src/hub/files.ts';
import { loadBert } from '../../src/model/load.ts';
import { pipeline } from '../../src/pipeline.ts';
import { expectClose } from '../helpers/validate.ts';
import reference from '../fixtures/tiny-bert/reference.json';

interface RefCase { name: string; inputIds: number[][]; tokenTypeIds: number[][]; attentionMask: number[][]; logits: { data: number[] }; poolerOutput: { data: number[] } }
const cases = (reference as unknown as { cases: RefCase[] }).cases;

describe('GPU kernel profile forced in Chromium (SwiftShader)', () => {
  it('tiny-bert f32: logits and pooler match PyTorch on every case; the GPU kernels ran', async () => {
    const gpu = await requestBrowserGpu();
    const { model } = await loadBert(gpu, httpProvider(`${location.origin}/test/fixtures/tiny-bert`), { kernelProfile: 'gpu' });
    try {
      expect(model.kernelProfile.kind).toBe('gpu');
      const kernels = await model.kernelChoices(1, 16);
      expect(kernels.attentionOutput).toEqual(['attentionFlashProj', 'layernormRow']);
      expect(kernels.matmulLayernorm).toEqual(['gemmTiledPartial', 'layernormRow']);
      expect(kernels.matmul).toContain('gemmTiled');
      for (const c of cases) {
        const B = c.inputIds.length;
        const T = c.inputIds[0].length;
        const out = await model.forward({
          B, T, inputIds: Int32Array.from(c.inputIds.flat()), tokenTypeIds: Int32Array.from(c.tokenTypeIds.flat()),
          attentionMask: Int32Array.from(c.attentionMask.flat()),
        }, ['logits', 'poolerOutput']);
        expectClose(`${c.name} logits`, out.logits!, c.logits.data, { atol: 1e-4, rtol: 0 });
        expectClose(`${c.name} pooler`, out.poolerOutput!, c.poolerOutput.data, { atol: 1e-4, rtol: 0 });
      }
    } finally {
      await model.dispose();
      gpu.device.destroy();
    }
  });

  it("pipeline({ kernelProfile: 'gpu' }) reaches the runtime Worker: info says gpu, scores match PyTorch", async () => {
    const classify = await pipeline('text-classification', `${location.origin}/test/fixtures/tiny-bert`, { kernelProfile: 'gpu', dtype: 'f32', cache: false });
    try {
      expect(classify.info.kernelProfile).toBe('gpu');
      expect(classify.info.kernels.attentionOutput).toEqual(['attentionFlashProj', 'layernormRow']);
      const single = cases.find((c) => c.name === 'single')!;
      const scores = (await classify((reference as unknown as { cases: Array<{ name: string; text: string[] }> }).cases.find((c) => c.name === 'single')!.text[0], { top_k: null })) as Array<{ label: string; score: number }>;
      const logits = single.logits.data;
      const max = Math.max(...logits);
      const exp = logits.map((v) => Math.exp(v - max));
      const sum = exp.reduce((a, b) => a + b, 0);
      const labels = ['negative', 'neutral', 'positive'];
      expectClose('worker gpu-profile scores', labels.map((l) => scores.find((s) => s.label === l)!.score), exp.map((e) => e / sum), { atol: 1e-4, rtol: 0 });
    } finally {
      await classify.dispose();
    }
  });
});
