// A model folder → validated config, tokenizer files and weight sources (openModel), then weights on the GPU by HF
// name (loadBertWeights). Shapes are checked against config.json from the safetensors headers before any tensor data
// is uploaded; a sharded checkpoint's headers are all read first (small Range reads) so a bad shard fails early.
import type { BufferRegistry } from '../gpu/buffers.ts';
import { blockedWeightNames } from '../model/blocked-weights.ts';
import { expectedWeights, headOf, parseBertConfig, type BertConfig, type BertHead, type ExpectedWeight } from '../model/config.ts';
import type { StorageDtype } from '../weights/dtypes.ts';
import { WeightsError, abortError } from '../weights/errors.ts';
import { GpuWeights, checkTensorLimits, loadSafetensorsToGpu } from '../weights/gpu-weights.ts';
import { WeightReader, planWeightNames, type AvailableTensor } from '../weights/names.ts';
import type { SafetensorsHeader, TensorInfo } from '../weights/safetensors.ts';
import type { ByteSource } from '../weights/source.ts';
import { readSafetensorsHeader, type LoadProgress } from '../weights/stream.ts';
import type { FileProvider } from './files.ts';
import { checkFileName } from './resolve.ts';

export interface TokenizerFiles {
  vocabTxt: string | null;
  tokenizerJson: unknown | null;
  tokenizerConfig: unknown | null;
  specialTokensMap: unknown | null;
}

export interface WeightFile {
  name: string;
  source: ByteSource;
}

export interface ModelFiles {
  label: string;
  config: BertConfig;
  configJson: Record<string, unknown>;
  tokenizer: TokenizerFiles;
  /** One file, or the shards named by model.safetensors.index.json (in index order). */
  weightFiles: WeightFile[];
  /** tensor name → shard file, for sharded checkpoints. */
  weightMap: Map<string, string> | null;
}

const OTHER_WEIGHT_FORMATS = ['pytorch_model.bin', 'pytorch_model.bin.index.json', 'tf_model.h5', 'flax_model.msgpack', 'model.onnx'];
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function parseJsonFile(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new WeightsError('config', `${where}: not valid JSON (${(e as Error).message})`, where);
  }
}

/** A JSON file that must hold an object (a tokenizer file that is `"x"` or `[]` would otherwise be skipped silently). */
function parseJsonObject(text: string, where: string): Record<string, unknown> {
  const json = parseJsonFile(text, where);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new WeightsError('config', `${where}: must be a JSON object, got ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json}`, where);
  }
  return json as Record<string, unknown>;
}

function parseIndex(text: string, where: string): Map<string, string> {
  const json = parseJsonFile(text, where) as { weight_map?: unknown } | null;
  const wm = json && typeof json === 'object' && !Array.isArray(json) ? json.weight_map : undefined;
  if (!wm || typeof wm !== 'object' || Array.isArray(wm)) throw new WeightsError('index', `${where}: needs a "weight_map" object {tensor: file}`, where);
  const map = new Map<string, string>();
  for (const k of Object.keys(wm)) {
    if (FORBIDDEN.has(k)) throw new WeightsError('index', `${where}: forbidden key "${k}" in weight_map`, where);
    const file = (wm as Record<string, unknown>)[k];
    if (typeof file !== 'string' || !file.endsWith('.safetensors')) {
      throw new WeightsError('index', `${where}: weight_map["${k}"] must name a .safetensors file, got ${JSON.stringify(file)}`, where, k);
    }
    checkFileName(file, where);
    map.set(k, file);
  }
  if (map.size === 0) throw new WeightsError('index', `${where}: weight_map is empty`, where);
  return map;
}

