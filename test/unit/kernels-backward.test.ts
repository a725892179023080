import { afterEach, describe, it } from 'vitest';
import { getTestGpu } from '../helpers/gpu.ts';
import { kernelEnv, type KernelEnv } from '../kernels/env.ts';
import {
  activationCase, attentionBackwardCase, embeddingBackwardCase, layerNormBlockCase, matmulBackwardCase, type BackwardCase,
} from '../kernels/backward-cases.ts';
import { crossEntropyBadLabelCase, crossEntropyCase, dropoutCase, elementwiseLossCase } from '../kernels/backward-loss-cases.ts';

let env: KernelEnv | null = null;
async function getEnv(): Promise<KernelEnv> {
  env ??= kernelEnv(await getTestGpu());
  return env;
}

// Shapes: 1 × 1 × 1, none a multiple of the 64-tiles or 32-column blocks, and BERT-sized widths (768) with few rows.
const cases: BackwardCase[] = [
  ...([[1, 1, 1], [7, 13, 5], [65, 33, 129], [130, 70, 64], [64, 768, 64]] as const).map((s) => matmulBackwardCase([...s])),
  ...([[1, 2, 1], [5, 13, 7], [33, 768, 20], [3, 130, 64]] as const).map((s) => layerNormBlockCase([...s])),
  ...(['gelu', 'geluTanh', 'relu', 'tanh'] as const).map((k) => activationCase(k, 1000)),
  activationCase('gelu', 1),
  ...([[1, 1, 1, 4, 'none'], [2, 9, 2, 8, 'tail'], [2, 5, 3, 4, 'allMaskedRow'], [1, 130, 2, 16, 'none'], [2, 33, 2, 64, 'tail']] as const)
    .flatMap((s) => [attentionBackwardCase([...s]), attentionBackwardCase([...s], true)]),
  embeddingBackwardCase([1, 1, 1, 1]),
  embeddingBackwardCase([2, 5, 37, 11]),
  embeddingBackwardCase([3, 17, 96, 50]),
  crossEntropyCase([1, 1], 'none'),
  crossEntropyCase([6, 37], 'some'),
  crossEntropyCase([8, 1000], 'some'),
  crossEntropyCase([4, 3], 'all'),
  crossEntropyBadLabelCase(),
  elementwiseLossCase('bceWithLogits', [3, 5]),
  elementwiseLossCase('bceWithLogits', [70, 1]),
  elementwiseLossCase('mse', [5, 1]),
  elementwiseLossCase('mse', [4, 130]),
  dropoutCase(10007, 0.1),
  dropoutCase(300, 0.5),
  // f16 storage (lavapipe has shader-f16): the same kernels with the f16 prelude.
  matmulBackwardCase([65, 33, 129], 'f16'),
  layerNormBlockCase([5, 130, 7], 'f16'),
  ...(['gelu', 'geluTanh', 'relu', 'tanh'] as const).map((k) => activationCase(k, 1000, 'f16')),
  attentionBackwardCase([2, 9, 2, 8, 'tail'], false, 'f16'),
  attentionBackwardCase([2, 33, 2, 64, 'tail'], true, 'f16'),
  embeddingBackwardCase([3, 17, 96, 50], 'f16'),
];

describe('backward kernels vs float64 CPU reference (Dawn)', () => {
  afterEach(() => env?.buffers.destroyAll());
  it('the Node adapter offers shader-f16 (the f16-storage cases below need it)', async () => {
    if (!(await getEnv()).hasF16) throw new Error('lavapipe without shader-f16: the f16-storage backward cases cannot run');
  });
  for (const c of cases) it(c.name, async () => c.run(await getEnv()));
});
