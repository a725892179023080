// Byte sources: where safetensors bytes come from. A source yields a byte range as an async sequence of chunks, so a
// consumer can start on the first tensor while the rest is still arriving, and a Range-capable source can serve the
// header on its own. Browser-safe; the Node file source lives in node-source.ts, the HTTP one in url-source.ts.
import { WeightsError, abortError } from './errors.ts';

/** A file's bytes, read whole or by range (a local file, a `File`, an HTTP URL): what the weight loader streams from. */
export interface ByteSource {
  /** File name or URL, used in every error message and progress event. */
  readonly name: string;
  /** Total size in bytes when it can be known without reading the body. */
  size(signal?: AbortSignal): Promise<number | undefined>;
  /**
   * Bytes [start, end) in order (to the end of the file when `end` is omitted). Chunks are only valid until the next
   * one is requested; a consumer that keeps bytes copies them.
   */
  read(start: number, end?: number, signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

export function checkRange(name: string, start: number, end: number | undefined): void {
  if (!Number.isSafeInteger(start) || start < 0) throw new WeightsError('bad-argument', `${name}: read start must be a non-negative integer, got ${start}`, name);
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
    throw new WeightsError('bad-argument', `${name}: read end must be an integer ≥ start (${start}), got ${end}`, name);
  }
}

const DEFAULT_CHUNK = 1 << 20;

/** An in-memory file (ArrayBuffer or a view of one), served in chunks like a download would be. */
export function bytesSource(name: string, bytes: ArrayBuffer | ArrayBufferView, chunkBytes = DEFAULT_CHUNK): ByteSource {
  if (typeof name !== 'string' || !name) throw new WeightsError('bad-argument', 'bytesSource: name must be a non-empty string');
  if (!(bytes instanceof ArrayBuffer) && !ArrayBuffer.isView(bytes)) {
    throw new WeightsError('bad-argument', `bytesSource(${name}): bytes must be an ArrayBuffer or a typed array`, name);
  }
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) throw new WeightsError('bad-argument', `bytesSource(${name}): chunkBytes must be a positive integer`, name);
  const all = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    name,
    size: async () => all.byteLength,
    async *read(start, end, signal) {
      checkRange(name, start, end);
      const stop = Math.min(end ?? all.byteLength, all.byteLength);
      for (let p = start; p < stop; p += chunkBytes) {
        if (signal?.aborted) throw abortError(signal);
        yield all.subarray(p, Math.min(p + chunkBytes, stop));
      }
    },
  };
}

/** A `File` or `Blob` (a dropped file in the browser), read through its stream so it is never loaded whole. */
export function blobSource(blob: Blob, name?: string): ByteSource {
  if (typeof Blob === 'undefined' || !(blob instanceof Blob)) throw new WeightsError('bad-argument', 'blobSource: expected a File or Blob');
  const label = name ?? ((blob as File).name || 'blob');
  return {
    name: label,
    size: async () => blob.size,
    async *read(start, end, signal) {
      checkRange(label, start, end);
      const reader = blob.slice(start, end ?? blob.size).stream().getReader();
      try {
        for (;;) {
          if (signal?.aborted) throw abortError(signal);
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
    },
  };
}

/** Reads exactly [start, end) from a source into one array (for headers and small files). */
export async function readFully(source: ByteSource, start: number, end: number, signal?: AbortSignal): Promise<Uint8Array> {
  const out = new Uint8Array(end - start);
  let o = 0;
  for await (const chunk of source.read(start, end, signal)) {
    const take = Math.min(chunk.byteLength, out.byteLength - o);
    out.set(chunk.subarray(0, take), o);
    o += take;
    if (o === out.byteLength) break;
  }
  return o === out.byteLength ? out : out.subarray(0, o);
}
