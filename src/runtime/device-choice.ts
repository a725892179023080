// Which backend a pipeline runs on. 'gpu': WebGPU or an error. 'cpu': the WebAssembly backend. 'auto': WebGPU on a
// hardware adapter; the CPU when there is no navigator.gpu, no adapter, or the adapter is a software one (SwiftShader,
// lavapipe: measured 28× slower than a native CPU build on BERT-base). Absent: WebGPU on any adapter, the CPU only
// where WebGPU is unavailable, so a page works on every browser and an explicit software adapter keeps its kernels.
import type { GpuContext } from '../gpu/device.ts';
import type { BackendOption } from './pipeline-options.ts';

/** What `info.device` reports: the backend a pipeline runs on and why. */
export interface DeviceChoice {
  backend: 'gpu' | 'cpu';
  reason: string;
}

export interface ChosenBackend extends DeviceChoice {
  /** The GPU device, when the backend is the GPU. */
  gpu?: GpuContext;
}

/** `createGpu` makes the device (the caller's own wrapped, or one the environment requests). */
export async function chooseBackend(option: BackendOption | undefined, createGpu: () => Promise<GpuContext>): Promise<ChosenBackend> {
  if (option === 'cpu') return { backend: 'cpu', reason: "device 'cpu' was asked for" };
  if (option === 'gpu') return { backend: 'gpu', reason: "device 'gpu' was asked for", gpu: await createGpu() };
  let gpu: GpuContext;
  try {
    gpu = await createGpu();
  } catch (e) {
    return { backend: 'cpu', reason: `WebGPU is unavailable (${(e as Error).message})` };
  }
  const f = gpu.facts;
  const adapter = f.description || [f.vendor, f.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  if (option === 'auto' && isSoftwareAdapter(f)) {
    if (gpu.ownsDevice) gpu.device.destroy();
    return { backend: 'cpu', reason: `the WebGPU adapter (${adapter}) is a software one; the CPU backend is faster` };
  }
  return { backend: 'gpu', reason: option === 'auto' ? `a hardware WebGPU adapter (${adapter})` : `WebGPU is available (${adapter})`, gpu };
}

/** A CPU implementation of WebGPU: the adapter says it is a fallback, or its facts name a software driver. */
export function isSoftwareAdapter(f: GpuContext['facts']): boolean {
  return f.isFallbackAdapter || f.architecture === 'software' || /swiftshader|llvmpipe|lavapipe|warp/i.test(`${f.description} ${f.vendor}`);
}
