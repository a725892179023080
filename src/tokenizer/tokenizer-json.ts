// HF tokenizer.json → TokenizerSpec, for BERT's WordPiece pipeline. Every field we read is type-checked: a value HF's
// Rust deserializer would refuse (a string where it wants a usize, a vocab id "abc") is an error here too, naming the
// field, rather than being coerced into a different tokenization.
import { bertTemplate, type NormalizerSpec, type TemplatePiece, type TokenizerSpec } from './config.ts';
import type { PaddingOptions, TruncationOptions } from './types.ts';

import { pipelineLibrary } from './pipeline-models.ts';
import { FN, MAX_ID, type Obj, boolean, fail, field, int, object, oneOf, show, string } from './json-fields.ts';

/** model.vocab: token → id, ids integers 0..n-1, each used once (HF's WordPiece vocab as its trainers and converters write it). */
export function parseVocab(v: unknown): Map<string, number> {
  const o = object('model.vocab', v);
  const entries = Object.entries(o);
  const n = entries.length;
  if (n === 0) fail('model.vocab', 'must not be empty');
  const owner = new Array<string | undefined>(n);
  const vocab = new Map<string, number>();
  for (const [token, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= n) {
      fail(`model.vocab[${show(token)}]`, `must be an integer id in [0, ${n - 1}] (the vocab has ${n} tokens), got ${show(id)}`);
    }
    const other = owner[id];
    if (other !== undefined) fail(`model.vocab[${show(token)}]`, `id ${id} is already the id of ${show(other)}`);
    owner[id] = token;
    vocab.set(token, id);
  }
  return vocab;
}

export function parseNormalizer(n: unknown): NormalizerSpec | null {
  if (n === null || n === undefined) return null;
  const o = object('normalizer', n);
  if (field(o, 'type') !== 'BertNormalizer') fail('normalizer.type', `unsupported normalizer ${show(field(o, 'type'))} (only BertNormalizer)`);
  const lowercase = boolean('normalizer.lowercase', field(o, 'lowercase'), true);
  const strip = field(o, 'strip_accents');
  return {
    cleanText: boolean('normalizer.clean_text', field(o, 'clean_text'), true),
    handleChineseChars: boolean('normalizer.handle_chinese_chars', field(o, 'handle_chinese_chars'), true),
    // HF: strip_accents null (or absent) follows lowercase.
    stripAccents: strip === null || strip === undefined ? lowercase : boolean('normalizer.strip_accents', strip, lowercase),
    lowercase,
  };
}

export function parseAddedTokens(list: unknown, maxId: (count: number) => number): TokenizerSpec['addedTokens'] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) fail('added_tokens', `must be an array, got ${show(list)}`);
  const top = maxId(list.length);
  return list.map((t, i) => {
    const path = `added_tokens[${i}]`;
    const o = object(path, t);
    const content = string(`${path}.content`, field(o, 'content'));
    if (content.length === 0) fail(`${path}.content`, 'must not be empty');
    for (const flag of ['single_word', 'lstrip', 'rstrip', 'normalized'] as const) {
      if (boolean(`${path}.${flag}`, field(o, flag), false)) fail(`${path}.${flag}`, `true for ${show(content)} is not supported`);
    }
    return { content, id: int(`${path}.id`, field(o, 'id'), 0, top), special: boolean(`${path}.special`, field(o, 'special'), false) };
  });
}

export function parseTemplate(pieces: unknown, what: string): TemplatePiece[] {
  const path = `post_processor.${what}`;
  if (!Array.isArray(pieces)) fail(path, `must be an array, got ${show(pieces)}`);
  return pieces.map((p, i): TemplatePiece => {
    const o = object(`${path}[${i}]`, p);
    if (Object.hasOwn(o, 'SpecialToken')) {
      const s = object(`${path}[${i}].SpecialToken`, o.SpecialToken);
      return { kind: 'special', name: string(`${path}[${i}].SpecialToken.id`, field(s, 'id')),
        typeId: int(`${path}[${i}].SpecialToken.type_id`, field(s, 'type_id'), 0, MAX_ID, 0) };
    }
    const s = object(`${path}[${i}].Sequence`, field(o, 'Sequence'));
    const id = oneOf(`${path}[${i}].Sequence.id`, field(s, 'id'), ['A', 'B'] as const);
    const index = id === 'A' ? 0 : 1;
    return { kind: 'sequence', index, typeId: int(`${path}[${i}].Sequence.type_id`, field(s, 'type_id'), 0, MAX_ID, 0),
      overflowTypeId: index };
  });
}

