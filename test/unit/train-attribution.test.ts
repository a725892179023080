// Token attributions on the GPU engine (Trainer.attributions, Dawn) vs the float64 reference, whose input gradient
// is itself checked by central differences; completeness of integrated gradients and its convergence with steps;
// a padded pair; chunked IG steps; errors.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getTestGpu } from '../helpers/gpu.ts';
import { cpuAttributions, logitAndInputGradient } from '../../src/cpu/attribution.ts';
import { bertParameterShapes, bertShapeFromConfig } from '../../src/cpu/bert-backward.ts';
import { parseBertConfig } from '../../src/model/config.ts';
import type { AttributionOptions } from '../../src/train/attribution-options.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { randomArray } from '../helpers/validate.ts';
import { loadModel } from '../kernels/train-step-cases.ts';
import { WORD_X, accuracy, occursBatch } from '../kernels/train-learn-cases.ts';
import { attributionCheck, loadAttributionModel, sequence, vectorErr, withTrainer, type AttributionModel } from '../kernels/train-attribution-cases.ts';

const readFixture = async (p: string): Promise<ArrayBuffer> => {
  const b = await readFile(join(import.meta.dirname, '../fixtures', p));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};
let model: Promise<AttributionModel> | null = null;
const getModel = () => (model ??= loadAttributionModel(readFixture));

const single = () => sequence([17, 40, 93, 120, 7]);
const pairPadded = () => sequence([17, 40, 93], [120, 7, 55], 12);  // 9 real tokens, T = 12

describe('float64 attribution reference', () => {
  it('the input gradient of the label logit matches central differences (h = 1e-5)', async () => {
    const m = await getModel();
    const seq = pairPadded();
    const C = m.shape.hidden;
    const word = m.weights.get('bert.embeddings.word_embeddings.weight')!;
    const rows = Float64Array.from({ length: seq.inputIds.length * C }, (_, i) => word[seq.inputIds[Math.floor(i / C)] * C + (i % C)] * 0.7);
    const { grad } = logitAndInputGradient(m.shape, m.weights, seq, 1, rows);
    let checked = 0;
    for (let i = 3; i < rows.length; i += 37) {
      const h = 1e-5;
      const plus = Float64Array.from(rows);
      const minus = Float64Array.from(rows);
      plus[i] += h;
      minus[i] -= h;
      const fd = (logitAndInputGradient(m.shape, m.weights, seq, 1, plus).logit - logitAndInputGradient(m.shape, m.weights, seq, 1, minus).logit) / (2 * h);
      expect(Math.abs(grad[i] - fd), `element ${i}: analytic ${grad[i]} vs central difference ${fd}`).toBeLessThanOrEqual(1e-7 + 1e-5 * Math.abs(fd));
      checked++;
    }
    // Padding tokens are masked out of every attention: the logit does not depend on their rows.
    for (let i = 9 * C; i < rows.length; i++) expect(grad[i]).toBe(0);
    expect(checked).toBeGreaterThan(15);
  });

  it('integrated gradients converge to completeness as O(1/steps²) (trapezoid)', async () => {
    const m = await getModel();
    const seq = single();
    const gap = (steps: number) => {
      const r = cpuAttributions(m.shape, m.weights, seq, { method: 'integrated-gradients', label: 2, steps }, m.config.padTokenId);
      return Math.abs(r.scores.reduce((a, b) => a + b, 0) - (r.inputLogit - r.baselineLogit));
    };
    const [g4, g16] = [gap(4), gap(16)];
    console.log(`float64 completeness gap: steps 4 ${g4.toExponential(2)}, steps 16 ${g16.toExponential(2)}`);
    expect(g16).toBeLessThan(g4 / 8);  // 16× for an exact O(h²) rule; ≥ 8× leaves room for the higher-order terms
  });
});

