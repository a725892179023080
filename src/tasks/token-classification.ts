// token-classification (alias ner): texts → token rows (truncated, or overlapping windows with `stride`) → per-token
// logits (BertForTokenClassification) → entities, following HF Python's TokenClassificationPipeline exactly:
// softmax per token; special tokens skipped; a token is a subword when its text and its span in the input differ in
// length (WordPiece's '##') — or, for a model without a continuing-subword prefix (RoBERTa's byte-level BPE, Unigram),
// by HF's fallback: when neither its first character nor the one before it is a space; [UNK] tokens take the input's text; aggregation none / simple (B-/I- grouping) /
// first / average / max (word-level, then grouped); `ignore_labels` filters after grouping; windows merged by HF's
// aggregate_overlapping_entities. Offsets are UTF-16 code units (JavaScript string indices) where HF's are code points.
import type { BertTokenizer } from '../tokenizer/tokenizer.ts';
import type { Encoding } from '../tokenizer/types.ts';
import { softmax } from '../model/heads.ts';
import { architectureName } from '../model/config.ts';
import { readOptions } from './options.ts';
import type { TaskCli, TaskModule } from './task.ts';
import { describe } from './text-classification.ts';

/** HF's aggregation_strategy: none (one result per token), simple (adjacent B-/I- tags grouped), first / average / max (words first). */
export type AggregationStrategy = 'none' | 'simple' | 'first' | 'average' | 'max';
export const AGGREGATION_STRATEGIES: readonly AggregationStrategy[] = ['none', 'simple', 'first', 'average', 'max'];

/** Options of a token-classification call (HF / transformers.js names; camelCase spellings are aliases). */
export interface TokenClassificationOptions {
  /** Labels (or groups) left out of the result; default `['O']`. */
  ignore_labels?: readonly string[];
  /** How tokens become entities; default 'none'. */
  aggregation_strategy?: AggregationStrategy;
  /**
   * Run the whole text in overlapping windows of the model's length sharing `stride` tokens (HF's `stride`; needs an
   * aggregation strategy other than 'none'). Without it a long text is truncated to the model's length, as HF does.
   */
  stride?: number;
  /** `ignore_labels`'s camelCase spelling. */
  ignoreLabels?: readonly string[];
  /** `aggregation_strategy`'s camelCase spelling. */
  aggregationStrategy?: AggregationStrategy;
  /** Aborts the call: it rejects with an AbortError. */
  signal?: AbortSignal;
}

export interface ResolvedTokenClassificationOptions {
  ignoreLabels: readonly string[];
  aggregationStrategy: AggregationStrategy;
  stride: number | undefined;
}

/** One token's result (aggregation_strategy 'none'). */
export interface TokenEntity {
  /** The token's label (id2label), B-/I- prefix included. */
  entity: string;
  /** Its probability (softmax over the labels). */
  score: number;
  /** The token's position in its row ([CLS] is 0). */
  index: number;
  /** The token as the vocabulary has it ('##' pieces included; [UNK] takes the input's text). */
  word: string;
  /** Where the token starts in the input (UTF-16 code units, a JavaScript string index). */
  start: number;
  /** Where it ends (exclusive). */
  end: number;
}

/** A group of tokens or words with one entity type (any other aggregation strategy). */
export interface EntityGroup {
  /** The label without its B-/I- prefix. */
  entity_group: string;
  /** The mean score of its tokens or words. */
  score: number;
  /** Its text, as the tokenizer decodes its tokens. */
  word: string;
  /** Where it starts in the input (UTF-16 code units). */
  start: number;
  /** Where it ends (exclusive). */
  end: number;
}

/** A window (row) of one input and its logits, (T, numLabels) row-major for the row's T tokens (more rows are ignored). */
export interface TokenWindow {
  encoding: Encoding;
  logits: ArrayLike<number>;
}

const KNOWN = ['ignore_labels', 'ignoreLabels', 'aggregation_strategy', 'aggregationStrategy', 'stride'];

