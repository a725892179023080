// pipeline(task, model, options): the public entry, shaped like transformers.js. In a browser page the runtime runs
// in a dedicated module Worker (the page keeps a thin proxy); elsewhere (inside a Worker, or with worker: false) it
// runs in-thread, loaded on demand. Node uses the 'bertgpu/node' entry: this API on Dawn with local folders.
import { makeCallable, type FeatureExtractionPipeline, type FillMaskPipeline, type NextSentencePipeline, type TextClassificationPipeline } from './runtime/callable.ts';
import type { ModelInput } from './runtime/environment.ts';
import type { PipelineOptions } from './runtime/runtime.ts';
import { checkTask, type Task } from './runtime/tasks.ts';
import { WorkerRuntime } from './runtime/worker-client.ts';

export type { PipelineOptions, Task };

const onMainThread = () => typeof window !== 'undefined' && typeof document !== 'undefined' && typeof Worker !== 'undefined';

export function pipeline(task: 'text-classification', model: ModelInput, options?: PipelineOptions): Promise<TextClassificationPipeline>;
export function pipeline(task: 'feature-extraction', model: ModelInput, options?: PipelineOptions): Promise<FeatureExtractionPipeline>;
export function pipeline(task: 'fill-mask', model: ModelInput, options?: PipelineOptions): Promise<FillMaskPipeline>;
export function pipeline(task: 'next-sentence-prediction', model: ModelInput, options?: PipelineOptions): Promise<NextSentencePipeline>;
export async function pipeline(task: Task, model: ModelInput, options: PipelineOptions = {}): Promise<TextClassificationPipeline | FeatureExtractionPipeline | FillMaskPipeline | NextSentencePipeline> {
  checkTask(task);
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const useWorker = options.worker !== false && !options.device && onMainThread();
  if (!useWorker) {
    const { createBrowserInThread } = await import('./runtime/in-thread.ts');
    return makeCallable(await createBrowserInThread(task, model, options));
  }
  if (model === null || model === undefined || (typeof model === 'string' && model.trim() === '')) {
    throw new TypeError('model must be a Hub id, a URL or the files of a model folder');
  }
  if (typeof model !== 'string' && !Array.isArray(model) && !(typeof FileList !== 'undefined' && model instanceof FileList)) {
    throw new TypeError('with a Worker, model must be a Hub id, a URL or the files of a model folder (or pass worker: false)');
  }
  const worker = new Worker(new URL('./runtime/worker.ts', import.meta.url), { type: 'module', name: 'bertgpu' });
  const { dtype, endpoint, cache, maxBatchSize } = options;
  const rt = await WorkerRuntime.create(worker, task, typeof model === 'string' ? model : Array.from(model), { dtype, endpoint, cache, maxBatchSize }, options.onProgress, options.signal);
  return makeCallable(rt);
}
