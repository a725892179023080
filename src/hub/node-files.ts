// Node only: a local model directory as a file provider, and `openProvider` that picks a directory when the
// reference is an existing path and the Hub/URL otherwise (with the on-disk cache by default).
import { existsSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WeightsError } from '../weights/errors.ts';
import { fileSource } from '../weights/node-source.ts';
import { httpProvider, readText, type FileProvider, type HttpProviderOptions } from './files.ts';
import { nodeCache } from './node-cache.ts';
import { checkFileName } from './resolve.ts';

export function dirProvider(dir: string): FileProvider {
  if (typeof dir !== 'string' || dir === '') throw new WeightsError('bad-argument', 'dirProvider: dir must be a non-empty path');
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new WeightsError('missing-file', `${dir}: not a directory`, dir);
  const exists = async (name: string) => {
    checkFileName(name, dir);
    try {
      return (await stat(join(root, name))).isFile();
    } catch {
      return false;
    }
  };
  return {
    label: root,
    async source(name) {
      return (await exists(name)) ? fileSource(join(root, name), join(dir, name)) : null;
    },
    async text(name, signal) {
      if (!(await exists(name))) return null;
      // Within the file's cap (checked on its size first), like files from a server or a drop.
      return readText(fileSource(join(root, name), join(dir, name)), name, signal);
    },
  };
}

export interface NodeProviderOptions extends HttpProviderOptions {
  /** Cache directory, or false for none (default: $XDG_CACHE_HOME/bertgpu or ~/.cache/bertgpu). */
  cacheDir?: string | false;
}

/** A local directory when `model` is one, else the Hub or URL. */
export function openProvider(model: string, options: NodeProviderOptions = {}): FileProvider {
  if (typeof model !== 'string' || model === '') throw new WeightsError('bad-argument', 'model: expected a directory, Hub id or URL');
  const looksLocal = model.startsWith('/') || model.startsWith('./') || model.startsWith('../') || model.startsWith('~');
  if (looksLocal || (existsSync(model) && statSync(model).isDirectory())) return dirProvider(model);
  const cache = options.cache !== undefined ? options.cache : options.cacheDir === false ? null : nodeCache(options.cacheDir || undefined);
  return httpProvider(model, { ...options, cache });
}
