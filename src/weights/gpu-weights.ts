// Safetensors → GPU buffers, one tensor at a time as its bytes arrive. Every buffer comes from the caller's
// BufferRegistry; on any failure or abort the buffers this load created are destroyed before the error propagates,
// so a failed load leaves nothing allocated.
import type { BufferRegistry } from '../gpu/buffers.ts';
import type { SafetensorsDtype, StorageDtype } from './dtypes.ts';
import { FLOAT_DTYPES, STORAGE_BYTES } from './dtypes.ts';
import { WeightsError } from './errors.ts';
import type { SafetensorsHeader, TensorInfo } from './safetensors.ts';
import type { ByteSource } from './source.ts';
import { bindingLimitOf, checkTensorLimits, rowBlocksOf, storageBytes } from './row-blocks.ts';
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
  /** The whole tensor. For a tensor held in row blocks (`blocks`), reading it throws, naming the tensor. */
  buffer: GPUBuffer;
  /** Present when the tensor exceeded one storage binding and was split at load (src/weights/row-blocks.ts). */
  blocks?: GpuTensorBlock[];
}

/** Rows [rowStart, rowStart + rows) of a tensor split into row blocks, in a buffer of their own. */
export interface GpuTensorBlock {
  rowStart: number;
  rows: number;
  buffer: GPUBuffer;
}

/** Every buffer a tensor holds: its blocks, or its one buffer. */
export function buffersOf(t: GpuTensor): GPUBuffer[] {
  return t.blocks ? t.blocks.map((b) => b.buffer) : [t.buffer];
}

/**
 * A tensor held in row blocks. Its `buffer` throws: code that binds a weight whole must not silently read only the
 * first block (callers that understand blocks read `blocks`).
 */
export function blockedTensor(t: Omit<GpuTensor, 'buffer' | 'blocks'>, blocks: GpuTensorBlock[]): GpuTensor {
  return Object.defineProperty({ ...t, blocks }, 'buffer', {
    enumerable: false,
    get(): GPUBuffer {
      throw new WeightsError('buffer-limit', `weights: tensor "${t.name}" is held in ${blocks.length} row blocks (it exceeds one storage ` +
        'binding of this device); this use of it needs it whole', undefined, t.name);
    },
  }) as GpuTensor;
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
    for (const t of this.tensors.values()) for (const b of buffersOf(t)) n += b.size;
    return n;
  }

  /** Destroys every buffer (idempotent). */
  dispose(): void {
    for (const t of this.tensors.values()) for (const b of buffersOf(t)) this.registry.destroy(b);
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
  /**
   * Tensors the caller's kernels can read in row blocks (rank ≥ 2): one larger than a storage binding is split into
   * blocks of whole rows, each its own buffer (GpuTensor.blocks). Default: none (such a tensor is refused).
   */
  split?: (info: TensorInfo) => boolean;
  /**
   * Treat the storage binding limit as at most this many bytes. For tests: WebGPU devices never go below the default
   * limits (128 MiB), so a tiny model reaches the block path only through this. Default: the device's limit.
   */
  maxBindingBytes?: number;
}

export { checkTensorLimits } from './row-blocks.ts';

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
  const split = options.split ?? (() => false);
  const limit = bindingLimitOf(device.limits, options.maxBindingBytes);
  // A tensor's bytes land in its buffers by offset: one buffer, or its row blocks (each covering a byte range).
  interface Target { buffer: GPUBuffer; begin: number; end: number }
  const pieces = (targets: Target[], offset: number, block: Uint8Array, put: (t: Target, at: number, bytes: Uint8Array) => void): void => {
    for (const t of targets) {
      const from = Math.max(offset, t.begin);
      const to = Math.min(offset + block.byteLength, t.end);
      if (from < to) put(t, from - t.begin, block.subarray(from - offset, to - offset));
    }
  };
  const writeSink = (targets: Target[], done: () => void): TensorSink => ({
    async write(offset, block) {
      pieces(targets, offset, block, (t, at, bytes) => {
        if (bytes.byteLength % 4 !== 0) {
          // Only a tensor's last block can be ragged (an odd count of f16 values); writeBuffer wants whole words.
          const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
          padded.set(bytes);
          bytes = padded;
        }
        device.queue.writeBuffer(t.buffer, at, bytes.buffer, bytes.byteOffset, bytes.byteLength);
      });
      pendingBytes += block.byteLength;
      if (pendingBytes >= FLUSH_BYTES) await flush();
    },
    end: done,
  });
  // 'mapped': the buffers are mapped at creation, blocks are copied into the mappings, unmapped when complete.
  const mappedSink = (targets: Target[], done: () => void): TensorSink => {
    const mapped = targets.map((t) => new Uint8Array(t.buffer.getMappedRange()));
    return {
      write(offset, block) {
        pieces(targets, offset, block, (t, at, bytes) => mapped[targets.indexOf(t)].set(bytes, at));
      },
      end() {
        for (const t of targets) t.buffer.unmap();
        done();
      },
    };
  };

  const openSink = (info: TensorInfo): TensorSink => {
    const byteLength = info.numel * STORAGE_BYTES[storage];
    const size = storageBytes(info.numel, storage);
    // Checked from the header already (checkTensorLimits); repeated here for a caller whose onHeader let it through.
    const rowBlocks = split(info) ? rowBlocksOf(file, info.name, info.shape, storage, limit) : null;
    if (!rowBlocks && size > device.limits.maxBufferSize) {
      throw new WeightsError('buffer-limit', `${file}: tensor "${info.name}" needs ${size} bytes as ${storage}, over this device's ` +
        `maxBufferSize (${device.limits.maxBufferSize})`, file, info.name);
    }
    const create = (label: string, bytes: number) =>
      registry.create({ label, size: Math.max(4, Math.ceil(bytes / 4) * 4), usage: usage | GPUBufferUsage.COPY_DST, mappedAtCreation: upload === 'mapped' });
    const base = { name: info.name, shape: info.shape, dtype: storage, sourceDtype: info.dtype, byteLength };
    let tensor: GpuTensor;
    let targets: Target[];
    if (rowBlocks) {
      // Whole rows per block: block boundaries are word-aligned (rowBlocksOf keeps rows a multiple of 4).
      const rowBytes = byteLength / info.shape[0];
      const blocks: GpuTensorBlock[] = [];
      targets = [];
      let rowStart = 0;
      for (const rows of rowBlocks) {
        const buffer = create(`${info.name}#block${blocks.length}`, rows * rowBytes);
        blocks.push({ rowStart, rows, buffer });
        targets.push({ buffer, begin: rowStart * rowBytes, end: (rowStart + rows) * rowBytes });
        rowStart += rows;
      }
      tensor = blockedTensor(base, blocks);
    } else {
      const buffer = create(info.name, size);
      tensor = { ...base, buffer };
      targets = [{ buffer, begin: 0, end: size }];
    }
    created.push(tensor);
    const done = () => weights.add(tensor, file);
    return upload === 'mapped' ? mappedSink(targets, done) : writeSink(targets, done);
  };

  const include = options.include ?? ((info: TensorInfo) => FLOAT_DTYPES.has(info.dtype));
  try {
    const header = await streamSafetensors(source, openSink, {
      ...options,
      storage,
      // After the caller's hook, which may decide what is included; before any tensor byte is taken.
      onHeader: (h) => {
        options.onHeader?.(h);
        checkTensorLimits(h, include, storage, device.limits, split, options.maxBindingBytes);
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
      for (const b of buffersOf(t)) registry.destroy(b);
    }
    throw e;
  }
}
