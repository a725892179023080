// Row blocks: how a tensor larger than one storage binding is held on the GPU. WebGPU binds at most
// maxStorageBufferBindingSize bytes of a buffer to one shader variable (128 MiB guaranteed; mBERT's word embeddings are
// 367 MB as f32), so such a tensor is cut, at load, into blocks of whole rows, each its own GPUBuffer no larger than
// the limit. Kernels then visit the blocks one dispatch each (src/model/bert.ts: the embedding gather, the masked-LM
// decoder), so no kernel ever binds more than one block and the per-stage binding count (8 by default) is no limit.
import type { StorageDtype } from './dtypes.ts';
import { STORAGE_BYTES } from './dtypes.ts';
import { WeightsError } from './errors.ts';
import type { SafetensorsHeader, TensorInfo } from './safetensors.ts';

/**
 * Rows per block are a multiple of this, so every block boundary, and every slice of a per-row vector (the decoder
 * bias), starts on a 4-byte word even for f16 (copyBufferToBuffer and writeBuffer move whole words).
 */
export const BLOCK_ROW_MULTIPLE = 4;

/** Bytes one binding may hold on this device, or `override` when smaller (tests split tiny models with it). */
export function bindingLimitOf(limits: Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>, override?: number): number {
  const device = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  if (override === undefined) return device;
  if (!Number.isSafeInteger(override) || override < 4) throw new WeightsError('bad-argument', `maxBindingBytes must be an integer ≥ 4, got ${override}`);
  return Math.min(device, override);
}

/** Bytes of a tensor's buffer: its elements in `storage`, padded to a whole word. */
export function storageBytes(numel: number, storage: StorageDtype): number {
  return Math.max(4, Math.ceil((numel * STORAGE_BYTES[storage]) / 4) * 4);
}

/**
 * Rows per block for a tensor of `shape` that does not fit one binding of `limit` bytes; null when it fits whole.
 * Blocks are balanced (all the same size but the last) and a multiple of BLOCK_ROW_MULTIPLE rows. Throws, naming
 * the tensor, when even BLOCK_ROW_MULTIPLE rows exceed the limit (a single row over it cannot be split by rows).
 */
export function rowBlocksOf(file: string, name: string, shape: readonly number[], storage: StorageDtype, limit: number): number[] | null {
  const numel = shape.reduce((a, b) => a * b, 1);
  if (storageBytes(numel, storage) <= limit) return null;
  const rows = shape[0] ?? 1;
  const rowBytes = (numel / Math.max(rows, 1)) * STORAGE_BYTES[storage];
  if (shape.length < 2 || rowBytes * BLOCK_ROW_MULTIPLE > limit) {
    const what = shape.length < 2 ? 'it has no rows to split by' : rowBytes > limit
      ? `a single row is ${rowBytes} bytes` : `${BLOCK_ROW_MULTIPLE} rows (the smallest block) are ${rowBytes * BLOCK_ROW_MULTIPLE} bytes`;
    throw new WeightsError('buffer-limit', `${file}: tensor "${name}" (${shape.join('×')}, ${storage}) cannot be split into row blocks: ${what}, ` +
      `over this device's storage binding limit (${limit} bytes)${storage === 'f32' ? '; f16 storage would halve it' : ''}`, file, name);
  }
  const maxRows = Math.floor(limit / rowBytes / BLOCK_ROW_MULTIPLE) * BLOCK_ROW_MULTIPLE;
  const count = Math.ceil(rows / maxRows);
  const per = Math.ceil(Math.ceil(rows / count) / BLOCK_ROW_MULTIPLE) * BLOCK_ROW_MULTIPLE;
  const out: number[] = [];
  for (let start = 0; start < rows; start += per) out.push(Math.min(per, rows - start));
  return out;
}

/**
 * Refuses, from the header alone, a tensor that could not be held: over one binding and not splittable (`split` says
 * which tensors the model's kernels can read in row blocks), or splittable but with rows too wide for any block.
 * Every block is also within maxBufferSize (the limit is the smaller of the two). Called before any tensor byte is
 * read, so a model that cannot fit is refused before its download.
 */
export function checkTensorLimits(
  header: SafetensorsHeader,
  include: (info: TensorInfo) => boolean,
  storage: StorageDtype,
  limits: Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>,
  split: (info: TensorInfo) => boolean = () => false,
  maxBindingBytes?: number,
): void {
  const limit = bindingLimitOf(limits, maxBindingBytes);
  for (const info of header.tensors) {
    if (!include(info)) continue;
    const bytes = storageBytes(info.numel, storage);
    if (bytes <= limit) continue;
    if (split(info)) {
      rowBlocksOf(header.file, info.name, info.shape, storage, limit);
      continue;
    }
    const over = bytes > limits.maxBufferSize ? ['maxBufferSize', limits.maxBufferSize] as const
      : [limit < limits.maxStorageBufferBindingSize ? 'storage binding limit' : 'maxStorageBufferBindingSize', limit] as const;
    throw new WeightsError('buffer-limit', `${header.file}: tensor "${info.name}" needs ${bytes} bytes as ${storage}, over this device's ` +
      `${over[0]} (${over[1]}), and no kernel reads it in row blocks (only the word embeddings and the masked-LM decoder are)` +
      `${storage === 'f32' && bytes / 2 <= over[1] ? '; f16 storage would halve it' : ''}`, header.file, info.name);
  }
}
