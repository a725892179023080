// zero-shot-classification: any NLI sequence-classification model scores "premise entails hypothesis" for one
// hypothesis per candidate label ("This example is {label}."), as HF's ZeroShotClassificationPipeline: every
// (text, label) pair in one batched forward; `multi_label` false → softmax of the entailment logits across labels;
// true (or a single label) → per label, softmax over [contradiction, entailment] and its entailment share.
// Result per text: { sequence, labels, scores }, best first.
import type { BertConfig } from '../model/config.ts';
import { softmax } from '../model/heads.ts';
import type { Encoding } from '../tokenizer/types.ts';
import { readOptions } from './options.ts';
import type { TaskModule } from './task.ts';
import { describe } from './text-classification.ts';

/** Options of a zero-shot-classification call (HF's and transformers.js's names). */
export interface ZeroShotOptions {
  /** The labels to choose from: an array, or one string of comma-separated labels (as HF splits it). */
  candidate_labels?: string | string[];
  /** The hypothesis each label is put into; `{}` marks where (default "This example is {}."). */
  hypothesis_template?: string;
  /** Labels are independent (each scored on its own) rather than exclusive (scores summing to 1). Default false. */
  multi_label?: boolean;
  /** Aborts the call: it rejects with an AbortError. */
  signal?: AbortSignal;
}

/** One text's labels, best first, with their scores (same order). */
export interface ZeroShotResult {
  /** The input text. */
  sequence: string;
  /** The candidate labels, best first. */
  labels: string[];
  /** Their scores (summing to 1 unless multi_label). */
  scores: number[];
}

/** The options as checked: labels, template, multi-label. */
export interface Checked {
  labels: string[];
  template: string;
  multiLabel: boolean;
  signal?: AbortSignal;
}

/** Rows of every (text, hypothesis) pair, text-major. */
export interface PreparedZeroShot {
  rows: Encoding[];
  texts: string[];
  single: boolean;
}

/** HF's entailment label: the first id2label name starting with "entail" (case-insensitive); an error when none. */
export function entailmentId(config: BertConfig): number {
  const id = config.id2label.findIndex((l) => l.toLowerCase().startsWith('entail'));
  if (id < 0) {
    throw new Error(`zero-shot-classification needs an NLI model: no label starting with "entail" in id2label (${config.id2label.join(', ')})`);
  }
  return id;
}

export function checkZeroShotOptions(options: unknown): Checked {
  const o = readOptions('zero-shot-classification', options, {
    candidate_labels: 'labels', candidateLabels: 'labels', hypothesis_template: 'template', hypothesisTemplate: 'template',
    multi_label: 'multiLabel', multiLabel: 'multiLabel',
  });
  if (o.labels === undefined) throw new TypeError("zero-shot-classification needs candidate_labels: call it as (text, ['label a', 'label b'])");
  // HF's _parse_labels: a string is a comma-separated list.
  const labels = typeof o.labels === 'string' ? o.labels.split(',').map((l) => l.trim()).filter((l) => l.length > 0) : o.labels;
  if (!Array.isArray(labels) || labels.some((l) => typeof l !== 'string')) throw new TypeError(`candidate_labels must be a string or an array of strings, got ${describe(o.labels)}`);
  if (labels.length === 0) throw new TypeError('candidate_labels is empty; give at least one label');
  const template = o.template ?? 'This example is {}.';
  if (typeof template !== 'string') throw new TypeError(`hypothesis_template must be a string, got ${describe(template)}`);
  if (!template.includes('{}')) {
    throw new TypeError(`hypothesis_template ${JSON.stringify(template)} has no {} where the label goes (e.g. "This example is {}.")`);
  }
  if (o.multiLabel !== undefined && typeof o.multiLabel !== 'boolean') throw new TypeError('multi_label must be a boolean');
  return { labels: labels as string[], template, multiLabel: (o.multiLabel as boolean | undefined) ?? false, signal: o.signal as AbortSignal | undefined };
}

/** The zero-shot-classification task: any NLI BertForSequenceClassification model (an "entail…" label). */
export const zeroShotTask: TaskModule<'zero-shot-classification', Checked, PreparedZeroShot, ZeroShotResult | ZeroShotResult[]> = {
  name: 'zero-shot-classification',
  positional: 'candidate_labels',
  checkModel({ label, config, head }) {
    if (head !== 'sequence-classification') {
      throw new Error(`${label} is not a sequence-classification model (architectures: ${config.architectures.join(', ') || 'none'}); zero-shot-classification needs an NLI classifier`);
    }
    entailmentId(config);
  },
  outputs: (config) => [{ name: 'logits', layout: 'sequence', width: config.numLabels }],
  options: checkZeroShotOptions,
  prepare({ tokenizer, maxLength }, inputs, o) {
    const single = !Array.isArray(inputs);
    const texts = single ? [inputs] : (inputs as unknown[]);
    if (texts.length === 0) throw new TypeError('inputs is an empty array; give at least one text');
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new TypeError(`${single ? 'inputs' : `inputs[${i}]`} must be a string, got ${describe(t)}`);
    });
    // HF truncates the premise only (TruncationStrategy.ONLY_FIRST), so every hypothesis stays whole.
    const hypotheses = o.labels.map((l) => o.template.replace('{}', l));
    const rows = (texts as string[]).flatMap((t) => hypotheses.map((h) => tokenizer.encode(t, h, { truncation: { maxLength, strategy: 'only_first' } })));
    return { rows, texts: texts as string[], single };
  },
  finish({ config }, prepared, rows, o) {
    const entail = entailmentId(config);
    // HF: contradiction is label 0, or the last label when entailment is 0.
    const contradiction = entail === 0 ? config.numLabels - 1 : 0;
    const n = o.labels.length;
    const results = prepared.texts.map((sequence, s) => {
      const logits = rows.slice(s * n, (s + 1) * n).map((r) => r.logits!);
      const scores = o.multiLabel || n === 1
        ? logits.map((l) => softmax([l[contradiction], l[entail]])[1])
        : softmax(logits.map((l) => l[entail]));
      // Best first; ties keep HF's order (reversed argsort: the later label first).
      const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a] || b - a);
      return { sequence, labels: order.map((i) => o.labels[i]), scores: order.map((i) => scores[i]) };
    });
    return prepared.single ? results[0] : results;
  },
  cli: {
    command: 'zero-shot',
    usage: '--model M --labels L1,L2,... [--template T] [--multi-label] [--json] [--file F | TEXT...]\n      zero-shot classification with an NLI model (labels best first)',
    flags: { labels: { type: 'string' }, template: { type: 'string' }, 'multi-label': { type: 'boolean' } },
    pairs: false,
    options(values) {
      if (typeof values.labels !== 'string') throw new Error('zero-shot needs --labels (comma-separated)');
      const call = { candidate_labels: values.labels, hypothesis_template: values.template, multi_label: values['multi-label'] === true ? true : undefined };
      checkZeroShotOptions(call); // refused here, before the model loads
      return call;
    },
    format: (r: ZeroShotResult, _: unknown, o: { json: boolean }) => (o.json ? JSON.stringify(r) : r.labels.map((l, i) => `${l} ${r.scores[i].toFixed(4)}`).join('  ')),
  },
};