/** Reads config.json and the tokenizer files, and finds the safetensors weights. */
export async function openModel(provider: FileProvider, signal?: AbortSignal): Promise<ModelFiles> {
  if (!provider || typeof provider.text !== 'function') throw new WeightsError('bad-argument', 'openModel: expected a FileProvider');
  const at = (f: string) => `${provider.label}/${f}`;
  const [configText, vocabTxt, tokJson, tokConfig, special] = await Promise.all([
    provider.text('config.json', signal),
    provider.text('vocab.txt', signal),
    provider.text('tokenizer.json', signal),
    provider.text('tokenizer_config.json', signal),
    provider.text('special_tokens_map.json', signal),
  ]);
  if (configText === null) throw new WeightsError('missing-file', `${provider.label}: no config.json`, at('config.json'));
  const configJson = parseJsonFile(configText, at('config.json'));
  const config = parseBertConfig(configJson, at('config.json'));
  if (vocabTxt === null && tokJson === null) {
    throw new WeightsError('missing-file', `${provider.label}: no vocabulary (needs vocab.txt or tokenizer.json)`, at('vocab.txt'));
  }
  const tokenizer: TokenizerFiles = {
    vocabTxt,
    tokenizerJson: tokJson === null ? null : parseJsonObject(tokJson, at('tokenizer.json')),
    tokenizerConfig: tokConfig === null ? null : parseJsonObject(tokConfig, at('tokenizer_config.json')),
    specialTokensMap: special === null ? null : parseJsonObject(special, at('special_tokens_map.json')),
  };

  const single = await provider.source('model.safetensors', signal);
  let weightFiles: WeightFile[];
  let weightMap: Map<string, string> | null = null;
  if (single) {
    weightFiles = [{ name: 'model.safetensors', source: single }];
  } else {
    const indexText = await provider.text('model.safetensors.index.json', signal);
    if (indexText === null) {
      const others: string[] = [];
      for (const f of OTHER_WEIGHT_FORMATS) if (await provider.source(f, signal)) others.push(f);
      if (others.length > 0) {
        throw new WeightsError('not-safetensors', `${provider.label}: has ${others.join(', ')} but no model.safetensors; bertgpu reads ` +
          'safetensors only (convert the checkpoint, e.g. with save_pretrained(safe_serialization=True))', at(others[0]));
      }
      throw new WeightsError('missing-file', `${provider.label}: no model.safetensors or model.safetensors.index.json`, at('model.safetensors'));
    }
    weightMap = parseIndex(indexText, at('model.safetensors.index.json'));
    const shardNames = [...new Set(weightMap.values())];
    weightFiles = [];
    for (const name of shardNames) {
      const source = await provider.source(name, signal);
      if (!source) throw new WeightsError('missing-file', `${provider.label}: shard ${name} listed in model.safetensors.index.json is missing`, at(name));
      weightFiles.push({ name, source });
    }
  }
  return { label: provider.label, config, configJson: configJson as Record<string, unknown>, tokenizer, weightFiles, weightMap };
}

export interface LoadWeightsOptions {
  head?: BertHead;
  storage?: StorageDtype;
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
  /** Storage binding limit at most this (tests of the row-block path; see GpuLoadOptions.maxBindingBytes). */
  maxBindingBytes?: number;
}

export interface BertWeights {
  config: BertConfig;
  head: BertHead;
  /** Canonical HF names (`bert.encoder.layer.0.attention.self.query.weight`, `classifier.weight`). */
  reader: WeightReader;
  weights: GpuWeights;
  /** Checkpoint tensors the model does not use (not uploaded). */
  unused: string[];
  dispose(): void;
}

/**
 * The checkpoint must hold every encoder layer config.json counts: a config that says more layers than the file has
 * is named as such (rather than as the first missing tensor of the first missing layer).
 */
function checkLayerCount(available: Map<string, AvailableTensor>, config: BertConfig, where: string): void {
  let layers = 0;
  for (const name of available.keys()) {
    const m = /(?:^|\.)(?:encoder|transformer)\.layer\.(\d{1,6})\./.exec(name);
    if (m) layers = Math.max(layers, Number(m[1]) + 1);
  }
  if (layers > 0 && config.numHiddenLayers > layers) {
    throw new WeightsError('config', `${where}: config.json says num_hidden_layers ${config.numHiddenLayers} but the weights have ` +
      `${layers} encoder layer${layers === 1 ? '' : 's'} (encoder.layer.0..${layers - 1})`, where);
  }
}

function makePlan(available: Map<string, AvailableTensor>, files: ModelFiles, expected: ExpectedWeight[], where: string) {
  checkLayerCount(available, files.config, where);
  return planWeightNames(available, expected, where);
}

