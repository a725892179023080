// Turns the two ways HF ships a BERT tokenizer — tokenizer.json, or vocab.txt + tokenizer_config.json — into one
// TokenizerSpec. Anything this implementation would not reproduce exactly is rejected with a clear error rather than
// approximated, because a silently different token id is a wrong answer.
import type { AddedTokenFlags } from './added-flags.ts';
import type { PipelineSpec } from './pipeline.ts';
import type { PaddingOptions, TruncationOptions } from './types.ts';

/** How ids become text: WordPiece ("##" pieces), ByteLevel (bytes back to UTF-8), Metaspace (▁ back to spaces). */
export type DecoderSpec =
  | { kind: 'wordpiece'; prefix: string; cleanup: boolean }
  | { kind: 'byteLevel' }
  | { kind: 'metaspace'; replacement: string; prependNever: boolean };

export interface NormalizerSpec {
  cleanText: boolean;
  handleChineseChars: boolean;
  stripAccents: boolean;
  lowercase: boolean;
}

export type TemplatePiece =
  | { kind: 'special'; name: string; typeId: number }
  | {
    kind: 'sequence'; index: 0 | 1; typeId: number;
    /**
     * The type id in rows built from an overflowing window of this sequence. HF's TemplateProcessing retypes only the
     * main window; the overflowing ones keep the type the sequence was encoded with (0 for A, 1 for B). Absent: typeId.
     */
    overflowTypeId?: number;
  };

export interface TokenizerSpec {
  /** Model vocab, token → id. */
  vocab: Map<string, number>;
  unkToken: string;
  continuingSubwordPrefix: string;
  maxInputCharsPerWord: number;
  /** null: no normalizer. */
  normalizer: NormalizerSpec | null;
  /** Tokens matched verbatim in the raw text before normalization (HF added tokens with normalized: false). */
  addedTokens: { content: string; id: number; special: boolean }[];
  single: TemplatePiece[];
  pair: TemplatePiece[];
  /** Template special tokens: name → ids/tokens. */
  specialTokens: Map<string, { ids: number[]; tokens: string[] }>;
  /** WordPiece decoder settings; null joins tokens with spaces (HF's behaviour without a decoder). */
  decoder: DecoderSpec | null;
  /**
   * tokenizer_config.json `clean_up_tokenization_spaces`: decode() then applies transformers' Python-side cleanup
   * (ByteLevel / Metaspace decoders; the WordPiece decoder has its own `cleanup`). Absent: false.
   */
  cleanUpTokenizationSpaces?: boolean;
  /** BPE / Unigram models: the tokenizer.json pipeline, used instead of the WordPiece one. */
  pipeline?: PipelineSpec;
  /** Raw-text added tokens with their lstrip/rstrip/single_word flags (pipeline models). */
  addedFlags?: AddedTokenFlags[];
  /** RobertaProcessing / ByteLevel post-processor offset trimming. */
  trimOffsets?: { addPrefixSpace: boolean };
  padToken: string;
  padId: number;
  /** The token fill-mask predicts at (tokenizer_config.json `mask_token`, default "[MASK]"). */
  maskToken: string;
  modelMaxLength: number | undefined;
  /** Defaults stored in tokenizer.json (`truncation`, `padding`), applied when a call does not say otherwise. */
  truncation?: TruncationOptions;
  padding?: PaddingOptions;
}

export function bertTemplate(cls: string, sep: string): { single: TemplatePiece[]; pair: TemplatePiece[] } {
  return {
    single: [{ kind: 'special', name: cls, typeId: 0 }, { kind: 'sequence', index: 0, typeId: 0 },
      { kind: 'special', name: sep, typeId: 0 }],
    pair: [{ kind: 'special', name: cls, typeId: 0 }, { kind: 'sequence', index: 0, typeId: 0 },
      { kind: 'special', name: sep, typeId: 0 }, { kind: 'sequence', index: 1, typeId: 1 },
      { kind: 'special', name: sep, typeId: 1 }],
  };
}

/** transformers writes int(1e30) (VERY_LARGE_INTEGER) for "no limit"; anything this large means the same. */
const NO_LIMIT = 1e9;

/** A tokenizer_config.json value, own properties only (a "__proto__" key never reads as a setting). */
function setting(config: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(config, key) && config[key] !== null ? config[key] : undefined;
}

