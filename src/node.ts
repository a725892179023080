// bertgpu for Node: the same pipeline() on Dawn (npm webgpu, with the software adapter set-up installs when there is
// no GPU), reading local model folders, the Hub or URLs (cached in $XDG_CACHE_HOME/bertgpu).
import { makeCallable, type FeatureExtractionPipeline, type FillMaskPipeline, type NextSentencePipeline, type TextClassificationPipeline } from './runtime/callable.ts';
import type { ModelInput } from './runtime/environment.ts';
import { createInThread } from './runtime/in-thread.ts';
import { nodeEnvironment } from './runtime/node-env.ts';
import type { PipelineOptions } from './runtime/runtime.ts';
import type { Task } from './runtime/tasks.ts';

export * from './index.ts';
export { BertTokenizer, TokenizerClient } from './tokenizer/index.ts';

export function pipeline(task: 'text-classification', model: ModelInput, options?: PipelineOptions): Promise<TextClassificationPipeline>;
export function pipeline(task: 'feature-extraction', model: ModelInput, options?: PipelineOptions): Promise<FeatureExtractionPipeline>;
export function pipeline(task: 'fill-mask', model: ModelInput, options?: PipelineOptions): Promise<FillMaskPipeline>;
export function pipeline(task: 'next-sentence-prediction', model: ModelInput, options?: PipelineOptions): Promise<NextSentencePipeline>;
export async function pipeline(task: Task, model: ModelInput, options: PipelineOptions = {}): Promise<TextClassificationPipeline | FeatureExtractionPipeline | FillMaskPipeline | NextSentencePipeline> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  return makeCallable(await createInThread(nodeEnvironment, task, model, options));
}
