// The object pipeline() returns: callable like transformers.js (`await classifier(text)`), plus dispose(), info,
// loss() and stats(). Wraps either an in-thread Runtime or the Worker proxy (same interface).
import type { Labels } from '../model/heads.ts';
import type { EmbeddingOutput, FeatureExtractionOptions } from '../tasks/feature-extraction.ts';
import type { FillMaskOptions, FillMaskResult } from '../tasks/fill-mask.ts';
import type { NextSentenceOptions } from '../tasks/next-sentence.ts';
import type { ZeroShotOptions, ZeroShotResult } from '../tasks/zero-shot.ts';
import type { ClassificationInput, ClassificationOptions, LabelScore } from '../tasks/text-classification.ts';
import { Tensor } from '../tasks/tensor.ts';
import type { ProfileResult } from './profile.ts';
import type { EvaluateResult, SaveOptions, TrainExample, TrainOptions, TrainStep } from '../tasks/train-api.ts';
import type { ExplainOptions, Explanation } from '../tasks/train-explain.ts';
import { WITH_DETAILS } from './details.ts';
import type { InspectResult, PipelineInfo, RuntimeStats } from './runtime.ts';

/** What the callable needs of its task (the page side has no task modules: a Worker sends this with `created`). */
export interface CallShape {
  /** The option a second positional argument fills (zero-shot: 'candidate_labels'). */
  positional?: string;
  /** The class a structured clone strips from results, rebuilt here. */
  revivesAs?: 'Tensor';
}

const REVIVERS: Record<NonNullable<CallShape['revivesAs']>, (value: unknown) => unknown> = { Tensor: (v) => Tensor.from(v) };

export interface RuntimeLike {
  readonly info: PipelineInfo;
  readonly callShape: CallShape;
  run(inputs: unknown, options?: unknown): Promise<unknown>;
  loss(inputs: unknown, labels: Labels, options?: { signal?: AbortSignal }): Promise<number>;
  stats(): Promise<RuntimeStats>;
  inspect(input: unknown, options?: { layer?: number }): Promise<InspectResult>;
  profile(inputs: unknown): Promise<ProfileResult>;
  train(examples: unknown, options?: TrainOptions): Promise<TrainStep[]>;
  evaluate(examples: unknown, options?: { signal?: AbortSignal }): Promise<EvaluateResult>;
  save(options?: SaveOptions): Promise<File[]>;
  explain(input: unknown, options?: ExplainOptions): Promise<Explanation>;
  dispose(): Promise<void>;
}

interface PipelineBase {
  /** What was loaded and how it runs: task, model, dtype (and why), adapter, maximum length, labels, hidden size. */
  readonly info: PipelineInfo;
  /** Calls, rows, forwards (micro-batching), live GPU buffers and bytes. */
  stats(): Promise<RuntimeStats>;
  /** Frees the model's GPU memory (and the Worker); later calls reject. Never destroys a device you passed in. */
  dispose(): Promise<void>;
  /** One input with a layer's attention probabilities, its tokens, scores and timings (default: the last layer). */
  inspect(input: ClassificationInput, options?: { layer?: number }): Promise<InspectResult>;
  /**
   * The input (as the pipeline takes it) through one forward with every dispatch's GPU time (timestamp queries):
   * op, kernel, workgroups, workgroup size, FLOPs and milliseconds, plus totals. Rejects with "this adapter has no
   * timestamp-query; …" where the adapter cannot time dispatches.
   */
  profile(inputs: unknown): Promise<ProfileResult>;
}

/**
 * What `pipeline('text-classification', …)` returns: call it with a text (or `{ text, textPair }`) for its labels
 * with scores, best first; with an array for one such list per input.
 *
 * @example
 * ```ts
 * const classify = await pipeline('text-classification', 'org/model');
 * const [best] = await classify('I love this'); // { label: 'positive', score: 0.98 }
 * ```
 */
export interface TextClassificationPipeline extends PipelineBase {
  /** One input: its `topK` labels (default 1), best first. */
  (inputs: ClassificationInput, options?: ClassificationOptions): Promise<LabelScore[]>;
  /** Several inputs (micro-batched on the GPU): one list of labels per input, in order. */
  (inputs: ClassificationInput[], options?: ClassificationOptions): Promise<LabelScore[][]>;
  /** HF's outputs.loss for these inputs and labels (class ids, multi-hot rows, or regression targets). */
  loss(inputs: ClassificationInput | ClassificationInput[], labels: Labels, options?: { signal?: AbortSignal }): Promise<number>;
  /**
   * Fine-tunes the model on labelled examples on the GPU (BERT; AdamW with HF Trainer's conventions) and resolves to
   * the loss history, one entry per optimizer step. Afterwards every call uses the trained weights.
   *
   * @example
   * ```ts
   * const clf = await pipeline('text-classification', 'org/bert-base', { labels: ['neg', 'pos'] });
   * await clf.train([{ text: 'great', label: 'pos' }, { text: 'awful', label: 'neg' }], { epochs: 3, lr: 5e-5 });
   * ```
   */
  train(examples: TrainExample[], options?: TrainOptions): Promise<TrainStep[]>;
  /** Accuracy, macro-F1 and loss (HF's) of the model on labelled examples. */
  evaluate(examples: TrainExample[], options?: { signal?: AbortSignal }): Promise<EvaluateResult>;
  /**
   * The trained model as the Files of a Hugging Face folder (config.json with id2label, model.safetensors, the
   * tokenizer files): loadable by bertgpu and by transformers' from_pretrained. In Node `{ dir }` also writes them.
   */
  save(options?: SaveOptions): Promise<File[]>;
  /**
   * Which tokens pushed a label's logit up or down: one signed score per token ([CLS] and [SEP] included), by
   * integrated gradients (default) or gradient × input w.r.t. the word embeddings, with the current weights. GPU, BERT.
   */
  explain(input: ClassificationInput, options?: ExplainOptions): Promise<Explanation>;
}

