// Node only: the tuner's choices as one JSON file in the cache folder, $XDG_CACHE_HOME/bertgpu/tuning.json (else
// ~/.cache/bertgpu/tuning.json): { "version": 1, "entries": { key: { kernel, tile?, ms } } }. Writes merge with what
// is on disk and replace the file by rename, so a reader (another process) sees the old file or the new one, never
// half of one. An unreadable or corrupt file reads as empty and is replaced on the next write.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultCacheDir } from '../hub/node-cache.ts';
import { parseEntry, type TuningEntry, type TuningStore } from './tuner-cache.ts';

export const TUNING_FILE = 'tuning.json';
const VERSION = 1;

async function readEntries(path: string): Promise<Record<string, unknown>> {
  try {
    const doc = JSON.parse(await readFile(path, 'utf8')) as { version?: unknown; entries?: unknown };
    if (doc?.version !== VERSION || typeof doc.entries !== 'object' || doc.entries === null || Array.isArray(doc.entries)) return {};
    return doc.entries as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The tuning store in a cache folder (default: the download cache's, defaultCacheDir()). */
export function nodeTuningStore(dir: string = defaultCacheDir()): TuningStore {
  if (typeof dir !== 'string' || dir === '') throw new Error('nodeTuningStore: dir must be a non-empty path');
  const path = join(dir, TUNING_FILE);
  // Writes of this process run one after another (each merges with the file the previous one wrote).
  let writing: Promise<void> = Promise.resolve();
  return {
    async getMany(keys) {
      const entries = await readEntries(path);
      const out = new Map<string, TuningEntry>();
      for (const k of keys) {
        const e = Object.hasOwn(entries, k) ? parseEntry(entries[k]) : null;
        if (e) out.set(k, e);
      }
      return out;
    },
    putMany(add) {
      writing = writing.then(async () => {
        if (add.size === 0) return;
        const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
        try {
          await mkdir(dir, { recursive: true });
          const entries = await readEntries(path);
          for (const [k, v] of add) entries[k] = v;
          await writeFile(tmp, `${JSON.stringify({ version: VERSION, entries }, null, 1)}\n`);
          await rename(tmp, path);
        } catch {
          // A read-only or full disk: the choices apply to this process and are not remembered.
          await rm(tmp, { force: true }).catch(() => undefined);
        }
      });
      return writing;
    },
  };
}
