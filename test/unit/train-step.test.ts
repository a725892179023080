import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { getTestGpu } from '../helpers/gpu.ts';
import { gradientCheck } from '../kernels/train-step-cases.ts';

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