/**
 * What `pipeline('feature-extraction', …)` returns: call it with a text or texts for their embeddings (token states,
 * or one vector per text with `pooling`).
 *
 * @example
 * ```ts
 * const embed = await pipeline('feature-extraction', 'org/model');
 * const { data, dims } = await embed(['first text', 'second text'], { pooling: 'mean', normalize: true }); // dims [2, C]
 * ```
 */
export interface FeatureExtractionPipeline extends PipelineBase {
  /** The texts' hidden states, pooled and normalised as asked, as one flat array with its shape. */
  (inputs: string | string[], options?: FeatureExtractionOptions): Promise<EmbeddingOutput>;
}

/**
 * What `pipeline('fill-mask', …)` returns (a model with a masked-LM head): call it with texts containing the
 * tokenizer's mask token ([MASK]) for the likeliest tokens in its place.
 *
 * @example
 * ```ts
 * const fill = await pipeline('fill-mask', 'org/model');
 * const predictions = await fill('Paris is the [MASK] of France.'); // [{ token_str: 'capital', score, token, sequence }, …]
 * ```
 */
export interface FillMaskPipeline extends PipelineBase {
  /** One text: its predictions (one mask), or a list per mask (several); an array of texts: one result per text. */
  (inputs: string, options?: FillMaskOptions): Promise<FillMaskResult>;
  (inputs: string[], options?: FillMaskOptions): Promise<FillMaskResult[]>;
}

/**
 * What `pipeline('next-sentence-prediction', …)` returns (a model with BERT's next-sentence head): call it with a
 * `{ text, textPair }` for whether textPair plausibly follows text.
 */
export interface NextSentencePipeline extends PipelineBase {
  /** [{ label: 'IsNext' | 'NotNext', score }] best first, for a { text, textPair }; one such array per pair of an array. */
  (inputs: { text: string; textPair: string }, options?: NextSentenceOptions): Promise<LabelScore[]>;
  (inputs: { text: string; textPair: string }[], options?: NextSentenceOptions): Promise<LabelScore[][]>;
}

/**
 * What `pipeline('zero-shot-classification', …)` returns (an NLI classifier): call it with a text (or texts) and the
 * candidate labels for `{ sequence, labels, scores }`, labels best first.
 *
 * @example
 * ```ts
 * const zs = await pipeline('zero-shot-classification', 'org/nli-model');
 * await zs('The match went to extra time', ['sport', 'politics']); // { sequence, labels: ['sport', 'politics'], scores }
 * ```
 */
export interface ZeroShotClassificationPipeline extends PipelineBase {
  (inputs: string, candidateLabels: string | string[], options?: ZeroShotOptions): Promise<ZeroShotResult>;
  (inputs: string[], candidateLabels: string | string[], options?: ZeroShotOptions): Promise<ZeroShotResult[]>;
  (inputs: string, options: ZeroShotOptions): Promise<ZeroShotResult>;
  (inputs: string[], options: ZeroShotOptions): Promise<ZeroShotResult[]>;
}

/** Any pipeline (the generic signature of pipeline(), for a task without typed overloads). */
export type AnyPipeline = TextClassificationPipeline & FeatureExtractionPipeline & FillMaskPipeline & NextSentencePipeline & ZeroShotClassificationPipeline;

/** The options of a call: a positional second argument (zero-shot's labels) folded into the third, as the task says. */
function callOptions(positional: string | undefined, second: unknown, third: unknown, count: number): unknown {
  if (!positional) {
    if (count > 2) throw new TypeError('this pipeline takes (inputs, options); a third argument is not expected');
    return second;
  }
  const isOptions = (v: unknown) => !!v && typeof v === 'object' && !Array.isArray(v);
  if (count <= 2 && (second === undefined || isOptions(second))) return second;
  if (third !== undefined && !isOptions(third)) throw new TypeError('options (the third argument) must be an object');
  return { ...(third as object | undefined), [positional]: second };
}

export function makeCallable(rt: RuntimeLike): AnyPipeline {
  const { positional, revivesAs } = rt.callShape;
  const fn = (async (inputs: unknown, ...rest: unknown[]) => {
    const options = callOptions(positional, rest[0], rest[1], rest.length + 1);
    const value = await rt.run(inputs, options);
    // The CLI's internal calls get { result, details } back; everything else is the task's result, revived after a
    // Worker's structured clone (a Tensor comes back as a plain object).
    const internal = !!options && typeof options === 'object' && WITH_DETAILS in options;
    return revivesAs && !internal ? REVIVERS[revivesAs](value) : value;
  }) as unknown as AnyPipeline;
  Object.defineProperties(fn, {
    info: { get: () => rt.info, enumerable: true },
    loss: { value: (inputs: unknown, labels: Labels, options?: { signal?: AbortSignal }) => rt.loss(inputs, labels, options) },
    stats: { value: () => rt.stats() },
    inspect: { value: (input: unknown, options?: { layer?: number }) => rt.inspect(input, options) },
    profile: { value: (inputs: unknown) => rt.profile(inputs) },
    train: { value: (examples: unknown, options?: TrainOptions) => rt.train(examples, options) },
    evaluate: { value: (examples: unknown, options?: { signal?: AbortSignal }) => rt.evaluate(examples, options) },
    save: { value: (options?: SaveOptions) => rt.save(options) },
    explain: { value: (input: unknown, options?: ExplainOptions) => rt.explain(input, options) },
    dispose: { value: () => rt.dispose() },
  });
  return fn;
}
