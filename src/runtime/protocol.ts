// Messages between the page and the runtime Worker. Every request has an id; the Worker answers with progress
// events and then exactly one result or error for it. Errors travel as { name, message } and are rebuilt with their
// class (TypeError stays a TypeError).
import type { LoadProgress } from '../weights/stream.ts';
import type { CallShape } from './callable.ts';
import type { TrainStep } from '../tasks/train-api.ts';
import type { PipelineInfo, RuntimeStats } from './runtime.ts';

/** Options that can cross to the Worker (no functions, no AbortSignal, no GPUDevice). */
export interface WorkerPipelineOptions {
  dtype?: 'f32' | 'f16' | 'auto';
  endpoint?: string;
  cache?: boolean;
  maxBatchSize?: number;
  kernelProfile?: 'gpu' | 'software' | 'auto';
  tune?: 'auto' | 'off' | 'on';
  /** text-classification: labels for a fresh head. */
  labels?: string[];
  /** The `device` option's backend ('auto' | 'gpu' | 'cpu'); a GPUDevice never crosses (it runs in-thread). */
  device?: 'auto' | 'gpu' | 'cpu';
}

export type ToWorker =
  | { id: number; type: 'create'; task: string; model: string | File[]; options: WorkerPipelineOptions }
  | { id: number; type: 'run'; inputs: unknown; options: unknown }
  | { id: number; type: 'loss'; inputs: unknown; labels: unknown }
  | { id: number; type: 'stats' }
  | { id: number; type: 'inspect'; input: unknown; options: { layer?: number } | undefined }
  | { id: number; type: 'profile'; inputs: unknown }
  /** train(): its options without signal and onStep (an 'abort' cancels; each step comes back as a 'step' message). */
  | { id: number; type: 'train'; examples: unknown; options: unknown }
  | { id: number; type: 'evaluate'; examples: unknown }
  | { id: number; type: 'save'; options: unknown }
  | { id: number; type: 'explain'; input: unknown; options: unknown }
  | { id: number; type: 'abort'; target: number }
  /** Hold the Web Lock `lock` for as long as this Worker lives; answered once it is held (worker-client.ts). */
  | { id: number; type: 'liveness'; lock: string }
  | { id: number; type: 'dispose' };

export interface SerializedError {
  name: string;
  message: string;
}

export type FromWorker =
  | { id: number; type: 'progress'; progress: LoadProgress }
  | { id: number; type: 'step'; step: TrainStep }
  | { id: number; type: 'created'; info: PipelineInfo; callShape: CallShape }
  | { id: number; type: 'result'; value: unknown; info?: PipelineInfo; stats?: RuntimeStats }
  | { id: number; type: 'error'; error: SerializedError };

export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

const classes: Record<string, ErrorConstructor> = { TypeError, RangeError, SyntaxError };

export function reviveError(e: SerializedError): Error {
  if (e.name === 'AbortError') return new DOMException(e.message, 'AbortError') as unknown as Error;
  const err = new (classes[e.name] ?? Error)(e.message);
  if (!(e.name in classes) && e.name !== 'Error') err.name = e.name;
  return err;
}
