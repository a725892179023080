// text-classification: inputs → token rows (truncated, or overlapping windows) → logits → [{ label, score }].
// Output shape follows transformers.js: one input gives an array of { label, score } (topK of them); an array of
// inputs gives one such array per input.
import { applyScore, defaultScoreFunction, problemTypeOf, type ScoreFunction } from '../model/heads.ts';
import type { BertConfig } from '../model/config.ts';
import type { BertTokenizer } from '../tokenizer/tokenizer.ts';
import type { Encoding } from '../tokenizer/types.ts';
import { readOptions, spelling } from './options.ts';
import type { TaskCli, TaskModule } from './task.ts';

/** One input of a text-classification call: a text, or a pair of texts (encoded as [CLS] A [SEP] B [SEP]). */
export type ClassificationInput = string | {
  /** The text (sentence A of a pair). */
  text: string;
  /** Sentence B, for models trained on pairs (NLI, paraphrase, next-sentence); HF's spelling. */
  text_pair?: string;
  /** Sentence B: the camelCase spelling of `text_pair`. */
  textPair?: string;
};

/** Options of a text-classification call. */
export interface ClassificationOptions {
  /**
   * How many labels to return, best first (default 1; null or Infinity for all). With 1, a batch gives a flat list
   * (one best label per input), as transformers.js and HF.
   */
  top_k?: number | null;
  /** `top_k`'s camelCase spelling. */
  topK?: number | null;
  /** Default from the model: softmax (single-label), sigmoid (multi-label), none (regression). HF's name. */
  function_to_apply?: ScoreFunction;
  /** `function_to_apply`'s camelCase spelling. */
  functionToApply?: ScoreFunction;
  /**
   * Long inputs: `true` (default) truncates to the model's length; `{ window: { stride } }` classifies overlapping
   * windows of the whole text (stride = tokens shared by neighbouring windows) and averages their logits.
   */
  truncation?: boolean | {
    /** Classify overlapping windows that cover the whole text instead of truncating it. */
    window: {
      /** Tokens shared by neighbouring windows (an integer ≥ 0, smaller than the model's length). */
      stride: number;
    };
  };
  /** Aborts the call: it rejects with an AbortError and its rows leave the batch. */
  signal?: AbortSignal;
}

/** A label and its score (a probability after softmax or sigmoid, the raw value for regression). */
export interface LabelScore {
  /** The label's name from the model's config.json `id2label` (`LABEL_i` when it has none). */
  label: string;
  /** Its probability (softmax or sigmoid), or the raw logit for `functionToApply: 'none'` and regression. */
  score: number;
}

export interface PreparedInputs {
  /** Every token row to run, in order. */
  rows: Encoding[];
  /** For each input, the rows (windows) that belong to it. */
  groups: number[][];
  single: boolean;
}

/** How an unexpected input reads in an error message. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `a string` : typeof v;
}

/** Checks and normalises inputs: a text, a { text, textPair } pair, or a non-empty array of those. */
export function normalizeInputs(inputs: unknown, what = 'inputs'): { items: Array<{ text: string; textPair?: string }>; single: boolean } {
  const one = (v: unknown, where: string) => {
    if (typeof v === 'string') return { text: v };
    if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { text?: unknown }).text === 'string') {
      const o = v as { text: string; textPair?: unknown; text_pair?: unknown };
      for (const k of Object.keys(o)) if (k !== 'text' && k !== 'textPair' && k !== 'text_pair') throw new TypeError(`${where} has an unknown key '${k}' (expected text and text_pair)`);
      if (o.textPair != null && o.text_pair != null) throw new TypeError(`${where}: give text_pair or textPair, not both`);
      const name = o.text_pair != null ? 'text_pair' : 'textPair';
      const pair = o.text_pair ?? o.textPair;
      if (pair !== undefined && pair !== null && typeof pair !== 'string') throw new TypeError(`${where}.${name} must be a string, got ${describe(pair)}`);
      return pair == null ? { text: o.text } : { text: o.text, textPair: pair };
    }
    throw new TypeError(`${where} must be a string or { text, text_pair }, got ${describe(v)}`);
  };
  if (Array.isArray(inputs)) {
    if (inputs.length === 0) throw new TypeError(`${what} is an empty array; give at least one text`);
    return { items: inputs.map((v, i) => one(v, `${what}[${i}]`)), single: false };
  }
  return { items: [one(inputs, what)], single: true };
}

export function prepareClassification(tokenizer: BertTokenizer, maxLength: number, inputs: unknown, options: ClassificationOptions): PreparedInputs {
  const { items, single } = normalizeInputs(inputs);
  const truncation = options.truncation ?? true;
  const window = typeof truncation === 'object' && truncation !== null ? truncation.window : null;
  if (truncation !== true && !window) throw new TypeError("truncation must be true or { window: { stride } }");
  if (window && !(Number.isInteger(window.stride) && window.stride >= 0)) throw new TypeError('truncation.window.stride must be an integer ≥ 0');
  const rows: Encoding[] = [];
  const groups: number[][] = [];
  for (const item of items) {
    const e = window
      ? tokenizer.encode(item.text, item.textPair ?? null, { truncation: { maxLength, stride: window.stride, fullOverflow: true }, returnOverflowing: true })
      // The cut-off rest is kept (as overflowing) only so that callers can tell the input was truncated.
      : tokenizer.encode(item.text, item.textPair ?? null, { truncation: { maxLength }, returnOverflowing: true });
    const windows = window ? [e, ...e.overflowing] : [e];
    groups.push(windows.map((w) => rows.push(w) - 1));
  }
  return { rows, groups, single };
}

