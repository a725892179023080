// A trained classifier → the files of a Hugging Face model folder: config.json, model.safetensors and the tokenizer
// files, as `BertForSequenceClassification.save_pretrained` + `tokenizer.save_pretrained` would leave them, so the
// folder loads in bertgpu (`pipeline('text-classification', dir)`, `bertgpu classify --model dir`) and in
// transformers' `from_pretrained`. Pure: the browser turns the map into Files to download, Node writes it to a
// directory (save-node.ts).
import { writeSafetensorsF32, type F32Tensor } from '../weights/safetensors-writer.ts';

export const PROBLEM_TYPES = ['single_label_classification', 'multi_label_classification', 'regression'] as const;
export type ProblemType = (typeof PROBLEM_TYPES)[number];

/** `__metadata__.saved_by` of every model.safetensors we write: how save-node.ts recognises a previous save. */
export const SAVED_BY = 'bertgpu';

/** Files `saveHfFolder` writes itself, and weight formats that must not ride along as "tokenizer files" (a stale
 * pytorch_model.bin or shard index next to our model.safetensors would be a second, different set of weights). */
const RESERVED_FILES = new Set([
  'config.json', 'model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json',
  'tf_model.h5', 'flax_model.msgpack', 'model.onnx',
]);

export interface SaveHfFolderInput {
  /** The original config.json object; every key not about labels or the architecture is kept as it is. */
  config: Record<string, unknown>;
  /** Label names by class id (index = id). */
  id2label: readonly string[];
  /** Written as `problem_type` when given (else the original's is kept). */
  problemType?: ProblemType;
  /** Parameters by Hugging Face name, f32 (e.g. Trainer.readWeights()). */
  weights: ReadonlyMap<string, Float32Array>;
  /** The shape of every tensor in `weights`, by the same names. */
  shapes: ReadonlyMap<string, readonly number[]>;
  /** Tokenizer files to copy unchanged (vocab.txt, tokenizer.json, tokenizer_config.json, special_tokens_map.json…). */
  tokenizerFiles: ReadonlyMap<string, Uint8Array | string>;
}

export class SaveError extends Error {
  override readonly name = 'SaveError';
}

function fail(message: string): never {
  throw new SaveError(`save: ${message}`);
}

/** A bare file name: no directory part, nothing that walks out of the folder, no control characters. */
export function isPlainFileName(name: string): boolean {
  // eslint-disable-next-line no-control-regex
  return typeof name === 'string' && name.length > 0 && name.length <= 255 && !/[/\\\u0000-\u001f]/.test(name) && name !== '.' && name !== '..';
}

function checkLabels(id2label: readonly string[]): void {
  if (!Array.isArray(id2label) || id2label.length === 0) fail('id2label must be a non-empty array of label names');
  const seen = new Set<string>();
  id2label.forEach((l, i) => {
    if (typeof l !== 'string' || l.length === 0) fail(`id2label[${i}] must be a non-empty string, got ${JSON.stringify(l)}`);
    if (seen.has(l)) fail(`label "${l}" appears twice in id2label (at ${id2label.indexOf(l)} and ${i})`);
    seen.add(l);
  });
}

/**
 * config.json for the trained classifier: the original with `architectures` = ['BertForSequenceClassification'],
 * `id2label` (string keys "0"…), `label2id`, `problem_type` when given, `num_labels` only if the original had the
 * key (transformers derives it from id2label and rejects a disagreeing one, and so does our loader), and
 * `torch_dtype`/`dtype` (where present) 'float32', the dtype of the saved weights.
 */
