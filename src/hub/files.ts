// File providers: one interface over the places a model folder can be — the Hub or any URL (with the cache), a
// set of dropped `File`s in the browser, a local directory in Node (node-files.ts). A provider answers "give me this
// file" with its bytes/source, or null when the folder has no such file; other failures are errors.
import { WeightsError } from '../weights/errors.ts';
import { blobSource, type ByteSource } from '../weights/source.ts';
import { urlSource, type UrlSourceOptions } from '../weights/url-source.ts';
import { cachedSource, type FileCache } from './cache.ts';
import { revisionFiles, type RevisionFile } from './hub-api.ts';
import { checkFileName, describeRef, fileUrl, isImmutableRevision, parseModelRef, type ModelRef } from './resolve.ts';

/**
 * A model folder as bertgpu reads it: small files as text, weights as byte sources. Pass your own to `pipeline()` to
 * load from storage bertgpu does not know (IndexedDB, a zip, an authenticated API); it runs in-thread (`worker: false`,
 * Node, or inside your own Worker), since functions cannot be sent to the runtime Worker.
 */
export interface FileProvider {
  /** `org/name@rev`, a URL or a path: what the user asked for, for messages and the cache. */
  readonly label: string;
  /** A small file's text, or null when it does not exist. */
  text(name: string, signal?: AbortSignal): Promise<string | null>;
  /** A (large) file as a byte source, or null when it does not exist. */
  source(name: string, signal?: AbortSignal): Promise<ByteSource | null>;
}

export interface HttpProviderOptions extends Pick<UrlSourceOptions, 'headers' | 'fetch' | 'retries' | 'retryDelayMs'> {
  /** Hub endpoint for `org/name` ids (default https://huggingface.co). */
  endpoint?: string;
  /** Cache for downloaded files (null: no caching). */
  cache?: FileCache | null;
}

/**
 * Caps on the files read whole as text, by name (others: DEFAULT_TEXT_CAP). Real files are far below them — a
 * config.json is ~1 KB (~3 MB with 100 000 labels), a multilingual tokenizer.json ~17 MB — and a file over its cap is
 * refused by its stated size before a byte is read (a local file's stat, a dropped File's size, the server's size),
 * else as soon as the bytes read pass it. Weights are never read whole: they stream.
 */
export const TEXT_FILE_CAPS: Readonly<Record<string, number>> = {
  'config.json': 4 << 20,
  'special_tokens_map.json': 1 << 20,
  'tokenizer_config.json': 16 << 20,
  'model.safetensors.index.json': 16 << 20,
  'vocab.txt': 64 << 20,
  'tokenizer.json': 64 << 20,
};
export const DEFAULT_TEXT_CAP = 16 << 20;

function capError(where: string, name: string, cap: number, size: number | null): WeightsError {
  const mib = cap / (1 << 20);
  return new WeightsError('config', `${where}: ${size === null ? `more than ${cap} bytes` : `${size} bytes`}, over the ` +
    `${mib} MiB (${cap}-byte) cap for ${name}`, where);
}

/** Files from the Hub (`org/name[@rev]`, Hub URLs) or a folder URL. */
export function httpProvider(model: string | ModelRef, options: HttpProviderOptions = {}): FileProvider {
  const ref = typeof model === 'string' ? parseModelRef(model, options.endpoint) : model;
  const label = describeRef(ref);
  const sources = new Map<string, ByteSource>();
  // Asked at most once, and only when a redirect hid the Hub's X-Linked-* headers (browsers); a failure means "unknown".
  let revision: Promise<Map<string, RevisionFile> | null> | null = null;
  const fileInfo = ref.kind !== 'hub' ? undefined : async (name: string, signal?: AbortSignal) => {
    revision ??= revisionFiles(ref, options, signal).catch((e: unknown) => {
      if (!signal?.aborted) return null;
      revision = null; // an abort is not an answer: a later load may ask again
      throw e;
    });
    return (await revision)?.get(name) ?? null;
  };

  const sourceFor = (name: string): ByteSource => {
    let s = sources.get(name);
    if (!s) {
      const url = fileUrl(ref, name);
      // Folder URLs may end with '/': name files without a doubled slash.
      const remote = urlSource(url, {
        ...options,
        name: `${label.replace(/\/+$/, '')}/${name}`,
        fileInfo: fileInfo && ((signal) => fileInfo(name, signal)),
      });
      s = options.cache ? cachedSource(remote, options.cache, { model: label, file: name, immutable: isImmutableRevision(ref) }) : remote;
      sources.set(name, s);
    }
    return s;
  };

  const exists = async (name: string, signal?: AbortSignal): Promise<ByteSource | null> => {
    const s = sourceFor(name);
    try {
      await s.size(signal);
      return s;
    } catch (e) {
      if (e instanceof WeightsError && e.code === 'missing-file') return null;
      throw e;
    }
  };

  return {
    label,
    source: exists,
    async text(name, signal) {
      const s = await exists(name, signal);
      if (!s) return null;
      return readText(s, name, signal);
    },
  };
}

/** Reads a model folder's text file whole, within its cap (TEXT_FILE_CAPS), as strict UTF-8. */
export async function readText(s: ByteSource, name: string, signal?: AbortSignal): Promise<string> {
  const cap = TEXT_FILE_CAPS[name] ?? DEFAULT_TEXT_CAP;
  const stated = await s.size(signal);
  if (stated !== undefined && stated > cap) throw capError(s.name, name, cap, stated);
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of s.read(0, undefined, signal)) {
    total += chunk.byteLength;
    if (total > cap) throw capError(s.name, name, cap, null);
    parts.push(chunk.slice());
  }
  const all = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(all);
  } catch {
    throw new WeightsError('config', `${s.name}: not valid UTF-8 text`, s.name);
  }
}

/**
 * A dropped folder or file selection in the browser. Paths come from `webkitRelativePath` (folder drops) with the
 * common top folder removed, else the plain file name.
 */
export function filesProvider(files: Iterable<File> | ArrayLike<File>, label = 'dropped files'): FileProvider {
  const list = Array.from(files as ArrayLike<File>);
  if (list.length === 0) throw new WeightsError('bad-argument', `${label}: no files given`);
  const paths = list.map((f) => ((f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name).replace(/^\/+/, ''));
  const tops = new Set(paths.map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : '')));
  const strip = tops.size === 1 && !tops.has('') ? [...tops][0].length + 1 : 0;
  const byName = new Map<string, File>();
  list.forEach((f, i) => byName.set(paths[i].slice(strip), f));
  return {
    label,
    async source(name) {
      checkFileName(name, label);
      const f = byName.get(name);
      return f ? blobSource(f, `${label}/${name}`) : null;
    },
    async text(name, signal) {
      checkFileName(name, label);
      const f = byName.get(name);
      if (!f) return null;
      return readText(blobSource(f, `${label}/${name}`), name, signal);
    },
  };
}