/** Checks the options (unknown names are a TypeError naming them) and applies HF's defaults. */
export function resolveTokenClassificationOptions(options: unknown, maxLength?: number): ResolvedTokenClassificationOptions {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`token-classification options must be an object, got ${describe(options)}`);
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!KNOWN.includes(k)) throw new TypeError(`token-classification: unknown option ${JSON.stringify(k)} (known: ignore_labels, aggregation_strategy, stride)`);
  }
  const pick = (snake: string, camel: string) => {
    if (o[snake] !== undefined && o[camel] !== undefined) throw new TypeError(`token-classification: give ${snake} or ${camel}, not both`);
    return o[snake] ?? o[camel];
  };
  const ignore = pick('ignore_labels', 'ignoreLabels') ?? ['O'];
  if (!Array.isArray(ignore) || !ignore.every((l) => typeof l === 'string')) {
    throw new TypeError(`token-classification: ignore_labels must be an array of label names, got ${describe(ignore)}`);
  }
  const agg = pick('aggregation_strategy', 'aggregationStrategy') ?? 'none';
  const lower = typeof agg === 'string' ? agg.toLowerCase() : agg; // HF: AggregationStrategy[value.upper()]
  if (!(AGGREGATION_STRATEGIES as readonly unknown[]).includes(lower)) {
    throw new TypeError(`token-classification: aggregation_strategy must be one of ${AGGREGATION_STRATEGIES.join(', ')}, got ${JSON.stringify(agg)}`);
  }
  const stride = o.stride;
  if (stride !== undefined && stride !== null) {
    if (typeof stride !== 'number' || !Number.isInteger(stride) || stride < 0) throw new TypeError(`token-classification: stride must be an integer ≥ 0, got ${JSON.stringify(stride)}`);
    if (maxLength !== undefined && stride >= maxLength) throw new RangeError(`token-classification: stride (${stride}) must be less than the model's length (${maxLength})`);
    if (lower === 'none') throw new RangeError('token-classification: stride processes the whole text in windows and needs aggregation_strategy simple, first, average or max (HF refuses "none")');
  }
  return { ignoreLabels: ignore as string[], aggregationStrategy: lower as AggregationStrategy, stride: (stride ?? undefined) as number | undefined };
}

/** Texts → rows: each text truncated to maxLength, or (with stride) all its overlapping windows. */
export function prepareTokenClassification(tokenizer: BertTokenizer, maxLength: number, inputs: unknown, options: ResolvedTokenClassificationOptions): { rows: Encoding[]; groups: number[][]; texts: string[]; single: boolean } {
  const single = !Array.isArray(inputs);
  const texts = single ? [inputs] : (inputs as unknown[]);
  if (texts.length === 0) throw new TypeError('token-classification: inputs is an empty array; give at least one text');
  texts.forEach((t, i) => {
    if (typeof t !== 'string') throw new TypeError(`token-classification: ${single ? 'inputs' : `inputs[${i}]`} must be a string, got ${describe(t)}`);
  });
  const rows: Encoding[] = [];
  const groups: number[][] = [];
  for (const text of texts as string[]) {
    const e = options.stride === undefined
      ? tokenizer.encode(text, null, { truncation: { maxLength } })
      // Windows over the whole text: HF's pipeline asks for all of it; tokenizers 0.23 would stop near maxLength
      // tokens (see docs/tokenizer.md, fullOverflow).
      : tokenizer.encode(text, null, { truncation: { maxLength, stride: options.stride, fullOverflow: true }, returnOverflowing: true });
    const mine = [e, ...e.overflowing];
    groups.push(mine.map((_, k) => rows.length + k));
    rows.push(...mine);
  }
  return { rows, groups, texts: texts as string[], single };
}

/** What post-processing needs from the tokenizer: token strings, the [UNK] id, and HF's convert_tokens_to_string. */
export interface TokenText {
  tokenOf(id: number): string;
  unkId: number | undefined;
  tokensToString(tokens: readonly string[]): string;
  /** HF's "word aware" test: a truthy continuing_subword_prefix (WordPiece's '##'); false: BPE (''), Unigram (none). */
  wordAware?: boolean;
}

/** HF's convert_tokens_to_string for a fast tokenizer is its decoder over token strings (not ids: [UNK]s carry text). */
export function tokenTextOf(tokenizer: BertTokenizer): TokenText {
  return {
    tokenOf: (id) => tokenizer.idToToken(id) ?? '',
    unkId: tokenizer.tokenToId(tokenizer.unkToken),
    tokensToString: (tokens) => tokenizer.tokensToString(tokens),
    // tokenizers' model.continuing_subword_prefix as HF's pipeline reads it (getattr(model, ..., None)).
    wordAware: Boolean(tokenizer.continuingSubwordPrefix),
  };
}

const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

interface PreEntity {
  word: string;
  scores: number[];
  start: number;
  end: number;
  index: number;
  isSubword: boolean;
}

interface WordEntity { entity: string; score: number; word: string; start: number; end: number; index?: number }

const argmax = (v: readonly number[]): number => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);

