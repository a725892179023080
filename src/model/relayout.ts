// Load-time re-layouts of a model's weights into what its kernels read: Q|K|V fused into one (3C, C) matrix per layer,
// and (GPU kernel profile) the attention-output weight transposed to (in, out). Each frees the originals.
import type { BufferRegistry } from '../gpu/buffers.ts';
import type { GpuContext } from '../gpu/device.ts';
import { bindKernel } from '../gpu/dispatch.ts';
import { transposeGrid } from '../gpu/gpu-kernels.ts';
import { getKernel } from '../gpu/kernels.ts';
import type { PipelineCache } from '../gpu/pipelines.ts';
import type { GpuTensor, GpuWeights } from '../weights/gpu-weights.ts';
import { attentionOutputTransposedName, qkvNames } from './bert.ts';
import type { BertConfig } from './config.ts';

/** What a re-layout reads and updates: the model's device, weights and its tensors by name. */
export interface RelayoutTarget {
  gpu: GpuContext;
  config: BertConfig;
  dtype: 'f32' | 'f16';
  registry: BufferRegistry;
  weights: GpuWeights;
  tensors: Map<string, GpuTensor>;
  pipelines: PipelineCache;
}

function tensorOf(m: RelayoutTarget, name: string): GpuTensor {
  const t = m.tensors.get(name);
  if (!t) throw new Error(`weights: no tensor "${name}" in this model`);
  return t;
}

export function fuseQkv(m: RelayoutTarget): void {
  const { device } = m.gpu;
  const encoder = device.createCommandEncoder({ label: 'fuse-qkv' });
  const dead: GpuTensor[] = [];
  for (let l = 0; l < m.config.numHiddenLayers; l++) {
    const p = `bert.encoder.layer.${l}.attention.self`;
    const names = qkvNames(l);
    for (const [suffix, fused] of [['weight', names.weight], ['bias', names.bias]] as const) {
      const parts = ['query', 'key', 'value'].map((n) => tensorOf(m, `${p}.${n}.${suffix}`));
      const bytes = parts[0].byteLength;
      // Buffer copies move 4-byte units; only f16 with an odd hidden size could break this.
      if (bytes % 4 !== 0) throw new Error(`cannot fuse ${p}.*.${suffix}: ${bytes} bytes is not a multiple of 4 (use dtype f32)`);
      const buffer = m.registry.create({ label: fused, size: Math.ceil((3 * bytes) / 4) * 4, usage: parts[0].buffer.usage });
      parts.forEach((t, i) => encoder.copyBufferToBuffer(t.buffer, 0, buffer, i * bytes, bytes));
      const tensor: GpuTensor = { ...parts[0], name: fused, shape: [3 * parts[0].shape[0], ...parts[0].shape.slice(1)], byteLength: 3 * bytes, buffer };
      m.weights.add(tensor, 'fused-qkv');
      m.tensors.set(fused, tensor);
      dead.push(...parts);
      ['query', 'key', 'value'].forEach((n) => m.tensors.delete(`${p}.${n}.${suffix}`));
    }
  }
  device.queue.submit([encoder.finish()]);
  // Destroying a buffer after submit is safe: WebGPU keeps it alive until the copies that use it have run.
  for (const t of dead) {
    m.registry.destroy(t.buffer);
    m.weights.tensors.delete(t.name);
  }
}

/**
 * The GPU profile's attentionOutput op reads each layer's attention-output weight as (in, out) (consecutive lanes
 * read consecutive columns): transposed once here on the GPU; the (out, in) original is freed, as no graph of this
 * model reads it.
 */
export function transposeAttentionOutput(m: RelayoutTarget): void {
  const { device } = m.gpu;
  const name = m.dtype === 'f16' ? 'transposeF16' : 'transpose';
  const kernel = getKernel(name);
  // Synchronous compile (create() is synchronous): a 16 × 16 copy kernel, once per model.
  const pipeline = device.createComputePipeline({
    label: name,
    layout: device.createPipelineLayout({ bindGroupLayouts: [m.pipelines.bindGroupLayout(name)] }),
    compute: { module: device.createShaderModule({ label: name, code: kernel.code }), entryPoint: 'main' },
  });
  const encoder = device.createCommandEncoder({ label: 'transpose-attention-output' });
  const pass = encoder.beginComputePass({ label: 'transpose-attention-output' });
  const uniforms: GPUBuffer[] = [];
  const dead: GpuTensor[] = [];
  for (let l = 0; l < m.config.numHiddenLayers; l++) {
    const w = tensorOf(m, `bert.encoder.layer.${l}.attention.output.dense.weight`);
    const [R, C] = w.shape;
    const tName = attentionOutputTransposedName(l);
    const buffer = m.registry.create({ label: tName, size: w.buffer.size, usage: w.buffer.usage });
    const t: GpuTensor = { ...w, name: tName, shape: [C, R], buffer };
    m.weights.add(t, 'transposed');
    m.tensors.set(tName, t);
    const { bindGroup, uniform } = bindKernel(device, m.pipelines, name, { params: { R, C }, buffers: { x: w.buffer, y: buffer } });
    uniforms.push(uniform);
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(...transposeGrid(R, C));
    dead.push(w);
  }
  pass.end();
  device.queue.submit([encoder.finish()]);
  // As in fuseQkv: destroying after submit is safe, the queued work keeps them alive.
  for (const u of uniforms) u.destroy();
  for (const t of dead) {
    m.registry.destroy(t.buffer);
    m.weights.tensors.delete(t.name);
    m.tensors.delete(t.name);
  }
}
