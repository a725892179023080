// Node: write saveHfFolder's files into a directory. The directory is created if missing. A non-empty directory is
// only written into when it is a previous bertgpu save (its model.safetensors says `saved_by: bertgpu`) or the caller
// passes `overwrite: true` — `--out ./` by mistake must not scatter files over someone's project. Each file is
// written to a temporary name and renamed, so a crash mid-save leaves no half-written model.safetensors behind.
import { mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseHeader, readHeaderLength } from '../weights/safetensors.ts';
import { isPlainFileName, SAVED_BY, SaveError } from './save.ts';

export interface WriteFolderOptions {
  /** Write into a non-empty directory that is not a previous bertgpu save. */
  overwrite?: boolean;
}

/** Whether `dir/model.safetensors` exists and its header's metadata says bertgpu wrote it. */
export async function isBertgpuSave(dir: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(join(dir, 'model.safetensors'), 'r');
  } catch {
    return false;
  }
  try {
    const { size } = await handle.stat();
    const first8 = new Uint8Array(8);
    await handle.read(first8, 0, 8, 0);
    const n = readHeaderLength('model.safetensors', first8, size);
    const headerBytes = new Uint8Array(n);
    await handle.read(headerBytes, 0, n, 8);
    return parseHeader('model.safetensors', headerBytes, size).metadata.get('saved_by') === SAVED_BY;
  } catch {
    return false; // not a safetensors file we can read: not ours
  } finally {
    await handle.close();
  }
}

/**
 * Writes `files` (name → bytes, from saveHfFolder) into `dir`. Throws a SaveError when `dir` is a file, or is a
 * non-empty directory that is not a previous bertgpu save and `overwrite` is not set. Returns the paths written.
 */
export async function writeHfFolder(dir: string, files: ReadonlyMap<string, Uint8Array>, options: WriteFolderOptions = {}): Promise<string[]> {
  if (typeof dir !== 'string' || dir.length === 0) throw new SaveError('save: the output directory must be a non-empty path');
  if (!(files instanceof Map) || files.size === 0) throw new SaveError('save: no files to write');
  for (const [name, bytes] of files) {
    if (!isPlainFileName(name)) throw new SaveError(`save: file name ${JSON.stringify(name)} must be a plain file name`);
    if (!(bytes instanceof Uint8Array)) throw new SaveError(`save: file "${name}" must be a Uint8Array`);
  }
  const info = await stat(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw new SaveError(`save: cannot use ${dir}: ${e.message}`);
  });
  if (info && !info.isDirectory()) throw new SaveError(`save: ${dir} exists and is not a directory`);
  if (info) {
    const entries = await readdir(dir);
    if (entries.length > 0 && !options.overwrite && !(await isBertgpuSave(dir))) {
      throw new SaveError(`save: ${dir} is not empty and is not a previous bertgpu save (${entries.length} entries, e.g. ` +
        `${entries.slice(0, 3).join(', ')}); choose an empty or new directory, or pass overwrite`);
    }
  } else {
    await mkdir(dir, { recursive: true }).catch((e: Error) => {
      throw new SaveError(`save: cannot create ${dir}: ${e.message}`);
    });
  }
  const written: string[] = [];
  for (const [name, bytes] of files) {
    const path = join(dir, name);
    const temp = join(dir, `.${name}.${process.pid}.tmp`);
    try {
      await writeFile(temp, bytes);
      await rename(temp, path);
    } catch (e) {
      await rm(temp, { force: true });
      throw new SaveError(`save: cannot write ${path}: ${(e as Error).message}`);
    }
    written.push(path);
  }
  return written;
}
