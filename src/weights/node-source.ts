// Node only: a local file as a byte source (fs streams, never the whole file in memory). Browser code must not import
// this module.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { WeightsError, abortError } from './errors.ts';
import { checkRange, type ByteSource } from './source.ts';

export function fileSource(path: string, name = path): ByteSource {
  if (typeof path !== 'string' || path.length === 0) throw new WeightsError('bad-argument', 'fileSource: path must be a non-empty string');
  return {
    name,
    async size() {
      try {
        return (await stat(path)).size;
      } catch (e) {
        throw new WeightsError('missing-file', `${name}: cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, name);
      }
    },
    async *read(start, end, signal) {
      checkRange(name, start, end);
      if (end === start) return;
      const stream = createReadStream(path, { start, end: end === undefined ? undefined : end - 1, highWaterMark: 1 << 20, signal });
      try {
        for await (const chunk of stream) yield chunk as Buffer;
      } catch (e) {
        if (signal?.aborted) throw abortError(signal);
        const code = (e as NodeJS.ErrnoException).code;
        throw new WeightsError(code === 'ENOENT' ? 'missing-file' : 'truncated', `${name}: read failed (${code ?? (e as Error).message})`, name);
      } finally {
        stream.destroy();
      }
    },
  };
}
