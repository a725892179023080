// Node: Dawn (npm webgpu) with adapter discovery, and models from local folders, the Hub or URLs (with the on-disk
// cache). Browser bundles never import this file.
import { requestDevice } from '../gpu/device.ts';
import { requestNodeGpu } from '../gpu/node-gpu.ts';
import { nodeTuningStore } from '../gpu/tuner-cache-node.ts';
import { filesProvider } from '../hub/files.ts';
import { openProvider } from '../hub/node-files.ts';
import type { Environment, ModelInput, ProviderOptions } from './environment.ts';
import { nodeKernelThreads } from '../cpu-backend/node-threads.ts';

export const nodeEnvironment: Environment = {
  async createGpu() {
    const { gpu, adapter } = await requestNodeGpu();
    return requestDevice(adapter, { label: 'bertgpu', instance: gpu });
  },
  provider(model: ModelInput, options: ProviderOptions) {
    if (typeof model === 'string') return openProvider(model, { endpoint: options.endpoint, cacheDir: options.cache === false ? false : undefined });
    if (Array.isArray(model)) return filesProvider(model);
    throw new TypeError('model must be a folder path, a Hub id, a URL or an array of Files');
  },
  // $XDG_CACHE_HOME/bertgpu/tuning.json: a choice timed once per adapter and shape serves every later process.
  tuningStore: () => nodeTuningStore(),
  cpuThreads: () => nodeKernelThreads(),
  // Loaded when a save asks for it: node:fs stays out of everything else.
  writeFolder: async (dir, files, options) => (await import('../train/save-node.ts')).writeHfFolder(dir, files, options),
};
