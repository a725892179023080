// One-off dispatch of the training kernels (src/train/kernels.ts) for the kernel checks. A thin local twin of
// src/gpu/dispatch.ts: that one is typed to the inference KernelName set; the training executor will record its own
// passes. Pipelines are cached per device, kernel (with storage type) and override values.
import { getTrainKernel, type StorageType, type TrainKernelName } from '../../src/train/kernels.ts';
import { packParams } from '../../src/gpu/wgsl-reflect.ts';

export interface TrainCall {
  params: Readonly<Record<string, number>>;
  buffers: Readonly<Record<string, GPUBuffer>>;
  overrides?: Readonly<Record<string, number | boolean>>;
  grid: readonly [number, number?, number?];
  storage?: StorageType;
}

const caches = new WeakMap<GPUDevice, Map<string, Promise<{ pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>>>();

async function compile(device: GPUDevice, kernel: TrainKernelName, storage: StorageType, overrides: TrainCall['overrides'] = {}) {
  const k = getTrainKernel(kernel, storage);
  const module = device.createShaderModule({ label: k.name, code: k.code });
  const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    throw new Error(`WGSL compilation failed for '${k.name}':\n${errors.map((m) => `  line ${m.lineNum}:${m.linePos} ${m.message}`).join('\n')}`);
  }
  const layout = device.createBindGroupLayout({
    label: k.name,
    entries: k.iface.bindings.map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.kind } })),
  });
  const constants: Record<string, number> = {};
  for (const [name, v] of Object.entries(overrides)) constants[name] = Number(v);
  const pipeline = await device.createComputePipelineAsync({
    label: k.name,
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: 'main', constants },
  });
  return { pipeline, layout };
}

/** Dispatches one training kernel and waits for the queue; validation errors become exceptions naming the kernel. */
export async function runTrainKernel(device: GPUDevice, kernel: TrainKernelName, call: TrainCall): Promise<void> {
  const storage = call.storage ?? 'f32';
  const k = getTrainKernel(kernel, storage);
  let cache = caches.get(device);
  if (!cache) caches.set(device, (cache = new Map()));
  const overrides = call.overrides ?? {};
  const key = `${k.name}|${Object.keys(overrides).sort().map((o) => `${o}=${Number(overrides[o])}`).join(',')}`;
  let compiled = cache.get(key);
  if (!compiled) {
    compiled = compile(device, kernel, storage, overrides);
    cache.set(key, compiled);
    compiled.catch(() => cache.delete(key));
  }
  const { pipeline, layout } = await compiled;
  for (const name of Object.keys(call.buffers)) {
    if (!k.iface.bindings.some((b) => b.name === name)) throw new Error(`kernel ${k.name}: unknown binding '${name}'`);
  }
  device.pushErrorScope('validation');
  const uniform = device.createBuffer({ label: `${k.name}.params`, size: k.iface.paramsSize, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  try {
    device.queue.writeBuffer(uniform, 0, packParams(k.name, k.iface, call.params));
    const entries = k.iface.bindings.map((b) => {
      if (b.kind === 'uniform') return { binding: b.binding, resource: { buffer: uniform } };
      const buffer = call.buffers[b.name];
      if (!buffer) throw new Error(`kernel ${k.name}: no buffer given for binding '${b.name}'`);
      return { binding: b.binding, resource: { buffer } };
    });
    const encoder = device.createCommandEncoder({ label: k.name });
    const pass = encoder.beginComputePass({ label: k.name });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({ label: k.name, layout, entries }));
    pass.dispatchWorkgroups(call.grid[0], call.grid[1] ?? 1, call.grid[2] ?? 1);
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  } finally {
    const err = await device.popErrorScope();
    uniform.destroy();
    if (err) throw new Error(`kernel ${k.name}: ${err.message}`);
  }
}
