// Safetensors → GPU buffers, one tensor at a time as its bytes arrive. Every buffer comes from the caller's
// BufferRegistry; on any failure or abort the buffers this load created are destroyed before the error propagates,
// so a failed load leaves nothing allocated.
import type { BufferRegistry } from '../gpu/buffers.ts';
import type { SafetensorsDtype, StorageDtype } from './dtypes.ts';
import { FLOAT_DTYPES, STORAGE_BYTES } from './dtypes.ts';
import { WeightsError } from './errors.ts';
import type { SafetensorsHeader, TensorInfo } from './safetensors.ts';
import type { ByteSource } from './source.ts';
import { streamSafetensors, type StreamOptions, type TensorSink } from './stream.ts';

/** Bytes queued with writeBuffer between submits (see loadSafetensorsToGpu). */
const FLUSH_BYTES = 16 << 20;

export interface GpuTensor {
  name: string;
  shape: number[];
  /** Storage dtype in the buffer. */
  dtype: StorageDtype;
  /** Dtype in the file it came from. */
  sourceDtype: SafetensorsDtype;
  /** Bytes of tensor data (the buffer is padded to a multiple of 4). */
  byteLength: number;
  buffer: GPUBuffer;
}

/** A set of tensors on the GPU, by the names they have in the checkpoint. */
export class GpuWeights {
  readonly tensors = new Map<string, GpuTensor>();
  readonly metadata = new Map<string, string>();
  private disposed = false;

  constructor(readonly registry: BufferRegistry) {}

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** The tensor, or an error naming it. */
  get(name: string): GpuTensor {
    const t = this.tensors.get(name);
    if (!t) throw new WeightsError('missing-tensor', `weights: no tensor named "${name}"`, undefined, name);
    return t;
  }

  add(t: GpuTensor, file: string): void {
    if (this.disposed) throw new WeightsError('bad-argument', `${file}: weights were disposed`, file, t.name);
    if (this.tensors.has(t.name)) throw new WeightsError('index', `${file}: tensor "${t.name}" appears in more than one file`, file, t.name);
    this.tensors.set(t.name, t);
  }

  /** Total bytes held on the GPU. */
  get byteLength(): number {
    let n = 0;
    for (const t of this.tensors.values()) n += t.buffer.size;
    return n;
  }

  /** Destroys every buffer (idempotent). */
  dispose(): void {
    for (const t of this.tensors.values()) this.registry.destroy(t.buffer);
    this.tensors.clear();
    this.disposed = true;
  }
}

export interface GpuLoadOptions extends Omit<StreamOptions, 'storage'> {
  /** Storage dtype on the GPU (default 'f32'). */
  storage?: StorageDtype;
  /** Buffer usage (default STORAGE | COPY_DST | COPY_SRC). */
  usage?: GPUBufferUsageFlags;
  /** Add to an existing set (sharded checkpoints); on failure only this call's buffers are freed. */
  into?: GpuWeights;
  /**
   * How bytes reach the buffers (default 'write'). 'write': queue.writeBuffer per block. 'mapped': buffers mapped at
   * creation, filled, unmapped. Dawn in Node writes host-visible memory directly on writeBuffer, while a mapping is a
   * staging buffer copied again at unmap, so 'write' touches the weight memory once instead of twice (`npm run
   * bench:load` compares both).
   */
  upload?: 'write' | 'mapped';
}

/**
 * Refuses, from the header alone, a tensor that could not live in one buffer or be bound whole as a storage buffer
 * (every weight is, by some kernel): otherwise it would download in full and fail at the first forward.
 */
export function checkTensorLimits(header: SafetensorsHeader, include: (info: TensorInfo) => boolean, storage: StorageDtype, limits: GPUSupportedLimits): void {
  for (const info of header.tensors) {
    if (!include(info)) continue;
    const bytes = Math.max(4, Math.ceil((info.numel * STORAGE_BYTES[storage]) / 4) * 4);
    const over = bytes > limits.maxBufferSize ? ['maxBufferSize', limits.maxBufferSize] as const
      : bytes > limits.maxStorageBufferBindingSize ? ['maxStorageBufferBindingSize', limits.maxStorageBufferBindingSize] as const : null;
    if (over) {
      throw new WeightsError('buffer-limit', `${header.file}: tensor "${info.name}" needs ${bytes} bytes as ${storage}, over this device's ` +
        `${over[0]} (${over[1]})${storage === 'f32' && bytes / 2 <= over[1] ? '; f16 storage would halve it' : ''}`, header.file, info.name);
    }
  }
}

