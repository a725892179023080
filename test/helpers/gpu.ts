// One GPU context per test process, shared by all tests in it. Never destroyed in teardown: after a runaway kernel
// device.destroy() can block forever; the process exit frees it. A missing adapter is a failure, never a skip.
import { requestNodeGpu } from '../../src/gpu/node-gpu.ts';
import { requestDevice, type GpuContext } from '../../src/gpu/device.ts';

let shared: Promise<GpuContext> | null = null;

export function getTestGpu(): Promise<GpuContext> {
  shared ??= (async () => {
    const { gpu, adapter } = await requestNodeGpu();
    return requestDevice(adapter, { label: 'bertgpu-test', instance: gpu });
  })();
  return shared;
}
