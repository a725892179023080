// Hidden dropout in the training plan: seeded (identical runs give identical losses, another seed another loss) and
// correct (the GPU gradient with dropout on equals the float64 chain of src/cpu/bert-backward.ts replaying the same
// masks — dropout_add.wgsl in the forward, dropout.wgsl in the backward, bwd.dropout on the CPU: one hash).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bertClassifierBackward, bertShapeFromConfig } from '../../src/cpu/bert-backward.ts';
import { Trainer, dropoutSeeds } from '../../src/train/trainer.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { batchOf, loadModel, relErr } from '../kernels/train-step-cases.ts';
import { loadManifest } from '../kernels/train-fixture.ts';

const readFixture = async (p: string): Promise<ArrayBuffer> => {
  const b = await readFile(join(import.meta.dirname, '../fixtures', p));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

describe('hidden dropout (Dawn)', () => {
  it('gradient and loss with dropout 0.2 vs the float64 chain with the same masks', async () => {
    const manifest = await loadManifest(readFixture);
    const gpu = await getTestGpu();
    for (const c of [manifest.cases[0], manifest.cases[2]]) {
      const model = await loadModel(readFixture, c.model);
      const shape = bertShapeFromConfig(JSON.parse(await readFile(join(import.meta.dirname, `../fixtures/${c.model}/config.json`), 'utf8')));
      const seeds = dropoutSeeds(11, 0, 2 * shape.layers + 2);
      const ref = bertClassifierBackward(shape, model.weights, c, c.problemType, { p: 0.2, seeds });
      const plain = bertClassifierBackward(shape, model.weights, c, c.problemType);
      const options = { hiddenDropout: 0.2, seed: 11, problemType: c.problemType };
      const trainer = await Trainer.create(gpu, model, options);
      try {
        const grads = await trainer.gradients(batchOf(c));  // micro-step 0: the seeds above
        for (const name of c.parameters) {
          const e = relErr(grads.get(name)!, ref.grads.get(name)!);
          if (name.includes('attention.self.key.bias')) expect(e, name).toBeLessThanOrEqual(1e-6);  // exactly 0 in theory
          else expect(e, `${c.model} ${name}`).toBeLessThanOrEqual(1e-3);
        }
        // The masks matter: the gradient without them is far off.
        expect(relErr(plain.grads.get('bert.encoder.layer.0.output.dense.weight')!, ref.grads.get('bert.encoder.layer.0.output.dense.weight')!)).toBeGreaterThan(0.05);
      } finally {
        trainer.dispose();
      }
      const stepper = await Trainer.create(gpu, model, options);
      try {
        const r = await stepper.step(batchOf(c));
        expect(Math.abs(r.loss - ref.loss) / ref.loss, `${c.model} loss ${r.loss} vs ${ref.loss}`).toBeLessThanOrEqual(1e-5);
        expect(Math.abs(r.loss - plain.loss) / plain.loss).toBeGreaterThan(1e-3);
      } finally {
        stepper.dispose();
      }
    }
  });

  it('a fixed seed gives identical losses run to run; another seed, other losses; evaluation has no dropout', async () => {
    const manifest = await loadManifest(readFixture);
    const c = manifest.cases[0];
    const model = await loadModel(readFixture, c.model);
    const gpu = await getTestGpu();
    const run = async (seed: number) => {
      const t = await Trainer.create(gpu, model, { hiddenDropout: 0.3, seed, lr: 1e-3 });
      try {
        const losses = [];
        for (let i = 0; i < 3; i++) losses.push((await t.step(batchOf(c))).loss);
        return losses;
      } finally {
        t.dispose();
      }
    };
    const [a, b, other] = [await run(3), await run(3), await run(4)];
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(3);  // each step draws new masks
    for (let i = 0; i < 3; i++) expect(other[i]).not.toBe(a[i]);
    const t = await Trainer.create(gpu, model, { hiddenDropout: 0.5, seed: 1 });
    const plain = await Trainer.create(gpu, model);
    try {
      expect(await t.evaluateLogits(batchOf(c))).toEqual(await plain.evaluateLogits(batchOf(c)));
    } finally {
      t.dispose();
      plain.dispose();
    }
  });
});
