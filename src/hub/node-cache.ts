// Node only: the download cache as files under $XDG_CACHE_HOME/bertgpu (else ~/.cache/bertgpu).
//   entries/<key>.data   the file's bytes          key = first 32 hex of sha256(url)
//   entries/<key>.json   { url, etag, size, sha256, model, file, savedAt } — written last: its presence publishes
//   partial/<key>.data   an interrupted download;  partial/<key>.json  { url, etag, validator } it belongs to, where
//                        validator is the If-Range value (strong ETag or Last-Modified) of the response it came from
// Verification re-reads the finished file through node:crypto (fast, and covers bytes from an earlier session).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { WeightsError } from '../weights/errors.ts';
import { fileSource } from '../weights/node-source.ts';
import type { ByteSource } from '../weights/source.ts';
import { groupByModel, type CachedFile, type CacheKey, type CacheWriter, type FileCache } from './cache.ts';

export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'bertgpu');
}

const keyOf = (url: string) => createHash('sha256').update(url).digest('hex').slice(0, 32);

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function readJson(path: string): Promise<Record<string, unknown> | null> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

export function nodeCache(dir: string = defaultCacheDir()): FileCache {
  if (typeof dir !== 'string' || dir === '') throw new WeightsError('bad-argument', 'nodeCache: dir must be a non-empty path');
  const entries = join(dir, 'entries');
  const partial = join(dir, 'partial');

  async function entryFor(url: string): Promise<CachedFile | null> {
    const meta = await readJson(join(entries, `${keyOf(url)}.json`));
    if (!meta || meta.url !== url || typeof meta.size !== 'number') return null;
    try {
      if ((await stat(join(entries, `${keyOf(url)}.data`))).size !== meta.size) return null;
    } catch {
      return null;
    }
    return meta as unknown as CachedFile;
  }

  return {
    async get(key: CacheKey): Promise<ByteSource | null> {
      const e = await entryFor(key.url);
      if (!e || (key.etag !== undefined && e.etag !== key.etag)) return null;
      return fileSource(join(entries, `${keyOf(key.url)}.data`), key.url);
    },

    async open(key, expected): Promise<CacheWriter> {
      await mkdir(partial, { recursive: true });
      await mkdir(entries, { recursive: true });
      const k = keyOf(key.url);
      const dataPath = join(partial, `${k}.data`);
      const metaPath = join(partial, `${k}.json`);
      // Resume only bytes of the same version of the file (same ETag), never more than it has, and only with a
      // validator for If-Range, so the server itself confirms the bytes continue the same file.
      let resumeFrom = 0;
      const old = await readJson(metaPath);
      const resumeValidator = typeof old?.validator === 'string' ? old.validator : undefined;
      if (old && old.url === key.url && key.etag !== undefined && old.etag === key.etag && resumeValidator) {
        try {
          resumeFrom = (await stat(dataPath)).size;
        } catch {
          resumeFrom = 0;
        }
        if (expected.size !== undefined && resumeFrom > expected.size) resumeFrom = 0;
      }
      let validator = resumeFrom > 0 ? resumeValidator : undefined;
      let savedValidator = validator;
      const saveMeta = () => writeFile(metaPath, JSON.stringify({ url: key.url, etag: key.etag, validator }));
      if (resumeFrom === 0) {
        await rm(dataPath, { force: true });
        await saveMeta();
      }
      let handle: FileHandle | null = await open(dataPath, resumeFrom > 0 ? 'a' : 'w');
      let written = resumeFrom;
      const close = async () => {
        const h = handle;
        handle = null;
        await h?.close();
      };
      return {
        resumeFrom,
        resumeValidator: validator,
        setValidator(v) {
          validator = v;
        },
        async restart() {
          await handle?.truncate(0);
          await close();
          handle = await open(dataPath, 'w');
          written = 0;
        },
        async *readPartial(signal) {
          if (resumeFrom > 0) yield* fileSource(dataPath).read(0, resumeFrom, signal);
        },
        async write(chunk) {
          if (!handle) throw new Error('cache writer is closed');
          // The validator goes to disk with the first bytes it covers, so even a killed process leaves a resumable file.
          if (validator !== savedValidator) {
            savedValidator = validator;
            await saveMeta();
          }
          await handle.write(chunk);
          written += chunk.byteLength;
        },
        async commit() {
          await close();
          const fail = async (msg: string) => {
            await rm(dataPath, { force: true });
            await rm(metaPath, { force: true });
            throw new WeightsError('integrity', `${key.url}: ${msg}; the download was discarded`, key.file);
          };
          if (expected.size !== undefined && written !== expected.size) await fail(`got ${written} bytes, the server announced ${expected.size}`);
          let sha: string | undefined;
          if (expected.sha256) {
            sha = await sha256File(dataPath);
            if (sha !== expected.sha256) await fail(`sha256 ${sha} does not match the expected ${expected.sha256}`);
          }
          const final = join(entries, k);
          await rm(`${final}.json`, { force: true });
          await rename(dataPath, `${final}.data`);
          const meta: CachedFile = { model: key.model, file: key.file, url: key.url, etag: key.etag, size: written, sha256: sha, savedAt: new Date().toISOString() };
          await writeFile(`${final}.json.tmp`, JSON.stringify(meta));
          await rename(`${final}.json.tmp`, `${final}.json`);
          await rm(metaPath, { force: true });
        },
        async abandon() {
          await close();
        },
      };
    },

    async list() {
      let names: string[] = [];
      try {
        names = await readdir(entries);
      } catch {
        return [];
      }
      const files: CachedFile[] = [];
      for (const n of names.filter((x) => x.endsWith('.json'))) {
        const meta = await readJson(join(entries, n));
        if (meta && typeof meta.url === 'string' && (await entryFor(meta.url))) files.push(meta as unknown as CachedFile);
      }
      return groupByModel(files);
    },

    async clear(model) {
      let removed = 0;
      for (const m of await this.list()) {
        if (model !== undefined && m.model !== model) continue;
        for (const f of m.files) {
          const k = keyOf(f.url);
          await rm(join(entries, `${k}.json`), { force: true });
          await rm(join(entries, `${k}.data`), { force: true });
          await rm(join(partial, `${k}.json`), { force: true });
          await rm(join(partial, `${k}.data`), { force: true });
          removed++;
        }
      }
      if (model === undefined) await rm(partial, { recursive: true, force: true });
      return removed;
    },
  };
}
