// The float64 CPU backward composed over the whole tiny BERT (src/cpu/bert-backward.ts, built only from the per-op
// references) against PyTorch autograd (test/fixtures/train/, scripts/fixtures/train_refs.py): the loss and the
// gradient of every parameter tensor, for CE, BCE and MSE on a padded batch of 2 with a sentence pair; then the
// float64 optimizer references (src/cpu/optimizer.ts) against clip_grad_norm_ and torch.optim.AdamW.
// Tolerances: both sides are float64 on the same f32 weights; the stored PyTorch gradients are rounded to f32
// (2⁻²⁴ relative), so per tensor |Δ| ≤ 1e-6·max|ref| is ~16× that rounding, and an error in any op of the chain
// (a missed residual path, a wrong mask, a transposed weight) moves some tensor by far more.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bertClassifierBackward, bertParameterShapes, bertShapeFromConfig, problemTypeOf } from '../../src/cpu/bert-backward.ts';
import * as opt from '../../src/cpu/optimizer.ts';
import { decaysWeight } from '../../src/train/optimizer.ts';
import { expectClose } from '../helpers/validate.ts';
import { loadManifest, loadTensors, tensorOf, type TrainRefCase } from '../kernels/train-fixture.ts';

const readFixture = async (p: string): Promise<ArrayBuffer> => {
  const b = await readFile(join(import.meta.dirname, '../fixtures', p));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

// The floor 1e-12: the attention key bias's gradient is exactly 0 in exact arithmetic (it adds q_i·b to every score of
// row i, and softmax is shift-invariant); both sides leave float64 rounding noise (~1e-17) there, not a signal.
function expectTensor(name: string, got: ArrayLike<number>, want: ArrayLike<number>, rtol = 1e-6): void {
  let maxAbs = 1e-12 / rtol;
  for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(want[i]));
  expectClose(name, got, want, { atol: Math.max(rtol * maxAbs, 1e-300), rtol: 0 });
}

async function run(c: TrainRefCase) {
  const config = JSON.parse(await readFile(join(import.meta.dirname, '../fixtures', c.model, 'config.json'), 'utf8')) as Record<string, unknown>;
  const shape = bertShapeFromConfig(config);
  const weights = await loadTensors(readFixture, `${c.model}/model.safetensors`);
  const ref = await loadTensors(readFixture, `train/${c.file}`);
  const problem = problemTypeOf(config, shape.numLabels, c.labels);
  return { shape, weights, ref, problem, result: bertClassifierBackward(shape, weights, c, problem) };
}

describe('float64 BERT backward (CPU composition) vs PyTorch autograd', async () => {
  const manifest = await loadManifest(readFixture);
  it('the fixture has the three losses, each a padded batch of 2 with a pair', () => {
    expect(manifest.cases.map((c) => c.problemType).sort()).toEqual(['multi_label_classification', 'regression', 'single_label_classification']);
    for (const c of manifest.cases) {
      expect(c.inputIds.length).toBe(2);
      expect(c.attentionMask[1]).toContain(0);
      expect(c.tokenTypeIds[0]).toContain(1);
    }
  });

  for (const c of manifest.cases) {
    it(`${c.model} (${c.problemType}): loss and the gradient of every parameter`, async () => {
      const { shape, ref, problem, result } = await run(c);
      expect(problem).toBe(c.problemType);
      expect(Math.abs(result.loss - c.loss)).toBeLessThanOrEqual(1e-10 * Math.abs(c.loss));
      expect([...result.grads.keys()].sort()).toEqual([...c.parameters].sort());
      expect([...bertParameterShapes(shape).keys()].sort()).toEqual([...c.parameters].sort());
      for (const name of c.parameters) expectTensor(`${c.model} d${name}`, result.grads.get(name)!, tensorOf(ref, `grad.${name}`, c.file));
    });
  }

  // Gradient accumulation as the plan does it: one micro-batch per row, each unpadded, gradients summed (ACCUMULATE)
  // and scaled by 1/micro-batches (adamw's gradScale) — equal to PyTorch's gradient of the padded batch of 2 (HF's
  // loss / gradient_accumulation_steps with equal micro-batches). It also shows that padding contributes nothing.
  for (const c of manifest.cases) {
    it(`${c.model}: two unpadded micro-batches, summed and scaled by 1/2, give the batch's gradients`, async () => {
      const { shape, weights, ref, problem } = await run(c);
      const sum = new Map<string, Float64Array>();
      for (let b = 0; b < 2; b++) {
        const valid = c.attentionMask[b].filter((x) => x === 1).length;
        const row = (a: number[][]) => [a[b].slice(0, valid)];
        const micro = { inputIds: row(c.inputIds), attentionMask: row(c.attentionMask), tokenTypeIds: row(c.tokenTypeIds), labels: [c.labels[b]] };
        for (const [n, g] of bertClassifierBackward(shape, weights, micro, problem).grads) {
          const acc = sum.get(n) ?? new Float64Array(g.length);
          for (let i = 0; i < g.length; i++) acc[i] += g[i] / 2;
          sum.set(n, acc);
        }
      }
      for (const name of c.parameters) expectTensor(`${c.model} accumulated d${name}`, sum.get(name)!, tensorOf(ref, `grad.${name}`, c.file));
    });
  }

  it('clip_grad_norm_ and two torch.optim.AdamW steps (tiny-bert) from the float64 references', async () => {
    const c = manifest.cases.find((x) => x.model === 'tiny-bert')!;
    const { weights, ref, result } = await run(c);
    const grads = c.parameters.map((n) => result.grads.get(n)!);
    for (const x of manifest.cases) {
      const r = x === c ? result : (await run(x)).result;
      const clip = opt.clipGradNorm(x.parameters.map((n) => r.grads.get(n)!), manifest.maxGradNorm);
      expect(Math.abs(clip.norm - x.gradNorm)).toBeLessThanOrEqual(1e-9 * x.gradNorm);
      expect(Math.abs(clip.coef - x.clipCoef)).toBeLessThanOrEqual(1e-9 * x.clipCoef);
    }
    const clip = opt.clipGradNorm(grads, manifest.maxGradNorm);
    c.parameters.forEach((n, i) => expectTensor(`clipped ${n}`, clip.clipped[i], tensorOf(ref, `clipped.${n}`, c.file)));
    const { lr, weightDecay, betas, eps } = manifest.adamw;
    const states = c.parameters.map((n) => {
      const w = tensorOf(weights, n, 'model.safetensors');
      return { weights: Float64Array.from(w), m: new Float64Array(w.length), v: new Float64Array(w.length) };
    });
    for (const t of [1, 2]) {
      c.parameters.forEach((n, i) => {
        opt.adamwStep(states[i], clip.clipped[i], { lr, weightDecay: decaysWeight(n) ? weightDecay : 0, beta1: betas[0], beta2: betas[1], eps }, t);
        const want = tensorOf(ref, `adamw${t}.${n}`, c.file);
        // PyTorch's parameters are stored as f32: half an ulp, ≤ 2⁻²⁴ relative. Ours must round to the same f32.
        expectClose(`adamw step ${t} ${n}`, Float32Array.from(states[i].weights), want, { atol: 1e-12, rtol: 2 ** -23 });
      });
    }
  });
});

