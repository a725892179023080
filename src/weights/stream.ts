// The streaming core: reads a safetensors byte stream once, front to back, parses the header as soon as it is in,
// then hands each selected tensor's bytes — converted to the storage dtype in fixed-size blocks — to a sink while
// later tensors are still downloading. Memory is one staging block plus the chunk in hand, whatever the file size.
// GPU and CPU loaders are thin sinks over this (gpu-weights.ts, cpu-reader.ts).
import { DTYPE_BYTES, FLOAT_DTYPES, STORAGE_BYTES, convertElements, type StorageDtype } from './dtypes.ts';
import { WeightsError, abortError } from './errors.ts';
import { parseHeader, readHeaderLength, type SafetensorsHeader, type TensorInfo } from './safetensors.ts';
import { readFully, type ByteSource } from './source.ts';

/** Download progress of a model's weights, for `onProgress`. */
export interface LoadProgress {
  /** The weight file being read (e.g. model.safetensors, or a shard's name). */
  file: string;
  /** Bytes read so far (over every shard, for a sharded model). */
  loadedBytes: number;
  /** Bytes to read in all. */
  totalBytes: number;
  /** The tensor whose bytes arrived last (null until the first tensor byte). */
  tensor: string | null;
}

/**
 * Receives one tensor's converted bytes, in order, in blocks whose sizes are multiples of 4 (except the last). A block
 * is only valid during the call (it may be a reused staging block or a view of the network chunk): copy it.
 */
export interface TensorSink {
  write(byteOffset: number, block: Uint8Array): void | Promise<void>;
  end(): void | Promise<void>;
}

export interface StreamOptions {
  storage: StorageDtype;
  /** Tensors to convert and deliver (default: every float tensor). Others are read past and dropped. */
  include?: (info: TensorInfo) => boolean;
  /** Called once the header is validated, before any tensor is delivered; throw to stop the load early. */
  onHeader?: (header: SafetensorsHeader) => void;
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /** Staging block size in output bytes (default 1 MiB). */
  blockBytes?: number;
}

const defaultInclude = (info: TensorInfo) => FLOAT_DTYPES.has(info.dtype);

/** Reads only the header: two small reads (8 bytes, then the JSON) on a Range-capable source. */
export async function readSafetensorsHeader(source: ByteSource, signal?: AbortSignal): Promise<SafetensorsHeader> {
  const size = await source.size(signal);
  const n = readHeaderLength(source.name, await readFully(source, 0, 8, signal), size);
  const header = await readFully(source, 8, 8 + n, signal);
  if (header.byteLength < n) {
    throw new WeightsError('header-length', `${source.name}: header length ${n} runs past the end of the file (${8 + header.byteLength} bytes)`, source.name);
  }
  return parseHeader(source.name, header, size);
}

/** Incoming pieces at least this long skip the staging block when no conversion is needed (fewer, larger writes otherwise). */
const DIRECT_MIN_BYTES = 16 * 1024;

/** Converts one tensor's incoming source bytes into storage-dtype blocks for its sink. */
class TensorConverter {
  private srcFill = 0;
  private outOffset = 0;
  private index = 0;

  constructor(
    private readonly file: string,
    private readonly info: TensorInfo,
    private readonly storage: StorageDtype,
    private readonly sink: TensorSink,
    private readonly src: Uint8Array,
    private readonly dst: Uint8Array,
  ) {}

  async push(bytes: Uint8Array): Promise<void> {
    let p = 0;
    if (this.src === this.dst && this.srcFill === 0) {
      // Same dtype in and out, nothing staged: hand the incoming bytes straight to the sink (whole 4-byte words;
      // a ragged tail is staged below). Saves a copy of every byte on the usual path, F32 → f32.
      const direct = bytes.byteLength - (bytes.byteLength % 4);
      if (direct >= DIRECT_MIN_BYTES) {
        await this.sink.write(this.outOffset, bytes.subarray(0, direct));
        this.outOffset += direct;
        this.index += direct / DTYPE_BYTES[this.info.dtype];
        p = direct;
      }
    }
    while (p < bytes.byteLength) {
      const take = Math.min(this.src.byteLength - this.srcFill, bytes.byteLength - p);
      this.src.set(bytes.subarray(p, p + take), this.srcFill);
      this.srcFill += take;
      p += take;
      if (this.srcFill === this.src.byteLength) await this.flush();
    }
  }

  async finish(): Promise<void> {
    if (this.srcFill > 0) await this.flush();
    await this.sink.end();
  }

  private async flush(): Promise<void> {
    const count = this.srcFill / DTYPE_BYTES[this.info.dtype];
    const outBytes = count * STORAGE_BYTES[this.storage];
    // Same dtype in and out: the bytes were gathered straight into the output block.
    const overflow = this.src === this.dst ? -1 : convertElements(this.info.dtype, this.storage, this.src, this.dst, count);
    if (overflow >= 0) {
      throw new WeightsError('f16-range', `${this.file}: tensor "${this.info.name}": element ${this.index + overflow} is outside the f16 range ` +
        '(±65504); load it as f32', this.file, this.info.name);
    }
    this.index += count;
    this.srcFill = 0;
    await this.sink.write(this.outOffset, this.dst.subarray(0, outBytes));
    this.outOffset += outBytes;
  }
}

/**
 * Streams `source` and delivers every included tensor to `openSink(info)`. Resolves with the header once the last
 * byte is in and checked. Throws WeightsError for malformed or truncated files; the caller frees what its sinks made.
 */
