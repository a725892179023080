import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { getTestGpu } from '../helpers/gpu.ts';
import { adamwCheck, gradientCheck } from '../kernels/train-step-cases.ts';
import { loadManifest, loadTensors } from '../kernels/train-fixture.ts';
import { bertClassifierBackward, bertShapeFromConfig } from '../../src/cpu/bert-backward.ts';
import { adamwStep, clipGradNorm } from '../../src/cpu/optimizer.ts';
import { decaysWeight } from '../../src/train/optimizer.ts';

const readFixture = async (p: string): Promise<ArrayBuffer> => {
  const b = await readFile(join(import.meta.dirname, '../fixtures', p));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

describe('GPU training step vs PyTorch float64 autograd (Dawn)', () => {
  for (const [i, what] of ['cross-entropy (tiny-bert)', 'BCE multi-label (tiny-bert-multilabel)', 'MSE regression (tiny-bert-regression)'].entries()) {
    it(`every parameter's gradient, the loss and the grad norm: ${what}`, async () => {
      const errors = await gradientCheck(await getTestGpu(), readFixture, i);
      const worst = Object.entries(errors).sort((a, b) => b[1] - a[1])[0];
      console.log(`${what}: worst gradient error ${worst[1].toExponential(2)} (${worst[0]})`);
    });
  }
});

describe('AdamW steps of the Trainer (Dawn)', () => {
  it('step 1 vs torch.optim.AdamW, step 2 vs the float64 chain (gradients recomputed at the step-1 weights)', async () => {
    const manifest = await loadManifest(readFixture);
    const c = manifest.cases[0];
    const cfgJson = JSON.parse(await readFile(join(import.meta.dirname, '../fixtures/tiny-bert/config.json'), 'utf8'));
    const shape = bertShapeFromConfig(cfgJson);
    const w0 = await loadTensors(readFixture, 'tiny-bert/model.safetensors');
    const ref = await loadTensors(readFixture, `train/${c.file}`);
    const hyper = { lr: manifest.adamw.lr, weightDecay: manifest.adamw.weightDecay, beta1: manifest.adamw.betas[0], beta2: manifest.adamw.betas[1], eps: manifest.adamw.eps };
    const adamw = (w: Map<string, Float64Array>, m: Map<string, Float64Array>, v: Map<string, Float64Array>, grads: Map<string, ArrayLike<number>>, t: number) => {
      const { clipped } = clipGradNorm(c.parameters.map((n) => grads.get(n)!), manifest.maxGradNorm);
      c.parameters.forEach((n, i) => {
        const state = { weights: w.get(n)!, m: m.get(n)!, v: v.get(n)! };
        adamwStep(state, clipped[i], { ...hyper, weightDecay: decaysWeight(n) ? hyper.weightDecay : 0 }, t);
      });
    };
    const refStep1 = () => {
      const w1 = new Map(c.parameters.map((n) => [n, Float64Array.from(w0.get(n)!)]));
      const m = new Map(c.parameters.map((n) => [n, new Float64Array(w0.get(n)!.length)]));
      const v = new Map(c.parameters.map((n) => [n, new Float64Array(w0.get(n)!.length)]));
      adamw(w1, m, v, new Map(c.parameters.map((n) => [n, ref.get(`grad.${n}`)!])), 1);
      return { w1, m, v };
    };
    const refStep2 = (w1: Map<string, Float64Array>, m: Map<string, Float64Array>, v: Map<string, Float64Array>) => {
      const { grads } = bertClassifierBackward(shape, w1, c, c.problemType);
      const w2 = new Map([...w1].map(([n, a]) => [n, Float64Array.from(a)]));
      adamw(w2, m, v, grads, 2);
      return w2;
    };
    const worst = await adamwCheck(await getTestGpu(), readFixture, refStep2, refStep1);
    console.log(`AdamW: worst update error step 1 ${worst.update1.toExponential(2)}, step 2 ${worst.update2.toExponential(2)}`);
  });
});