function gatherPreEntities(text: string, w: TokenWindow, L: number, tt: TokenText): PreEntity[] {
  const e = w.encoding;
  const T = e.ids.length;
  if (w.logits.length < T * L) throw new RangeError(`token-classification: logits have ${w.logits.length} values, need ${T} tokens × ${L} labels`);
  const out: PreEntity[] = [];
  for (let idx = 0; idx < T; idx++) {
    if (e.specialTokensMask[idx]) continue;
    const row = Array.prototype.slice.call(w.logits, idx * L, (idx + 1) * L) as number[];
    const start = e.offsets[2 * idx];
    const end = e.offsets[2 * idx + 1];
    const wordRef = text.slice(start, end);
    let word = tt.tokenOf(e.ids[idx]);
    // HF compares Python lengths (code points); '##' pieces are longer than their text. Without a subword prefix HF
    // falls back to: not at the start, and no space at start - 1 or start.
    let isSubword = tt.wordAware === false
      ? start > 0 && text[start - 1] !== ' ' && text[start] !== ' '
      : codePoints(word) !== codePoints(wordRef);
    if (e.ids[idx] === tt.unkId) {
      word = wordRef;
      isSubword = false;
    }
    out.push({ word, scores: softmax(row), start, end, index: idx, isSubword });
  }
  return out;
}

function aggregateWord(group: PreEntity[], strategy: AggregationStrategy, id2label: readonly string[], tt: TokenText): WordEntity {
  const word = tt.tokensToString(group.map((e) => e.word));
  let scores: number[];
  if (strategy === 'first') scores = group[0].scores;
  else if (strategy === 'max') {
    // Python's max(): the first entity with the largest top score.
    let best = group[0];
    for (const e of group) if (Math.max(...e.scores) > Math.max(...best.scores)) best = e;
    scores = best.scores;
  } else {
    scores = group[0].scores.map((_, j) => group.reduce((a, e) => a + e.scores[j], 0) / group.length);
  }
  const idx = argmax(scores);
  return { entity: id2label[idx], score: scores[idx], word, start: group[0].start, end: group[group.length - 1].end };
}

function tagOf(label: string): [bi: 'B' | 'I', tag: string] {
  if (label.startsWith('B-')) return ['B', label.slice(2)];
  if (label.startsWith('I-')) return ['I', label.slice(2)];
  return ['I', label]; // not B-/I- format: a continuation, as HF
}

function groupSubEntities(entities: WordEntity[], tt: TokenText): EntityGroup {
  const first = entities[0].entity;
  const dash = first.indexOf('-');
  return {
    entity_group: dash < 0 ? first : first.slice(dash + 1), // Python split('-', 1)[-1]
    score: entities.reduce((a, e) => a + e.score, 0) / entities.length,
    word: tt.tokensToString(entities.map((e) => e.word)),
    start: entities[0].start,
    end: entities[entities.length - 1].end,
  };
}

function groupEntities(entities: WordEntity[], tt: TokenText): EntityGroup[] {
  const groups: EntityGroup[] = [];
  let current: WordEntity[] = [];
  for (const e of entities) {
    if (current.length === 0) {
      current.push(e);
      continue;
    }
    const [bi, tag] = tagOf(e.entity);
    const [, lastTag] = tagOf(current[current.length - 1].entity);
    if (tag === lastTag && bi !== 'B') current.push(e);
    else {
      groups.push(groupSubEntities(current, tt));
      current = [e];
    }
  }
  if (current.length) groups.push(groupSubEntities(current, tt));
  return groups;
}

/** HF's aggregate_overlapping_entities: windows' entities sorted by start; of overlapping ones the longer (then higher-scoring) stays. */
export function mergeOverlappingEntities<E extends { start: number; end: number; score: number }>(entities: E[]): E[] {
  if (entities.length === 0) return entities;
  const sorted = entities.map((e, i) => [e, i] as const).sort((a, b) => a[0].start - b[0].start || a[1] - b[1]).map(([e]) => e);
  const out: E[] = [];
  let previous = sorted[0];
  for (const e of sorted) {
    if (previous.start <= e.start && e.start < previous.end) {
      const len = e.end - e.start;
      const prevLen = previous.end - previous.start;
      if (len > prevLen || (len === prevLen && e.score > previous.score)) previous = e;
    } else {
      out.push(previous);
      previous = e;
    }
  }
  out.push(previous);
  return out;
}

