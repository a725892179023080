import { afterEach, describe, it } from 'vitest';
import { requestBrowserGpu } from '../../src/gpu/device.ts';
import { kernelEnv, type KernelEnv } from '../kernels/env.ts';
import {
  activationCase, attentionBackwardCase, embeddingBackwardCase, layerNormBlockCase, matmulBackwardCase, type BackwardCase,
} from '../kernels/backward-cases.ts';
import { crossEntropyCase, dropoutCase, elementwiseLossCase } from '../kernels/backward-loss-cases.ts';

let env: KernelEnv | null = null;
async function getEnv(): Promise<KernelEnv> {
  env ??= kernelEnv(await requestBrowserGpu());
  return env;
}

// A small subset (SwiftShader is slow): one shape per kernel, edges not multiples of the tiles, padding, repeats.
const cases: BackwardCase[] = [
  matmulBackwardCase([65, 33, 70]),
  layerNormBlockCase([5, 13, 7]),
  activationCase('gelu', 300),
  activationCase('geluTanh', 300),
  attentionBackwardCase([2, 9, 2, 8, 'tail']),
  attentionBackwardCase([2, 5, 3, 4, 'allMaskedRow'], true),
  embeddingBackwardCase([2, 5, 37, 11]),
  crossEntropyCase([6, 37], 'some'),
  elementwiseLossCase('bceWithLogits', [3, 5]),
  elementwiseLossCase('mse', [5, 1]),
  dropoutCase(3001, 0.1),
];

describe('backward kernels vs float64 CPU reference (Chromium WebGPU)', () => {
  afterEach(() => env?.buffers.destroyAll());
  for (const c of cases) it(c.name, async () => c.run(await getEnv()));
});
