// Load-time re-layouts of a model's weights into what its kernels read: Q|K|V fused into one (3C, C) matrix per block,
// and (GPU kernel profile) the attention-output weight transposed to (in, out). Each frees the originals. Also the
// tensors a family's graph reads that no checkpoint holds (makeLoadTimeTensors).
import type { BufferRegistry } from '../gpu/buffers.ts';
import type { GpuContext } from '../gpu/device.ts';
import { bindKernel } from '../gpu/dispatch.ts';
import { transposeGrid } from '../gpu/gpu-kernels.ts';
import { getKernel } from '../gpu/kernels.ts';
import type { PipelineCache } from '../gpu/pipelines.ts';
import type { GpuTensor, GpuWeights } from '../weights/gpu-weights.ts';
import { attentionOutputTransposedName, qkvNames, typeRowByPositionName } from './bert.ts';
import { layoutOf } from './families/layouts.ts';
import { numberToF16Bits } from '../weights/dtypes.ts';
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
  // Each distinct block once: ALBERT's shared blocks are fused once and read by every layer of their group.
  for (const block of layoutOf(m.config).blocks) {
    const names = qkvNames(block);
    const sources = [block.query, block.key, block.value];
    for (const [suffix, fused] of [['weight', names.weight], ['bias', names.bias]] as const) {
      const parts = sources.map((n) => tensorOf(m, `${n}.${suffix}`));
      const bytes = parts[0].byteLength;
      // Buffer copies move 4-byte units; only f16 with an odd hidden size could break this.
      if (bytes % 4 !== 0) throw new Error(`cannot fuse ${block.qkv}.${suffix}: ${bytes} bytes is not a multiple of 4 (use dtype f32)`);
      const buffer = m.registry.create({ label: fused, size: Math.ceil((3 * bytes) / 4) * 4, usage: parts[0].buffer.usage });
      parts.forEach((t, i) => encoder.copyBufferToBuffer(t.buffer, 0, buffer, i * bytes, bytes));
      const tensor: GpuTensor = { ...parts[0], name: fused, shape: [3 * parts[0].shape[0], ...parts[0].shape.slice(1)], byteLength: 3 * bytes, buffer };
      m.weights.add(tensor, 'fused-qkv');
      m.tensors.set(fused, tensor);
      dead.push(...parts);
      sources.forEach((n) => m.tensors.delete(`${n}.${suffix}`));
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
  for (const block of layoutOf(m.config).blocks) {
    const w = tensorOf(m, `${block.attentionOutput}.weight`);
    const [R, C] = w.shape;
    const tName = attentionOutputTransposedName(block);
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

/** A tensor from numbers computed here, stored in the model's dtype. */
function uploadTensor(m: RelayoutTarget, name: string, shape: number[], values: Float32Array, like: GpuTensor): void {
  const byteLength = values.length * (m.dtype === 'f16' ? 2 : 4);
  // writeBuffer moves whole 4-byte words: the data goes in a buffer padded to one.
  const padded = new ArrayBuffer(Math.ceil(byteLength / 4) * 4);
  if (m.dtype === 'f16') {
    const h = new Uint16Array(padded, 0, values.length);
    values.forEach((v, i) => { h[i] = numberToF16Bits(v); });
  } else {
    new Float32Array(padded, 0, values.length).set(values);
  }
  const buffer = m.registry.create({ label: name, size: padded.byteLength, usage: like.buffer.usage });
  m.gpu.device.queue.writeBuffer(buffer, 0, padded);
  const t: GpuTensor = { name, shape, dtype: m.dtype, sourceDtype: 'F32', byteLength, buffer };
  m.weights.add(t, 'made-at-load');
  m.tensors.set(name, t);
}

/**
 * HF DistilBERT's create_sinusoidal_embeddings: row p, column j holds sin (even j) or cos (odd j) of
 * p / 10000^(2·⌊j/2⌋ / dim), computed in float64 as numpy does, stored as float32.
 */
export function sinusoidalPositionTable(rows: number, dim: number): Float32Array {
  const out = new Float32Array(rows * dim);
  for (let p = 0; p < rows; p++) {
    for (let j = 0; j < dim; j++) {
      const angle = p / Math.pow(10000, (2 * Math.floor(j / 2)) / dim);
      out[p * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}

/**
 * Tensors the family's graph reads that the checkpoint does not hold: DistilBERT's one-row zero token-type table and
 * (sinusoidal_pos_embds, when the file lacks it) its position table; RoBERTa's type row repeated per position
 * (bert.ts typeRowByPositionName), copied on the GPU from the checkpoint's one token-type row.
 */
export function makeLoadTimeTensors(m: RelayoutTarget): void {
  const c = m.config;
  const layout = layoutOf(c);
  const E = c.embeddingSize;
  // The buffer usage to copy: from a tensor always held whole (the word embeddings may be in row blocks).
  const like = tensorOf(m, `${layout.embeddingsLayerNorm}.weight`);
  if (layout.madeAtLoad.includes(layout.tokenTypeEmbeddings)) uploadTensor(m, layout.tokenTypeEmbeddings, [1, E], new Float32Array(E), like);
  if (layout.madeAtLoad.includes(layout.positionEmbeddings) && !m.tensors.has(layout.positionEmbeddings)) {
    uploadTensor(m, layout.positionEmbeddings, [c.positionTableSize, E], sinusoidalPositionTable(c.positionTableSize, E), like);
  }
  if (c.positionIds === 'padding') {
    const row = tensorOf(m, layout.tokenTypeEmbeddings);
    const rowBytes = row.byteLength;
    if (rowBytes % 4 !== 0) throw new Error(`cannot repeat ${row.name}: ${rowBytes} bytes is not a multiple of 4 (use dtype f32)`);
    const name = typeRowByPositionName(c);
    const buffer = m.registry.create({ label: name, size: rowBytes * c.maxPositionEmbeddings, usage: row.buffer.usage });
    const encoder = m.gpu.device.createCommandEncoder({ label: 'repeat-type-row' });
    for (let p = 0; p < c.maxPositionEmbeddings; p++) encoder.copyBufferToBuffer(row.buffer, 0, buffer, p * rowBytes, rowBytes);
    m.gpu.device.queue.submit([encoder.finish()]);
    const t: GpuTensor = { ...row, name, shape: [c.maxPositionEmbeddings, E], byteLength: rowBytes * c.maxPositionEmbeddings, buffer };
    m.weights.add(t, 'made-at-load');
    m.tensors.set(name, t);
  }
}
