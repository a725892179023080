// The transformers.js side of the benchmark page: its browser build on ONNX Runtime Web's WebGPU backend, with the
// fp32 ONNX export of the model bertgpu reads (onnx/model.onnx next to model.safetensors). Loaded only when a run asks
// for it (a dynamic import: the page itself stays small), with ONNX Runtime's wasm served from this site, never from a
// CDN, so the page works offline and on a private network.
import ortWasmFactoryUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import type { BenchSource } from './bench-source.ts';
import type { BenchTask } from './bench-run.ts';

export interface TjsSide {
  version: string;
  /** ONNX Runtime Web's wasm thread count as set (device 'wasm'); undefined for 'webgpu'. */
  wasmThreads?: number;
  run(texts: string[]): Promise<unknown>;
  dispose(): Promise<void>;
}

/** Prefix of the made-up URLs under which a dropped folder's files are handed to transformers.js (never fetched). */
const FILES_PREFIX = '/__bertgpu-bench-files__/';

/** A Cache-API-shaped object that answers transformers.js's file requests from the visitor's folder. */
function folderCache(files: Map<string, File>, modelId: string) {
  const prefix = `${location.origin}${FILES_PREFIX}${modelId}/`;
  return {
    async match(request: string | Request): Promise<Response | undefined> {
      const url = typeof request === 'string' ? request : request.url;
      const file = url.startsWith(prefix) ? files.get(url.slice(prefix.length)) : undefined;
      return file ? new Response(file, { headers: { 'content-length': String(file.size) } }) : undefined;
    },
    async put(): Promise<void> {},
  };
}

let hubDefaults: { remoteHost: string; remotePathTemplate: string } | undefined;

/**
 * `device` 'wasm': ONNX Runtime Web's CPU kernels (the same asyncify wasm build: transformers.js's browser build
 * imports onnxruntime-web/webgpu, whose wasm carries both), threads as bertgpu's CPU backend gets them: several only
 * when the page is crossOriginIsolated, else one.
 */
export async function loadTransformersJs(source: BenchSource, task: BenchTask, device: 'webgpu' | 'wasm' = 'webgpu'): Promise<TjsSide> {
  if (source.kind === 'files' && !source.files!.has('onnx/model.onnx')) {
    throw new Error(`${source.name} has no onnx/model.onnx: transformers.js runs the model's ONNX export`);
  }
  const tjs = await import('@huggingface/transformers');
  const { env } = tjs;
  // env.backends.onnx.wasm is ONNX Runtime's own settings object: where its wasm (asyncify build, the one its WebGPU
  // backend uses) is fetched from.
  const wasm = env.backends.onnx.wasm as { wasmPaths?: unknown; proxy?: boolean; numThreads?: number };
  if (device === 'wasm') wasm.numThreads = globalThis.crossOriginIsolated ? Math.min(navigator.hardwareConcurrency || 1, 8) : 1;
  wasm.wasmPaths = { mjs: new URL(ortWasmFactoryUrl, location.href).href, wasm: new URL(ortWasmUrl, location.href).href };
  // The Hub's address as transformers.js ships it, kept before a folder run points it elsewhere.
  hubDefaults ??= { remoteHost: env.remoteHost, remotePathTemplate: env.remotePathTemplate };
  env.remoteHost = hubDefaults.remoteHost;
  env.remotePathTemplate = hubDefaults.remotePathTemplate;
  env.allowLocalModels = false;
  env.allowRemoteModels = true;
  env.useCustomCache = false;
  env.customCache = null;
  let modelId: string;
  if (source.kind === 'url') {
    // A model folder at any URL: transformers.js fetches `${remoteHost}${model}/${file}`.
    const url = new URL(source.url!);
    const parts = url.pathname.split('/').filter(Boolean);
    modelId = parts.pop() ?? '';
    if (!modelId) throw new Error(`${source.url}: the folder URL needs a last path segment (the model's name)`);
    env.remoteHost = `${url.origin}/${parts.map((p) => `${p}/`).join('')}`;
    env.remotePathTemplate = '{model}/';
    env.useBrowserCache = false; // a local or private server: no copy in Cache Storage
  } else if (source.kind === 'hub') {
    modelId = source.hubId!;
    env.useBrowserCache = true;
  } else {
    modelId = 'local-folder';
    env.remoteHost = `${location.origin}${FILES_PREFIX}`;
    env.remotePathTemplate = '{model}/';
    env.useBrowserCache = false;
    env.useCustomCache = true;
    env.customCache = folderCache(source.files!, modelId);
  }
  const pipe = await tjs.pipeline(task, modelId, { device, dtype: 'fp32' });
  return {
    version: env.version,
    wasmThreads: device === 'wasm' ? wasm.numThreads : undefined,
    run: (texts) => (pipe as unknown as (t: string[]) => Promise<unknown>)(texts),
    dispose: () => pipe.dispose(),
  };
}
