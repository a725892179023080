// question-answering: (question, context) → rows `[CLS] question [SEP] context window [SEP]` (the context cut into
// windows of max_seq_len sharing doc_stride tokens, as HF's fast-tokenizer path: truncation only_second, overflowing
// tokens) → start/end logits (BertForQuestionAnswering's qa_outputs) → answers, following HF Python's
// QuestionAnsweringPipeline: logits outside the context (question, [SEP], padding; [CLS] kept) set to −10000; softmax
// over start and end (with [CLS]); [CLS]'s own probability zeroed after its null score is kept; span scores
// p_start·p_end for start ≤ end < start + max_answer_len; top_k per window; answers snapped to whole words of the
// window; equal answer texts (case-insensitive) sum their scores; the best top_k across windows. Offsets are UTF-16.
import type { BertTokenizer } from '../tokenizer/tokenizer.ts';
import type { Encoding } from '../tokenizer/types.ts';
import { architectureName } from '../model/config.ts';
import { readOptions } from './options.ts';
import type { TaskCli, TaskModule } from './task.ts';
import { describe } from './text-classification.ts';

/** Options (HF / transformers.js names; camelCase spellings are aliases). */
export interface QuestionAnsweringOptions {
  /** Answers to return, best first (default 1). */
  top_k?: number;
  /** Longest answer in tokens (default 15). */
  max_answer_len?: number;
  /** Context tokens shared by neighbouring windows (default min(max_seq_len / 2, 128)). */
  doc_stride?: number;
  /** Tokens per row, question and special tokens included (default min(model length, 384)). */
  max_seq_len?: number;
  /** Accepted for HF compatibility; like HF with a fast tokenizer it has no effect (default 64). */
  max_question_len?: number;
  /** Also offer the empty answer, scored by [CLS] (default false). */
  handle_impossible_answer?: boolean;
  /** Snap answers to whole words (default true, as HF). */
  align_to_words?: boolean;
  /** `top_k`'s camelCase spelling. */
  topK?: number;
  /** `max_answer_len`'s camelCase spelling. */
  maxAnswerLen?: number;
  /** `doc_stride`'s camelCase spelling. */
  docStride?: number;
  /** `max_seq_len`'s camelCase spelling. */
  maxSeqLen?: number;
  /** `max_question_len`'s camelCase spelling. */
  maxQuestionLen?: number;
  /** `handle_impossible_answer`'s camelCase spelling. */
  handleImpossibleAnswer?: boolean;
  /** `align_to_words`'s camelCase spelling. */
  alignToWords?: boolean;
  /** Aborts the call: it rejects with an AbortError. */
  signal?: AbortSignal;
}

export interface ResolvedQuestionAnsweringOptions {
  topK: number;
  maxAnswerLen: number;
  docStride: number;
  maxSeqLen: number;
  maxQuestionLen: number;
  handleImpossibleAnswer: boolean;
  alignToWords: boolean;
}

/** One answer: its score and its span [start, end) in the context (UTF-16 code units). */
export interface Answer {
  /** p(start)·p(end) (summed over windows and spans that give the same text, as HF). */
  score: number;
  /** Where the answer starts in the context (UTF-16 code units, a JavaScript string index). */
  start: number;
  /** Where it ends (exclusive). */
  end: number;
  /** The context's text from start to end ('' for the impossible answer). */
  answer: string;
}

/** One question about one context (HF's and transformers.js's input object). */
export interface QaItem {
  /** The question. */
  question: string;
  /** The text that holds the answer (any length: long ones run in doc_stride windows). */
  context: string;
}

const NAMES: Record<string, keyof ResolvedQuestionAnsweringOptions> = {
  top_k: 'topK', topK: 'topK',
  max_answer_len: 'maxAnswerLen', maxAnswerLen: 'maxAnswerLen',
  doc_stride: 'docStride', docStride: 'docStride',
  max_seq_len: 'maxSeqLen', maxSeqLen: 'maxSeqLen',
  max_question_len: 'maxQuestionLen', maxQuestionLen: 'maxQuestionLen',
  handle_impossible_answer: 'handleImpossibleAnswer', handleImpossibleAnswer: 'handleImpossibleAnswer',
  align_to_words: 'alignToWords', alignToWords: 'alignToWords',
};

