// pipeline(task, model, options): the public entry, shaped like transformers.js. In a browser page the runtime runs
// in a dedicated module Worker (the page keeps a thin proxy; from a page on another origin than bertgpu, through a
// blob: shim); elsewhere (inside a Worker, or with worker: false) it runs in-thread, loaded on demand. Node uses the
// 'bertgpu/node' entry: this API on Dawn with local folders.
import { makeCallable, type AnyPipeline, type FeatureExtractionPipeline, type FillMaskPipeline, type NextSentencePipeline, type TextClassificationPipeline, type ZeroShotClassificationPipeline } from './runtime/callable.ts';
import type { ModelInput } from './runtime/environment.ts';
import type { PipelineOptions } from './runtime/runtime.ts';
import { normalizePipelineOptions, sendReady } from './runtime/pipeline-options.ts';
import type { Task, TaskName } from './tasks/registry.ts';
import { WorkerRuntime } from './runtime/worker-client.ts';
import type { Answer, QaItem, QuestionAnsweringOptions } from './tasks/question-answering.ts';
import type { EntityGroup, TokenClassificationOptions, TokenEntity } from './tasks/token-classification.ts';
// The runtime Worker as a URL (Vite bundles it as an ES module file next to the library): pipeline() needs the URL
// itself, to start the Worker through a same-origin shim when the library was loaded from another origin.
import runtimeWorkerUrl from './runtime/worker.ts?worker&url';

export type { PipelineOptions, Task, TaskName };

/** The implementation's view of pipeline()'s result: one callable that the typed overloads narrow by task. */
export type EveryPipeline = AnyPipeline & TokenClassificationPipeline & QuestionAnsweringPipeline;

/** makeCallable's callable serves every task's call shape; the overloads say which one a task has. */
function everyPipeline(p: AnyPipeline): EveryPipeline {
  return p as EveryPipeline;
}

/** What every pipeline has besides its call: info, stats(), dispose(), inspect(), profile(). */
type PipelineMembers = Pick<TextClassificationPipeline, 'info' | 'stats' | 'dispose' | 'inspect' | 'profile'>;

/**
 * What `pipeline('token-classification' | 'ner', …)` returns (a BertForTokenClassification model): call it with a
 * text for its entities — one per token (`aggregation_strategy` 'none', the default: `{ entity, score, index, word,
 * start, end }`) or grouped (`{ entity_group, score, word, start, end }`), as HF Python; start/end index the text.
 *
 * @example
 * ```ts
 * const ner = await pipeline('ner', 'org/bert-ner');
 * await ner('Mary lives in Paris', { aggregation_strategy: 'simple' }); // [{ entity_group: 'PER', word: 'Mary', … }, …]
 * ```
 */
export interface TokenClassificationPipeline extends PipelineMembers {
  (inputs: string, options?: TokenClassificationOptions): Promise<Array<TokenEntity | EntityGroup>>;
  (inputs: string[], options?: TokenClassificationOptions): Promise<Array<Array<TokenEntity | EntityGroup>>>;
}

/**
 * What `pipeline('question-answering', …)` returns (a BertForQuestionAnswering model): call it with a question and a
 * context (or `{ question, context }`) for the answer span `{ score, start, end, answer }` in the context; with
 * top_k > 1 a list, best first. Long contexts run in overlapping windows (doc_stride), as HF Python.
 *
 * @example
 * ```ts
 * const qa = await pipeline('question-answering', 'org/bert-squad');
 * await qa('Who lives in Paris?', 'Mary lives in Paris.'); // { answer: 'Mary', start: 0, end: 4, score }
 * ```
 */
export interface QuestionAnsweringPipeline extends PipelineMembers {
  (question: string, context: string, options?: QuestionAnsweringOptions): Promise<Answer | Answer[]>;
  (inputs: QaItem, options?: QuestionAnsweringOptions): Promise<Answer | Answer[]>;
  (questions: string[], contexts: string | string[], options?: QuestionAnsweringOptions): Promise<Array<Answer | Answer[]>>;
  (inputs: QaItem[], options?: QuestionAnsweringOptions): Promise<Array<Answer | Answer[]>>;
}

const onMainThread = () => typeof window !== 'undefined' && typeof document !== 'undefined' && typeof Worker !== 'undefined';

