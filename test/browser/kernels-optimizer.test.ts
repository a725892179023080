import { afterEach, describe, it } from 'vitest';
import { requestBrowserGpu } from '../../src/gpu/device.ts';
import { kernelEnv, type KernelEnv } from '../kernels/env.ts';
import { adamwCase, adamwPytorchCase } from '../kernels/optimizer-cases.ts';

let env: KernelEnv | null = null;
async function getEnv(): Promise<KernelEnv> {
  env ??= kernelEnv(await requestBrowserGpu());
  return env;
}

const readFixture = async (p: string): Promise<ArrayBuffer> => {
  const res = await fetch(`${location.origin}/test/fixtures/${p}`);
  if (!res.ok) throw new Error(`fixture ${p}: HTTP ${res.status}`);
  return res.arrayBuffer();
};

// A small subset (SwiftShader is slow): clipping with decay ranges and a frozen gap, accumulation scale + ZERO_GRAD,
// and the PyTorch AdamW/clip reference (131 k parameters, elementwise: cheap).
const cases = [
  adamwCase([300, 7, 64, 129, 1000], 'clip', { steps: 2 }),
  adamwCase([513, 3, 3, 40, 2], 'off', { steps: 2, gradScale: 0.25, zeroGrad: true }),
  adamwPytorchCase(readFixture),
];

describe('optimizer kernels (Chromium WebGPU)', () => {
  afterEach(() => env?.buffers.destroyAll());
  for (const c of cases) it(c.name, async () => c.run(await getEnv()));
});
