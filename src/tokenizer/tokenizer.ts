// BertTokenizer: the public, synchronous tokenizer. Byte-for-byte the HF Rust BERT tokenizer (ids, type ids, masks,
// offsets, truncation, overflowing windows, padding, decode), with offsets in UTF-16 code units. Pure TS: no DOM or
// GPU imports, so the same class runs in a Worker (worker.ts), in Node and on the main thread.
import { AddedTokenMatcher } from './added-tokens.ts';
import { configBoolean, modelMaxLengthOf, specFromVocab, tokenName, type TokenizerSpec } from './config.ts';
import { cleanUpTokenization, decodeTokens } from './decode.ts';
import { applyTemplate, padEncoding, specialTokenCount } from './postprocess.ts';
import type { FlaggedMatcher } from './added-flags.ts';
import { isWhitespace } from './normalized.ts';
import type { PipelineEncoder } from './pipeline.ts';
import { pipelineLibrary } from './pipeline-models.ts';
import { SegmentEncoder, type SequenceTokens } from './pretokenize.ts';
import { specFromTokenizerJson } from './tokenizer-json.ts';
import { checkRowCount, firstCut, truncatedLengths, windowCount, windowPairs, windows, type ResolvedTruncation,
  type Window } from './truncation.ts';
import type { BatchInput, DecodeOptions, Direction, EncodeOptions, Encoding, PaddingOptions, PaddingStrategy,
  TruncationOptions } from './types.ts';
import { describe, optionalBoolean, optionalInt, optionalObject, requireInt, requireObject, requireOneOf,
  requireString } from './validate.ts';
import { WordPiece } from './wordpiece.ts';

const DEFAULT_BUCKETS = [16, 32, 64, 128, 256, 512] as const;
const PADDING = ['none', 'longest', 'max_length', 'bucket'] as const;
const STRATEGIES = ['longest_first', 'only_first', 'only_second'] as const;
const DIRECTIONS = ['right', 'left'] as const;

interface ResolvedPadding {
  strategy: PaddingStrategy;
  maxLength: number | undefined;
  buckets: readonly number[];
  multipleOf: number;
  direction: Direction;
}

/**
 * BERT's WordPiece tokenizer with Hugging Face parity (ids, offsets, truncation, overflow windows, padding, decode),
 * built from vocab.txt ({@link BertTokenizer.fromVocab}) or tokenizer.json ({@link BertTokenizer.fromTokenizerJson}).
 * Synchronous and free of GPU code: it runs on any thread.
 */
export class BertTokenizer {
  private readonly segments: SegmentEncoder | PipelineEncoder;
  private readonly added: AddedTokenMatcher | FlaggedMatcher;
  private readonly idToTokenTable: (string | undefined)[];
  private readonly specialAdded: Set<string>;
  private readonly trim: TokenizerSpec['trimOffsets'];

  /** Longest input the model accepts (tokenizer_config.json `model_max_length`), when known. */
  readonly modelMaxLength: number | undefined;
  /** The id that padding fills in. */
  readonly padTokenId: number;
  /** The [MASK] token's id (fill-mask), or undefined when the vocabulary has no such token. */
  readonly maskTokenId: number | undefined;
  /** The mask token's text (`[MASK]` unless tokenizer_config.json names another). */
  readonly maskToken: string;
  /** The unknown token's text (`[UNK]`, `<unk>`). */
  readonly unkToken: string;
  /**
   * The model's continuing_subword_prefix: WordPiece's "##", a BPE's own (RoBERTa's tokenizer.json writes ""; null when absent),
   * null for Unigram. HF's token-classification reads it to tell subwords apart.
   */
  readonly continuingSubwordPrefix: string | null;
  /** The Metaspace word-start marker ("▁") of Unigram/Metaspace tokenizers; null for the others. */
  readonly wordStartMarker: string | null;

