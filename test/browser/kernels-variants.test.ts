import { afterEach, describe, it } from 'vitest';
import { requestBrowserGpu } from '../../src/gpu/device.ts';
import { kernelEnv, type KernelEnv } from '../kernels/env.ts';
import { variantCases } from '../kernels/variant-cases.ts';

let env: KernelEnv | null = null;
async function getEnv(): Promise<KernelEnv> {
  env ??= kernelEnv(await requestBrowserGpu());
  return env;
}

describe('f32 matmul variants vs float64 CPU reference (Chromium WebGPU)', () => {
  afterEach(() => env?.buffers.destroyAll());
  for (const c of variantCases) it(c.name, async () => c.run(await getEnv()));
});
