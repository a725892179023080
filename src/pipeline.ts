// pipeline(task, model, options): the public entry, shaped like transformers.js. In a browser page the runtime runs
// in a dedicated module Worker (the page keeps a thin proxy); elsewhere (inside a Worker, or with worker: false) it
// runs in-thread. Node uses the 'bertgpu/node' entry, which is this with Dawn and local folders.
import { browserCacheIfAvailable } from './runtime/browser-cache-env.ts';
import { browserEnvironment } from './runtime/browser-env.ts';
import { makeCallable, type FeatureExtractionPipeline, type RuntimeLike, type TextClassificationPipeline } from './runtime/callable.ts';
import type { Environment, ModelInput } from './runtime/environment.ts';
import { checkTask, Runtime, type PipelineOptions, type Task } from './runtime/runtime.ts';
import { WorkerRuntime } from './runtime/worker-client.ts';

export type { PipelineOptions, Task };

export function inThread(rt: Runtime): RuntimeLike {
  return {
    get info() {
      return rt.info;
    },
    run: (inputs, options) => rt.run(inputs, options),
    loss: (inputs, labels, options) => rt.loss(inputs, labels, options),
    stats: async () => rt.stats,
    inspect: (input, options) => rt.inspect(input, options),
    dispose: () => rt.dispose(),
  };
}

export async function createPipeline(env: () => Promise<Environment>, task: unknown, model: ModelInput, options: PipelineOptions = {}) {
  return makeCallable(inThread(await Runtime.create(await env(), task, model, options)));
}

const onMainThread = () => typeof window !== 'undefined' && typeof document !== 'undefined' && typeof Worker !== 'undefined';

export function pipeline(task: 'text-classification', model: ModelInput, options?: PipelineOptions): Promise<TextClassificationPipeline>;
export function pipeline(task: 'feature-extraction', model: ModelInput, options?: PipelineOptions): Promise<FeatureExtractionPipeline>;
export async function pipeline(task: Task, model: ModelInput, options: PipelineOptions = {}): Promise<TextClassificationPipeline | FeatureExtractionPipeline> {
  checkTask(task);
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const useWorker = options.worker !== false && !options.device && onMainThread();
  if (!useWorker) return createPipeline(async () => browserEnvironment(await browserCacheIfAvailable()), task, model, options);
  if (typeof model !== 'string' && !Array.isArray(model) && !(typeof FileList !== 'undefined' && model instanceof FileList)) {
    throw new TypeError('with a Worker, model must be a Hub id, a URL or the files of a model folder (or pass worker: false)');
  }
  const worker = new Worker(new URL('./runtime/worker.ts', import.meta.url), { type: 'module', name: 'bertgpu' });
  const { dtype, endpoint, cache, maxBatchSize } = options;
  const rt = await WorkerRuntime.create(worker, task, typeof model === 'string' ? model : Array.from(model), { dtype, endpoint, cache, maxBatchSize }, options.onProgress, options.signal);
  return makeCallable(rt);
}