export function parseTruncation(t: unknown): TruncationOptions | undefined {
  if (t === null || t === undefined) return undefined;
  const o = object('truncation', t);
  const strategy = oneOf('truncation.strategy', field(o, 'strategy'), ['LongestFirst', 'OnlyFirst', 'OnlySecond'] as const, 'LongestFirst');
  return {
    maxLength: int('truncation.max_length', field(o, 'max_length'), 0, MAX_ID),
    stride: int('truncation.stride', field(o, 'stride'), 0, MAX_ID, 0),
    strategy: strategy === 'OnlyFirst' ? 'only_first' : strategy === 'OnlySecond' ? 'only_second' : 'longest_first',
    direction: oneOf('truncation.direction', field(o, 'direction'), ['Left', 'Right'] as const, 'Right') === 'Left' ? 'left' : 'right',
  };
}

export function parsePadding(p: unknown): PaddingOptions | undefined {
  if (p === null || p === undefined) return undefined;
  const o = object('padding', p);
  const strategy = field(o, 'strategy') ?? 'BatchLongest';
  let fixed: number | undefined;
  if (strategy !== 'BatchLongest') {
    fixed = int('padding.strategy.Fixed', field(object('padding.strategy', strategy), 'Fixed'), 0, MAX_ID);
  }
  const multipleRaw = field(o, 'pad_to_multiple_of');
  const multiple = multipleRaw === null || multipleRaw === undefined ? undefined : int('padding.pad_to_multiple_of', multipleRaw, 0, MAX_ID);
  return {
    strategy: fixed !== undefined ? 'max_length' : 'longest',
    ...(fixed !== undefined ? { maxLength: fixed } : {}),
    ...(multiple !== undefined ? { multipleOf: multiple } : {}),
    direction: oneOf('padding.direction', field(o, 'direction'), ['Left', 'Right'] as const, 'Right') === 'Left' ? 'left' : 'right',
  };
}

export function parsePostProcessor(post: unknown, idLimit: number): Pick<TokenizerSpec, 'single' | 'pair' | 'specialTokens' | 'trimOffsets'> {
  const specialTokens = new Map<string, { ids: number[]; tokens: string[] }>();
  if (post === null || post === undefined) {
    return {
      single: [{ kind: 'sequence', index: 0, typeId: 0 }],
      pair: [{ kind: 'sequence', index: 0, typeId: 0 }, { kind: 'sequence', index: 1, typeId: 1 }],
      specialTokens,
    };
  }
  const o = object('post_processor', post);
  const type = field(o, 'type');
  if (type === 'TemplateProcessing') {
    const single = parseTemplate(field(o, 'single'), 'single');
    const pair = parseTemplate(field(o, 'pair'), 'pair');
    for (const [name, v] of Object.entries(object('post_processor.special_tokens', field(o, 'special_tokens')))) {
      const path = `post_processor.special_tokens[${show(name)}]`;
      const s = object(path, v);
      const ids = field(s, 'ids');
      const tokens = field(s, 'tokens');
      if (!Array.isArray(ids)) fail(`${path}.ids`, `must be an array of ids, got ${show(ids)}`);
      if (!Array.isArray(tokens)) fail(`${path}.tokens`, `must be an array of strings, got ${show(tokens)}`);
      if (ids.length !== tokens.length) fail(path, `${ids.length} ids but ${tokens.length} tokens`);
      specialTokens.set(name, {
        ids: ids.map((id, i) => int(`${path}.ids[${i}]`, id, 0, idLimit - 1)),
        tokens: tokens.map((t, i) => string(`${path}.tokens[${i}]`, t)),
      });
    }
    for (const p of [...single, ...pair]) {
      if (p.kind === 'special' && !specialTokens.has(p.name)) fail('post_processor', `template special token ${show(p.name)} missing from special_tokens`);
    }
    return { single, pair, specialTokens };
  }
  if (type === 'BertProcessing') {
    const pairOf = (key: 'sep' | 'cls'): [string, number] => {
      const v = field(o, key);
      if (!Array.isArray(v) || v.length !== 2) fail(`post_processor.${key}`, `must be [token, id], got ${show(v)}`);
      return [string(`post_processor.${key}[0]`, v[0]), int(`post_processor.${key}[1]`, v[1], 0, idLimit - 1)];
    };
    const [sep, sepId] = pairOf('sep');
    const [cls, clsId] = pairOf('cls');
    specialTokens.set(cls, { ids: [clsId], tokens: [cls] });
    specialTokens.set(sep, { ids: [sepId], tokens: [sep] });
    return { ...bertTemplate(cls, sep), specialTokens };
  }
  if (type === 'RobertaProcessing') {
    const pairOf = (key: 'sep' | 'cls'): [string, number] => {
      const v = field(o, key);
      if (!Array.isArray(v) || v.length !== 2) fail(`post_processor.${key}`, `must be [token, id], got ${show(v)}`);
      return [string(`post_processor.${key}[0]`, v[0]), int(`post_processor.${key}[1]`, v[1], 0, idLimit - 1)];
    };
    const [sep, sepId] = pairOf('sep');
    const [cls, clsId] = pairOf('cls');
    specialTokens.set(cls, { ids: [clsId], tokens: [cls] });
    specialTokens.set(sep, { ids: [sepId], tokens: [sep] });
    const special = (name: string): TemplatePiece => ({ kind: 'special', name, typeId: 0 });
    // RoBERTa: <s> A </s> (</s> B </s>), every type id 0.
    return {
      single: [special(cls), { kind: 'sequence', index: 0, typeId: 0 }, special(sep)],
      pair: [special(cls), { kind: 'sequence', index: 0, typeId: 0 }, special(sep), special(sep),
        { kind: 'sequence', index: 1, typeId: 0 }, special(sep)],
      specialTokens,
      ...trimOf(o),
    };
  }
  if (type === 'ByteLevel') {
    return {
      single: [{ kind: 'sequence', index: 0, typeId: 0 }],
      pair: [{ kind: 'sequence', index: 0, typeId: 0 }, { kind: 'sequence', index: 1, typeId: 1 }],
      specialTokens,
      ...trimOf(o),
    };
  }
  fail('post_processor.type', `unsupported post_processor ${show(type)} (TemplateProcessing, BertProcessing, RobertaProcessing or ByteLevel)`);
}

