// A text-classification model as training sees it: every BertForSequenceClassification parameter as f32 on the CPU
// (HF names, `bert.` prefix), config.json as written, and the tokenizer files as loaded. Also how a trained (or
// freshly headed) model becomes loadable again: its files in memory behind a FileProvider, which the ordinary loader
// reads — so the inference model's re-layouts (fused QKV, transposed weights for the GPU profile, f16 storage) are
// made by the same code that made them at load, not by a second copy of it.
import type { FileProvider } from '../hub/files.ts';
import { openModel, type ModelFiles } from '../hub/model.ts';
import { checkFileName } from '../hub/resolve.ts';
import type { BertConfig } from '../model/config.ts';
import { freshClassifierHead } from '../train/head-init.ts';
import { ParamLayout } from '../train/param-layout.ts';
import { saveHfFolder } from '../train/save.ts';
import { readSafetensors } from '../weights/cpu-reader.ts';
import { bytesSource } from '../weights/source.ts';

/** The tokenizer files a save copies, as the loader reads them (openModel). */
export const TOKENIZER_FILES = ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'] as const;

export interface TrainableModel {
  config: BertConfig;
  /** config.json as written (saved again with the labels and architecture updated). */
  configJson: Record<string, unknown>;
  /** Every parameter of BertForSequenceClassification by HF name ('bert.' prefix), f32. */
  weights: Map<string, Float32Array>;
  shapes: Map<string, number[]>;
  /** Label names by class id. */
  id2label: string[];
  tokenizerFiles: Map<string, string>;
}

/** Training (and the fresh head) cover BERT itself; the other families' parameter names and positions differ. */
export function checkTrainableFamily(config: BertConfig, what: string): void {
  if (config.modelType !== 'bert') throw new Error(`${what}: training supports BERT so far (this model's model_type is '${config.modelType}')`);
}

/** A model folder held in memory (name → bytes), served like any other folder. */
export function memoryProvider(label: string, files: ReadonlyMap<string, Uint8Array>): FileProvider {
  const decoder = new TextDecoder();
  return {
    label,
    async text(name) {
      checkFileName(name, label);
      const b = files.get(name);
      return b ? decoder.decode(b) : null;
    },
    async source(name) {
      checkFileName(name, label);
      const b = files.get(name);
      return b ? bytesSource(`${label}/${name}`, b) : null;
    },
  };
}

async function tokenizerFilesOf(provider: FileProvider, signal?: AbortSignal): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of TOKENIZER_FILES) {
    const text = await provider.text(name, signal);
    if (text !== null) out.set(name, text);
  }
  return out;
}

/**
 * Reads a checkpoint's parameters as f32, named as BertForSequenceClassification names them. `head` replaces the
 * classifier (a fresh one); without it the checkpoint must have one. Tensors the classifier does not use (an MLM
 * head, NSP) are left out.
 */
export async function readTrainable(provider: FileProvider, options: { head?: { weight: Float32Array; bias: Float32Array; id2label: string[] }; signal?: AbortSignal } = {}): Promise<TrainableModel> {
  const files: ModelFiles = await openModel(provider, options.signal);
  const h = options.head;
  const config: BertConfig = h
    ? { ...files.config, numLabels: h.id2label.length, id2label: h.id2label, label2id: new Map(h.id2label.map((l, i) => [l, i])), problemType: null }
    : files.config;
  checkTrainableFamily(config, provider.label);
  const found = new Map<string, Float32Array>();
  for (const f of files.weightFiles) {
    const { tensors } = await readSafetensors(f.source, { signal: options.signal });
    for (const [name, t] of tensors) found.set(name, t.data);
  }
  if (options.head) {
    found.set('classifier.weight', options.head.weight);
    found.set('classifier.bias', options.head.bias);
  }
  const layout = new ParamLayout(config, { frozenLevels: new Set() });
  const weights = new Map<string, Float32Array>();
  const shapes = new Map<string, number[]>();
  for (const name of layout.names) {
    const t = layout.tensors.get(name)!;
    const w = found.get(name) ?? (name.startsWith('bert.') ? found.get(name.slice(5)) : undefined);
    if (!w) {
      const hint = name.startsWith('classifier.') ? " (the checkpoint has no classification head: pass pipeline(..., { labels: [...] }) to start one)" : '';
      throw new Error(`${provider.label}: no weight '${name}'${hint}`);
    }
    if (w.length !== t.size) throw new Error(`${provider.label}: weight '${name}' has ${w.length} values, expected ${t.shape.join('×')}`);
    weights.set(name, w);
    shapes.set(name, t.shape);
  }
  return { config, configJson: files.configJson, weights, shapes, id2label: [...config.id2label], tokenizerFiles: await tokenizerFilesOf(provider, options.signal) };
}

/** The model's files (config.json with id2label, model.safetensors F32, the tokenizer files), by name. */
export function folderFiles(m: TrainableModel): Map<string, Uint8Array> {
  return saveHfFolder({ config: m.configJson, id2label: m.id2label, weights: m.weights, shapes: m.shapes, tokenizerFiles: m.tokenizerFiles });
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((l, i) => l === b[i]);
}

/**
 * `pipeline('text-classification', model, { labels })`: when the checkpoint has no classification head, or one for
 * other labels, a provider of the same model with a fresh head (normal(0, initializer_range) weights, zero bias, as
 * HF initialises a new Linear). A head for exactly these labels is kept (null: use the provider as it is).
 * HF's from_pretrained(num_labels = n) refuses a head of another size unless ignore_mismatched_sizes=True, and with
 * the same size but other names keeps the old weights under the new names; here any difference starts fresh,
 * since an old head's class i has no reason to mean the new label i.
 */
export async function withLabels(provider: FileProvider, labels: readonly string[], signal?: AbortSignal, task = 'text-classification'): Promise<{ provider: FileProvider; model: TrainableModel } | null> {
  if (task !== 'text-classification') throw new TypeError(`the labels option applies to text-classification only, not ${task}`);
  const files = await openModel(provider, signal);
  checkTrainableFamily(files.config, `${provider.label}: labels`);
  const hasHead = files.config.architectures.some((a) => a === 'BertForSequenceClassification');
  if (hasHead && sameLabels(files.config.id2label, labels)) return null;
  const head = freshClassifierHead(files.configJson, labels);
  const model = await readTrainable(provider, { head: { weight: head.weight, bias: head.bias, id2label: [...labels] }, signal });
  // The new config: labels and num_labels for the new head; a problem_type of the old head no longer applies.
  const { problem_type: _dropped, ...rest } = head.config;
  model.configJson = rest;
  return { provider: memoryProvider(provider.label, folderFiles(model)), model };
}