/** Checks the options (unknown names are a TypeError naming them) and applies HF's defaults for a model of `modelMaxLength` tokens. */
export function resolveQuestionAnsweringOptions(options: unknown, modelMaxLength: number): ResolvedQuestionAnsweringOptions {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`question-answering options must be an object, got ${describe(options)}`);
  const given: Partial<Record<keyof ResolvedQuestionAnsweringOptions, unknown>> = {};
  for (const [k, v] of Object.entries(options as Record<string, unknown>)) {
    const name = NAMES[k];
    if (!Object.hasOwn(NAMES, k)) throw new TypeError(`question-answering: unknown option ${JSON.stringify(k)} (known: ${Object.keys(NAMES).filter((n) => n.includes('_')).join(', ')})`);
    if (v === undefined) continue;
    if (given[name] !== undefined) throw new TypeError(`question-answering: option ${k} is given twice (snake_case and camelCase)`);
    given[name] = v;
  }
  const int = (key: keyof ResolvedQuestionAnsweringOptions, label: string, fallback: number, min: number): number => {
    const v = given[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new RangeError(`question-answering: ${label} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  const bool = (key: keyof ResolvedQuestionAnsweringOptions, label: string, fallback: boolean): boolean => {
    const v = given[key] ?? fallback;
    if (typeof v !== 'boolean') throw new TypeError(`question-answering: ${label} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const maxSeqLen = int('maxSeqLen', 'max_seq_len', Math.min(modelMaxLength, 384), 1);
  if (maxSeqLen > modelMaxLength) throw new RangeError(`question-answering: max_seq_len ${maxSeqLen} is over the model's length ${modelMaxLength}`);
  const docStride = int('docStride', 'doc_stride', Math.min(Math.floor(maxSeqLen / 2), 128), 0);
  if (docStride > maxSeqLen) throw new RangeError(`question-answering: doc_stride (${docStride}) is larger than max_seq_len (${maxSeqLen})`);
  return {
    topK: int('topK', 'top_k', 1, 1),
    maxAnswerLen: int('maxAnswerLen', 'max_answer_len', 15, 1),
    docStride,
    maxSeqLen,
    maxQuestionLen: int('maxQuestionLen', 'max_question_len', 64, 1),
    handleImpossibleAnswer: bool('handleImpossibleAnswer', 'handle_impossible_answer', false),
    alignToWords: bool('alignToWords', 'align_to_words', true),
  };
}

/**
 * The call shapes HF and transformers.js take: (question, context) strings; { question, context }; an array of those;
 * (questions[], context) or (questions[], contexts[]). `single` is true for one pair given as strings or one object.
 */
export function normalizeQaInputs(question: unknown, context?: unknown): { items: QaItem[]; single: boolean } {
  const check = (q: unknown, c: unknown, where: string): QaItem => {
    if (typeof q !== 'string' || q.length === 0) throw new TypeError(`question-answering: ${where}question must be a non-empty string, got ${describe(q)}`);
    if (typeof c !== 'string' || c.length === 0) throw new TypeError(`question-answering: ${where}context must be a non-empty string, got ${describe(c)}`);
    return { question: q, context: c };
  };
  const fromObject = (v: unknown, where: string): QaItem => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`question-answering: ${where || 'input '}must be { question, context }, got ${describe(v)}`);
    return check((v as QaItem).question, (v as QaItem).context, where);
  };
  if (typeof question === 'string') return { items: [check(question, context, '')], single: true };
  if (Array.isArray(question)) {
    if (question.length === 0) throw new TypeError('question-answering: inputs is an empty array');
    if (context === undefined) return { items: question.map((v, i) => fromObject(v, `inputs[${i}].`)), single: false };
    if (typeof context === 'string') return { items: question.map((q, i) => check(q, context, `[${i}] `)), single: false };
    if (!Array.isArray(context) || context.length !== question.length) {
      throw new TypeError(`question-answering: questions and contexts must have the same length (${question.length} questions, ${Array.isArray(context) ? context.length : describe(context)} contexts)`);
    }
    return { items: question.map((q, i) => check(q, context[i], `[${i}] `)), single: false };
  }
  if (context !== undefined) throw new TypeError(`question-answering: with a { question, context } object, give no second argument (got ${describe(context)})`);
  return { items: [fromObject(question, '')], single: true };
}

