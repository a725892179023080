import { afterEach, describe, it } from 'vitest';
import { requestBrowserGpu } from '../../src/gpu/device.ts';
import { kernelEnv, type KernelEnv } from '../kernels/env.ts';
import { f32Cases } from '../kernels/f32-cases.ts';

let env: KernelEnv | null = null;
async function getEnv(): Promise<KernelEnv> {
  env ??= kernelEnv(await requestBrowserGpu());
  return env;
}

describe('f32 kernels vs float64 CPU reference (Chromium WebGPU)', () => {
  afterEach(() => env?.buffers.destroyAll());
  for (const c of f32Cases) it(c.name, async () => c.run(await getEnv()));
});
