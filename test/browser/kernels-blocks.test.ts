// gatherBlockRows on Chromium/SwiftShader: the same cases as Node/Dawn (test/kernels/block-cases.ts).
import { afterEach, describe, it } from 'vitest';
import { requestBrowserGpu } from '../../src/gpu/device.ts';
import { kernelEnv, type KernelEnv } from '../kernels/env.ts';
import { blockCases } from '../kernels/block-cases.ts';

let env: KernelEnv | null = null;
async function getEnv(): Promise<KernelEnv> {
  env ??= kernelEnv(await requestBrowserGpu());
  return env;
}

describe('gatherBlockRows vs the table gathered on the CPU (Chromium WebGPU)', () => {
  afterEach(() => env?.buffers.destroyAll());
  for (const c of blockCases) it(c.name, async () => c.run(await getEnv()));
});
