// Node only: a local model directory as a file provider, and `openProvider` that picks a directory when the
// reference is an existing path and the Hub/URL otherwise (with the on-disk cache by default).
import { existsSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WeightsError } from '../weights/errors.ts';
import { fileSource } from '../weights/node-source.ts';
import { httpProvider, type FileProvider, type HttpProviderOptions } from './files.ts';
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
    async text(name) {
      if (!(await exists(name))) return null;
      const bytes = await readFile(join(root, name));
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        throw new WeightsError('config', `${join(dir, name)}: not valid UTF-8 text`, join(dir, name));
      }
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
