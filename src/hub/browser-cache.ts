// Browser download cache on the Cache API (one cache, "bertgpu-v1"). The response is stored under the file's URL
// with our metadata in x-bertgpu-* headers (model, file, ETag, size, sha256). The body is streamed into cache.put()
// as it downloads; at the end the size and sha256 are checked, and a mismatch errors the stream, so put() rejects
// and nothing is stored. The Cache API cannot append, so an interrupted download is not resumed across page loads
// (within one load the URL source still resumes with Range). A file whose size the server did not state (a gzipped
// answer, a cross-origin Content-Length) is stored without x-bertgpu-size; its size is then the stored body's.
import { WeightsError } from '../weights/errors.ts';
import type { ByteSource } from '../weights/source.ts';
import { groupByModel, type CachedFile, type CacheKey, type CacheWriter, type FileCache } from './cache.ts';
import { Sha256 } from './sha256.ts';

export const BROWSER_CACHE_NAME = 'bertgpu-v1';

async function metaOf(res: Response, url: string): Promise<CachedFile | null> {
  const h = res.headers;
  if (!h.get('x-bertgpu-model')) return null;
  const stated = h.get('x-bertgpu-size');
  const size = stated === null ? (await res.clone().blob()).size : Number(stated);
  if (!Number.isSafeInteger(size)) return null;
  return {
    model: h.get('x-bertgpu-model')!, file: h.get('x-bertgpu-file') ?? '', url, etag: h.get('x-bertgpu-etag') ?? undefined,
    size, sha256: h.get('x-bertgpu-sha256') ?? undefined, savedAt: h.get('x-bertgpu-saved') ?? '',
  };
}

function responseSource(res: Response, name: string, size: number): ByteSource {
  const blob = res.blob(); // a disk-backed Blob in browsers; read through slices, never whole
  return {
    name,
    size: async () => size,
    async *read(start, end, signal) {
      const b = await blob;
      const reader = b.slice(start, end ?? b.size).stream().getReader();
      try {
        for (;;) {
          if (signal?.aborted) throw signal.reason;
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

export function browserCache(storage: CacheStorage = globalThis.caches, name = BROWSER_CACHE_NAME): FileCache {
  if (!storage) throw new WeightsError('bad-argument', 'browserCache: the Cache API is not available here (insecure context?)');
  const open = () => storage.open(name);
  return {
    async get(key: CacheKey) {
      const res = await (await open()).match(key.url);
      if (!res) return null;
      const meta = await metaOf(res, key.url);
      if (!meta || (key.etag !== undefined && meta.etag !== key.etag)) return null;
      return responseSource(res, key.url, meta.size);
    },

    async open(key, expected): Promise<CacheWriter> {
      const cache = await open();
      const hash = expected.sha256 ? new Sha256() : null;
      let written = 0;
      const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>(undefined, { highWaterMark: 4 }, { highWaterMark: 4 });
      const writer = writable.getWriter();
      const headers = new Headers({
        'content-type': 'application/octet-stream', 'x-bertgpu-model': key.model, 'x-bertgpu-file': key.file,
        'x-bertgpu-saved': new Date().toISOString(),
      });
      if (key.etag) headers.set('x-bertgpu-etag', key.etag);
      if (expected.size !== undefined) headers.set('x-bertgpu-size', String(expected.size));
      if (expected.sha256) headers.set('x-bertgpu-sha256', expected.sha256);
      const put = cache.put(key.url, new Response(readable, { headers }));
      put.catch(() => undefined); // awaited in commit/abandon; never an unhandled rejection
      let finished = false;
      let broken = false;
      return {
        resumeFrom: 0,
        setValidator() {},
        async restart() {},
        async *readPartial() {},
        async write(chunk) {
          hash?.update(chunk);
          written += chunk.byteLength;
          if (broken) return;
          // A failing cache (quota, private mode) must not fail the download: stop caching and carry on.
          await writer.write(chunk.slice()).catch(() => (broken = true));
        },
        async commit() {
          finished = true;
          let problem: string | null = null;
          if (expected.size !== undefined && written !== expected.size) problem = `got ${written} bytes, the server announced ${expected.size}`;
          const sha = hash?.digestHex();
          if (!problem && sha !== undefined && sha !== expected.sha256) problem = `sha256 ${sha} does not match the expected ${expected.sha256}`;
          if (problem) {
            await writer.abort(new Error(problem)).catch(() => undefined);
            await put.catch(() => undefined);
            await cache.delete(key.url).catch(() => false);
            throw new WeightsError('integrity', `${key.url}: ${problem}; the download was discarded`, key.file);
          }
          if (broken) return;
          await writer.close().catch(() => undefined);
          await put.catch(() => undefined);
        },
        async abandon() {
          if (finished) return;
          finished = true;
          await writer.abort(new Error('download abandoned')).catch(() => undefined);
          await put.catch(() => undefined);
        },
      };
    },

    async list() {
      const cache = await open();
      const files: CachedFile[] = [];
      for (const req of await cache.keys()) {
        const res = await cache.match(req);
        const meta = res && (await metaOf(res, req.url));
        if (meta) files.push(meta);
      }
      return groupByModel(files);
    },

    async clear(model) {
      const cache = await open();
      let removed = 0;
      for (const req of await cache.keys()) {
        const res = await cache.match(req);
        const meta = res && (await metaOf(res, req.url));
        if (model === undefined || meta?.model === model) {
          if (await cache.delete(req)) removed++;
        }
      }
      return removed;
    },
  };
}
