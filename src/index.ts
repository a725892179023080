/**
 * `import { pipeline } from 'bertgpu'`: BERT-family models on WebGPU in the browser, run in a module Worker. In Node
 * this import gives `bertgpu/node`, the same API on Dawn.
 *
 * @module bertgpu
 */
// Public exports of bertgpu (browser entry). Node: 'bertgpu/node'; the tokenizer alone: 'bertgpu/tokenizer'.
// The public types name WebGPU's (GPUDevice): the reference makes a consumer's TypeScript load @webgpu/types, a
// dependency of the package, with no set-up of theirs (`preserve` keeps it in the emitted .d.ts).
/// <reference types="@webgpu/types" preserve="true" />
export { pipeline } from './pipeline.ts';
export type { PipelineOptions, Task, TaskName, TokenClassificationPipeline, QuestionAnsweringPipeline } from './pipeline.ts';
export type { KernelProfileOption, TuneOption } from './model/bert-model.ts';
export type { TuningDecision } from './runtime/runtime.ts';
export { cos_sim, dot, magnitude, type Vector } from './tasks/similarity.ts';
export { Tensor, type NestedList } from './tasks/tensor.ts';
export type { AnyPipeline, TextClassificationPipeline, FeatureExtractionPipeline, FillMaskPipeline, NextSentencePipeline, ZeroShotClassificationPipeline } from './runtime/callable.ts';
export type { InspectResult, PipelineInfo, RuntimeStats } from './runtime/runtime.ts';
export type { ModelInput } from './runtime/environment.ts';
export type { FileProvider } from './hub/files.ts';
export type { ByteSource } from './weights/source.ts';
export type { ClassificationInput, ClassificationOptions, LabelScore } from './tasks/text-classification.ts';
export type { EvaluateResult, SaveOptions, TrainExample, TrainOptions, TrainStep } from './tasks/train-api.ts';
export type { FreezeOptions } from './train/trainer-options.ts';
export type { ExplainOptions, Explanation, TokenAttribution } from './tasks/train-explain.ts';
export type { Labels, ScoreFunction } from './model/heads.ts';
export type { EmbeddingOutput, FeatureExtractionOptions } from './tasks/feature-extraction.ts';
export type { Pooling } from './tasks/pooling.ts';
export type { FillMaskOptions, FillMaskPrediction, FillMaskResult } from './tasks/fill-mask.ts';
export type { NextSentenceOptions } from './tasks/next-sentence.ts';
export type { ZeroShotOptions, ZeroShotResult } from './tasks/zero-shot.ts';
export type { AggregationStrategy, EntityGroup, TokenClassificationOptions, TokenEntity } from './tasks/token-classification.ts';
export type { Answer, QaItem, QuestionAnsweringOptions } from './tasks/question-answering.ts';
export type { ProgressInfo, FileProgressInfo, BytesProgressInfo, ReadyProgressInfo } from './runtime/pipeline-options.ts';
export type { LoadProgress } from './weights/stream.ts';
export type { ProfileResult, ProfiledDispatch } from './runtime/profile.ts';
export type { DispatchInfo, Triple } from './graph/dispatch-info.ts';
