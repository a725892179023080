// Download cache, storage-agnostic. A cached file is keyed by its URL and validated against the server on every use
// (one HEAD): by its ETag (for Hub LFS files the sha256, from X-Linked-Etag or, in browsers, the Hub API), else by
// Last-Modified (readable cross-origin, where ETag is often hidden), and its size must equal the size the server
// states — any difference is a miss and a fresh download, never an error or old bytes. A server that gives neither
// validator gets no reuse: such a file is downloaded again each time (only an offline load falls back to it). An
// entry is published only after the whole file arrived and matched the expected size and sha256; a download that
// stops half-way publishes nothing. Stores that can (Node) keep the partial bytes and resume the next attempt with
// Range + If-Range; an answer with the whole file restarts the download cleanly. Implementations: node-cache.ts,
// browser-cache.ts.
import { WeightsError } from '../weights/errors.ts';
import type { ByteSource } from '../weights/source.ts';
import type { UrlSource } from '../weights/url-source.ts';

export interface CacheKey {
  url: string;
  /**
   * Server validator (the ETag, or `lm:` + Last-Modified); undefined when the server could not be asked (offline): any
   * entry for the URL will do.
   */
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
  /** The If-Range validator of the response those bytes came from (resumeFrom > 0 only with one). */
  readonly resumeValidator?: string;
  /** Records the validator of the response now being written, for a later resume. */
  setValidator(validator: string): void;
  /** Drops the bytes held and starts the file again from byte 0 (the server would not continue them). */
  restart(): Promise<void>;
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
      const validator = meta.etag ?? (meta.lastModified ? `lm:${meta.lastModified}` : undefined);
      // No validator: nothing says a kept copy is still the server's file, so it is downloaded again.
      let hit = validator === undefined ? null : await cache.get({ ...base, etag: validator });
      // Same validator, other size (a server that reuses ETags, a truncated store): a miss, not old bytes.
      if (hit && meta.size !== undefined && (await hit.size(signal)) !== meta.size) hit = null;
      return { hit, etag: validator, size: meta.size, sha256: meta.sha256 };
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
    // The kept bytes are replayed only once the server has agreed to continue them (a 206 to Range + If-Range); a
    // whole-file answer means the file changed or Range is unsupported, and the download starts over.
    let restarted = false;
    const network = remote.read(writer.resumeFrom, undefined, signal, {
      ifRange: writer.resumeValidator,
      onRestart: () => (restarted = true),
      onValidator: (v) => writer.setValidator(v),
    })[Symbol.asyncIterator]();
    let ok = false;
    try {
      let step = await network.next();
      if (restarted) await writer.restart();
      else yield* writer.readPartial(signal);
      for (; !step.done; step = await network.next()) {
        await writer.write(step.value);
        yield step.value;
      }
      await writer.commit();
      ok = true;
      // The entry exists now: the next full read (a reload, the second load of dtype 'auto') must find it.
      resolved = null;
    } finally {
      if (!ok) {
        await network.return?.()?.catch(() => undefined);
        await writer.abandon();
      }
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
