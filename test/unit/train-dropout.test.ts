// Hidden and attention-probability dropout in the training plan: seeded (identical runs give identical losses, another seed another loss) and
// correct (the GPU gradient with dropout on equals the float64 chain of src/cpu/bert-backward.ts replaying the same
// masks — dropout_add.wgsl / dropout.wgsl / attention_backward_scores_dropout.wgsl on the GPU, bwd.dropoutKeeps on the
// CPU: one hash). The attention-dropout float64 reference itself is checked against plain attention and central
// differences first.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bertClassifierBackward, bertShapeFromConfig } from '../../src/cpu/bert-backward.ts';
import { attentionDropoutBackward, attentionDropoutForward } from '../../src/cpu/attention-dropout.ts';
import { attentionBackward } from '../../src/cpu/backward.ts';
import { attention } from '../../src/cpu/reference.ts';
import { seededRandom } from '../helpers/validate.ts';
import { Trainer, dropoutSeeds } from '../../src/train/trainer.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { batchOf, loadModel, relErr } from '../kernels/train-step-cases.ts';
import { loadManifest } from '../kernels/train-fixture.ts';

const readFixture = async (p: string): Promise<ArrayBuffer> => {
  const b = await readFile(join(import.meta.dirname, '../fixtures', p));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

describe('attention-probability dropout: the float64 reference', () => {
  const B = 2, T = 5, NH = 2, HS = 3, C = NH * HS;
  const rand = seededRandom(5);
  const qkv = Float64Array.from({ length: B * T * 3 * C }, () => rand() * 2 - 1);
  const mask = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
  const dctx = Float64Array.from({ length: B * T * C }, () => rand() * 2 - 1);
  it('keeping everything gives plain attention and its backward', () => {
    const keepAll = { seed: 1, threshold: 0, scale: 1 };
    const f = attentionDropoutForward(qkv, mask, B, T, NH, HS, keepAll);
    const plain = attention(qkv, mask, B, T, NH, HS);
    f.ctx.forEach((v, i) => expect(v).toBeCloseTo(plain[i], 12));
    const want = attentionBackward(qkv, mask, dctx, B, T, NH, HS);
    attentionDropoutBackward(qkv, f, dctx, B, T, NH, HS, keepAll).forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
  });
  it('with p = 0.3 its gradient matches central differences of Σ dctx·ctx', () => {
    const d = { seed: 9, threshold: Math.round(0.3 * 2 ** 32), scale: 1 / 0.7 };
    const f = attentionDropoutForward(qkv, mask, B, T, NH, HS, d);
    expect(f.dropped.filter((v, i) => v === 0 && f.probs[i] !== 0).length).toBeGreaterThan(5);  // masks do drop
    const g = attentionDropoutBackward(qkv, f, dctx, B, T, NH, HS, d);
    const objective = (x: Float64Array) => attentionDropoutForward(x, mask, B, T, NH, HS, d).ctx.reduce((s, v, i) => s + v * dctx[i], 0);
    for (let i = 0; i < qkv.length; i++) {
      const hi = Float64Array.from(qkv);
      const lo = Float64Array.from(qkv);
      hi[i] += 1e-5;
      lo[i] -= 1e-5;
      expect(Math.abs(g[i] - (objective(hi) - objective(lo)) / 2e-5), `dqkv[${i}]`).toBeLessThanOrEqual(1e-7 + 1e-6 * Math.abs(g[i]));
    }
  });
});

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

  it('attention-probability dropout 0.2 with hidden dropout 0.1: GPU gradient and loss vs the float64 chain with the same masks', async () => {
    const manifest = await loadManifest(readFixture);
    const c = manifest.cases[1];
    const gpu = await getTestGpu();
    const model = await loadModel(readFixture, c.model);
    const shape = bertShapeFromConfig(JSON.parse(await readFile(join(import.meta.dirname, `../fixtures/${c.model}/config.json`), 'utf8')));
    const options = { hiddenDropout: 0.1, attentionDropout: 0.2, seed: 21, problemType: c.problemType };
    const ref = bertClassifierBackward(shape, model.weights, c, c.problemType, { p: 0.1, attentionP: 0.2, seeds: dropoutSeeds(21, 0, 3 * shape.layers + 2) });
    const hiddenOnly = bertClassifierBackward(shape, model.weights, c, c.problemType, { p: 0.1, seeds: dropoutSeeds(21, 0, 3 * shape.layers + 2) });
    const trainer = await Trainer.create(gpu, model, options);
    try {
      const grads = await trainer.gradients(batchOf(c));
      for (const name of c.parameters) {
        const e = relErr(grads.get(name)!, ref.grads.get(name)!);
        if (name.includes('attention.self.key.bias')) expect(e, name).toBeLessThanOrEqual(1e-6);
        else expect(e, `${c.model} ${name}`).toBeLessThanOrEqual(1e-3);
      }
      const q = 'bert.encoder.layer.0.attention.self.query.weight';
      expect(relErr(hiddenOnly.grads.get(q)!, ref.grads.get(q)!)).toBeGreaterThan(0.05);
    } finally {
      trainer.dispose();
    }
    const stepper = await Trainer.create(gpu, model, options);
    try {
      const r = await stepper.step(batchOf(c));
      expect(Math.abs(r.loss - ref.loss) / ref.loss).toBeLessThanOrEqual(1e-5);
      const plain = await Trainer.create(gpu, model, { problemType: c.problemType });
      try {
        expect(await stepper.evaluateLogits(batchOf(c))).not.toEqual(await plain.evaluateLogits(batchOf(c)));  // it updated
      } finally {
        plain.dispose();
      }
    } finally {
      stepper.dispose();
    }
  });

  it('a fixed seed gives identical losses run to run; another seed, other losses; evaluation has no dropout', async () => {
    const manifest = await loadManifest(readFixture);
    const c = manifest.cases[0];
    const model = await loadModel(readFixture, c.model);
    const gpu = await getTestGpu();
    const run = async (seed: number) => {
      const t = await Trainer.create(gpu, model, { hiddenDropout: 0.3, attentionDropout: 0.1, seed, lr: 1e-3 });
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
    // Evaluation keeps every element: bit for bit the plain forward with hidden dropout (the dropout kernels copy), and
    // to f32 rounding with attention dropout (its plan computes P, then P·V, instead of the fused attention kernel).
    const t = await Trainer.create(gpu, model, { hiddenDropout: 0.5, seed: 1 });
    const ta = await Trainer.create(gpu, model, { hiddenDropout: 0.5, attentionDropout: 0.5, seed: 1 });
    const plain = await Trainer.create(gpu, model);
    try {
      const want = await plain.evaluateLogits(batchOf(c));
      expect(await t.evaluateLogits(batchOf(c))).toEqual(want);
      expect(relErr(await ta.evaluateLogits(batchOf(c)), want)).toBeLessThanOrEqual(1e-5);
    } finally {
      t.dispose();
      ta.dispose();
      plain.dispose();
    }
  });
});