function trimOf(o: Obj): Pick<TokenizerSpec, 'trimOffsets'> {
  const trim = boolean('post_processor.trim_offsets', field(o, 'trim_offsets'), true);
  const addPrefixSpace = boolean('post_processor.add_prefix_space', field(o, 'add_prefix_space'), true);
  return trim ? { trimOffsets: { addPrefixSpace } } : {};
}

export function parseJson(json: unknown): unknown {
  if (typeof json !== 'string') return json;
  try {
    return JSON.parse(json);
  } catch (e) {
    throw new TypeError(`${FN}: tokenizer.json is not valid JSON (${(e as Error).message})`);
  }
}

/** Parses an HF tokenizer.json (object or JSON text) describing a BERT WordPiece tokenizer. */
export function specFromTokenizerJson(json: unknown): TokenizerSpec {
  const root = object('(the root)', parseJson(json));
  const model = object('model', field(root, 'model'));
  const modelType = field(model, 'type');
  if (modelType === 'BPE' || modelType === 'Unigram') return pipelineLibrary(FN, modelType).specFromPipelineJson(root, model, modelType);
  if (modelType !== undefined && modelType !== 'WordPiece') fail('model.type', `unsupported model ${show(modelType)} (WordPiece, BPE or Unigram)`);
  const vocab = parseVocab(field(model, 'vocab'));
  const pre = field(root, 'pre_tokenizer');
  const preType = typeof pre === 'object' && pre !== null ? field(pre as Obj, 'type') : undefined;
  if (preType !== 'BertPreTokenizer') fail('pre_tokenizer', `unsupported pre_tokenizer ${show(preType ?? pre ?? null)} (only BertPreTokenizer)`);
  // Added tokens take the ids after the vocab (or reuse a vocab id); nothing may point past them.
  const addedTokens = parseAddedTokens(field(root, 'added_tokens'), (count) => vocab.size + count - 1);
  const idLimit = vocab.size + addedTokens.length;
  const idOf = (token: string): number | undefined => addedTokens.find((t) => t.content === token)?.id ?? vocab.get(token);
  const { single, pair, specialTokens } = parsePostProcessor(field(root, 'post_processor'), idLimit);

  const dec = field(root, 'decoder');
  let decoder: TokenizerSpec['decoder'] = null;
  if (dec !== null && dec !== undefined) {
    const d = object('decoder', dec);
    if (field(d, 'type') !== 'WordPiece') fail('decoder.type', `unsupported decoder ${show(field(d, 'type'))} (only WordPiece)`);
    decoder = { kind: 'wordpiece', prefix: string('decoder.prefix', field(d, 'prefix'), '##'), cleanup: boolean('decoder.cleanup', field(d, 'cleanup'), true) };
  }
  const paddingRaw = field(root, 'padding');
  const padding = parsePadding(paddingRaw);
  const padToken = padding ? string('padding.pad_token', field(paddingRaw as Obj, 'pad_token'), '[PAD]') : '[PAD]';
  const unkToken = string('model.unk_token', field(model, 'unk_token'), '[UNK]');
  if (vocab.get(unkToken) === undefined) fail('model.unk_token', `${show(unkToken)} is not in model.vocab`);
  return {
    // tokenizer.json does not name the mask token; fromTokenizerJson takes it from tokenizer_config.json.
    maskToken: '[MASK]',
    vocab,
    unkToken,
    continuingSubwordPrefix: string('model.continuing_subword_prefix', field(model, 'continuing_subword_prefix'), '##'),
    maxInputCharsPerWord: int('model.max_input_chars_per_word', field(model, 'max_input_chars_per_word'), 0, Number.MAX_SAFE_INTEGER, 100),
    normalizer: parseNormalizer(field(root, 'normalizer')),
    addedTokens,
    single,
    pair,
    specialTokens,
    decoder,
    padToken,
    padId: idOf(padToken) ?? 0,
    modelMaxLength: undefined,
    truncation: parseTruncation(field(root, 'truncation')),
    padding,
  };
}
