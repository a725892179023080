// Turns the two ways HF ships a BERT tokenizer — tokenizer.json, or vocab.txt + tokenizer_config.json — into one
// TokenizerSpec. Anything this implementation would not reproduce exactly is rejected with a clear error rather than
// approximated, because a silently different token id is a wrong answer.
import type { PaddingOptions, TruncationOptions } from './types.ts';
import { describe, requireObject, requireString } from './validate.ts';

export interface NormalizerSpec {
  cleanText: boolean;
  handleChineseChars: boolean;
  stripAccents: boolean;
  lowercase: boolean;
}

export type TemplatePiece =
  | { kind: 'special'; name: string; typeId: number }
  | { kind: 'sequence'; index: 0 | 1; typeId: number };

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
  decoder: { prefix: string; cleanup: boolean } | null;
  padToken: string;
  padId: number;
  /** The token fill-mask predicts at (tokenizer_config.json `mask_token`, default "[MASK]"). */
  maskToken: string;
  modelMaxLength: number | undefined;
  /** Defaults stored in tokenizer.json (`truncation`, `padding`), applied when a call does not say otherwise. */
  truncation?: TruncationOptions;
  padding?: PaddingOptions;
}

const FN = 'BertTokenizer.fromTokenizerJson';

function bertTemplate(cls: string, sep: string): { single: TemplatePiece[]; pair: TemplatePiece[] } {
  return {
    single: [{ kind: 'special', name: cls, typeId: 0 }, { kind: 'sequence', index: 0, typeId: 0 },
      { kind: 'special', name: sep, typeId: 0 }],
    pair: [{ kind: 'special', name: cls, typeId: 0 }, { kind: 'sequence', index: 0, typeId: 0 },
      { kind: 'special', name: sep, typeId: 0 }, { kind: 'sequence', index: 1, typeId: 1 },
      { kind: 'special', name: sep, typeId: 1 }],
  };
}

function parseTemplate(pieces: unknown, what: string): TemplatePiece[] {
  if (!Array.isArray(pieces)) throw new TypeError(`${FN}: post_processor.${what} must be an array`);
  return pieces.map((p): TemplatePiece => {
    const o = requireObject(FN, `post_processor.${what}[]`, p);
    if ('SpecialToken' in o) {
      const s = requireObject(FN, 'SpecialToken', o.SpecialToken);
      return { kind: 'special', name: requireString(FN, 'SpecialToken.id', s.id), typeId: Number(s.type_id ?? 0) };
    }
    const s = requireObject(FN, 'Sequence', o.Sequence);
    if (s.id !== 'A' && s.id !== 'B') throw new TypeError(`${FN}: Sequence.id must be 'A' or 'B', got ${describe(s.id)}`);
    return { kind: 'sequence', index: s.id === 'A' ? 0 : 1, typeId: Number(s.type_id ?? 0) };
  });
}

function parseNormalizer(n: unknown): NormalizerSpec | null {
  if (n === null || n === undefined) return null;
  const o = requireObject(FN, 'normalizer', n);
  if (o.type !== 'BertNormalizer') throw new TypeError(`${FN}: unsupported normalizer ${JSON.stringify(o.type)}`);
  const lowercase = o.lowercase !== false;
  return {
    cleanText: o.clean_text !== false,
    handleChineseChars: o.handle_chinese_chars !== false,
    // HF: strip_accents null (or absent) follows lowercase.
    stripAccents: typeof o.strip_accents === 'boolean' ? o.strip_accents : lowercase,
    lowercase,
  };
}

function parseAddedTokens(list: unknown): TokenizerSpec['addedTokens'] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new TypeError(`${FN}: added_tokens must be an array`);
  return list.map((t) => {
    const o = requireObject(FN, 'added_tokens[]', t);
    const content = requireString(FN, 'added_tokens[].content', o.content);
    for (const flag of ['single_word', 'lstrip', 'rstrip', 'normalized'] as const) {
      if (o[flag] === true) throw new TypeError(`${FN}: added token ${JSON.stringify(content)} has ${flag}: true (unsupported)`);
    }
    return { content, id: Number(o.id), special: o.special === true };
  });
}