  private constructor(private readonly spec: TokenizerSpec) {
    this.idToTokenTable = [];
    for (const [token, id] of spec.vocab) this.idToTokenTable[id] = token;
    for (const t of spec.addedTokens) this.idToTokenTable[t.id] = t.content;
    if (spec.pipeline === undefined) {
      this.segments = new SegmentEncoder(spec.normalizer, new WordPiece(spec));
      this.added = new AddedTokenMatcher(spec.addedTokens);
    } else {
      const lib = pipelineLibrary('BertTokenizer', spec.pipeline.model.kind === 'bpe' ? 'BPE' : 'Unigram');
      this.segments = new lib.PipelineEncoder(spec.pipeline, (id) => this.idToTokenTable[id] ?? '', spec.trimOffsets !== undefined);
      this.added = new lib.FlaggedMatcher(spec.addedFlags ?? []);
    }
    this.specialAdded = new Set(spec.addedTokens.filter((t) => t.special).map((t) => t.content));
    this.modelMaxLength = spec.modelMaxLength;
    this.padTokenId = spec.padId;
    this.maskToken = spec.maskToken;
    this.unkToken = spec.unkToken;
    const model = spec.pipeline?.model;
    this.continuingSubwordPrefix = model === undefined ? spec.continuingSubwordPrefix
      : model.kind === 'bpe' ? model.bpe.continuingSubwordPrefix : null;
    this.wordStartMarker = spec.decoder?.kind === 'metaspace' ? spec.decoder.replacement : null;
    this.trim = spec.trimOffsets;
    this.maskTokenId = spec.addedTokens.find((t) => t.content === spec.maskToken)?.id ?? spec.vocab.get(spec.maskToken);
  }

  /**
   * From vocab.txt text and (optionally) the parsed tokenizer_config.json: `do_lower_case`, `strip_accents`,
   * `tokenize_chinese_chars`, `model_max_length` and the special tokens (`cls_token`, …) are honoured.
   */
  static fromVocab(vocabText: string, config: Record<string, unknown> = {}): BertTokenizer {
    requireString('BertTokenizer.fromVocab', 'vocabText', vocabText);
    requireObject('BertTokenizer.fromVocab', 'config', config);
    return new BertTokenizer(specFromVocab(vocabText, config));
  }

  /**
   * From an HF tokenizer.json (its text or the parsed object): BertNormalizer, BertPreTokenizer, WordPiece,
   * TemplateProcessing/BertProcessing. `config` (tokenizer_config.json) only supplies `model_max_length`, `mask_token`
   * and `clean_up_tokenization_spaces`.
   */
  static fromTokenizerJson(json: string | object, config: Record<string, unknown> = {}): BertTokenizer {
    if (typeof json !== 'string' && (typeof json !== 'object' || json === null)) {
      throw new TypeError(`BertTokenizer.fromTokenizerJson: json must be a string or an object, got ${describe(json)}`);
    }
    requireObject('BertTokenizer.fromTokenizerJson', 'config', config);
    const spec = specFromTokenizerJson(json);
    spec.modelMaxLength = modelMaxLengthOf('BertTokenizer.fromTokenizerJson', config);
    spec.maskToken = tokenName(config, 'mask_token', spec.maskToken, 'BertTokenizer.fromTokenizerJson');
    spec.cleanUpTokenizationSpaces = configBoolean('BertTokenizer.fromTokenizerJson', config, 'clean_up_tokenization_spaces', false);
    return new BertTokenizer(spec);
  }

  /** Vocabulary size including added tokens. */
  get vocabSize(): number {
    return this.idToTokenTable.length;
  }

  /** The token with this id, or undefined outside the vocabulary. */
  idToToken(id: number): string | undefined {
    requireInt('BertTokenizer.idToToken', 'id', id, 0);
    return this.idToTokenTable[id];
  }

  /** The id of this exact token (an added token or a vocabulary entry), or undefined. */
  tokenToId(token: string): number | undefined {
    requireString('BertTokenizer.tokenToId', 'token', token);
    return this.spec.addedTokens.find((t) => t.content === token)?.id ?? this.spec.vocab.get(token);
  }

