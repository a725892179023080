// Download cache, storage-agnostic. A cached file is keyed by its URL and validated by the server's ETag (for Hub LFS
// files, the sha256 in X-Linked-Etag). An entry is published only after the whole file arrived and matched the
// expected size and sha256; a download that stops half-way publishes nothing. Stores that can (Node) keep the partial
// bytes and resume the next attempt with a Range request. Implementations: node-cache.ts, browser-cache.ts.
import { WeightsError } from '../weights/errors.ts';
import type { ByteSource } from '../weights/source.ts';
import type { UrlSource } from '../weights/url-source.ts';

export interface CacheKey {
  url: string;
  /** Server validator; undefined when it could not be asked (offline): any entry for the URL will do. */
  etag?: string;
  /** Model label (`org/name@rev` or folder URL) and file name, for listing. */
  model: string;
  file: string;
}

export interface CachedFile {
  model: string;
  file: string;
  url: string;
  etag?: string;
  size: number;
  sha256?: string;
  savedAt: string;
}

export interface CachedModel {
  model: string;
  files: CachedFile[];
  bytes: number;
}

export interface CacheWriter {
  /** Bytes already held from an earlier interrupted download (0 when starting fresh). */
  readonly resumeFrom: number;
  /** Those bytes, to replay to the consumer before the network picks up. */
  readPartial(signal?: AbortSignal): AsyncIterable<Uint8Array>;
  write(chunk: Uint8Array): Promise<void>;
  /** Verifies size and sha256 (when known) and publishes the entry; throws 'integrity' on a mismatch. */
  commit(): Promise<void>;
  /** Stops without publishing (keeping the partial bytes when the store can resume). */
  abandon(): Promise<void>;
}

export interface FileCache {
  get(key: CacheKey): Promise<ByteSource | null>;
  open(key: CacheKey, expected: { size?: number; sha256?: string }): Promise<CacheWriter>;
  list(): Promise<CachedModel[]>;
  /** Deletes every entry, or those of one model; resolves with the number of files removed. */
  clear(model?: string): Promise<number>;
}

export function groupByModel(files: CachedFile[]): CachedModel[] {
  const by = new Map<string, CachedModel>();
  for (const f of files) {
    let m = by.get(f.model);
    if (!m) by.set(f.model, (m = { model: f.model, files: [], bytes: 0 }));
    m.files.push(f);
    m.bytes += f.size;
  }
  for (const m of by.values()) m.files.sort((a, b) => a.file.localeCompare(b.file));
  return [...by.values()].sort((a, b) => a.model.localeCompare(b.model));
}

export interface CachedSourceOptions {
  model: string;
  file: string;
  /** The content at this URL never changes (commit revision): use a cached copy without asking the server. */
  immutable?: boolean;
}

/**
 * Wraps a URL source with a cache: a full read is served from the cache when a valid entry exists, else it streams
 * from the network while writing the cache (resuming a partial download), and publishes the entry at the end.
 */
export function cachedSource(remote: UrlSource, cache: FileCache, options: CachedSourceOptions): ByteSource {
  const base = { url: remote.url, model: options.model, file: options.file };
  let resolved: Promise<{ hit: ByteSource | null; etag?: string; size?: number; sha256?: string }> | null = null;

  const resolve = (signal?: AbortSignal) =>
    (resolved ??= (async () => {
      if (options.immutable) {
        const hit = await cache.get(base);
        if (hit) return { hit };
      }
      let meta;
      try {
        meta = await remote.meta(signal);
      } catch (e) {
        // Offline or server down: any complete entry for this URL beats failing; HTTP errors (404, 401) propagate.
        if (e instanceof WeightsError || signal?.aborted) throw e;
        const hit = await cache.get(base);
        if (hit) return { hit };
        throw new WeightsError('http', `${remote.name}: cannot reach the server (${(e as Error).message}) and no cached copy exists`, remote.name);
      }
      const hit = await cache.get({ ...base, etag: meta.etag });
      return { hit, etag: meta.etag, size: meta.size, sha256: meta.sha256 };
    })().catch((e) => {
      resolved = null;
      throw e;
    }));

  async function* download(signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    const r = await resolve(signal);
    if (r.hit) {
      yield* r.hit.read(0, undefined, signal);
      return;
    }
    const writer = await cache.open({ ...base, etag: r.etag }, { size: r.size, sha256: r.sha256 });
    let ok = false;
    try {
      yield* writer.readPartial(signal);
      for await (const chunk of remote.read(writer.resumeFrom, undefined, signal)) {
        await writer.write(chunk);
        yield chunk;
      }
      await writer.commit();
      ok = true;
      // The entry exists now: the next full read (a reload, the second load of dtype 'auto') must find it.
      resolved = null;
    } finally {
      if (!ok) await writer.abandon();
    }
  }

  return {
    name: remote.name,
    async size(signal) {
      const r = await resolve(signal);
      return r.hit ? r.hit.size(signal) : r.size;
    },
    async *read(start, end, signal) {
      if (start === 0 && end === undefined) {
        yield* download(signal);
        return;
      }
      // Partial reads (headers): from the cache when it has the file, else straight from the network.
      const r = await resolve(signal);
      yield* (r.hit ?? remote).read(start, end, signal);
    },
  };
}
