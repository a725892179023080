// pipeline()'s options as transformers.js spells them, turned into bertgpu's: `device: 'auto' | 'gpu' | 'cpu'`
// (transformers.js's 'webgpu' and 'wasm' mean 'gpu' and 'cpu'; or a GPUDevice of your own), `dtype: 'fp32' | 'fp16' | 'auto'` (bertgpu's 'f32'/'f16' stay), `progress_callback` with
// transformers.js's event objects (initiate / download / progress / done per file, then ready). An unknown option is
// a TypeError naming it (and the right spelling when it is close to a known one).
import { unknownOption } from '../tasks/options.ts';
import type { LoadProgress } from '../weights/stream.ts';

/** A file's load starting ('initiate', 'download') or ending ('done'). */
export interface FileProgressInfo {
  /** Which event. */
  status: 'initiate' | 'download' | 'done';
  /** The model as given to pipeline(). */
  name: string;
  /** The file's name in the model folder. */
  file: string;
}

/** Bytes of a file read so far. */
export interface BytesProgressInfo {
  /** 'progress'. */
  status: 'progress';
  /** The model as given to pipeline(). */
  name: string;
  /** The file's name in the model folder. */
  file: string;
  /** Percent, 0–100. */
  progress: number;
  /** Bytes read. */
  loaded: number;
  /** Bytes in all. */
  total: number;
}

/** The pipeline is ready. */
export interface ReadyProgressInfo {
  /** 'ready'. */
  status: 'ready';
  /** The task as given to pipeline(). */
  task: string;
  /** The model as given to pipeline(). */
  model: string;
}

/** What `progress_callback` receives: transformers.js's ProgressInfo events. */
export type ProgressInfo = FileProgressInfo | BytesProgressInfo | ReadyProgressInfo;

const ACCEPTED = ['dtype', 'device', 'progress_callback', 'onProgress', 'signal', 'worker', 'maxBatchSize', 'endpoint', 'cache', 'kernelProfile', 'tune', 'labels'] as const;

/** Options transformers.js has that bertgpu does not implement: named in the error rather than called unknown. */
const UNSUPPORTED: Record<string, string> = {
  revision: "give the revision in the model id instead: 'org/name@revision'",
  cache_dir: 'downloads are cached in $XDG_CACHE_HOME/bertgpu (Node) or Cache Storage (browser); cache: false turns it off',
  local_files_only: 'pass a local folder (Node) or the files of a folder instead',
  model_file_name: 'bertgpu reads model.safetensors (or its shards)',
  subfolder: 'pass the URL or path of the folder itself',
  session_options: 'bertgpu does not use ONNX Runtime',
  use_external_data_format: 'bertgpu does not use ONNX Runtime',
  config: 'bertgpu reads config.json from the model folder',
};

/** The `device` option as a backend: 'auto' also moves a software WebGPU adapter to the CPU (src/runtime/device-choice.ts). */
export type BackendOption = 'auto' | 'gpu' | 'cpu';

const BACKEND_OF: Record<string, BackendOption> = { auto: 'auto', gpu: 'gpu', webgpu: 'gpu', cpu: 'cpu', wasm: 'cpu' };

/** The options after mapping: what the runtime takes. */
export interface NormalizedPipelineOptions {
  dtype?: 'f32' | 'f16' | 'auto';
  device?: GPUDevice;
  /** Which backend: the `device` option's string (absent: WebGPU, the CPU where WebGPU is unavailable). */
  backend?: BackendOption;
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  worker?: boolean;
  maxBatchSize?: number;
  endpoint?: string;
  cache?: boolean;
  kernelProfile?: 'gpu' | 'software' | 'auto';
  tune?: 'auto' | 'off' | 'on';
  /** text-classification: the labels to train for (a fresh head when the checkpoint has none for them). */
  labels?: string[];
  /** transformers.js's progress_callback, kept to send 'ready' once the pipeline is made. */
  progressCallback?: (p: ProgressInfo) => void;
}

