// pipeline('fill-mask') and pipeline('next-sentence-prediction') in Chromium: the runtime in its module Worker loads
// the tiny-bert-mlm fixture (BertForPreTraining) over HTTP; the top-5 tokens and probabilities at each [MASK] and the
// IsNext/NotNext probabilities must equal PyTorch fp64 (SwiftShader WebGPU, f32).
import { describe, expect, it } from 'vitest';
import { pipeline } from '../../src/index.ts';
import type { FillMaskPrediction } from '../../src/tasks/fill-mask.ts';
import { expectClose } from '../helpers/validate.ts';
import reference from '../fixtures/tiny-bert-mlm/reference.json';

interface MlmCase { name: string; text: string[]; textPair?: string[]; top5: { id: number; prob: number }[][][]; nsp: number[][] }
const cases = (reference as unknown as { cases: MlmCase[] }).cases;

const modelUrl = () => `${location.origin}/test/fixtures/tiny-bert-mlm`;

describe('pre-training heads in Chromium (Worker)', () => {
  it('one mask, two masks and a batch match PyTorch; bad input is refused', async () => {
    const fill = await pipeline('fill-mask', modelUrl());
    try {
      const check = (name: string, got: FillMaskPrediction[], want: { id: number; prob: number }[]) => {
        expect(got.map((p) => p.token), name).toEqual(want.map((w) => w.id));
        expectClose(name, got.map((p) => p.score), want.map((w) => w.prob), { atol: 0, rtol: 1e-3 });
      };
      for (const c of cases.filter((x) => x.name !== 'pair')) {
        if (c.text.length > 1) {
          const got = (await fill(c.text)) as FillMaskPrediction[][];
          got.forEach((preds, b) => check(`${c.name}[${b}]`, preds, c.top5[b][0]));
        } else if (c.top5[0].length > 1) {
          const got = (await fill(c.text[0])) as FillMaskPrediction[][];
          got.forEach((preds, k) => check(`${c.name} mask ${k}`, preds, c.top5[0][k]));
        } else {
          check(c.name, (await fill(c.text[0])) as FillMaskPrediction[], c.top5[0][0]);
        }
      }
      await expect(fill('no mask here')).rejects.toThrow(/no mask token/);
    } finally {
      await fill.dispose();
    }
  });

  it('next-sentence-prediction: IsNext/NotNext are the softmax of the PyTorch NSP scores', async () => {
    const nsp = await pipeline('next-sentence-prediction', modelUrl());
    try {
      const pair = cases.find((c) => c.name === 'pair')!;
      const [a, b] = pair.nsp[0];
      const isNext = 1 / (1 + Math.exp(b - a));
      const result = await nsp({ text: pair.text[0], textPair: pair.textPair![0] });
      const got = Object.fromEntries(result.map((r) => [r.label, r.score]));
      expectClose('nsp', [got.IsNext, got.NotNext], [isNext, 1 - isNext], { atol: 1e-4, rtol: 0 });
    } finally {
      await nsp.dispose();
    }
  });
});
