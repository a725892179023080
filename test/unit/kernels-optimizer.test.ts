import { afterEach, describe, expect, it } from 'vitest';
import { adamwStep } from '../../src/cpu/optimizer.ts';
import { adamwParams, decayRanges, decaysWeight, lrMultiplier } from '../../src/train/optimizer.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { kernelEnv, type KernelEnv } from '../kernels/env.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { adamwCase, adamwPytorchCase } from '../kernels/optimizer-cases.ts';

const readFixture = async (p: string): Promise<ArrayBuffer> => {
  const b = await readFile(join(import.meta.dirname, '../fixtures', p));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

let env: KernelEnv | null = null;
async function getEnv(): Promise<KernelEnv> {
  env ??= kernelEnv(await getTestGpu());
  return env;
}

// Tensor sizes: single elements, sizes that are not multiples of the 256-thread workgroups, a 2-D grid (WG = 1).
const cases = [
  adamwCase([1], 'off', { steps: 2 }),
  adamwCase([300, 7, 64, 129, 1000], 'clip'),
  adamwCase([300, 7, 64, 129, 1000], 'none'),
  adamwCase([513, 3, 3, 40, 2], 'clip', { gradScale: 0.25, zeroGrad: true }),
  adamwCase([70_001], 'clip', { steps: 1, wg: 1 }),
  // A large lr·wd makes torch's order (decay the old weight, then the Adam update) visible: decaying after the update
  // differs by lr²·wd ≈ 5e-3 here, ~1e-9 at lr 3e-4.
  adamwCase([300, 7, 64, 129, 1000], 'clip', { lr: 0.1, weightDecay: 0.5 }),
  adamwPytorchCase(readFixture),
];

describe('optimizer kernels vs float64 CPU reference (Dawn)', () => {
  afterEach(() => env?.buffers.destroyAll());
  for (const c of cases) it(c.name, async () => c.run(await getEnv()));
});

describe('optimizer host side (HF Trainer conventions)', () => {
  it('decay rule by name: no decay for biases and LayerNorm parameters, decay for the rest', () => {
    for (const n of ['bert.embeddings.word_embeddings.weight', 'bert.encoder.layer.0.attention.self.query.weight', 'classifier.weight', 'bert.pooler.dense.weight']) {
      expect(decaysWeight(n), n).toBe(true);
    }
    for (const n of ['bert.embeddings.LayerNorm.weight', 'bert.encoder.layer.1.output.LayerNorm.bias', 'classifier.bias', 'cls.predictions.bias', 'bert.pooler.dense.bias']) {
      expect(decaysWeight(n), n).toBe(false);
    }
    expect(() => decaysWeight('')).toThrow(/parameter name/);
  });

  it('schedules follow HF: constant, constant_with_warmup, linear with warmup (update k sees λ(k))', () => {
    expect([0, 1, 5].map((k) => lrMultiplier('constant', k, 3))).toEqual([1, 1, 1]);
    expect([0, 1, 2, 3, 9].map((k) => lrMultiplier('constant_with_warmup', k, 3))).toEqual([0, 1 / 3, 2 / 3, 1, 1]);
    // get_linear_schedule_with_warmup(warmup 2, total 10): 0, 0.5, then (10 − k)/8 down to 0.
    expect([0, 1, 2, 6, 10, 12].map((k) => lrMultiplier('linear', k, 2, 10))).toEqual([0, 0.5, 1, 0.5, 0, 0]);
    expect(lrMultiplier('linear', 0, 0, 4)).toBe(1);
    expect(() => lrMultiplier('linear', 0, 0, 0)).toThrow(/totalSteps/);
    expect(() => lrMultiplier('cosine' as never, 0)).toThrow(/unknown scheduler 'cosine'/);
    expect(() => lrMultiplier('constant', -1)).toThrow(/step must be/);
  });

  it('adamwParams: bias corrections in float64, bad hyper-parameters named', () => {
    const p = adamwParams({ lr: 1e-3, weightDecay: 0.01 }, 2, { offset: 4, n: 10 });
    expect(p.bc1).toBeCloseTo(1 - 0.81, 15);
    expect(p.bc2Sqrt).toBeCloseTo(Math.sqrt(1 - 0.999 ** 2), 15);
    expect(p).toMatchObject({ offset: 4, n: 10, beta1: 0.9, beta2: 0.999, eps: 1e-8, gradScale: 1 });
    expect(() => adamwParams({ lr: -1, weightDecay: 0 }, 1, { offset: 0, n: 1 })).toThrow(/lr must be/);
    expect(() => adamwParams({ lr: 1, weightDecay: 0, beta2: 1 }, 1, { offset: 0, n: 1 })).toThrow(/beta2 must be in \[0, 1\)/);
    expect(() => adamwParams({ lr: 1, weightDecay: 0 }, 0, { offset: 0, n: 1 })).toThrow(/step t/);
    const state = { weights: new Float64Array(3), m: new Float64Array(3), v: new Float64Array(3) };
    expect(() => adamwStep(state, [1, 2], { lr: 1, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, 1)).toThrow(/adamwStep: lengths differ \(weights 3, grads 2/);
  });

  it('decayRanges merges neighbours of equal decay, skips frozen tensors, rejects overlaps', () => {
    const t = [
      { name: 'a.weight', offset: 0, size: 4 }, { name: 'b.weight', offset: 4, size: 2 }, { name: 'b.bias', offset: 6, size: 2 },
      { name: 'c.LayerNorm.weight', offset: 8, size: 2 }, { name: 'd.weight', offset: 10, size: 3 }, { name: 'e.weight', offset: 13, size: 1 },
    ];
    expect(decayRanges(t, 0.01)).toEqual([{ offset: 0, n: 6, weightDecay: 0.01 }, { offset: 6, n: 4, weightDecay: 0 }, { offset: 10, n: 4, weightDecay: 0.01 }]);
    expect(decayRanges(t, 0.01, new Set(['d.weight']))).toEqual([
      { offset: 0, n: 6, weightDecay: 0.01 }, { offset: 6, n: 4, weightDecay: 0 }, { offset: 13, n: 1, weightDecay: 0.01 },
    ]);
    expect(() => decayRanges([{ name: 'x', offset: 0, size: 4 }, { name: 'y', offset: 2, size: 1 }], 0)).toThrow(/'y' at 2 overlaps/);
  });
});
