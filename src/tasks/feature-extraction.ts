// feature-extraction: texts → hidden states → pooled (mean over real tokens, or [CLS]) and optionally L2-normalised
// embeddings, as { data: Float32Array, dims } like transformers.js's Tensor. pooling 'none' returns (B, T, C) padded
// with zeros to the longest input.
import type { BertTokenizer } from '../tokenizer/tokenizer.ts';
import type { Encoding } from '../tokenizer/types.ts';
import { normalize, type Pooling } from './pooling.ts';
import { readOptions } from './options.ts';
import { cos_sim } from './similarity.ts';
import type { TaskCli, TaskModule } from './task.ts';
import { Tensor } from './tensor.ts';

/** Options of a feature-extraction call. */
export interface FeatureExtractionOptions {
  /** 'mean' (over real tokens only), 'cls' (alias 'first_token'), or 'none' (per-token states); default 'none' as transformers.js. */
  pooling?: Pooling | 'first_token';
  /** L2-normalise each pooled vector (default false). */
  normalize?: boolean;
  /** Aborts the call: it rejects with an AbortError. */
  signal?: AbortSignal;
}

/**
 * Embeddings as a Tensor like transformers.js's (`data`, `dims`, `type`, `size`, `tolist()`, `normalize()`, `mean()`):
 * [B, C] when pooled, [B, T, C] with pooling 'none' (zero-padded to the longest input, where transformers.js leaves
 * the padding positions' states).
 */
export type EmbeddingOutput = Tensor;

export function checkFeatureOptions(options: unknown): FeatureExtractionOptions {
  const o = readOptions('feature-extraction', options, { pooling: 'pooling', normalize: 'normalize', quantize: 'quantize', precision: 'precision' });
  if (o.quantize !== undefined && o.quantize !== false) throw new TypeError('quantize is not supported by bertgpu (embeddings are float32); leave it out');
  if (o.precision !== undefined) throw new TypeError('precision applies to quantize, which bertgpu does not support; leave it out');
  const pooling = o.pooling === 'first_token' ? 'cls' : o.pooling;
  if (pooling !== undefined && !['mean', 'cls', 'none'].includes(pooling as string)) throw new TypeError(`pooling must be 'mean', 'cls' (or 'first_token') or 'none', got ${String(o.pooling)}`);
  if (o.normalize !== undefined && typeof o.normalize !== 'boolean') throw new TypeError('normalize must be a boolean');
  if (o.normalize && (pooling ?? 'none') === 'none') throw new TypeError("normalize needs pooling 'mean' or 'cls'");
  return { pooling: pooling as Pooling | undefined, normalize: o.normalize as boolean | undefined, signal: o.signal as AbortSignal | undefined };
}

/** Checks the inputs (a text or a non-empty array of texts) and tokenizes them, truncated to the model's length. */
export function prepareFeatures(tokenizer: BertTokenizer, maxLength: number, inputs: unknown): Encoding[] {
  const texts = typeof inputs === 'string' ? [inputs] : inputs;
  if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== 'string')) {
    throw new TypeError(`inputs must be a string or a non-empty array of strings, got ${inputs === null ? 'null' : Array.isArray(inputs) ? (inputs.length ? 'an array with non-strings' : 'an empty array') : typeof inputs}`);
  }
  return (texts as string[]).map((t) => tokenizer.encode(t, null, { truncation: { maxLength }, returnOverflowing: true }));
}

/** hidden[i]: (n_i, C) states of input i's own tokens. */
export function finishFeatures(hidden: Float32Array[], C: number, options: FeatureExtractionOptions): EmbeddingOutput {
  const pooling = options.pooling ?? 'none';
  const B = hidden.length;
  if (pooling === 'none') {
    const T = Math.max(...hidden.map((h) => h.length / C));
    const data = new Float32Array(B * T * C);
    hidden.forEach((h, b) => data.set(h, b * T * C));
    return new Tensor(data, [B, T, C]);
  }
  const data = new Float32Array(B * C);
  hidden.forEach((h, b) => {
    const n = h.length / C;
    const v = new Float32Array(C);
    if (pooling === 'cls') v.set(h.subarray(0, C));
    else {
      const acc = new Float64Array(C);
      for (let t = 0; t < n; t++) for (let c = 0; c < C; c++) acc[c] += h[t * C + c];
      for (let c = 0; c < C; c++) v[c] = acc[c] / n;
    }
    if (options.normalize) normalize(v);
    data.set(v, b * C);
  });
  return new Tensor(data, [B, C]);
}

type TruncatedDetail = { truncated: boolean };

/** `bertgpu embed`: one embedding per line (mean over real tokens by default, or [CLS]), optionally L2-normalised. */
const embedCli: TaskCli<Tensor, TruncatedDetail> = {
  command: 'embed',
  usage: '--model M [--json] [--pooling mean|cls] [--normalize] [--file F | TEXT...]\n      sentence embeddings (mean pooling excludes padding)',
  flags: { pooling: { type: 'string' }, normalize: { type: 'boolean' } },
  pairs: false,
  options(values) {
    const pooling = values.pooling ?? 'mean';
    if (pooling !== 'mean' && pooling !== 'cls') throw new Error(`--pooling must be mean or cls, got '${String(pooling)}'`);
    return { pooling, normalize: values.normalize === true };
  },
  format: (e, [d], o) => (o.json ? JSON.stringify({ embedding: Array.from(e.data as Float32Array), truncated: d.truncated })
    : Array.from(e.data as Float32Array, (x) => x.toFixed(6)).join(' ')),
};

/**
 * `bertgpu similarity`: "textA<TAB>textB" → the cosine similarity of their mean-pooled embeddings (padding excluded),
 * which is what sentence-transformers' util.cos_sim(model.encode(a), model.encode(b)) gives for a mean-pooling model.
 */
const similarityCli: TaskCli<Tensor, TruncatedDetail> = {
  command: 'similarity',
  usage: '--model M [--json] [--file F | TEXT...]\n      cosine similarity of "textA<TAB>textB" (mean-pooled embeddings, as sentence-transformers\' cos_sim)',
  args(line) {
    if (line.textPair === undefined) throw new Error('similarity needs two texts separated by a TAB');
    return [[line.text, line.textPair]];
  },
  options: () => ({ pooling: 'mean', normalize: true }),
  format(e, d, o) {
    const C = e.dims[1];
    const data = e.data as Float32Array;
    const similarity = cos_sim(data.subarray(0, C), data.subarray(C, 2 * C));
    return o.json ? JSON.stringify({ similarity, truncated: d.some((x) => x.truncated) }) : similarity.toFixed(4);
  },
};

/** The feature-extraction task (alias 'embeddings'): any BERT checkpoint, loaded as its base model. */
export const featureExtractionTask: TaskModule<'feature-extraction', FeatureExtractionOptions, { rows: Encoding[] }, EmbeddingOutput> = {
  name: 'feature-extraction',
  aliases: ['embeddings'],
  loadAsBase: true,
  outputs: (config) => [{ name: 'lastHiddenState', layout: 'token', width: config.hiddenSize }],
  options: checkFeatureOptions,
  prepare: ({ tokenizer, maxLength }, inputs) => ({ rows: prepareFeatures(tokenizer, maxLength, inputs) }),
  finish: ({ config }, _, rows, options) => finishFeatures(rows.map((r) => r.lastHiddenState!), config.hiddenSize, options),
  details: (_, prepared) => prepared.rows.map((e) => ({ truncated: e.overflowing.length > 0 })),
  revivesAs: 'Tensor',
  cli: [embedCli, similarityCli],
};
