// The browser (main thread or Worker): navigator.gpu, and models from the Hub/URLs (through the Cache API when
// available) or from dropped files.
import { requestBrowserGpu } from '../gpu/device.ts';
import { filesProvider, httpProvider } from '../hub/files.ts';
import type { FileCache } from '../hub/cache.ts';
import type { Environment, ModelInput, ProviderOptions } from './environment.ts';
import { browserKernelThreads } from '../cpu-backend/browser-threads.ts';

export function browserEnvironment(cache: FileCache | null = null): Environment {
  return {
    createGpu: () => requestBrowserGpu(),
    cpuThreads: () => browserKernelThreads(),
    provider(model: ModelInput, options: ProviderOptions) {
      if (typeof model === 'string') return httpProvider(model, { endpoint: options.endpoint, cache: options.cache === false ? null : cache });
      if (Array.isArray(model) || (typeof FileList !== 'undefined' && model instanceof FileList)) return filesProvider(model as File[]);
      throw new TypeError('model must be a Hub id, a URL or the files of a model folder');
    },
  };
}