/** One text's windows and logits → its entities (HF TokenClassificationPipeline.postprocess). */
export function postprocessTokenClassification(
  text: string,
  windows: readonly TokenWindow[],
  id2label: readonly string[],
  tokenText: TokenText,
  options: ResolvedTokenClassificationOptions,
): TokenEntity[] | EntityGroup[] {
  const L = id2label.length;
  const strategy = options.aggregationStrategy;
  const ignored = new Set(options.ignoreLabels);
  let all: Array<TokenEntity | EntityGroup> = [];
  for (const w of windows) {
    const pre = gatherPreEntities(text, w, L, tokenText);
    let results: Array<TokenEntity | EntityGroup>;
    if (strategy === 'none' || strategy === 'simple') {
      const tokens: TokenEntity[] = pre.map((p) => {
        const idx = argmax(p.scores);
        return { entity: id2label[idx], score: p.scores[idx], index: p.index, word: p.word, start: p.start, end: p.end };
      });
      results = strategy === 'none' ? tokens : groupEntities(tokens, tokenText);
    } else {
      const words: WordEntity[] = [];
      let group: PreEntity[] | null = null;
      for (const p of pre) {
        if (group === null) group = [p];
        else if (p.isSubword) group.push(p);
        else {
          words.push(aggregateWord(group, strategy, id2label, tokenText));
          group = [p];
        }
      }
      if (group !== null) words.push(aggregateWord(group, strategy, id2label, tokenText));
      results = groupEntities(words, tokenText);
    }
    all.push(...results.filter((r) => !ignored.has('entity' in r ? r.entity : r.entity_group)));
  }
  if (windows.length > 1) all = mergeOverlappingEntities(all);
  return all as TokenEntity[] | EntityGroup[];
}

/** The options as the task module checked them (transformers.js / HF names read, camelCase aliases folded). */
export interface CheckedTokenClassification extends ResolvedTokenClassificationOptions {
  signal?: AbortSignal;
}

export interface PreparedTokenClassification {
  rows: Encoding[];
  groups: number[][];
  texts: string[];
  single: boolean;
}

/** `bertgpu ner`: token-classification's entities per line (--json: { entities }). */
const nerCli: TaskCli<Array<TokenEntity | EntityGroup>> = {
  command: 'ner',
  usage: '--model M [--aggregation-strategy none|simple|first|average|max] [--ignore-labels L1,L2] [--stride S] [--json]\n' +
    '      [--file F | TEXT...]  named entities (token classification; default aggregation simple, O ignored)',
  flags: { 'aggregation-strategy': { type: 'string' }, 'ignore-labels': { type: 'string' }, stride: { type: 'string' } },
  pairs: false,
  options(values) {
    const o: Record<string, unknown> = { aggregation_strategy: values['aggregation-strategy'] ?? 'simple' };
    if (typeof values['ignore-labels'] === 'string') o.ignore_labels = values['ignore-labels'].split(',').map((l) => l.trim()).filter((l) => l);
    if (values.stride !== undefined) {
      const n = Number(values.stride);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--stride must be an integer ≥ 0, got '${String(values.stride)}'`);
      o.stride = n;
    }
    return o;
  },
  format: (entities, _, o) => (o.json ? JSON.stringify({ entities })
    : entities.map((e) => `${e.word} ${'entity_group' in e ? e.entity_group : e.entity} ${e.score.toFixed(4)}`).join('  ')),
};

/** The token-classification task (alias 'ner'): a BertForTokenClassification head's labels per token or per entity. */
export const tokenClassificationTask: TaskModule<'token-classification', CheckedTokenClassification, PreparedTokenClassification,
  Array<TokenEntity | EntityGroup> | Array<Array<TokenEntity | EntityGroup>>> = {
  name: 'token-classification',
  aliases: ['ner'],
  cli: nerCli,
  checkModel({ label, config, head }) {
    if (head !== 'token-classification') {
      throw new Error(`${label} is not a token-classification model (architectures: ${config.architectures.join(', ') || 'none'}); token-classification needs ${architectureName(config, 'ForTokenClassification')}`);
    }
  },
  outputs: (config) => [{ name: 'logits', layout: 'token', width: config.numLabels }],
  options(options) {
    const o = readOptions('token-classification', options, {
      ignore_labels: 'ignore_labels', ignoreLabels: 'ignore_labels',
      aggregation_strategy: 'aggregation_strategy', aggregationStrategy: 'aggregation_strategy', stride: 'stride',
    });
    const { signal, ...rest } = o;
    return { ...resolveTokenClassificationOptions(rest), signal: signal as AbortSignal | undefined };
  },
  prepare({ tokenizer, maxLength }, inputs, o) {
    if (o.stride !== undefined && o.stride >= maxLength) throw new RangeError(`token-classification: stride (${o.stride}) must be less than the model's length (${maxLength})`);
    return prepareTokenClassification(tokenizer, maxLength, inputs, o);
  },
  finish({ tokenizer, config }, prepared, rows, o) {
    const tt = tokenTextOf(tokenizer);
    const results = prepared.groups.map((group, i) => postprocessTokenClassification(prepared.texts[i],
      group.map((r) => ({ encoding: prepared.rows[r], logits: rows[r].logits! })), config.id2label, tt, o));
    return prepared.single ? results[0] : results;
  },
};