export function classifierConfig(config: Record<string, unknown>, id2label: readonly string[], problemType?: ProblemType): Record<string, unknown> {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) fail('config must be the config.json object');
  checkLabels(id2label);
  if (problemType !== undefined && !PROBLEM_TYPES.includes(problemType)) {
    fail(`problemType ${JSON.stringify(problemType)} is not one of ${PROBLEM_TYPES.join(', ')}`);
  }
  const out: Record<string, unknown> = { ...config, architectures: ['BertForSequenceClassification'] };
  out.id2label = Object.fromEntries(id2label.map((l, i) => [String(i), l]));
  out.label2id = Object.fromEntries(id2label.map((l, i) => [l, i]));
  if (Object.hasOwn(config, 'num_labels')) out.num_labels = id2label.length;
  // The weights are written as F32 whatever the original's storage (an f16 checkpoint trains in f32 master weights).
  for (const key of ['torch_dtype', 'dtype']) if (Object.hasOwn(config, key)) out[key] = 'float32';
  if (problemType !== undefined) out.problem_type = problemType;
  return out;
}

/** Checks every weight has a shape of the right size (and the classifier as many rows as labels); returns the tensors. */
function tensorsFor(weights: ReadonlyMap<string, Float32Array>, shapes: ReadonlyMap<string, readonly number[]>, numLabels: number): Map<string, F32Tensor> {
  if (!(weights instanceof Map) || weights.size === 0) fail('weights must be a non-empty Map of HF name → Float32Array');
  if (!(shapes instanceof Map)) fail('shapes must be a Map of HF name → shape');
  const tensors = new Map<string, F32Tensor>();
  for (const [name, data] of weights) {
    if (!(data instanceof Float32Array)) fail(`weight "${name}" must be a Float32Array`);
    const shape = shapes.get(name);
    if (!shape) fail(`no shape for weight "${name}"`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`shape of "${name}" must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const numel = shape.reduce((a, d) => a * d, 1);
    if (numel !== data.length) fail(`weight "${name}" has ${data.length} values but shape [${shape.join(', ')}] needs ${numel}`);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) fail(`weight "${name}" has a non-finite value (${data[i]}) at element ${i}: training diverged?`);
    }
    tensors.set(name, { shape, data });
  }
  for (const name of shapes.keys()) if (!weights.has(name)) fail(`shape given for "${name}" but no weight`);
  for (const name of ['classifier.weight', 'classifier.bias']) {
    const t = tensors.get(name);
    if (!t) fail(`weights have no "${name}" (a BertForSequenceClassification needs its head)`);
    if (t.shape[0] !== numLabels) fail(`"${name}" has ${t.shape[0]} rows but id2label has ${numLabels} labels`);
  }
  return tensors;
}

/**
 * The files of the saved folder, by name: config.json, model.safetensors (F32, `__metadata__` {format: 'pt',
 * saved_by: 'bertgpu'}) and the tokenizer files, unchanged (strings are written as UTF-8). Throws a SaveError naming
 * the field, weight or file that is wrong.
 */
export function saveHfFolder(input: SaveHfFolderInput): Map<string, Uint8Array> {
  if (typeof input !== 'object' || input === null) fail('expected { config, id2label, weights, shapes, tokenizerFiles }');
  const config = classifierConfig(input.config, input.id2label, input.problemType);
  const tensors = tensorsFor(input.weights, input.shapes, input.id2label.length);
  if (!(input.tokenizerFiles instanceof Map)) fail('tokenizerFiles must be a Map of file name → bytes or text');
  const files = new Map<string, Uint8Array>();
  files.set('config.json', new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`));
  files.set('model.safetensors', writeSafetensorsF32(tensors, { format: 'pt', saved_by: SAVED_BY }));
  let vocabulary = false;
  for (const [name, content] of input.tokenizerFiles) {
    if (!isPlainFileName(name)) fail(`tokenizer file name ${JSON.stringify(name)} must be a plain file name (no directories)`);
    if (RESERVED_FILES.has(name)) fail(`"${name}" cannot be a tokenizer file (the save writes its own config and weights)`);
    if (typeof content === 'string') files.set(name, new TextEncoder().encode(content));
    else if (content instanceof Uint8Array) files.set(name, content);
    else fail(`tokenizer file "${name}" must be a Uint8Array or a string`);
    if (name === 'vocab.txt' || name === 'tokenizer.json') vocabulary = true;
  }
  if (!vocabulary) fail('tokenizerFiles need vocab.txt or tokenizer.json (the folder would not load without a vocabulary)');
  return files;
}
