// What differs between where the runtime can live (browser main thread or Worker, Node): how to get a GPU device and
// how a model reference becomes a FileProvider. The runtime itself is the same code everywhere.
import type { GpuContext } from '../gpu/device.ts';
import type { TuningStore } from '../gpu/tuner-cache.ts';
import type { FileProvider } from '../hub/files.ts';
import type { ThreadOptions } from '../cpu-backend/threads.ts';

/** A Hub id (`org/name`, `org/name@rev`), a URL, a local folder path (Node), or the files of a folder (browser). */
export type ModelInput = string | File[] | FileList | FileProvider;

export interface ProviderOptions {
  /** Hub endpoint for ids (default https://huggingface.co). */
  endpoint?: string;
  /** Use the download cache (default true). */
  cache?: boolean;
}

export interface Environment {
  /** A device the runtime owns (it may destroy it on dispose and re-create it after a loss). */
  createGpu(): Promise<GpuContext>;
  provider(model: ModelInput, options: ProviderOptions): FileProvider;
  /** Where tuned kernel choices persist (default: IndexedDB in browsers, memory elsewhere). */
  tuningStore?(): TuningStore;
  /** Threads for the CPU backend's kernels here (null or absent: the calling thread only). */
  cpuThreads?(): ThreadOptions | null;
  /** Node: writes a saved model's files into a directory (`clf.save({ dir })`); absent in browsers. */
  writeFolder?(dir: string, files: ReadonlyMap<string, Uint8Array>, options: { overwrite: boolean }): Promise<unknown>;
}

export function isFileProvider(m: unknown): m is FileProvider {
  return !!m && typeof m === 'object' && typeof (m as FileProvider).text === 'function' && typeof (m as FileProvider).source === 'function';
}
