// The tiny fixture learns a task from scratch-ish (its classifier knows nothing of it) on the GPU, and a long run
// keeps GPU memory flat: no buffer is created after the first step of a bucket.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Trainer } from '../../src/train/trainer.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { loadModel } from '../kernels/train-step-cases.ts';
import { accuracy, occursBatch } from '../kernels/train-learn-cases.ts';

const readFixture = async (p: string): Promise<ArrayBuffer> => {
  const b = await readFile(join(import.meta.dirname, '../fixtures', p));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

describe('Trainer learns and stays flat (Dawn)', () => {
  it('tiny-bert learns "does word X occur" to ≥ 95 % held-out accuracy within 300 steps', async () => {
    const model = await loadModel(readFixture, 'tiny-bert');
    const trainer = await Trainer.create(await getTestGpu(), model, { lr: 1e-3, weightDecay: 0.01, maxGradNorm: 1, hiddenDropout: 0.1, seed: 7 });
    try {
      const heldOut = occursBatch(64, 10, 999);
      const before = accuracy(await trainer.evaluateLogits(heldOut), heldOut.labels, model.config.numLabels);
      let acc = 0;
      let step = 0;
      const losses: number[] = [];
      while (step < 300 && acc < 0.95) {
        losses.push((await trainer.step(occursBatch(16, 10, step))).loss);
        step++;
        if (step % 25 === 0) acc = accuracy(await trainer.evaluateLogits(heldOut), heldOut.labels, model.config.numLabels);
      }
      console.log(`learned in ${step} steps: held-out accuracy ${before} → ${acc}, loss ${losses[0].toFixed(3)} → ${losses[losses.length - 1].toFixed(3)}`);
      expect(acc).toBeGreaterThanOrEqual(0.95);
      expect(before).toBeLessThan(0.8);
    } finally {
      trainer.dispose();
    }
  });

  // The 1,000 steps at small shapes (2 × 8 and 1 × 12: ~10 ms a step on lavapipe; 16 × 10 took 54 s for 1,000).
  // Two buckets alternate, with accumulation and dropout on, so every per-step path (window start and end, seeds,
  // segments, plan lookup) runs hundreds of times after the first use of each bucket.
  it('GPU memory flat over 1,000 steps in two buckets: no buffer created after the first step of each, live count and bytes constant', async () => {
    const gpu = await getTestGpu();
    const model = await loadModel(readFixture, 'tiny-bert');
    const trainer = await Trainer.create(gpu, model, { lr: 1e-4, hiddenDropout: 0.1, accumulationSteps: 2 });
    const device = gpu.device;
    const create = device.createBuffer.bind(device);
    let created = 0;
    device.createBuffer = (d: GPUBufferDescriptor) => (created++, create(d));
    try {
      const batches = [occursBatch(2, 8, 1), occursBatch(1, 12, 2)];
      for (const b of batches) await trainer.step(b);
      const live = trainer.liveBuffers;
      const bytes = trainer.registry.liveBytes;
      created = 0;
      for (let i = 0; i < 1000; i++) {
        const r = await trainer.step(batches[i % 2]);
        if (!Number.isFinite(r.loss)) throw new Error(`step ${i}: loss ${r.loss}`);
      }
      expect(created).toBe(0);
      expect(trainer.liveBuffers).toBe(live);
      expect(trainer.registry.liveBytes).toBe(bytes);
      expect(trainer.updateCount).toBe(501);
    } finally {
      device.createBuffer = create;
      trainer.dispose();
    }
  });
});
