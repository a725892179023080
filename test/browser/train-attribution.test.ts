// Token attributions in Chromium (SwiftShader): gradient × input and integrated gradients (4 steps, one submit of
// 5 rows, [PAD] baseline) of a short padded sequence vs the float64 reference — the same check as the Dawn test.
import { describe, expect, it } from 'vitest';
import { requestBrowserGpu } from '../../src/gpu/device.ts';
import { attributionCheck, loadAttributionModel, sequence, withTrainer } from '../kernels/train-attribution-cases.ts';

const readFixture = async (p: string): Promise<ArrayBuffer> => {
  const res = await fetch(`${location.origin}/test/fixtures/${p}`);
  if (!res.ok) throw new Error(`fixture ${p}: HTTP ${res.status}`);
  return res.arrayBuffer();
};

describe('token attributions (Chromium WebGPU)', () => {
  it('gradient × input and integrated gradients vs float64, padded sequence', async () => {
    const model = await loadAttributionModel(readFixture);
    await withTrainer(await requestBrowserGpu(), model, async (trainer) => {
      const seq = sequence([17, 40, 93], [], 7);  // 5 real tokens, 2 padding
      await attributionCheck(trainer, model, seq, { method: 'gradient-x-input', label: 2 }, 'Chromium gradient × input');
      await attributionCheck(trainer, model, seq, { method: 'integrated-gradients', label: 2, steps: 4, baseline: 'pad' }, 'Chromium IG');
      const scores = await trainer.attributions(seq.batch, { method: 'integrated-gradients', label: 2, steps: 4, baseline: 'pad' });
      expect(Array.from(scores.subarray(5))).toEqual([0, 0]);
    });
  });
});