  /** Encodes a text, or a pair `(text, textPair)` as `[CLS] text [SEP] textPair [SEP]`. */
  encode(text: string, textPair?: string | null, options?: EncodeOptions): Encoding {
    requireString('BertTokenizer.encode', 'text', text);
    if (textPair !== undefined && textPair !== null) requireString('BertTokenizer.encode', 'textPair', textPair);
    const o = this.resolve('BertTokenizer.encode', options);
    const e = this.encodeOne(text, textPair ?? undefined, o);
    return this.pad([e], o.padding)[0];
  }

  /** Encodes many inputs with the same options; `padding: 'longest'` pads to the longest of the batch. */
  encodeBatch(inputs: readonly BatchInput[], options?: EncodeOptions): Encoding[] {
    if (!Array.isArray(inputs)) {
      throw new TypeError(`BertTokenizer.encodeBatch: inputs must be an array, got ${describe(inputs)}`);
    }
    const o = this.resolve('BertTokenizer.encodeBatch', options);
    const out = inputs.map((input: unknown, i) => {
      if (typeof input === 'string') return this.encodeOne(input, undefined, o);
      if (Array.isArray(input) && input.length === 2) {
        requireString('BertTokenizer.encodeBatch', `inputs[${i}][0]`, input[0]);
        requireString('BertTokenizer.encodeBatch', `inputs[${i}][1]`, input[1]);
        return this.encodeOne(input[0] as string, input[1] as string, o);
      }
      throw new TypeError(
        `BertTokenizer.encodeBatch: inputs[${i}] must be a string or a [text, textPair] array, got ${describe(input)}`,
      );
    });
    return this.pad(out, o.padding);
  }

