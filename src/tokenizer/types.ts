// Public types of the tokenizer. Token arrays are Int32Array so they can be transferred from a Worker and uploaded to
// the GPU without conversion.

/** One encoded input (a text or a text pair) as the model consumes it. All arrays have one entry per token. */
export interface Encoding {
  /** Vocabulary ids: `[CLS] a [SEP] (b [SEP])`, then padding. */
  ids: Int32Array;
  /** 0 for the first text (and its `[CLS]`/`[SEP]`), 1 for the second; padding gets 0. */
  tokenTypeIds: Int32Array;
  /** 1 for real tokens, 0 for padding. */
  attentionMask: Int32Array;
  /** 1 for tokens the template added (`[CLS]`, `[SEP]`) and for padding, else 0 (as HF). */
  specialTokensMask: Int32Array;
  /**
   * Flat `[start0, end0, start1, end1, …]`: each token's span in its own input string, in UTF-16 code units (what JS
   * string indexes mean). Template and padding tokens get `0, 0`.
   */
  offsets: Int32Array;
  /** Index of the word (pre-token) each token came from within its own text; -1 for template and padding tokens. */
  wordIds: Int32Array;
  /** Further windows of a text longer than `maxLength` (only with `returnOverflowing`), in HF's order. */
  overflowing: Encoding[];
}

/** Which text of a pair loses tokens: the longer one token by token (HF's default), only the first, only the second. */
export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';
/** The side that truncation cuts or padding fills. */
export type Direction = 'right' | 'left';

/** How inputs longer than `maxLength` are cut (HF's truncation parameters). */
export interface TruncationOptions {
  /** Total length including `[CLS]`/`[SEP]`; defaults to the tokenizer's `modelMaxLength`. */
  maxLength?: number;
  /** Which text loses tokens (default `longest_first`). */
  strategy?: TruncationStrategy;
  /** Tokens repeated between consecutive overflowing windows (default 0). */
  stride?: number;
  /** Cut the end (`right`, default) or the start (`left`). */
  direction?: Direction;
  /**
   * HF (tokenizers 0.23) stops tokenizing each text at about `maxLength` tokens (whole words) and drops the rest, so its
   * overflowing windows only cover those tokens. Default false matches HF exactly; true makes the windows cover the whole text (long documents).
   */
  fullOverflow?: boolean;
}

/** `none`, to the `longest` input of the batch, to `max_length`, or up to the smallest fitting `bucket`. */
export type PaddingStrategy = 'none' | 'longest' | 'max_length' | 'bucket';

/** How encodings are padded to a common length. */
export interface PaddingOptions {
  /** `longest`: to the longest in the batch; `max_length`: to `maxLength`; `bucket`: to the smallest bucket that fits. */
  strategy: PaddingStrategy;
  /** For `max_length`; defaults to the truncation length, then the tokenizer's `modelMaxLength`. */
  maxLength?: number;
  /** For `bucket`: ascending lengths (default 16, 32, 64, 128, 256, 512). Longer inputs round up to a multiple of the last. */
  buckets?: readonly number[];
  /** Round the padded length up to a multiple of this (HF `pad_to_multiple_of`). */
  multipleOf?: number;
  /** Pad after the tokens (`right`, default) or before them. */
  direction?: Direction;
}

/** Options of encode() and encodeBatch(). */
export interface EncodeOptions {
  /** Add `[CLS]`/`[SEP]` from the post-processor template (default true). */
  addSpecialTokens?: boolean;
  /** `true` means `{ maxLength: modelMaxLength, strategy: 'longest_first' }`; default: none (or tokenizer.json's). */
  truncation?: boolean | TruncationOptions;
  /** A strategy name or full options; default: none (or tokenizer.json's). */
  padding?: PaddingStrategy | PaddingOptions;
  /** Keep the windows that truncation cut off in `overflowing` (default false). */
  returnOverflowing?: boolean;
}

/** Options of decode(). */
export interface DecodeOptions {
  /** Drop special tokens (`[CLS]`, `[SEP]`, `[PAD]`, `[MASK]`, `[UNK]`, …) (default false). */
  skipSpecialTokens?: boolean;
}

/** One batch entry: a text, or a `[text, textPair]` pair. */
export type BatchInput = string | readonly [string, string];