/** Each (question, context) → its rows: the question whole, the context in windows (HF's only_second overflow). */
export function prepareQuestionAnswering(tokenizer: BertTokenizer, items: readonly QaItem[], o: ResolvedQuestionAnsweringOptions): { rows: Encoding[]; groups: number[][] } {
  const rows: Encoding[] = [];
  const groups: number[][] = [];
  items.forEach((item, i) => {
    let e: Encoding;
    try {
      // fullOverflow: windows over the whole context (tokenizers 0.23 would stop near max_seq_len tokens; HF's
      // pipeline means every window — see docs/tokenizer.md).
      e = tokenizer.encode(item.question, item.context, {
        truncation: { maxLength: o.maxSeqLen, strategy: 'only_second', stride: o.docStride, fullOverflow: true },
        returnOverflowing: true,
      });
    } catch (err) {
      throw new RangeError(`question-answering: input ${i}: ${(err as Error).message} (max_seq_len ${o.maxSeqLen}, doc_stride ${o.docStride}: the question must leave more than doc_stride tokens of the row for the context)`);
    }
    const mine = [e, ...e.overflowing];
    groups.push(mine.map((_, k) => rows.length + k));
    rows.push(...mine);
  });
  return { rows, groups };
}

/** A window (row) of one input and its logits, (T, 2) row-major (qa_outputs: column 0 start, 1 end) for the row's T tokens. */
export interface QaWindow {
  encoding: Encoding;
  logits: ArrayLike<number>;
}

/**
 * Each row token's membership of the second text (HF: sequence id 1). BERT's template gives it token type 1; RoBERTa's
 * and XLM-R's (`<s> A </s></s> B </s>`) give every token type 0, so there the second text is the template-free tokens
 * after the first run of template tokens that follows the first text.
 */
const secondText = new WeakMap<Encoding, Uint8Array>();
function secondTextOf(e: Encoding): Uint8Array {
  let out = secondText.get(e);
  if (out) return out;
  const T = e.ids.length;
  out = new Uint8Array(T);
  if (e.tokenTypeIds.some((t) => t === 1)) {
    for (let i = 0; i < T; i++) out[i] = e.tokenTypeIds[i] === 1 ? 1 : 0;
  } else {
    let seq = 0;
    let seenFirst = false;
    let afterFirst = false;
    for (let i = 0; i < T; i++) {
      const template = e.specialTokensMask[i] === 1;
      if (!template && afterFirst) seq = 1;
      if (!template) seenFirst = true;
      else if (seenFirst) afterFirst = true;
      out[i] = seq;
    }
  }
  secondText.set(e, out);
  return out;
}

/** Whether row token i is a context token (HF: sequence id 1). */
const isContext = (e: Encoding, i: number): boolean => secondTextOf(e)[i] === 1 && e.specialTokensMask[i] === 0 && e.attentionMask[i] === 1;

function maskedSoftmax(e: Encoding, logits: ArrayLike<number>, column: number, desired: boolean[]): Float64Array {
  const T = e.ids.length;
  const p = new Float64Array(T);
  let max = -Infinity;
  for (let i = 0; i < T; i++) {
    p[i] = desired[i] ? logits[2 * i + column] : -10000;
    max = Math.max(max, p[i]);
  }
  let sum = 0;
  for (let i = 0; i < T; i++) {
    p[i] = Math.exp(p[i] - max);
    sum += p[i];
  }
  for (let i = 0; i < T; i++) p[i] /= sum;
  return p;
}