function parseTruncation(t: unknown): TruncationOptions | undefined {
  if (t === null || t === undefined) return undefined;
  const o = requireObject(FN, 'truncation', t);
  const strategy = String(o.strategy ?? 'LongestFirst');
  return {
    maxLength: Number(o.max_length),
    stride: Number(o.stride ?? 0),
    strategy: strategy === 'OnlyFirst' ? 'only_first' : strategy === 'OnlySecond' ? 'only_second' : 'longest_first',
    direction: o.direction === 'Left' ? 'left' : 'right',
  };
}

function parsePadding(p: unknown): PaddingOptions | undefined {
  if (p === null || p === undefined) return undefined;
  const o = requireObject(FN, 'padding', p);
  const fixed = typeof o.strategy === 'object' && o.strategy !== null ? (o.strategy as { Fixed?: number }).Fixed : undefined;
  const multiple = typeof o.pad_to_multiple_of === 'number' ? o.pad_to_multiple_of : undefined;
  return {
    strategy: fixed !== undefined ? 'max_length' : 'longest',
    ...(fixed !== undefined ? { maxLength: fixed } : {}),
    ...(multiple !== undefined ? { multipleOf: multiple } : {}),
    direction: o.direction === 'Left' ? 'left' : 'right',
  };
}

/** Parses an HF tokenizer.json (object or JSON text) describing a BERT WordPiece tokenizer. */
export function specFromTokenizerJson(json: unknown): TokenizerSpec {
  const root = requireObject(FN, 'json', typeof json === 'string' ? JSON.parse(json) : json);
  const model = requireObject(FN, 'model', root.model);
  if (model.type !== undefined && model.type !== 'WordPiece') {
    throw new TypeError(`${FN}: unsupported model ${JSON.stringify(model.type)} (only WordPiece)`);
  }
  const vocabObj = requireObject(FN, 'model.vocab', model.vocab);
  const vocab = new Map<string, number>(Object.entries(vocabObj).map(([k, v]) => [k, Number(v)]));
  const pre = root.pre_tokenizer as { type?: unknown } | null | undefined;
  if (!pre || pre.type !== 'BertPreTokenizer') {
    throw new TypeError(`${FN}: unsupported pre_tokenizer ${JSON.stringify(pre?.type ?? null)} (only BertPreTokenizer)`);
  }
  const addedTokens = parseAddedTokens(root.added_tokens);
  const idOf = (token: string): number | undefined =>
    addedTokens.find((t) => t.content === token)?.id ?? vocab.get(token);

  let single: TemplatePiece[] = [];
  let pair: TemplatePiece[] = [];
  const specialTokens = new Map<string, { ids: number[]; tokens: string[] }>();
  const post = root.post_processor as Record<string, unknown> | null | undefined;
  if (post) {
    if (post.type === 'TemplateProcessing') {
      single = parseTemplate(post.single, 'single');
      pair = parseTemplate(post.pair, 'pair');
      for (const [name, v] of Object.entries(requireObject(FN, 'post_processor.special_tokens', post.special_tokens))) {
        const o = requireObject(FN, 'special_tokens[]', v);
        specialTokens.set(name, { ids: (o.ids as unknown[]).map(Number), tokens: (o.tokens as unknown[]).map(String) });
      }
    } else if (post.type === 'BertProcessing') {
      const [sep, sepId] = post.sep as [string, number];
      const [cls, clsId] = post.cls as [string, number];
      ({ single, pair } = bertTemplate(cls, sep));
      specialTokens.set(cls, { ids: [clsId], tokens: [cls] });
      specialTokens.set(sep, { ids: [sepId], tokens: [sep] });
    } else {
      throw new TypeError(`${FN}: unsupported post_processor ${JSON.stringify(post.type)}`);
    }
  } else {
    single = [{ kind: 'sequence', index: 0, typeId: 0 }];
    pair = [{ kind: 'sequence', index: 0, typeId: 0 }, { kind: 'sequence', index: 1, typeId: 1 }];
  }
  for (const p of [...single, ...pair]) {
    if (p.kind === 'special' && !specialTokens.has(p.name)) {
      throw new TypeError(`${FN}: template special token ${JSON.stringify(p.name)} missing from special_tokens`);
    }
  }

  const dec = root.decoder as Record<string, unknown> | null | undefined;
  if (dec && dec.type !== 'WordPiece') throw new TypeError(`${FN}: unsupported decoder ${JSON.stringify(dec.type)}`);
  const padding = parsePadding(root.padding);
  const padToken = String((root.padding as { pad_token?: unknown } | null)?.pad_token ?? '[PAD]');
  const unkToken = String(model.unk_token ?? '[UNK]');
  if (vocab.get(unkToken) === undefined) throw new TypeError(`${FN}: unk_token ${JSON.stringify(unkToken)} not in vocab`);
  return {
    // tokenizer.json does not name the mask token; fromTokenizerJson takes it from tokenizer_config.json.
    maskToken: '[MASK]',
    vocab,
    unkToken,
    continuingSubwordPrefix: String(model.continuing_subword_prefix ?? '##'),
    maxInputCharsPerWord: Number(model.max_input_chars_per_word ?? 100),
    normalizer: parseNormalizer(root.normalizer),
    addedTokens,
    single,
    pair,
    specialTokens,
    decoder: dec ? { prefix: String(dec.prefix ?? '##'), cleanup: dec.cleanup !== false } : null,
    padToken,
    padId: idOf(padToken) ?? 0,
    modelMaxLength: undefined,
    truncation: parseTruncation(root.truncation),
    padding,
  };
}