describe('bert-backward input errors name the field', () => {
  const config = { hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, vocab_size: 10,
    max_position_embeddings: 4, type_vocab_size: 2, layer_norm_eps: 1e-12, hidden_act: 'gelu', id2label: { 0: 'a', 1: 'b' } };
  const shape = bertShapeFromConfig(config);
  const weights = new Map([...bertParameterShapes(shape)].map(([n, s]) => [n, new Float32Array(s.reduce((a, b) => a * b, 1)).fill(0.1)]));
  const batch = { inputIds: [[2, 3, 0]], attentionMask: [[1, 1, 0]], tokenTypeIds: [[0, 0, 0]], labels: [1] };

  it('config fields, weights, ids and labels', () => {
    expect(bertClassifierBackward(shape, weights, batch, 'single_label_classification').grads.size).toBe(bertParameterShapes(shape).size);
    expect(() => bertShapeFromConfig({ ...config, hidden_act: 'swish' })).toThrow(/hidden_act 'swish' is not supported/);
    expect(() => bertShapeFromConfig({ ...config, hidden_size: 0 })).toThrow(/config.hidden_size must be a positive integer/);
    expect(() => bertShapeFromConfig({ ...config, num_attention_heads: 3 })).toThrow(/not a multiple of num_attention_heads/);
    const missing = new Map(weights);
    missing.delete('classifier.bias');
    expect(() => bertClassifierBackward(shape, missing, batch, 'single_label_classification')).toThrow(/missing weight 'classifier.bias'/);
    const wrong = new Map(weights).set('bert.pooler.dense.weight', new Float32Array(3));
    expect(() => bertClassifierBackward(shape, wrong, batch, 'single_label_classification')).toThrow(/'bert.pooler.dense.weight' has 3 elements, want 64 \(8×8\)/);
    expect(() => bertClassifierBackward(shape, weights, { ...batch, inputIds: [[2, 30, 0]] }, 'single_label_classification')).toThrow(/input id 30 at row 1/);
    expect(() => bertClassifierBackward(shape, weights, { ...batch, attentionMask: [[1, 1]] }, 'single_label_classification')).toThrow(/attentionMask must be 1 rows of 3/);
    expect(() => bertClassifierBackward(shape, weights, { ...batch, labels: [5] }, 'single_label_classification')).toThrow(/label 5 of row 0 is outside \[0, 2\)/);
    expect(() => bertClassifierBackward(shape, weights, batch, 'multi_label_classification')).toThrow(/needs 2 label value\(s\) per row/);
    expect(problemTypeOf(config, 2, [[0, 1]])).toBe('multi_label_classification');
    expect(problemTypeOf(config, 1, [0.5])).toBe('regression');
  });
});