function configError(fn: string, key: string, message: string, file = 'tokenizer_config.json'): never {
  throw new TypeError(`${fn}: ${file} ${key}: ${message}`);
}

export function configBoolean(fn: string, config: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = setting(config, key);
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') configError(fn, key, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** `model_max_length`: a positive integer, or HF's huge "no limit" sentinel (→ undefined: the model's own limit applies). */
export function modelMaxLengthOf(fn: string, config: Record<string, unknown>): number | undefined {
  const v = setting(config, 'model_max_length');
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !(v >= 1)) configError(fn, 'model_max_length', `must be a positive integer, got ${JSON.stringify(v)}`);
  if (v >= NO_LIMIT) return undefined;
  if (!Number.isInteger(v)) configError(fn, 'model_max_length', `must be a positive integer, got ${v}`);
  return v;
}

/**
 * A special token in tokenizer_config.json (or special_tokens_map.json: `file` names the one read, for the error):
 * a string or an AddedToken object `{ content }`.
 */
export function tokenName(config: Record<string, unknown>, key: string, fallback: string, fn = 'BertTokenizer.fromVocab',
  file = 'tokenizer_config.json'): string {
  const v = setting(config, key);
  if (v === undefined) return fallback;
  if (typeof v === 'string' && v.length > 0) return v;
  const content = typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v as object, 'content') ? (v as { content: unknown }).content : undefined;
  if (typeof content === 'string' && content.length > 0) return content;
  configError(fn, key, `must be a token (a non-empty string or { "content": string }), got ${JSON.stringify(v)}`, file);
}

/** Builds the spec transformers' BertTokenizerFast makes from vocab.txt + tokenizer_config.json. */
export function specFromVocab(vocabText: string, config: Record<string, unknown>): TokenizerSpec {
  const FNV = 'BertTokenizer.fromVocab';
  const vocab = new Map<string, number>();
  // HF's load_vocab reads the file in text mode (universal newlines: \n, \r\n and \r end a line), strips the newline
  // only, and assigns `vocab[token] = index` line by line: a token listed twice keeps its LAST line's id.
  const lines = vocabText.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new TypeError(`${FNV}: vocab.txt is empty`);
  lines.forEach((token, i) => vocab.set(token, i));
  const lowercase = configBoolean(FNV, config, 'do_lower_case', true);
  const normalizer: NormalizerSpec = {
    cleanText: true,
    handleChineseChars: configBoolean(FNV, config, 'tokenize_chinese_chars', true),
    stripAccents: configBoolean(FNV, config, 'strip_accents', lowercase),
    lowercase,
  };
  const names = {
    unk: tokenName(config, 'unk_token', '[UNK]'),
    sep: tokenName(config, 'sep_token', '[SEP]'),
    pad: tokenName(config, 'pad_token', '[PAD]'),
    cls: tokenName(config, 'cls_token', '[CLS]'),
    mask: tokenName(config, 'mask_token', '[MASK]'),
  };
  const idOf = (name: string, key: string): number => {
    const id = vocab.get(name);
    if (id === undefined) throw new TypeError(`${FNV}: ${key} ${JSON.stringify(name)} is not in vocab.txt`);
    return id;
  };
  const addedTokens = [names.pad, names.unk, names.cls, names.sep, names.mask]
    .filter((n) => vocab.has(n))
    .map((content) => ({ content, id: vocab.get(content) as number, special: true }));
  const clsId = idOf(names.cls, 'cls_token');
  const sepId = idOf(names.sep, 'sep_token');
  idOf(names.unk, 'unk_token');
  return {
    vocab,
    unkToken: names.unk,
    continuingSubwordPrefix: '##',
    maxInputCharsPerWord: 100,
    normalizer,
    addedTokens,
    ...bertTemplate(names.cls, names.sep),
    specialTokens: new Map([
      [names.cls, { ids: [clsId], tokens: [names.cls] }],
      [names.sep, { ids: [sepId], tokens: [names.sep] }],
    ]),
    // BertConverter writes decoders.WordPiece(prefix='##'), whose cleanup defaults to true.
    decoder: { kind: 'wordpiece', prefix: '##', cleanup: true },
    padToken: names.pad,
    padId: vocab.get(names.pad) ?? 0,
    maskToken: names.mask,
    modelMaxLength: modelMaxLengthOf(FNV, config),
  };
}
