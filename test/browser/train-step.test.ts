// The training engine in Chromium (SwiftShader): every parameter's gradient vs PyTorch for cross-entropy, and a short
// learning run (SwiftShader is slow — a tiny-bert step at 8 × 8 takes ~1.5 s there, at 4 × 6 ~0.4 s — so batch 4, T 6,
// lr 3e-3, checked every 10 steps, at most 120).
import { describe, expect, it } from 'vitest';
import { requestBrowserGpu, type GpuContext } from '../../src/gpu/device.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { gradientCheck, loadModel } from '../kernels/train-step-cases.ts';
import { accuracy, occursBatch } from '../kernels/train-learn-cases.ts';

const readFixture = async (p: string): Promise<ArrayBuffer> => {
  const res = await fetch(`${location.origin}/test/fixtures/${p}`);
  if (!res.ok) throw new Error(`fixture ${p}: HTTP ${res.status}`);
  return res.arrayBuffer();
};

let gpu: Promise<GpuContext> | null = null;
const getGpu = () => (gpu ??= requestBrowserGpu());

describe('training engine (Chromium WebGPU)', () => {
  it('every parameter\'s gradient, the loss and the grad norm vs PyTorch float64: cross-entropy (tiny-bert)', async () => {
    const errors = await gradientCheck(await getGpu(), readFixture, 0);
    expect(Math.max(...Object.values(errors))).toBeLessThanOrEqual(1e-3);
  });

  it('tiny-bert learns "does word X occur" to ≥ 95 % held-out accuracy within 120 steps', async () => {
    const model = await loadModel(readFixture, 'tiny-bert');
    const trainer = await Trainer.create(await getGpu(), model, { lr: 3e-3, weightDecay: 0.01, seed: 3 });
    try {
      const heldOut = occursBatch(48, 6, 999);
      let acc = 0;
      let step = 0;
      while (step < 120 && acc < 0.95) {
        await trainer.step(occursBatch(4, 6, step));
        step++;
        if (step % 10 === 0) acc = accuracy(await trainer.evaluateLogits(heldOut), heldOut.labels, model.config.numLabels);
      }
      console.log(`Chromium: held-out accuracy ${acc} after ${step} steps`);
      expect(acc).toBeGreaterThanOrEqual(0.95);
    } finally {
      trainer.dispose();
    }
  });
});
