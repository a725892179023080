/**
 * `import { pipeline } from 'bertgpu/node'`: the browser API in Node on Dawn (`npm install webgpu`), with local
 * model folders and an on-disk download cache; also the tokenizer classes.
 *
 * @module bertgpu/node
 */
// bertgpu for Node: the same pipeline() on Dawn (npm webgpu, with the software adapter set-up installs when there is
// no GPU), reading local model folders, the Hub or URLs (cached in $XDG_CACHE_HOME/bertgpu).
import { makeCallable, type AnyPipeline, type FeatureExtractionPipeline, type FillMaskPipeline, type NextSentencePipeline, type TextClassificationPipeline, type ZeroShotClassificationPipeline } from './runtime/callable.ts';
import type { ModelInput } from './runtime/environment.ts';
import { createInThread } from './runtime/in-thread.ts';
import { nodeEnvironment } from './runtime/node-env.ts';
import type { PipelineOptions } from './runtime/runtime.ts';
import type { TaskName } from './tasks/registry.ts';
// Types only: pipeline.ts imports the browser Worker's URL (a bundler import Node cannot load).
import type { EveryPipeline, QuestionAnsweringPipeline, TokenClassificationPipeline } from './pipeline.ts';

export * from './index.ts';
export { BertTokenizer, TokenizerClient } from './tokenizer/index.ts';

/**
 * The browser's `pipeline()` for Node, on Dawn (the optional peer dependency `webgpu`: `npm install webgpu`; without
 * it this rejects with an error that says so). A machine without a GPU driver gets a software Vulkan adapter when
 * one is installed. Runs on the calling thread.
 *
 * @param task - What to run: labels with scores.
 * @param model - A local model folder, a Hub id (`org/name`, `org/name@revision`), the http(s) URL of a model
 *   folder, or an array of Files. Downloads are cached in `$XDG_CACHE_HOME/bertgpu` (default `~/.cache/bertgpu`).
 * @param options - Precision, progress, cancellation, Hub endpoint, cache, batching, or your own `device`.
 * @example
 * ```ts
 * import { pipeline } from 'bertgpu/node';
 * const classify = await pipeline('text-classification', './models/my-bert');
 * console.log(await classify('I love this'));
 * await classify.dispose();
 * ```
 */
export function pipeline(task: 'text-classification' | 'sentiment-analysis', model: ModelInput, options?: PipelineOptions): Promise<TextClassificationPipeline>;
/** Loads a model for embeddings: token states, or one vector per text with `pooling`. See the first signature. */
export function pipeline(task: 'feature-extraction' | 'embeddings', model: ModelInput, options?: PipelineOptions): Promise<FeatureExtractionPipeline>;
/** Loads a model with a masked-LM head to fill [MASK] tokens. See the first signature. */
export function pipeline(task: 'fill-mask', model: ModelInput, options?: PipelineOptions): Promise<FillMaskPipeline>;
/** Loads a model with BERT's next-sentence head to score sentence pairs. See the first signature. */
export function pipeline(task: 'next-sentence-prediction', model: ModelInput, options?: PipelineOptions): Promise<NextSentencePipeline>;
/** Loads an NLI classifier for zero-shot classification over candidate labels. See the first signature. */
export function pipeline(task: 'zero-shot-classification', model: ModelInput, options?: PipelineOptions): Promise<ZeroShotClassificationPipeline>;
/** Loads a BertForTokenClassification model for named entities (per token, or grouped). See the first signature. */
export function pipeline(task: 'token-classification' | 'ner', model: ModelInput, options?: PipelineOptions): Promise<TokenClassificationPipeline>;
/** Loads a BertForQuestionAnswering model for answer spans in a context. See the first signature. */
export function pipeline(task: 'question-answering', model: ModelInput, options?: PipelineOptions): Promise<QuestionAnsweringPipeline>;
/** Any registered task (see src/tasks/registry.ts). */
export function pipeline(task: TaskName, model: ModelInput, options?: PipelineOptions): Promise<AnyPipeline>;
export async function pipeline(task: TaskName, model: ModelInput, options: PipelineOptions = {}): Promise<EveryPipeline> {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  return makeCallable(await createInThread(nodeEnvironment, task, model, options)) as EveryPipeline;
}
