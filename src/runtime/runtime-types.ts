// The public types of a pipeline's runtime: its options, what it reports (info, stats) and inspect()'s result.
import type { KernelProfileOption, TuneOption } from '../model/bert-model.ts';
import type { Task } from '../tasks/registry.ts';
import type { LabelScore } from '../tasks/text-classification.ts';
import type { LoadProgress } from '../weights/stream.ts';
import type { ProviderOptions } from './environment.ts';
import type { ProgressInfo } from './pipeline-options.ts';

/** Options of `pipeline()`: how the model loads and runs (transformers.js's names, and bertgpu's own). */
export interface PipelineOptions extends ProviderOptions {
  /** Called as weight bytes arrive (the sum over every weight file when the model is sharded). */
  onProgress?: (p: LoadProgress) => void;
  /** transformers.js's progress events: initiate, download, progress ({ file, progress, loaded, total }), done, ready. */
  progress_callback?: (p: ProgressInfo) => void;
  /** Aborts the load: downloads stop, GPU memory taken so far is freed, and `pipeline()` rejects with an AbortError. */
  signal?: AbortSignal;
  /**
   * 'auto' (default) uses f16 storage when the adapter has shader-f16, runs the GPU kernel profile (not a software
   * adapter's) and a probe agrees with f32; 'fp32'/'fp16' (transformers.js's names) or 'f32'/'f16' choose. Quantized
   * dtypes (q8, q4, …) are refused.
   */
  dtype?: 'fp32' | 'fp16' | 'f32' | 'f16' | 'auto';
  /** Browser: run in a dedicated Worker (default true). Ignored in Node. */
  worker?: boolean;
  /**
   * Where the model runs. 'gpu' (transformers.js's 'webgpu'): WebGPU, or an error where it is missing. 'cpu' ('wasm'):
   * the CPU backend, WebAssembly SIMD kernels (f32). 'auto': WebGPU on a hardware adapter, the CPU when WebGPU is
   * missing, returns no adapter, or the adapter is a software one (SwiftShader, lavapipe). Absent: WebGPU on any
   * adapter, the CPU only where WebGPU is unavailable. Or your own GPUDevice (never destroyed by bertgpu; f16 is used
   * only if it was created with shader-f16). `info.device` says which backend runs and why.
   */
  device?: GPUDevice | 'auto' | 'gpu' | 'cpu' | 'webgpu' | 'wasm';
  /** Most sequences per forward when calls are micro-batched (default 32). */
  maxBatchSize?: number;
  /**
   * Which kernels run the model: 'gpu' (workgroup-memory tiled kernels shaped for hardware GPUs), 'software' (the
   * register-blocked kernels measured on software adapters) or 'auto' (default: from the adapter). `info.kernels`
   * says what was chosen.
   */
  kernelProfile?: KernelProfileOption;
  /**
   * Autotuning on this device: 'auto' (default: time the applicable kernels per op and shape on hardware GPUs, within
   * 300 ms overlapped with the download, and remember the choice per adapter), 'off' (the variant table's order),
   * 'on' (tune on any adapter). `info.kernels` reports the choice.
   */
  tune?: TuneOption;
  /**
   * text-classification: the labels to fine-tune for (`clf.train()`). A checkpoint without a classification head, or
   * with one for other labels, gets a fresh head for these (HF's initialisation: normal(0, initializer_range), zero
   * bias); one for exactly these labels is kept. BERT models only.
   */
  labels?: string[];
}

