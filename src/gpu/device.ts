// A GPUDevice with the features and limits the kernels need, plus facts about the adapter that choose code paths
// (f16 storage, software adapter). Works the same in the browser and in Node (the GPU object is passed in).

export interface AdapterFacts {
  vendor: string;
  architecture: string;
  description: string;
  isFallbackAdapter: boolean;
  hasF16: boolean;
  hasSubgroups: boolean;
  hasTimestamps: boolean;
}

export interface GpuContext {
  device: GPUDevice;
  /** The adapter, when we requested the device (absent for a device the caller passed in). */
  adapter?: GPUAdapter;
  facts: AdapterFacts;
  /** Resolves with the reason when the device is lost (destroy() or a driver fault). */
  lost: Promise<GPUDeviceLostInfo>;
  /** True when this context created the device, so dispose() of an owner may destroy it. */
  ownsDevice: boolean;
  /**
   * The GPU instance the adapter came from. Held so that it lives as long as the device: Dawn in Node tears the
   * instance down when it is garbage-collected, after which pending GPU promises hang or crash the process.
   */
  instance?: GPU;
}

export interface DeviceOptions {
  label?: string;
  instance?: GPU;
}

export function adapterFacts(adapter: GPUAdapter): AdapterFacts {
  return factsOf(adapter.features, adapter.info);
}

/** Facts from a feature set and adapter info: the adapter's, or a device's (what it was created with). */
function factsOf(features: GPUSupportedFeatures, info: GPUAdapterInfo | undefined): AdapterFacts {
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: Boolean((info as GPUAdapterInfo & { isFallbackAdapter?: boolean })?.isFallbackAdapter),
    hasF16: features.has('shader-f16'),
    hasSubgroups: features.has('subgroups'),
    hasTimestamps: features.has('timestamp-query'),
  };
}

/**
 * Requests a device with shader-f16, subgroups and timestamp-query (each when the adapter has it: f16 storage, the
 * subgroup reductions of the GPU profile, profiling) and the adapter's largest buffer limits (BERT weights are big).
 * A tensor still over maxStorageBufferBindingSize (browsers often report 128 MiB; mBERT's word embeddings are 367 MB)
 * is held in row blocks (src/weights/row-blocks.ts).
 */
export async function requestDevice(adapter: GPUAdapter, options: DeviceOptions = {}): Promise<GpuContext> {
  const { label = 'bertgpu', instance } = options;
  const facts = adapterFacts(adapter);
  const requiredFeatures: GPUFeatureName[] = [];
  if (facts.hasF16) requiredFeatures.push('shader-f16');
  if (facts.hasSubgroups) requiredFeatures.push('subgroups');
  if (facts.hasTimestamps) requiredFeatures.push('timestamp-query');
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    label,
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxStorageBuffersPerShaderStage: Math.min(l.maxStorageBuffersPerShaderStage, 10),
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
    },
  });
  return { device, adapter, facts, lost: device.lost, ownsDevice: true, instance };
}

/**
 * Wraps a device the caller owns; we never destroy it. Its facts come from the device itself: f16 kernels run only
 * if the device was created with shader-f16, whatever the adapter offers. Its limits are its own, often WebGPU's
 * defaults (requestDevice() without requiredLimits: 128 MiB per binding, 256 MiB per buffer): the loader splits a
 * larger vocabulary into row blocks within them, and refuses from the headers what cannot be split.
 */
export function wrapDevice(device: GPUDevice): GpuContext {
  return { device, facts: factsOf(device.features, device.adapterInfo), lost: device.lost, ownsDevice: false };
}

/** Browser/Worker: navigator.gpu → device, or a clear error when WebGPU is missing. */
export async function requestBrowserGpu(powerPreference: GPUPowerPreference = 'high-performance'): Promise<GpuContext> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new Error('WebGPU is not available here (navigator.gpu is missing); use a browser with WebGPU enabled');
  const adapter = await gpu.requestAdapter({ powerPreference });
  if (!adapter) throw new Error('WebGPU is present but no adapter was found (navigator.gpu.requestAdapter() returned null)');
  return requestDevice(adapter, { instance: gpu });
}
