import { afterEach, describe, expect, it } from 'vitest';
import { dropoutParams, elementGrid, getTrainKernel, segmentRows, trainKernelNames } from '../../src/train/kernels.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { kernelEnv, type KernelEnv } from '../kernels/env.ts';
import {
  activationCase, attentionBackwardCase, embeddingBackwardCase, layerNormBlockCase, layerNormManyRowsCase, matmulBackwardCase,
  type BackwardCase,
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
  layerNormManyRowsCase(65_600),
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

describe('training kernel registry and host inputs', () => {
  it('every kernel reflects (bindings numbered, Params read) in both storage types; f16 code starts with enable f16', () => {
    for (const name of trainKernelNames) {
      expect(getTrainKernel(name).iface.bindings.length).toBeGreaterThan(1);
      expect(getTrainKernel(name, 'f16').code.startsWith('enable f16;')).toBe(true);
    }
    expect(() => getTrainKernel('nope' as never)).toThrow(/unknown training kernel 'nope'/);
    expect(() => getTrainKernel('dropout', 'bf16' as never)).toThrow(/storage must be 'f32' or 'f16'/);
  });

  it('segmentRows groups rows by key and names the bad key', () => {
    const s = segmentRows('ids', [3, 1, 3, 0, 3], 5);
    expect(Array.from(s.targets)).toEqual([0, 1, 3]);
    expect(Array.from(s.starts)).toEqual([0, 1, 2, 5]);
    expect(Array.from(s.sortedRows)).toEqual([3, 1, 0, 2, 4]);
    expect(() => segmentRows('ids', [0, 5], 5)).toThrow(/ids: row 1 reads table row 5, outside \[0, 5\)/);
    expect(() => segmentRows('typeIds', [0.5], 2)).toThrow(/typeIds: row 0/);
  });

  it('dropoutParams rejects p outside [0, 1); grids split past 65535 workgroups', () => {
    expect(dropoutParams(0)).toEqual({ threshold: 0, scale: 1 });
    expect(dropoutParams(0.5).threshold).toBe(2 ** 31);
    for (const p of [1, -0.1, Number.NaN]) expect(() => dropoutParams(p)).toThrow(/dropout: probability must be in \[0, 1\)/);
    const [x, y] = elementGrid(256 * 70_000);
    expect(x).toBeLessThanOrEqual(65535);
    expect(x * y * 256).toBeGreaterThanOrEqual(256 * 70_000);
  });
});
