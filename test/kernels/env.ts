// What a kernel check needs, in Node (Dawn) or in Chromium: a device, the pipeline cache and counted buffers.
import { BufferRegistry, readBuffer } from '../../src/gpu/buffers.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import type { GpuContext } from '../../src/gpu/device.ts';
import { seededRandom } from '../helpers/validate.ts';

export interface KernelEnv {
  device: GPUDevice;
  pipelines: PipelineCache;
  buffers: BufferRegistry;
  hasF16: boolean;
}

export function kernelEnv(ctx: GpuContext): KernelEnv {
  return {
    device: ctx.device,
    pipelines: new PipelineCache(ctx.device),
    buffers: new BufferRegistry(ctx.device),
    hasF16: ctx.facts.hasF16,
  };
}

// A function, not a constant: in Node the GPUBufferUsage global exists only once Dawn is loaded.
const rw = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export function upload(env: KernelEnv, label: string, data: Float32Array | Uint32Array | Uint16Array): GPUBuffer {
  return env.buffers.createWith(label, data, rw());
}

export function output(env: KernelEnv, label: string, elements: number, bytesPerElement = 4): GPUBuffer {
  return env.buffers.create({ label, size: Math.max(4, Math.ceil((elements * bytesPerElement) / 4) * 4), usage: rw() });
}

export async function download(env: KernelEnv, buffer: GPUBuffer, elements: number): Promise<Float32Array> {
  return new Float32Array(await readBuffer(env.device, buffer, elements * 4));
}

export type Padding = 'none' | 'tail' | 'allMaskedRow';

/**
 * Key-padding mask (B·T), 1 = real token: 'tail' pads each row after a seeded random length ≥ 1, 'allMaskedRow'
 * masks all of row 1 (its queries must come out as zeros, not NaN).
 */
export function keyPaddingMask(B: number, T: number, padding: Padding): Uint32Array {
  const mask = new Uint32Array(B * T).fill(1);
  const rand = seededRandom(T);
  for (let b = 0; b < B; b++) {
    if (padding === 'tail') {
      const valid = 1 + Math.floor(rand() * T);
      for (let t = valid; t < T; t++) mask[b * T + t] = 0;
    }
    if (padding === 'allMaskedRow' && b === 1) for (let t = 0; t < T; t++) mask[b * T + t] = 0;
  }
  return mask;
}