/** Checks pipeline() options and maps transformers.js's spellings; `task` and `model` name the 'ready' event. */
export function normalizePipelineOptions(options: unknown, modelName: string): NormalizedPipelineOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError('options must be an object');
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if ((ACCEPTED as readonly string[]).includes(k)) continue;
    if (Object.hasOwn(UNSUPPORTED, k)) throw new TypeError(`option '${k}' is not supported by bertgpu: ${UNSUPPORTED[k]}`);
    throw unknownOption('pipeline()', k, ACCEPTED);
  }
  const out: NormalizedPipelineOptions = {};
  if (o.dtype !== undefined) {
    const map: Record<string, 'f32' | 'f16' | 'auto'> = { fp32: 'f32', f32: 'f32', fp16: 'f16', f16: 'f16', auto: 'auto' };
    const d = typeof o.dtype === 'string' ? map[o.dtype] : undefined;
    if (!d) {
      throw new TypeError(`dtype must be 'fp32', 'fp16' or 'auto' (or bertgpu's 'f32', 'f16'), got ${JSON.stringify(o.dtype)}` +
        (typeof o.dtype === 'string' && /^(q|int|uint|bnb)/.test(o.dtype) ? '; bertgpu has no quantized weights' : ''));
    }
    out.dtype = d;
  }
  if (o.device !== undefined && o.device !== null) {
    if (typeof o.device === 'string') {
      const backend = BACKEND_OF[o.device];
      if (!backend) throw new TypeError(`device must be 'auto', 'gpu', 'cpu' (transformers.js's 'webgpu', 'wasm') or a GPUDevice, got '${o.device}'`);
      out.backend = backend;
    } else if (typeof o.device === 'object' && typeof (o.device as GPUDevice).createBuffer === 'function') {
      out.device = o.device as GPUDevice;
      out.backend = 'gpu';
    } else {
      throw new TypeError("device must be 'auto', 'gpu', 'cpu' or a GPUDevice");
    }
  }
  for (const k of ['onProgress', 'progress_callback'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'function') throw new TypeError(`${k} must be a function`);
  }
  if (o.kernelProfile !== undefined) {
    if (o.kernelProfile !== 'gpu' && o.kernelProfile !== 'software' && o.kernelProfile !== 'auto') {
      throw new TypeError(`kernelProfile must be 'gpu', 'software' or 'auto', got ${JSON.stringify(o.kernelProfile)}`);
    }
    out.kernelProfile = o.kernelProfile;
  }
  if (o.tune !== undefined) {
    if (o.tune !== 'auto' && o.tune !== 'off' && o.tune !== 'on') throw new TypeError(`tune must be 'auto', 'off' or 'on', got ${JSON.stringify(o.tune)}`);
    out.tune = o.tune;
  }
  if (o.labels !== undefined) out.labels = checkLabels(o.labels);
  if (o.worker !== undefined) out.worker = o.worker as boolean;
  if (o.maxBatchSize !== undefined) out.maxBatchSize = o.maxBatchSize as number;
  if (o.endpoint !== undefined) out.endpoint = o.endpoint as string;
  if (o.cache !== undefined) out.cache = o.cache as boolean;
  if (o.signal !== undefined) out.signal = o.signal as AbortSignal;
  const mine = o.onProgress as ((p: LoadProgress) => void) | undefined;
  const theirs = o.progress_callback as ((p: ProgressInfo) => void) | undefined;
  if (theirs) out.progressCallback = theirs;
  const events = theirs ? progressEvents(modelName, theirs) : undefined;
  if (mine || events) out.onProgress = (p) => { mine?.(p); events?.(p); };
  return out;
}

/** The labels option: distinct non-empty names (as head-init.ts's checkLabelList, which the page does not load). */
function checkLabels(labels: unknown): string[] {
  if (!Array.isArray(labels) || labels.length === 0) throw new TypeError(`option labels must be a non-empty array of label names, got ${JSON.stringify(labels) ?? String(labels)}`);
  labels.forEach((l, i) => {
    if (typeof l !== 'string' || l.length === 0) throw new TypeError(`option labels[${i}] must be a non-empty string, got ${JSON.stringify(l) ?? String(l)}`);
    const first = labels.indexOf(l);
    if (first !== i) throw new TypeError(`option labels: label "${l}" is listed twice (labels[${first}] and labels[${i}])`);
  });
  return [...labels] as string[];
}

/** LoadProgress (bytes of the weight files) as transformers.js's per-file events. */
function progressEvents(name: string, cb: (p: ProgressInfo) => void): (p: LoadProgress) => void {
  let current: string | null = null;
  let finished = false;
  return (progress) => {
    // transformers.js names the file within the model folder; bertgpu's LoadProgress may give a full path or URL.
    const p = { ...progress, file: progress.file.slice(progress.file.lastIndexOf('/') + 1) };
    if (p.file !== current) {
      if (current !== null && !finished) cb({ status: 'done', name, file: current });
      current = p.file;
      finished = false;
      cb({ status: 'initiate', name, file: p.file });
      cb({ status: 'download', name, file: p.file });
    }
    if (finished) return;
    cb({ status: 'progress', name, file: p.file, progress: p.totalBytes ? (100 * p.loadedBytes) / p.totalBytes : 100, loaded: p.loadedBytes, total: p.totalBytes });
    if (p.loadedBytes >= p.totalBytes) {
      finished = true;
      cb({ status: 'done', name, file: p.file });
    }
  };
}

/** The 'ready' event, once the pipeline exists. */
export function sendReady(o: NormalizedPipelineOptions, task: string, model: string): void {
  o.progressCallback?.({ status: 'ready', task, model });
}