function availableFrom(headers: SafetensorsHeader[]): Map<string, AvailableTensor> {
  const out = new Map<string, AvailableTensor>();
  for (const h of headers) {
    for (const t of h.tensors) {
      if (out.has(t.name)) throw new WeightsError('index', `${h.file}: tensor "${t.name}" also appears in ${out.get(t.name)!.file}`, h.file, t.name);
      out.set(t.name, { shape: t.shape, file: h.file });
    }
  }
  return out;
}

/** Streams the model's weights onto the GPU, checked against its config. Frees everything on failure or abort. */
export async function loadBertWeights(files: ModelFiles, registry: BufferRegistry, options: LoadWeightsOptions = {}): Promise<BertWeights> {
  if (!files || !Array.isArray(files.weightFiles)) throw new WeightsError('bad-argument', 'loadBertWeights: expected the result of openModel()');
  const { signal } = options;
  const head = options.head ?? headOf(files.config);
  const expected = expectedWeights(files.config, head);
  const weights = new GpuWeights(registry);
  let include: Set<string> | null = null;
  let plan: ReturnType<typeof planWeightNames> | null = null;
  // Tensors the graph reads in row blocks when they exceed a binding (src/weights/row-blocks.ts), by file name.
  const splittable = new Set(blockedWeightNames(files.config, head));
  const split = (info: TensorInfo) => [...splittable].some((n) => plan?.map.get(n) === info.name);
  try {
    let totals: number[] | null = null;
    if (files.weightFiles.length > 1 || files.weightMap) {
      // Sharded: read every header first, check the index against them, and plan names before any data moves.
      const headers: SafetensorsHeader[] = [];
      for (const f of files.weightFiles) headers.push(await readSafetensorsHeader(f.source, signal));
      for (const [tensor, file] of files.weightMap ?? []) {
        const h = headers[files.weightFiles.findIndex((w) => w.name === file)];
        if (!h.byName.has(tensor)) throw new WeightsError('index', `${h.file}: tensor "${tensor}" is listed in the index for this shard but is not in it`, h.file, tensor);
      }
      for (const h of headers) {
        for (const t of h.tensors) {
          if (files.weightMap && !files.weightMap.has(t.name)) throw new WeightsError('index', `${h.file}: tensor "${t.name}" is not in model.safetensors.index.json`, h.file, t.name);
        }
      }
      plan = makePlan(availableFrom(headers), files, expected, files.label);
      const planned = new Set(plan.map.values());
      include = planned;
      // Device limits from every header now, so a tensor too big for this GPU in a later shard is refused before the
      // first shard's bytes are downloaded.
      for (const h of headers) checkTensorLimits(h, (t) => planned.has(t.name), options.storage ?? 'f32', registry.device.limits, split, options.maxBindingBytes);
      totals = headers.map((h) => h.dataStart + h.dataLength);
    }
    const grand = totals?.reduce((a, b) => a + b, 0);
    let done = 0;
    for (let i = 0; i < files.weightFiles.length; i++) {
      if (signal?.aborted) throw abortError(signal);
      const f = files.weightFiles[i];
      const { header } = await loadSafetensorsToGpu(f.source, registry, {
        storage: options.storage,
        signal,
        into: weights,
        onHeader: (h) => {
          if (!plan) {
            plan = makePlan(availableFrom([h]), files, expected, h.file);
            include = new Set(plan.map.values());
          }
        },
        include: (info) => include!.has(info.name),
        split,
        maxBindingBytes: options.maxBindingBytes,
        onProgress: options.onProgress && ((p) => options.onProgress!({ ...p, loadedBytes: done + p.loadedBytes, totalBytes: grand ?? p.totalBytes })),
      });
      done += header.dataStart + header.dataLength;
    }
    const finalPlan = plan!;
    return {
      config: files.config,
      head,
      reader: new WeightReader(weights, finalPlan.map),
      weights,
      unused: finalPlan.unused,
      dispose: () => weights.dispose(),
    };
  } catch (e) {
    weights.dispose();
    throw e;
  }
}