/** Loads a safetensors source onto the GPU. Resolves with the tensors and the header. */
export async function loadSafetensorsToGpu(
  source: ByteSource,
  registry: BufferRegistry,
  options: GpuLoadOptions = {},
): Promise<{ weights: GpuWeights; header: SafetensorsHeader }> {
  if (!source || typeof source.read !== 'function') throw new WeightsError('bad-argument', 'loadSafetensorsToGpu: source must be a ByteSource');
  if (!registry || typeof registry.create !== 'function') throw new WeightsError('bad-argument', `${source.name}: loadSafetensorsToGpu needs a BufferRegistry`, source.name);
  const storage = options.storage ?? 'f32';
  const upload = options.upload ?? 'write';
  if (upload !== 'write' && upload !== 'mapped') {
    throw new WeightsError('bad-argument', `${source.name}: upload must be 'write' or 'mapped', got ${JSON.stringify(upload)}`, source.name);
  }
  const device = registry.device;
  const usage = options.usage ?? GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  const weights = options.into ?? new GpuWeights(registry);
  const created: GpuTensor[] = [];
  const file = source.name;

  // Two ways up, chosen by `upload` (see GpuLoadOptions). Either way each block is written as it arrives.
  // 'write': queue.writeBuffer. Dawn holds each written block until the GPU has copied it, so every FLUSH_BYTES the
  // pending writes are submitted and the previous batch awaited: native staging stays at about two batches (plus the
  // last block written, which is one network chunk at most).
  let pendingBytes = 0;
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async (): Promise<void> => {
    pendingBytes = 0;
    device.queue.submit([]);
    const previous = inFlight;
    inFlight = device.queue.onSubmittedWorkDone();
    await previous;
  };
  const writeSink = (buffer: GPUBuffer, done: () => void): TensorSink => ({
    async write(offset, block) {
      if (block.byteLength % 4 !== 0) {
        // Only a tensor's last block can be ragged (an odd count of f16 values); writeBuffer wants whole words.
        const padded = new Uint8Array(Math.ceil(block.byteLength / 4) * 4);
        padded.set(block);
        block = padded;
      }
      device.queue.writeBuffer(buffer, offset, block.buffer, block.byteOffset, block.byteLength);
      pendingBytes += block.byteLength;
      if (pendingBytes >= FLUSH_BYTES) await flush();
    },
    end: done,
  });
  // 'mapped': the buffer is mapped at creation, blocks are copied into the mapping, unmapped when complete.
  const mappedSink = (buffer: GPUBuffer, done: () => void): TensorSink => {
    const mapped = new Uint8Array(buffer.getMappedRange());
    return {
      write(offset, block) {
        mapped.set(block, offset);
      },
      end() {
        buffer.unmap();
        done();
      },
    };
  };

  const openSink = (info: TensorInfo): TensorSink => {
    const byteLength = info.numel * STORAGE_BYTES[storage];
    const size = Math.max(4, Math.ceil(byteLength / 4) * 4);
    if (size > device.limits.maxBufferSize) {
      throw new WeightsError('buffer-limit', `${file}: tensor "${info.name}" needs ${size} bytes as ${storage}, over this device's ` +
        `maxBufferSize (${device.limits.maxBufferSize})`, file, info.name);
    }
    const buffer = registry.create({ label: info.name, size, usage: usage | GPUBufferUsage.COPY_DST, mappedAtCreation: upload === 'mapped' });
    const tensor: GpuTensor = { name: info.name, shape: info.shape, dtype: storage, sourceDtype: info.dtype, byteLength, buffer };
    created.push(tensor);
    const done = () => weights.add(tensor, file);
    return upload === 'mapped' ? mappedSink(buffer, done) : writeSink(buffer, done);
  };

  const include = options.include ?? ((info: TensorInfo) => FLOAT_DTYPES.has(info.dtype));
  try {
    const header = await streamSafetensors(source, openSink, {
      ...options,
      storage,
      // After the caller's hook, which may decide what is included; before any tensor byte is taken.
      onHeader: (h) => {
        options.onHeader?.(h);
        checkTensorLimits(h, include, storage, device.limits);
      },
    });
    await flush();
    await inFlight;
    for (const [k, v] of header.metadata) weights.metadata.set(k, v);
    return { weights, header };
  } catch (e) {
    // Writes already queued must reach the GPU before their buffers are destroyed.
    await flush().then(() => inFlight).catch(() => undefined);
    for (const t of created) {
      if (weights.tensors.get(t.name) === t) weights.tensors.delete(t.name);
      registry.destroy(t.buffer);
    }
    throw e;
  }
}