/** HF get_indices: the answer's characters, whole words of this window (align_to_words) or the tokens' own offsets. */
function spanChars(e: Encoding, s: number, t: number, align: boolean): [number, number] {
  const tokenChars = (): [number, number] => [e.offsets[2 * s], e.offsets[2 * t + 1]];
  if (!align) return tokenChars();
  const wordChars = (tok: number): [number, number] | null => {
    const w = e.wordIds[tok];
    if (w < 0) return null;
    let first = -1;
    let last = -1;
    for (let i = 0; i < e.ids.length; i++) {
      if (e.wordIds[i] === w && isContext(e, i)) {
        if (first < 0) first = i;
        last = i;
      }
    }
    return first < 0 ? null : [e.offsets[2 * first], e.offsets[2 * last + 1]];
  };
  const a = wordChars(s);
  const b = wordChars(t);
  return a && b ? [a[0], b[1]] : tokenChars();
}

/** One (question, context)'s windows → its answers, best first (HF QuestionAnsweringPipeline.postprocess). */
export function postprocessQuestionAnswering(context: string, windows: readonly QaWindow[], o: ResolvedQuestionAnsweringOptions): Answer[] {
  let minNullScore = 1000000;
  const answers: Answer[] = [];
  for (const w of windows) {
    const e = w.encoding;
    const T = e.ids.length;
    if (w.logits.length < 2 * T) throw new RangeError(`question-answering: logits have ${w.logits.length} values, need ${T} tokens × 2`);
    // HF's p_mask keeps every [CLS] (the null answer); the row's first token is the template's [CLS].
    const clsId = e.specialTokensMask[0] ? e.ids[0] : -1;
    const desired = Array.from({ length: T }, (_, i) => e.attentionMask[i] === 1 && (isContext(e, i) || e.ids[i] === clsId));
    const ps = maskedSoftmax(e, w.logits, 0, desired);
    const pe = maskedSoftmax(e, w.logits, 1, desired);
    if (o.handleImpossibleAnswer) minNullScore = Math.min(minNullScore, ps[0] * pe[0]);
    ps[0] = 0;
    pe[0] = 0;
    // Every span start ≤ end < start + max_answer_len with both ends desired and a score above 0 (HF ranks the whole
    // triangle; spans outside the context score exactly 0 there, as exp(−10000 − max) is 0 in float64).
    const spans: Array<[number, number, number]> = [];
    for (let s = 0; s < T; s++) {
      if (!desired[s] || ps[s] === 0) continue;
      for (let t = s; t < Math.min(T, s + o.maxAnswerLen); t++) {
        if (desired[t] && pe[t] > 0) spans.push([s * T + t, s, t]);
      }
    }
    const scored = spans.map(([flat, s, t]) => ({ flat, s, t, score: ps[s] * pe[t] }));
    scored.sort((a, b) => b.score - a.score || a.flat - b.flat);
    for (const { s, t, score } of scored.slice(0, o.topK)) {
      const [start, end] = spanChars(e, s, t, o.alignToWords);
      const text = context.slice(start, end);
      const same = answers.find((a) => a.answer.toLowerCase() === text.toLowerCase());
      if (same) same.score += score;
      else answers.push({ score, start, end, answer: text });
    }
  }
  if (o.handleImpossibleAnswer) answers.push({ score: minNullScore, start: 0, end: 0, answer: '' });
  // Array.prototype.sort is stable, like Python's sorted.
  return answers.sort((a, b) => b.score - a.score).slice(0, o.topK);
}

/** HF's result shape for one input: the answer itself when there is exactly one, else the list. */
export function hfAnswerShape(answers: Answer[]): Answer | Answer[] {
  return answers.length === 1 ? answers[0] : answers;
}

/** The call's options as the task module read them: the context (a positional argument) and HF's options, unresolved. */
export interface CheckedQuestionAnswering {
  context?: unknown;
  /** HF / transformers.js names (camelCase folded), resolved against the model's length in prepare. */
  options: Record<string, unknown>;
  signal?: AbortSignal;
}