/** What a pipeline loaded and how it runs (`pipeline.info`). */
export interface PipelineInfo {
  /** The task it was created for. */
  task: Task;
  /** Where the model came from: the Hub id, URL or folder, as given. */
  model: string;
  /** The weights' storage precision on the GPU (arithmetic accumulates in f32 either way). */
  dtype: 'f32' | 'f16';
  /** Why that precision: the option asked for it, or what dtype 'auto' found (the f16 probe's agreement with f32). */
  dtypeReason: string;
  /**
   * The WebGPU adapter in use, from its GPUAdapterInfo and features; on the CPU backend the WebAssembly engine
   * (vendor 'cpu', architecture 'wasm-simd128' or 'wasm-relaxed-simd').
   */
  adapter: {
    /** e.g. 'nvidia', 'mesa'. */
    vendor: string;
    /** e.g. 'turing', 'software'. */
    architecture: string;
    /** The driver's own description, when it gives one. */
    description: string;
    /** A software adapter (lavapipe, SwiftShader): correct, slow. */
    isFallbackAdapter: boolean;
    /** The adapter offers shader-f16, so f16 storage is possible. */
    hasF16: boolean;
  };
  /** The longest input in tokens ([CLS] and [SEP] included); longer ones are truncated (or windowed). */
  maxLength: number;
  /** The model's labels by id (config.json id2label); the scores of text-classification use these names. */
  labels: string[];
  /** The width of the hidden states, the length of an embedding vector. */
  hiddenSize: number;
  /**
   * The kernel profile the model runs with ('gpu' or 'software': the kernelProfile option, or the adapter's; 'cpu'
   * on the CPU backend).
   */
  kernelProfile: 'gpu' | 'software' | 'cpu';
  /** The backend the model runs on ('gpu': WebGPU, 'cpu': WebAssembly SIMD) and why it was chosen. */
  device: {
    /** 'gpu': the WebGPU kernels; 'cpu': the WebAssembly backend. */
    backend: 'gpu' | 'cpu';
    /** Why this backend runs (the option asked for, WebGPU missing, a software adapter under 'auto', …). */
    reason: string;
  };
  /** The kernels that run each op kind of a forward (one sequence of up to 128 tokens), in plan order. */
  kernels: Partial<Record<string, string[]>>;
  /**
   * What autotuning decided so far, per op and shape (empty with tune 'off', or 'auto' on a software adapter): the
   * chosen candidate (kernel and tile) and where the choice came from — 'timed' now, the 'cache' of an earlier run,
   * 'single' (nothing to choose), 'budget' (out of time: the table's order) or 'failed'.
   */
  tuning: TuningDecision[];
}

/** One op shape's autotuning decision (`info.tuning`). */
export interface TuningDecision {
  /** The op kind (matmul, attention, …). */
  op: string;
  /** The op and its shape, as the tuning cache keys it. */
  shape: string;
  /** The chosen kernel, with its tile overrides where it has several. */
  choice: string;
  /** Where the choice came from: timed now, an earlier run's cache, the only candidate, out of time, or failed. */
  source: 'cache' | 'timed' | 'single' | 'budget' | 'failed';
}

/** One input's look inside the model (`pipeline.inspect()`): a layer's attention, the tokens, the scores, timings. */
export interface InspectResult {
  /** The tokens as the model saw them ([CLS] … [SEP]). */
  tokens: string[];
  /** The layer whose attention this is (0-based). */
  layer: number;
  /** Layers in the model. */
  numLayers: number;
  /** Attention heads per layer. */
  numHeads: number;
  /** (numHeads, T, T): row i is query token i's attention over the keys. */
  attentions: Float32Array;
  /** All labels, best first (text-classification; empty for feature-extraction). */
  scores: LabelScore[];
  /** Milliseconds spent on this input. */
  timings: {
    /** Tokenizing it. */
    tokenizeMs: number;
    /** The forward pass on the GPU, readback included. */
    gpuMs: number;
    /** The whole call. */
    totalMs: number;
  };
}

/** Counters of a pipeline (`pipeline.stats()`): its calls, the batching, and the GPU memory it holds. */
export interface RuntimeStats {
  /** Calls made. */
  calls: number;
  /** Sequences run (a call with an array, or with windows, runs several). */
  rows: number;
  /** Forward passes on the GPU: fewer than rows when calls were micro-batched. */
  forwards: number;
  /** Every GPU buffer the model holds = weight buffers + plan buffers. */
  liveBuffers: number;
  /** Bytes of GPU memory in those buffers. */
  liveBytes: number;
  /** Buffers holding weights (one per tensor). */
  weightBuffers: number;
  /** Cached execution plans (at most 8: least recently used ones are freed) and the buffers they hold. */
  plans: number;
  /** Buffers the cached plans hold (activations, staging). */
  planBuffers: number;
  /** Times the GPU device was lost and the model rebuilt on a new one. */
  deviceRestarts: number;
}
