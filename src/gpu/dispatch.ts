// One-off kernel dispatch: for tests, benchmarks and tools. The executor records its own passes from a Plan instead.
import { getKernel, type KernelName } from './kernels.ts';
import type { Overrides, PipelineCache } from './pipelines.ts';
import { packParams } from './wgsl-reflect.ts';

export interface KernelCall {
  params: Readonly<Record<string, number>>;
  /** Buffers by binding name as written in the WGSL (the uniform `params` is made here). */
  buffers: Readonly<Record<string, GPUBuffer>>;
  overrides?: Overrides;
  grid: readonly [number, number?, number?];
}

/** Creates the bind group for a call; the caller owns the returned uniform buffer. */
export function bindKernel(
  device: GPUDevice,
  pipelines: PipelineCache,
  name: KernelName,
  call: Pick<KernelCall, 'params' | 'buffers'>,
  createBuffer: (d: GPUBufferDescriptor) => GPUBuffer = (d) => device.createBuffer(d),
): { bindGroup: GPUBindGroup; uniform: GPUBuffer } {
  const kernel = getKernel(name);
  const uniform = createBuffer({
    label: `${name}.params`,
    size: kernel.iface.paramsSize,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(uniform, 0, packParams(name, kernel.iface, call.params));
  const entries: GPUBindGroupEntry[] = kernel.iface.bindings.map((b) => {
    if (b.kind === 'uniform') return { binding: b.binding, resource: { buffer: uniform } };
    const buffer = call.buffers[b.name];
    if (!buffer) {
      uniform.destroy();
      throw new Error(`kernel ${name}: no buffer given for binding '${b.name}'`);
    }
    return { binding: b.binding, resource: { buffer } };
  });
  for (const key of Object.keys(call.buffers)) {
    if (!kernel.iface.bindings.some((b) => b.name === key)) {
      uniform.destroy();
      throw new Error(`kernel ${name}: unknown binding '${key}'`);
    }
  }
  const bindGroup = device.createBindGroup({ label: name, layout: pipelines.bindGroupLayout(name), entries });
  return { bindGroup, uniform };
}

/** Dispatches one kernel and waits for the queue; validation errors become exceptions naming the kernel. */
export async function runKernel(device: GPUDevice, pipelines: PipelineCache, name: KernelName, call: KernelCall): Promise<void> {
  const pipeline = await pipelines.get(name, call.overrides);
  device.pushErrorScope('validation');
  const { bindGroup, uniform } = bindKernel(device, pipelines, name, call);
  try {
    const encoder = device.createCommandEncoder({ label: name });
    const pass = encoder.beginComputePass({ label: name });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(call.grid[0], call.grid[1] ?? 1, call.grid[2] ?? 1);
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  } finally {
    const err = await device.popErrorScope();
    uniform.destroy();
    if (err) throw new Error(`kernel ${name}: ${err.message}`);
  }
}