export function checkClassificationOptions(options: unknown): ClassificationOptions {
  const o = readOptions('text-classification', options, {
    top_k: 'topK', topK: 'topK', function_to_apply: 'functionToApply', functionToApply: 'functionToApply', truncation: 'truncation',
  }) as ClassificationOptions;
  if (o.topK !== undefined && o.topK !== null && !(o.topK === Infinity || (Number.isInteger(o.topK) && o.topK >= 1))) {
    throw new TypeError(`${spelling(o, 'topK')} must be a positive integer, Infinity or null, got ${String(o.topK)}`);
  }
  if (o.functionToApply !== undefined && !['softmax', 'sigmoid', 'none'].includes(o.functionToApply)) {
    throw new TypeError(`${spelling(o, 'functionToApply')} must be 'softmax', 'sigmoid' or 'none', got ${String(o.functionToApply)}`);
  }
  return o;
}

/** Mean of each group's logits, then the score function and top-k. */
export function finishClassification(config: BertConfig, prepared: PreparedInputs, logits: Float32Array[], options: ClassificationOptions): LabelScore[] | LabelScore[][] {
  return flattenTopOne(rankClassification(config, prepared, logits, options), prepared.single, options);
}

/** transformers.js's (and HF's) shapes: one input → its list; a batch → one list per input, or with top_k 1 one flat list. */
function flattenTopOne(results: LabelScore[][], single: boolean, options: ClassificationOptions): LabelScore[] | LabelScore[][] {
  if (single) return results[0];
  return (options.topK === undefined || options.topK === 1) ? results.map((r) => r[0]) : results;
}

/** The scores of one input (the mean of its windows' logits through the score function), in label-id order. */
function groupScores(config: BertConfig, group: readonly number[], logits: Float32Array[], options: ClassificationOptions): number[] {
  const fn = options.functionToApply ?? defaultScoreFunction(problemTypeOf(config));
  const L = config.numLabels;
  const mean = new Float64Array(L);
  for (const r of group) for (let j = 0; j < L; j++) mean[j] += logits[r][j] / group.length;
  return applyScore(mean, fn);
}

/** Each input's labels, best first, top_k of them. */
export function rankClassification(config: BertConfig, prepared: PreparedInputs, logits: Float32Array[], options: ClassificationOptions): LabelScore[][] {
  const k = options.topK === undefined ? 1 : (options.topK ?? Infinity);
  return prepared.groups.map((group) => groupScores(config, group, logits, options)
    .map((score, i) => ({ label: config.id2label[i], score })).sort((a, b) => b.score - a.score).slice(0, k));
}

/** What `bertgpu classify` prints of one input besides the best label: every score, the raw logits, truncation. */
export interface ClassificationDetail {
  /** Every label, best first. */
  ranked: LabelScore[];
  /** The scores in label-id order, and the labels' names (config.json id2label). */
  scores: number[];
  labels: readonly string[];
  /** The first window's logits (the truncated input's, as the CLI has always printed them). */
  logits: number[];
  truncated: boolean;
}

/** `bertgpu classify`: {label, score, scores, logits, truncated[, top]} per line with --json. */
const classifyCli: TaskCli<unknown, ClassificationDetail> = {
  command: 'classify',
  usage: '--model M [--json] [--top-k K] [--file F | TEXT...]\n      text classification; a TAB in an input line separates text and text pair',
  flags: { 'top-k': { type: 'string' } },
  options: () => ({}),
  format(_, [d], o) {
    if (o.json) {
      const scores: Record<string, number> = {};
      // In label-id order (a name given twice keeps its last score), as the CLI has always printed them.
      d.scores.forEach((score, i) => { scores[d.labels[i]] = score; });
      const obj: Record<string, unknown> = { label: d.ranked[0].label, score: d.ranked[0].score, scores, logits: d.logits, truncated: d.truncated };
      if (o.topK !== undefined) obj.top = d.ranked.slice(0, o.topK);
      return JSON.stringify(obj);
    }
    const top = d.ranked.slice(0, o.topK ?? 1).map((r) => `${r.label} ${r.score.toFixed(4)}`).join('  ');
    return `${top}${d.truncated ? '  (truncated)' : ''}`;
  },
};

/** The text-classification task (alias 'sentiment-analysis'): a BertForSequenceClassification head's labels. */
export const textClassificationTask: TaskModule<'text-classification', ClassificationOptions, PreparedInputs, LabelScore[] | LabelScore[][]> = {
  name: 'text-classification',
  aliases: ['sentiment-analysis'],
  checkModel({ label, config, head }) {
    if (head !== 'sequence-classification') {
      throw new Error(`${label} is not a sequence-classification model (architectures: ${config.architectures.join(', ') || 'none'}); use 'feature-extraction'`);
    }
  },
  outputs: (config) => [{ name: 'logits', layout: 'sequence', width: config.numLabels }],
  options: checkClassificationOptions,
  prepare: ({ tokenizer, maxLength }, inputs, options) => prepareClassification(tokenizer, maxLength, inputs, options),
  finish: ({ config }, prepared, rows, options) => finishClassification(config, prepared, rows.map((r) => r.logits!), options),
  details: ({ config }, prepared, rows, options): ClassificationDetail[] => prepared.groups.map((group) => ({
    // Every label, best first, whatever top_k the call asked for (the CLI's scores and --top-k).
    ranked: rankClassification(config, { ...prepared, groups: [group] }, rows.map((r) => r.logits!), { ...options, topK: null })[0],
    scores: groupScores(config, group, rows.map((r) => r.logits!), options),
    labels: config.id2label,
    logits: Array.from(rows[group[0]].logits!),
    truncated: group.length === 1 && prepared.rows[group[0]].overflowing.length > 0,
  })),
  cli: classifyCli,
};