describe('Trainer.attributions vs PyTorch float64 autograd (test/fixtures/train/attributions.json)', () => {
  it('gradient × input and integrated gradients (20 steps, zero and [PAD] baselines) of the padded pair: ≤ 1e-3 relative', async () => {
    const m = await getModel();
    const fx = JSON.parse(await readFile(join(import.meta.dirname, '../fixtures/train/attributions.json'), 'utf8')) as {
      format: string; inputIds: number[]; tokenTypeIds: number[]; attentionMask: number[];
      cases: Array<{ options: AttributionOptions; scores: number[]; inputLogit: number; baselineLogit?: number; converged?: { scores: number[]; completenessGap: number } }>;
    };
    expect(fx.format).toBe('bertgpu-attribution-reference/1');
    const T = fx.inputIds.length;
    const batch = { B: 1, T, inputIds: fx.inputIds, tokenTypeIds: fx.tokenTypeIds, attentionMask: fx.attentionMask };
    await withTrainer(await getTestGpu(), m, async (trainer) => {
      for (const c of fx.cases) {
        const what = JSON.stringify(c.options);
        const gpu = await trainer.attributionDetails(batch, c.options);
        const err = vectorErr(gpu.scores, c.scores);
        console.log(`vs PyTorch ${what}: ${err.toExponential(2)}`);
        expect(err, what).toBeLessThanOrEqual(1e-3);
        expect(Math.abs(gpu.inputLogit - c.inputLogit), what).toBeLessThanOrEqual(1e-4);
        if (c.converged) {
          // PyTorch's own IG at 2000 intervals is complete to ~1e-7: the definition is right; 20 steps are close to it.
          expect(c.converged.completenessGap).toBeLessThan(1e-6);
          expect(Math.abs(gpu.baselineLogit - c.baselineLogit!), what).toBeLessThanOrEqual(1e-4);
          expect(vectorErr(gpu.scores, c.converged.scores), `${what} vs 2000 steps`).toBeLessThanOrEqual(2e-2);
        }
      }
    });
  });
});