export async function streamSafetensors(
  source: ByteSource,
  openSink: (info: TensorInfo) => TensorSink | Promise<TensorSink>,
  options: StreamOptions,
): Promise<SafetensorsHeader> {
  const file = source.name;
  const { storage, signal, onProgress } = options;
  if (storage !== 'f32' && storage !== 'f16') throw new WeightsError('bad-argument', `${file}: storage must be 'f32' or 'f16', got ${JSON.stringify(storage)}`, file);
  const include = options.include ?? defaultInclude;
  const blockBytes = options.blockBytes ?? 1 << 20;
  if (!Number.isSafeInteger(blockBytes) || blockBytes < 16 || blockBytes % 16 !== 0) {
    throw new WeightsError('bad-argument', `${file}: blockBytes must be a multiple of 16, got ${blockBytes}`, file);
  }
  if (signal?.aborted) throw abortError(signal);
  const size = await source.size(signal);

  // Staging: `blockBytes` of output. The source block holds the same element count (8 bytes/element at most).
  const dst = new Uint8Array(blockBytes);
  const elementsPerBlock = blockBytes / STORAGE_BYTES[storage];

  let pos = 0; // bytes of the file consumed
  const prefix: Uint8Array[] = []; // length + header bytes, until the header is complete
  let prefixBytes = 0;
  let headerLength = -1;
  let header: SafetensorsHeader | null = null;
  let index = 0; // next tensor in data order
  let current: { info: TensorInfo; converter: TensorConverter | null } | null = null;
  let srcStage: Uint8Array | null = null;
  let lastTensor: string | null = null; // the tensor whose bytes arrived last, for progress events

  const gather = (): Uint8Array => {
    const out = new Uint8Array(prefixBytes);
    let o = 0;
    for (const part of prefix) {
      out.set(part, o);
      o += part.byteLength;
    }
    return out;
  };

  const openNext = async (): Promise<void> => {
    // Opens tensors in data order; zero-byte tensors open and close at once.
    while (!current && header && index < header.tensors.length) {
      const info = header.tensors[index++];
      let converter: TensorConverter | null = null;
      if (include(info)) {
        if (!FLOAT_DTYPES.has(info.dtype)) {
          throw new WeightsError('dtype', `${file}: tensor "${info.name}" has dtype ${info.dtype}, which cannot be loaded as ${storage}`, file, info.name);
        }
        const identity = (info.dtype === 'F32' && storage === 'f32') || (info.dtype === 'F16' && storage === 'f16');
        const srcBytes = elementsPerBlock * DTYPE_BYTES[info.dtype];
        if (!identity && (!srcStage || srcStage.byteLength !== srcBytes)) srcStage = new Uint8Array(srcBytes);
        converter = new TensorConverter(file, info, storage, await openSink(info), identity ? dst : srcStage!, dst);
      }
      if (info.end === info.begin) {
        await converter?.finish();
      } else {
        current = { info, converter };
      }
    }
  };

  const consumeData = async (chunk: Uint8Array): Promise<void> => {
    let p = 0;
    while (p < chunk.byteLength) {
      await openNext();
      if (!current) {
        throw new WeightsError('trailing-bytes', `${file}: bytes after the last tensor (at offset ${pos + p}) are not referenced by the header`, file);
      }
      const dataPos = pos + p - header!.dataStart;
      const take = Math.min(chunk.byteLength - p, current.info.end - dataPos);
      lastTensor = current.info.name;
      if (current.converter) await current.converter.push(chunk.subarray(p, p + take));
      p += take;
      if (dataPos + take === current.info.end) {
        await current.converter?.finish();
        current = null;
      }
    }
  };

  const report = () => {
    if (header && onProgress) {
      onProgress({ file, loadedBytes: pos, totalBytes: header.dataStart + header.dataLength, tensor: lastTensor });
    }
  };

  for await (const chunk0 of source.read(0, undefined, signal)) {
    if (signal?.aborted) throw abortError(signal);
    let chunk = chunk0;
    if (!header) {
      const need = (headerLength < 0 ? 8 : headerLength) - prefixBytes;
      const part = chunk.subarray(0, need);
      prefix.push(part.slice());
      prefixBytes += part.byteLength;
      pos += part.byteLength;
      chunk = chunk.subarray(part.byteLength);
      if (headerLength < 0 && prefixBytes === 8) {
        headerLength = readHeaderLength(file, gather(), size);
        const rest = chunk.subarray(0, headerLength);
        prefix.length = 0;
        prefixBytes = 0;
        prefix.push(rest.slice());
        prefixBytes = rest.byteLength;
        pos += rest.byteLength;
        chunk = chunk.subarray(rest.byteLength);
      }
      if (headerLength >= 0 && prefixBytes === headerLength) {
        header = parseHeader(file, gather(), size);
        prefix.length = 0;
        options.onHeader?.(header);
        report();
      }
    }
    if (header && chunk.byteLength > 0) {
      await consumeData(chunk);
      pos += chunk.byteLength;
      report();
    }
  }
  if (signal?.aborted) throw abortError(signal);
  if (!header) {
    if (headerLength < 0) readHeaderLength(file, gather(), pos);
    throw new WeightsError('header-length', `${file}: header length ${headerLength} runs past the end of the file (${pos} bytes)`, file);
  }
  await openNext(); // trailing zero-byte tensors
  // `current` is set inside closures, which TypeScript's narrowing cannot see.
  const open = current as { info: TensorInfo } | null;
  if (open || index < header.tensors.length) {
    const t = open?.info ?? header.tensors[index];
    throw new WeightsError('truncated', `${file}: file ends at byte ${pos} inside tensor "${t.name}", which needs bytes up to ` +
      `${header.dataStart + t.end} (truncated download or file)`, file, t.name);
  }
  return header;
}
