// A fresh classification head for a checkpoint that has none (a base model, or one fine-tuned on other labels):
// `pipeline('text-classification', base, { labels: ['neg', 'pos'] })`. As transformers' BertPreTrainedModel._init_weights
// does for a Linear layer: weight ~ normal(0, initializer_range), bias = 0. The draw comes from mulberry32 + Box–Muller
// (prng.ts) with the given seed, so two runs with one seed start from the same head (but not from the head PyTorch
// would draw with that seed: different generators).
import { checkSeed, mulberry32 } from './prng.ts';

export interface FreshHead {
  /** (numLabels, hidden) row-major, as PyTorch stores a Linear weight: `classifier.weight`. */
  weight: Float32Array;
  /** (numLabels): `classifier.bias`, zeros. */
  bias: Float32Array;
  weightShape: [number, number];
  biasShape: [number];
  /** config.json with num_labels/id2label/label2id for these labels (problem_type set when given). */
  config: Record<string, unknown>;
}

export interface HeadInitOptions {
  /** Default 0. */
  seed?: number;
  /** Written as problem_type (e.g. 'multi_label_classification'); left out when not given. */
  problemType?: string;
}

/** Checks a label list: a non-empty array of distinct non-empty strings. Returns it. */
export function checkLabelList(labels: unknown): string[] {
  if (!Array.isArray(labels) || labels.length === 0) throw new TypeError(`labels must be a non-empty array of label names, got ${JSON.stringify(labels) ?? String(labels)}`);
  const seen = new Map<string, number>();
  labels.forEach((l, i) => {
    if (typeof l !== 'string' || l.length === 0) throw new TypeError(`labels[${i}] must be a non-empty string, got ${JSON.stringify(l) ?? String(l)}`);
    if (seen.has(l)) throw new TypeError(`label "${l}" is listed twice (labels[${seen.get(l)}] and labels[${i}])`);
    seen.set(l, i);
  });
  return labels as string[];
}

/**
 * A new `classifier` Linear(hidden → labels.length) and the config that goes with it. `config` is the model's
 * config.json (needs hidden_size; initializer_range defaults to HF's 0.02).
 */
export function freshClassifierHead(config: Record<string, unknown>, labels: readonly string[], options: HeadInitOptions = {}): FreshHead {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new TypeError('config must be the config.json object');
  const names = checkLabelList(labels);
  const hidden = config.hidden_size;
  if (typeof hidden !== 'number' || !Number.isSafeInteger(hidden) || hidden < 1) {
    throw new TypeError(`config.hidden_size must be a positive integer, got ${JSON.stringify(hidden)}`);
  }
  const range = config.initializer_range ?? 0.02;
  if (typeof range !== 'number' || !Number.isFinite(range) || range < 0) {
    throw new TypeError(`config.initializer_range must be a finite number ≥ 0, got ${JSON.stringify(range)}`);
  }
  const seed = checkSeed(options.seed ?? 0, 'seed');
  const rng = mulberry32(seed);
  const n = names.length;
  const weight = new Float32Array(n * hidden);
  for (let i = 0; i < weight.length; i++) weight[i] = range * rng.normal();
  const out: Record<string, unknown> = {
    ...config,
    num_labels: n,
    id2label: Object.fromEntries(names.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(names.map((l, i) => [l, i])),
  };
  if (options.problemType !== undefined) out.problem_type = options.problemType;
  return { weight, bias: new Float32Array(n), weightShape: [n, hidden], biasShape: [n], config: out };
}