/**
 * Loads a model for a task and resolves to a function that runs it, like transformers.js's `pipeline()`. In a page
 * the model runs in a module Worker that owns the GPU device (or the CPU backend's memory); inside a Worker, or with
 * `worker: false` or a GPUDevice, it runs on the calling thread. Without WebGPU (or with `device: 'cpu'`, or
 * 'auto' on a software adapter) it runs on the CPU backend (WebAssembly SIMD); `info.device` says which and why. Weights stream into GPU memory as they download and are kept in Cache
 * Storage for the next load. Rejects with an error that names the file or field when the model cannot serve the
 * task, and when `device: 'gpu'` is asked for where WebGPU is missing.
 *
 * @param task - What to run: labels with scores.
 * @param model - A Hub id (`org/name`, `org/name@revision`), the http(s) URL of a model folder, or the files of a
 *   folder (a FileList or File[] from a picker or a drop).
 * @param options - Precision, progress, cancellation, Hub endpoint, cache and batching; see {@link PipelineOptions}.
 * @example
 * ```ts
 * import { pipeline } from 'bertgpu';
 * const classify = await pipeline('text-classification', 'org/model');
 * console.log(await classify('I love this')); // [{ label: 'positive', score: 0.98 }]
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
  // The task name is resolved where the task modules are (the Worker, or the in-thread runtime): the page never loads
  // them. A name must at least survive postMessage.
  if (typeof task !== 'string') throw new TypeError(`unknown task ${String(task)}: a task is named by a string such as 'text-classification'`);
  // Checked here too (the in-thread runtime checks again): a bad option fails before any Worker starts.
  const o = normalizePipelineOptions(options, typeof model === 'string' ? model : 'files');
  const useWorker = o.worker !== false && !o.device && onMainThread();
  if (!useWorker) {
    const { createBrowserInThread } = await import('./runtime/in-thread.ts');
    return everyPipeline(makeCallable(await createBrowserInThread(task, model, options)));
  }
  if (model === null || model === undefined || (typeof model === 'string' && model.trim() === '')) {
    throw new TypeError('model must be a Hub id, a URL or the files of a model folder');
  }
  if (typeof model !== 'string' && !Array.isArray(model) && !(typeof FileList !== 'undefined' && model instanceof FileList)) {
    throw new TypeError('with a Worker, model must be a Hub id, a URL or the files of a model folder (or pass worker: false)');
  }
  const workerUrl = new URL(runtimeWorkerUrl, location.href);
  const started = startRuntimeWorker(workerUrl);
  const { dtype, endpoint, cache, maxBatchSize, kernelProfile, tune, backend: device, labels } = o;
  try {
    const rt = await WorkerRuntime.create(started.worker, task, typeof model === 'string' ? model : Array.from(model), { dtype, endpoint, cache, maxBatchSize, kernelProfile, tune, device, ...(labels ? { labels } : {}) }, o.onProgress, o.signal);
    sendReady(o, task, typeof model === 'string' ? model : rt.info.model);
    return everyPipeline(makeCallable(rt));
  } catch (e) {
    if (started.failedToLoad()) throw new Error(workerLoadAdvice(workerUrl), { cause: e });
    throw e;
  }
}

interface StartedWorker {
  worker: Worker;
  /** The script never ran: an error that is not a script error (those are ErrorEvents) before any message. */
  failedToLoad(): boolean;
}

/**
 * A page may import bertgpu from another origin (a CDN). Browsers refuse a Worker whose script is cross-origin
 * (SecurityError), but a module Worker started from a same-origin blob: URL may import a cross-origin module when
 * that server allows CORS, which it must already do for the page to import bertgpu as a module at all.
 */
function startRuntimeWorker(url: URL): StartedWorker {
  const options: WorkerOptions = { type: 'module', name: 'bertgpu' };
  const shim = url.origin === location.origin ? null : URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' }));
  const worker = new Worker(shim ?? url, options);
  let heard = false;
  let loadFailed = false;
  const settle = (ev: Event) => {
    if (!heard && ev.type === 'error' && !(ev instanceof ErrorEvent && ev.message)) loadFailed = true;
    heard = true;
    if (shim) URL.revokeObjectURL(shim);
    worker.removeEventListener('message', settle);
    worker.removeEventListener('error', settle);
  };
  // Registered before the runtime's own handlers, so the flag is set when the creation request fails.
  worker.addEventListener('message', settle);
  worker.addEventListener('error', settle);
  return { worker, failedToLoad: () => loadFailed };
}

/** What to do when the Worker's script could not be loaded, for the usual causes. */
function workerLoadAdvice(url: URL): string {
  const where = `the bertgpu Worker (${url.href}) did not load: `;
  if (url.origin !== location.origin) {
    return `${where}bertgpu is on another origin, so its Worker starts from a blob: URL: allow worker-src blob: in the page's Content-Security-Policy and CORS on bertgpu's server, serve bertgpu from the page's origin, or pass { worker: false }`;
  }
  if (url.pathname.includes('/.vite/deps/')) return `${where}Vite pre-bundled bertgpu without it; add optimizeDeps: { exclude: ['bertgpu'] } to the Vite config, or pass { worker: false }`;
  return `${where}deploy it next to bertgpu's code, served as JavaScript, or pass { worker: false }`;
}