export interface PreparedQuestionAnswering {
  rows: Encoding[];
  groups: number[][];
  items: QaItem[];
  single: boolean;
  resolved: ResolvedQuestionAnsweringOptions;
}

/** `bertgpu qa`: "question<TAB>context" → the best answer (--json: { answer, score, start, end[, top] }). */
const qaCli: TaskCli<Answer | Answer[]> = {
  command: 'qa',
  usage: '--model M [--top-k K] [--max-answer-len N] [--json] [--file F | TEXT...]\n' +
    '      extractive question answering on "question<TAB>context" lines (start/end: UTF-16 offsets in the context)',
  flags: { 'top-k': { type: 'string' }, 'max-answer-len': { type: 'string' } },
  args(line) {
    if (line.textPair === undefined) throw new Error('qa needs "question<TAB>context"');
    return [line.text, line.textPair];
  },
  options(values, { topK }) {
    const o: Record<string, unknown> = {};
    if (topK !== undefined) o.top_k = topK;
    if (values['max-answer-len'] !== undefined) {
      const n = Number(values['max-answer-len']);
      if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--max-answer-len must be a positive integer, got '${String(values['max-answer-len'])}'`);
      o.max_answer_len = n;
    }
    return o;
  },
  format(result, _, o) {
    const answers = Array.isArray(result) ? result : [result];
    const best = answers[0];
    if (o.json) return JSON.stringify({ ...best, ...(o.topK !== undefined ? { top: answers } : {}) });
    return answers.map((a) => `${a.answer} ${a.score.toFixed(4)}`).join('  ');
  },
};

/**
 * The question-answering task: a BertForQuestionAnswering head's answer spans. Call shapes as transformers.js and HF:
 * `qa(question, context, options)`, `qa({ question, context })`, arrays of either. One input gives its answer (a list
 * with top_k > 1); a batch gives one such result per input.
 */
export const questionAnsweringTask: TaskModule<'question-answering', CheckedQuestionAnswering, PreparedQuestionAnswering,
  Answer | Answer[] | Array<Answer | Answer[]>> = {
  name: 'question-answering',
  positional: 'context',
  cli: qaCli,
  checkModel({ label, config, head }) {
    if (head !== 'question-answering') {
      throw new Error(`${label} is not a question-answering model (architectures: ${config.architectures.join(', ') || 'none'}); question-answering needs ${architectureName(config, 'ForQuestionAnswering')}`);
    }
  },
  outputs: () => [{ name: 'logits', layout: 'token', width: 2 }],
  options(options) {
    const names: Record<string, string> = { context: 'context' };
    for (const k of Object.keys(NAMES)) names[k] = k;
    const { context, signal, ...rest } = readOptions('question-answering', options, names);
    // The option values are checked (and defaults applied) here already; prepare resolves them again for the model.
    resolveQuestionAnsweringOptions(rest, Number.MAX_SAFE_INTEGER);
    return { context, options: rest, signal: signal as AbortSignal | undefined };
  },
  prepare({ tokenizer, maxLength, config }, inputs, o) {
    const resolved = resolveQuestionAnsweringOptions(o.options, maxLength);
    const { items, single } = normalizeQaInputs(inputs, o.context);
    const prepared = prepareQuestionAnswering(tokenizer, items, resolved);
    // XLM-R's TemplateProcessing gives overflowing windows the context's raw type id 1; a model with one token type
    // never sees type ids in HF (its tokenizer's model_input_names leave them out), so they are zeros here.
    if (config.typeVocabSize === 1) for (const e of prepared.rows) e.tokenTypeIds.fill(0);
    return { ...prepared, items, single, resolved };
  },
  finish(_ctx, prepared, rows) {
    const results = prepared.groups.map((group, i) => hfAnswerShape(postprocessQuestionAnswering(prepared.items[i].context,
      group.map((r) => ({ encoding: prepared.rows[r], logits: rows[r].logits! })), prepared.resolved)));
    return prepared.single ? results[0] : results;
  },
};