describe('Trainer.attributions on the GPU (Dawn) vs the float64 reference', () => {
  it('gradient × input: ≤ 1e-3 relative per token vector, every label', async () => {
    const m = await getModel();
    await withTrainer(await getTestGpu(), m, async (trainer) => {
      for (const label of [0, 1, 2]) {
        const err = await attributionCheck(trainer, m, single(), { method: 'gradient-x-input', label }, `gradient × input, label ${label}`);
        console.log(`gradient × input label ${label}: ${err.toExponential(2)}`);
      }
    });
  });

  it('integrated gradients, zero and [PAD] baselines, in one submit', async () => {
    const m = await getModel();
    await withTrainer(await getTestGpu(), m, async (trainer) => {
      for (const baseline of ['zero', 'pad'] as const) {
        const err = await attributionCheck(trainer, m, single(), { method: 'integrated-gradients', label: 1, steps: 8, baseline }, `IG ${baseline}`);
        console.log(`IG baseline ${baseline}: ${err.toExponential(2)}`);
      }
      const r = await trainer.attributionDetails(single().batch, { method: 'integrated-gradients', label: 1 });
      expect(r.points).toBe(21);
      expect(r.submits).toBe(1);
    });
  });

  it('completeness on the GPU: Σ scores ≈ logit(x) − logit(baseline), the gap shrinking with steps; endpoint logits are the model\'s', async () => {
    const m = await getModel();
    const seq = single();
    await withTrainer(await getTestGpu(), m, async (trainer) => {
      const gap = async (steps: number, baseline: 'zero' | 'pad') => {
        const r = await trainer.attributionDetails(seq.batch, { method: 'integrated-gradients', label: 2, steps, baseline });
        return { r, gap: Math.abs(r.scores.reduce((a, b) => a + b, 0) - (r.inputLogit - r.baselineLogit)) };
      };
      const [a, b] = [await gap(2, 'pad'), await gap(20, 'pad')];
      console.log(`GPU completeness gap ([PAD] baseline, Δlogit ${(b.r.inputLogit - b.r.baselineLogit).toFixed(4)}): steps 2 ${a.gap.toExponential(2)}, steps 20 ${b.gap.toExponential(2)}`);
      expect(b.gap).toBeLessThan(a.gap / 10);
      expect(b.gap).toBeLessThanOrEqual(5e-3 * Math.abs(b.r.inputLogit - b.r.baselineLogit));
      // The endpoints are real forwards: the input's logits, and the all-[PAD] sequence's (the [PAD] baseline).
      const logits = await trainer.evaluateLogits(seq.batch);
      expect(Math.abs(b.r.inputLogit - logits[2])).toBeLessThanOrEqual(1e-5);
      const allPad = { ...seq.batch, inputIds: seq.inputIds.map(() => m.config.padTokenId) };
      expect(Math.abs(b.r.baselineLogit - (await trainer.evaluateLogits(allPad))[2])).toBeLessThanOrEqual(1e-5);
    });
  });

  it('a pair with padding at T = 12: padding scores 0, real tokens as the unpadded sequence\'s, both vs float64', async () => {
    const m = await getModel();
    await withTrainer(await getTestGpu(), m, async (trainer) => {
      const padded = pairPadded();
      await attributionCheck(trainer, m, padded, { method: 'gradient-x-input', label: 0 }, 'padded pair, gradient × input');
      await attributionCheck(trainer, m, padded, { method: 'integrated-gradients', label: 0, steps: 6 }, 'padded pair, IG');
      const p = await trainer.attributions(padded.batch, { method: 'integrated-gradients', label: 0, steps: 6 });
      const u = await trainer.attributions(sequence([17, 40, 93], [120, 7, 55]).batch, { method: 'integrated-gradients', label: 0, steps: 6 });
      expect(Array.from(p.subarray(9))).toEqual([0, 0, 0]);
      expect(vectorErr(p.subarray(0, 9), u)).toBeLessThanOrEqual(1e-4);
    });
  });

  it('IG steps chunked over several submits (token budget) equal the single submit', async () => {
    const m = await getModel();
    const seq = single();
    await withTrainer(await getTestGpu(), m, async (trainer) => {
      const opts = { method: 'integrated-gradients', label: 1, steps: 10 } as const;
      const one = await trainer.attributionDetails(seq.batch, opts);
      const chunked = await trainer.attributionDetails(seq.batch, opts, { maxTokens: 4 * seq.batch.T });  // 11 points: 4 + 4 + 3 (+1 weight-0 row)
      expect(one.submits).toBe(1);
      expect(chunked.submits).toBe(3);
      expect(vectorErr(chunked.scores, one.scores)).toBeLessThanOrEqual(1e-5);
      expect(chunked.baselineLogit).toBeCloseTo(one.baselineLogit, 5);
      // Plans are cached per (rows, T): repeated calls create no lasting buffer.
      const live = trainer.liveBuffers;
      for (let i = 0; i < 3; i++) await trainer.attributionDetails(seq.batch, opts, { maxTokens: 4 * seq.batch.T });
      await trainer.attributionDetails(seq.batch, opts);
      expect(trainer.liveBuffers).toBe(live);
    });
  });

  it('other heads: the regression output (label 0) and a multi-label logit', async () => {
    for (const [name, label] of [['tiny-bert-regression', 0], ['tiny-bert-multilabel', 1]] as const) {
      const m = await loadAttributionModel(readFixture, name);
      await withTrainer(await getTestGpu(), m, async (trainer) => {
        await attributionCheck(trainer, m, single(), { method: 'integrated-gradients', label, steps: 4 }, `${name} IG`);
        await expect(trainer.attributions(single().batch, { method: 'gradient-x-input', label: m.config.numLabels })).rejects.toThrow(/options\.label/);
      });
    }
  });

  it('odd widths: hidden 36 (fewer than a workgroup\'s 64 threads, 3 heads), intermediate 52, gelu_new, 1 layer, T = 9 with padding', async () => {
    const json = {
      model_type: 'bert', hidden_size: 36, num_hidden_layers: 1, num_attention_heads: 3, intermediate_size: 52, hidden_act: 'gelu_new',
      vocab_size: 50, max_position_embeddings: 16, type_vocab_size: 2, layer_norm_eps: 1e-12, pad_token_id: 1, num_labels: 2,
    };
    const shape = bertShapeFromConfig(json);
    let seed = 7;
    const weights = new Map([...bertParameterShapes(shape)].map(([n, dims]) => [n, randomArray(dims.reduce((a, b) => a * b, 1), seed++, n.includes('LayerNorm.weight') ? 0.2 : 0.5)]));
    for (const [n, w] of weights) if (n.includes('LayerNorm.weight')) w.forEach((v, i) => (w[i] = 1 + v));
    const m: AttributionModel = { config: parseBertConfig(JSON.stringify(json), 'odd/config.json'), weights, shape };
    await withTrainer(await getTestGpu(), m, async (trainer) => {
      const seq = sequence([17, 40, 3], [12], 9);
      await attributionCheck(trainer, m, seq, { method: 'gradient-x-input', label: 1 }, 'odd widths, gradient × input');
      await attributionCheck(trainer, m, seq, { method: 'integrated-gradients', label: 0, steps: 5, baseline: 'pad' }, 'odd widths, IG');
    });
  });

  it('a trainer with frozen parameters (head-only few-shot mode, or frozen embeddings) still explains down to the word rows', async () => {
    const m = await getModel();
    for (const freeze of [{ headOnly: true }, { embeddings: true, layers: 1 }]) {
      const trainer = await Trainer.create(await getTestGpu(), m, { freeze });
      try {
        await attributionCheck(trainer, m, single(), { method: 'integrated-gradients', label: 1, steps: 4 }, `freeze ${JSON.stringify(freeze)}`);
      } finally {
        trainer.dispose();
      }
    }
  });

  it('a trainer configured with dropout explains deterministically, as without dropout (the model as it predicts)', async () => {
    const m = await getModel();
    const { batch } = single();
    const o = { method: 'integrated-gradients', label: 1, steps: 4 } as const;
    const ref = await withTrainer(await getTestGpu(), m, (t) => t.attributions(batch, o));
    const dropped = await Trainer.create(await getTestGpu(), m, { hiddenDropout: 0.3, attentionDropout: 0.3, seed: 9 });
    try {
      expect(await dropped.attributions(batch, o)).toEqual(ref);
      expect(await dropped.attributions(batch, o)).toEqual(ref);
    } finally {
      dropped.dispose();
    }
  });

  it('between training steps: an open accumulation window\'s gradients and the weights are left as they were', async () => {
    const m = await getModel();
    const opts = { accumulationSteps: 2, lr: 1e-3, hiddenDropout: 0.1, seed: 5 };
    const [withExplain, plain] = [await Trainer.create(await getTestGpu(), m, opts), await Trainer.create(await getTestGpu(), m, opts)];
    try {
      const { batch } = single();
      const train = { ...batch, labels: [1] };
      expect((await withExplain.step(train)).updated).toBe(false);
      await plain.step(train);
      const before = await withExplain.readWeights();
      const scores = await withExplain.attributions(batch, { method: 'integrated-gradients', label: 1, steps: 3 });
      expect(scores.every(Number.isFinite)).toBe(true);
      const after = await withExplain.readWeights();
      for (const [n, w] of before) expect(after.get(n), n).toEqual(w);
      // The window completes on its second micro-batch with exactly the update of a trainer that never explained:
      // the attribution pass wrote no parameter gradient and advanced no dropout seed.
      const [r1, r2] = [await withExplain.step(train), await plain.step(train)];
      expect(r1.updated).toBe(true);
      expect(r1.gradNorm).toBe(r2.gradNorm);
      const [w1, w2] = [await withExplain.readWeights(), await plain.readWeights()];
      for (const [n, w] of w2) expect(w1.get(n), n).toEqual(w);
      expect(w1.get('classifier.weight')).not.toEqual(before.get('classifier.weight'));
      // Attributions follow the weights: the updated model explains differently.
      expect(await withExplain.attributions(batch, { method: 'integrated-gradients', label: 1, steps: 3 })).not.toEqual(scores);
    } finally {
      withExplain.dispose();
      plain.dispose();
    }
  });

  it('after learning "does word X occur", integrated gradients point at X: its score is the largest in held-out positives', async () => {
    const model = await loadModel(readFixture, 'tiny-bert');
    const trainer = await Trainer.create(await getTestGpu(), model, { lr: 1e-3, weightDecay: 0.01, maxGradNorm: 1, seed: 7 });
    try {
      const heldOut = occursBatch(64, 10, 999);
      let acc = 0;
      for (let step = 0; step < 300 && acc < 0.95;) {
        await trainer.step(occursBatch(16, 10, step++));
        if (step % 25 === 0) acc = accuracy(await trainer.evaluateLogits(heldOut), heldOut.labels, model.config.numLabels);
      }
      expect(acc).toBeGreaterThanOrEqual(0.95);
      const T = heldOut.T;
      const positives = heldOut.labels.flatMap((l, b) => (l === 1 ? [b] : [])).slice(0, 8);
      let top = 0;
      for (const b of positives) {
        const row = (a: ArrayLike<number>) => Array.from(a).slice(b * T, (b + 1) * T);
        const scores = await trainer.attributions({ B: 1, T, inputIds: row(heldOut.inputIds), tokenTypeIds: row(heldOut.tokenTypeIds), attentionMask: row(heldOut.attentionMask) },
          { method: 'integrated-gradients', label: 1, steps: 16 });
        const x = row(heldOut.inputIds).indexOf(WORD_X);
        if (scores.indexOf(Math.max(...scores)) === x) top++;
      }
      console.log(`IG: word X has the largest score in ${top} of ${positives.length} held-out positives (accuracy ${acc})`);
      expect(top).toBeGreaterThanOrEqual(positives.length - 1);
    } finally {
      trainer.dispose();
    }
  });

  it('Trainer.createForAttributions: the same scores and logits without gradient or moment buffers; training refused by name', async () => {
    const m = await getModel();
    const { batch } = pairPadded();
    const full = await Trainer.create(await getTestGpu(), m, {});
    const light = await Trainer.createForAttributions(await getTestGpu(), m);
    try {
      for (const o of [{ method: 'gradient-x-input', label: 2 }, { method: 'integrated-gradients', label: 0, steps: 5, baseline: 'pad' }] as const) {
        expect(await light.attributions(batch, o)).toEqual(await full.attributions(batch, o));
      }
      // Logits from the attribution plan's forward (α = 1, zero baseline) are the model's, bit for bit, at any B.
      const two = { B: 2, T: batch.T, inputIds: [...pairPadded().inputIds, ...single().inputIds, 0, 0, 0, 0, 0], tokenTypeIds: [...pairPadded().tokenTypeIds, ...new Array(12).fill(0)],
        attentionMask: [...pairPadded().attentionMask, ...single().attentionMask, 0, 0, 0, 0, 0] };
      expect(await light.evaluateLogits(two)).toEqual(await full.evaluateLogits(two));
      expect(light.registry.liveBytes).toBeLessThan(full.registry.liveBytes);
      console.log(`GPU bytes: full Trainer ${full.registry.liveBytes}, attributions only ${light.registry.liveBytes}`);
      await expect(light.step({ ...batch, labels: [0] })).rejects.toThrow(/Trainer\.step: this Trainer was made by createForAttributions/);
      await expect(light.gradients({ ...batch, labels: [0] })).rejects.toThrow(/Trainer\.gradients: this Trainer was made by createForAttributions/);
      expect((await light.readWeights()).get('classifier.weight')).toEqual(m.weights.get('classifier.weight'));
    } finally {
      full.dispose();
      light.dispose();
    }
  });

  it('bad input is refused by name: label, steps, baseline, method, B ≠ 1', async () => {
    const m = await getModel();
    const s = single();
    const { batch } = s;
    await withTrainer(await getTestGpu(), m, async (trainer) => {
      const bad: Array<[unknown, unknown, RegExp]> = [
        [batch, { method: 'gradient-x-input', label: 3 }, /options\.label must be a label index in \[0, 3\), got 3/],
        [batch, { method: 'gradient-x-input', label: -1 }, /options\.label/],
        [batch, { method: 'integrated-gradients', label: 0, steps: 0 }, /options\.steps must be an integer in \[1, 10000\], got 0/],
        [batch, { method: 'integrated-gradients', label: 0, steps: 2.5 }, /options\.steps/],
        [batch, { method: 'integrated-gradients', label: 0, baseline: 'mask' }, /options\.baseline must be 'zero' or 'pad'/],
        [batch, { method: 'gradient-x-input', label: 0, steps: 5 }, /options\.steps applies to integrated-gradients only/],
        [batch, { method: 'saliency', label: 0 }, /options\.method must be 'gradient-x-input' or 'integrated-gradients', got "saliency"/],
        [{ ...batch, B: 2, inputIds: [...s.inputIds, ...s.inputIds], tokenTypeIds: [...s.tokenTypeIds, ...s.tokenTypeIds], attentionMask: [...s.attentionMask, ...s.attentionMask] },
          { method: 'gradient-x-input', label: 0 }, /one sequence \(B = 1\), got B = 2/],
        [{ ...batch, inputIds: s.inputIds.map(() => 9999) }, { method: 'gradient-x-input', label: 0 }, /batch\.inputIds\[0\] = 9999 is outside/],
      ];
      for (const [b, o, re] of bad) await expect(trainer.attributions(b as typeof batch, o as never)).rejects.toThrow(re);
      // Still usable after refusals.
      expect((await trainer.attributions(batch, { method: 'gradient-x-input', label: 0 })).length).toBe(batch.T);
    });
  });
});