  /** Token ids → text (HF WordPiece decoder). */
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string {
    const FN = 'BertTokenizer.decode';
    if (typeof ids !== 'object' || ids === null || typeof (ids as { length?: unknown }).length !== 'number') {
      throw new TypeError(`${FN}: ids must be an array of numbers, got ${describe(ids)}`);
    }
    const skip = optionalBoolean(FN, 'options.skipSpecialTokens',
      optionalObject(FN, 'options', options).skipSpecialTokens, false);
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (typeof id !== 'number' || !Number.isInteger(id)) {
        throw new TypeError(`${FN}: ids[${i}] must be an integer, got ${typeof id === 'number' ? id : describe(id)}`);
      }
      const token = id >= 0 ? this.idToTokenTable[id] : undefined;
      if (token === undefined || (skip && this.specialAdded.has(token))) continue;
      tokens.push(token);
    }
    const text = decodeTokens(tokens, this.spec.decoder);
    // WordPiece already cleaned each piece in its decoder; the others get transformers' cleanup when the config asks.
    return this.spec.cleanUpTokenizationSpaces && this.spec.decoder?.kind !== 'wordpiece' ? cleanUpTokenization(text) : text;
  }

  /** Token strings → text with the tokenizer's decoder alone (HF's convert_tokens_to_string for a fast tokenizer). */
  tokensToString(tokens: readonly string[]): string {
    return decodeTokens(tokens, this.spec.decoder);
  }

  private encodeOne(text: string, pair: string | undefined, o: ReturnType<BertTokenizer['resolve']>): Encoding {
    let a = this.sequence(text);
    let b = pair === undefined ? undefined : this.sequence(pair);
    let winA: [number, number][] = [[0, a.ids.length]];
    let winB: [number, number][] | undefined = b && [[0, b.ids.length]];
    const t = o.truncation;
    if (t !== undefined) {
      // HF first stops tokenizing each text near maxLength tokens (see firstCut), so its windows never reach past
      // that point; `fullOverflow` skips the cut so the windows cover the whole text.
      const cut = (s: SequenceTokens): Window =>
        t.fullOverflow ? [0, s.ids.length] : firstCut(s.words, s.added, t.maxLength, t.direction);
      const [a0, a1] = cut(a);
      const [b0, b1] = b === undefined ? [0, 0] : cut(b);
      // HF numbers words from the first one it tokenized, so a text cut at the start (direction left) renumbers.
      if (a0 > 0) a = rebaseWords(a, a0);
      if (b !== undefined && b0 > 0) b = rebaseWords(b, b0);
      const nAdded = o.addSpecialTokens ? specialTokenCount(this.spec, b !== undefined) : 0;
      if (t.maxLength < nAdded) {
        throw new RangeError(`truncation: maxLength (${t.maxLength}) is smaller than the ${nAdded} special tokens`);
      }
      const [lenA, lenB] = truncatedLengths(a1 - a0, b && b1 - b0, t.maxLength - nAdded, t.strategy);
      // Count the rows before making any (a long text with a small step makes many); without returnOverflowing only
      // the first window of each text is built.
      const countA = windowCount(a1 - a0, lenA, t.stride);
      const countB = b === undefined ? undefined : windowCount(b1 - b0, lenB as number, t.stride);
      if (o.returnOverflowing) checkRowCount(countA, countB, t.fullOverflow);
      const limit = o.returnOverflowing ? Infinity : 1;
      const shift = (ws: readonly Window[], by: number) => ws.map(([s, e]): [number, number] => [s + by, e + by]);
      winA = shift(windows(a1 - a0, lenA, t.stride, t.direction, limit), a0);
      if (b !== undefined) winB = shift(windows(b1 - b0, lenB as number, t.stride, t.direction, limit), b0);
    }
    const combos = o.returnOverflowing ? windowPairs(winA, winB, t?.fullOverflow ?? false) : [[winA[0], winB?.[0]] as const];
    // windowPairs reuses the window objects, so a window other than the text's first is an overflowing one.
    const [main, ...rest] = combos.map((w) => applyTemplate(this.spec, [a, b], w, o.addSpecialTokens,
      [w[0] !== winA[0], w[1] !== undefined && w[1] !== winB?.[0]]));
    main.overflowing = rest;
    return main;
  }

  /** One text → its tokens, split first on added tokens ([MASK], …) as HF does. */
  private sequence(text: string): SequenceTokens {
    const out: SequenceTokens = { ids: [], offsets: [], words: [], added: [] };
    let word = 0;
    let from = 0;
    for (const m of this.added.find(text)) {
      if (m.start > from) word = this.segments.encode(text, from, m.start, out, word);
      out.ids.push(m.id);
      out.offsets.push(m.start, m.end);
      out.words.push(word++);
      out.added.push(1);
      if (this.trim !== undefined) {
        (out.lead ??= []).push(spacesAt(text, m.start, m.end, 1));
        (out.trail ??= []).push(spacesAt(text, m.start, m.end, -1));
      }
      from = m.end;
    }
    if (from < text.length) this.segments.encode(text, from, text.length, out, word);
    if (this.trim !== undefined) out.text = text;
    return out;
  }

  private pad(encodings: Encoding[], p: ResolvedPadding): Encoding[] {
    if (p.strategy === 'none' || encodings.length === 0) return encodings;
    const longest = Math.max(...encodings.map((e) => e.ids.length));
    let length: number;
    if (p.strategy === 'longest') length = longest;
    else if (p.strategy === 'max_length') {
      if (p.maxLength === undefined) {
        throw new RangeError("padding 'max_length' needs padding.maxLength, truncation.maxLength or modelMaxLength");
      }
      length = p.maxLength;
    } else {
      const last = p.buckets[p.buckets.length - 1];
      length = p.buckets.find((b) => b >= longest) ?? Math.ceil(longest / last) * last;
    }
    if (p.multipleOf > 0 && length % p.multipleOf !== 0) length += p.multipleOf - (length % p.multipleOf);
    return encodings.map((e) => padEncoding(e, length, this.spec.padId, p.direction));
  }

  private resolve(fn: string, options: unknown) {
    const o = optionalObject(fn, 'options', options);
    const addSpecialTokens = optionalBoolean(fn, 'options.addSpecialTokens', o.addSpecialTokens, true);
    const returnOverflowing = optionalBoolean(fn, 'options.returnOverflowing', o.returnOverflowing, false);
    const truncation = this.resolveTruncation(fn, o.truncation);
    const padding = this.resolvePadding(fn, o.padding, truncation);
    return { addSpecialTokens, returnOverflowing, truncation, padding };
  }

  private resolveTruncation(fn: string, value: unknown): ResolvedTruncation | undefined {
    if (value === false) return undefined;
    let t: TruncationOptions;
    if (value === undefined) {
      if (this.spec.truncation === undefined) return undefined;
      t = this.spec.truncation;
    } else if (value === true) t = {};
    else t = requireObject(fn, 'options.truncation', value) as TruncationOptions;
    const maxLength = t.maxLength ?? this.modelMaxLength;
    if (maxLength === undefined) {
      throw new RangeError(`${fn}: options.truncation.maxLength is required (the tokenizer has no modelMaxLength)`);
    }
    return {
      maxLength: requireInt(fn, 'options.truncation.maxLength', maxLength, 0),
      strategy: t.strategy === undefined ? 'longest_first' : requireOneOf(fn, 'options.truncation.strategy', t.strategy, STRATEGIES),
      stride: optionalInt(fn, 'options.truncation.stride', t.stride, 0, 0),
      direction: t.direction === undefined ? 'right' : requireOneOf(fn, 'options.truncation.direction', t.direction, DIRECTIONS),
      fullOverflow: optionalBoolean(fn, 'options.truncation.fullOverflow', t.fullOverflow, false),
    };
  }

  private resolvePadding(fn: string, value: unknown, truncation: ResolvedTruncation | undefined): ResolvedPadding {
    let p: PaddingOptions;
    if (value === undefined) p = this.spec.padding ?? { strategy: 'none' };
    else if (typeof value === 'string') p = { strategy: requireOneOf(fn, 'options.padding', value, PADDING) };
    else {
      const o = requireObject(fn, 'options.padding', value);
      p = { ...(o as unknown as PaddingOptions), strategy: requireOneOf(fn, 'options.padding.strategy', o.strategy, PADDING) };
    }
    const buckets = p.buckets ?? DEFAULT_BUCKETS;
    if (!Array.isArray(buckets) || buckets.length === 0) {
      throw new TypeError(`${fn}: options.padding.buckets must be a non-empty array of lengths`);
    }
    buckets.forEach((b, i) => {
      requireInt(fn, `options.padding.buckets[${i}]`, b, 1);
      if (i > 0 && b <= buckets[i - 1]) throw new RangeError(`${fn}: options.padding.buckets must be ascending`);
    });
    return {
      strategy: p.strategy,
      maxLength: p.maxLength === undefined ? truncation?.maxLength ?? this.modelMaxLength
        : requireInt(fn, 'options.padding.maxLength', p.maxLength, 0),
      buckets,
      multipleOf: optionalInt(fn, 'options.padding.multipleOf', p.multipleOf, 0, 0),
      direction: p.direction === undefined ? 'right' : requireOneOf(fn, 'options.padding.direction', p.direction, DIRECTIONS),
    };
  }
}

/** Whitespace characters at the start (dir 1) or end (dir −1) of text[from, to), counted in code points. */
function spacesAt(text: string, from: number, to: number, dir: 1 | -1): number {
  const chars = Array.from(text.slice(from, to));
  if (dir === -1) chars.reverse();
  let n = 0;
  while (n < chars.length && isWhitespace(chars[n].codePointAt(0) as number)) n++;
  return n;
}

function rebaseWords(s: SequenceTokens, from: number): SequenceTokens {
  const base = s.words[from];
  return { ...s, words: s.words.map((w) => w - base) };
}