/** A special token in tokenizer_config.json: a string or an AddedToken object `{ content }`. */
export function tokenName(config: Record<string, unknown>, key: string, fallback: string): string {
  const v = config[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'string') return v;
  return requireString('BertTokenizer.fromVocab', `config.${key}.content`, (v as { content?: unknown }).content);
}

/** Builds the spec transformers' BertTokenizerFast makes from vocab.txt + tokenizer_config.json. */
export function specFromVocab(vocabText: string, config: Record<string, unknown>): TokenizerSpec {
  const FNV = 'BertTokenizer.fromVocab';
  const vocab = new Map<string, number>();
  const lines = vocabText.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  // HF's load_vocab strips only the trailing newline (rstrip("\n")); a token is otherwise kept as written.
  lines.forEach((line, i) => {
    const token = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (!vocab.has(token)) vocab.set(token, i);
  });
  const lowercase = config.do_lower_case !== false;
  const normalizer: NormalizerSpec = {
    cleanText: true,
    handleChineseChars: config.tokenize_chinese_chars !== false,
    stripAccents: typeof config.strip_accents === 'boolean' ? config.strip_accents : lowercase,
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
    if (id === undefined) throw new TypeError(`${FNV}: ${key} ${JSON.stringify(name)} is not in the vocab`);
    return id;
  };
  const addedTokens = [names.pad, names.unk, names.cls, names.sep, names.mask]
    .filter((n) => vocab.has(n))
    .map((content) => ({ content, id: vocab.get(content) as number, special: true }));
  const clsId = idOf(names.cls, 'cls_token');
  const sepId = idOf(names.sep, 'sep_token');
  idOf(names.unk, 'unk_token');
  const maxLen = config.model_max_length;
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
    decoder: { prefix: '##', cleanup: true },
    padToken: names.pad,
    padId: vocab.get(names.pad) ?? 0,
    maskToken: names.mask,
    // transformers writes a huge sentinel (1e30) when a model has no limit.
    modelMaxLength: typeof maxLen === 'number' && maxLen > 0 && maxLen < 1e9 ? maxLen : undefined,
  };
}
