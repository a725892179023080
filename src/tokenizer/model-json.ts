// tokenizer.json → TokenizerSpec for the models beyond WordPiece: byte-level BPE (RoBERTa, GPT-2) and Unigram
// (XLM-R, ALBERT, CamemBERT). Each field is type-checked and named in its error, as in tokenizer-json.ts; anything this
// implementation would not reproduce exactly (BPE dropout, an unknown normalizer or pre-tokenizer) is refused.
import type { AddedTokenFlags } from './added-flags.ts';
import { Bpe } from './bpe.ts';
import type { DecoderSpec, TokenizerSpec } from './config.ts';
import { MAX_ID, type Obj, boolean, fail, field, int, object, oneOf, show, string } from './json-fields.ts';
import { normString, toText } from './normalized.ts';
import { parseNormalizer } from './normalizers.ts';
import type { PipelineSpec, PreTokenizerSpec } from './pipeline.ts';
import { parsePadding, parsePostProcessor, parseTruncation, parseVocab } from './tokenizer-json.ts';
import { Unigram } from './unigram.ts';

function nullableString(path: string, v: unknown): string | null {
  return v === null || v === undefined ? null : string(path, v);
}

function parseMerges(v: unknown): [string, string][] {
  if (v === undefined) fail('model.merges', 'is missing (a BPE model needs its merges)');
  if (!Array.isArray(v)) fail('model.merges', `must be an array, got ${show(v)}`);
  return v.map((m, i): [string, string] => {
    const path = `model.merges[${i}]`;
    if (typeof m === 'string') {
      const parts = m.split(' ');
      if (parts.length !== 2) fail(path, `must be two tokens separated by one space, got ${show(m)}`);
      return [parts[0], parts[1]];
    }
    if (Array.isArray(m) && m.length === 2) return [string(`${path}[0]`, m[0]), string(`${path}[1]`, m[1])];
    fail(path, `must be "a b" or ["a", "b"], got ${show(m)}`);
  });
}

function parseBpe(model: Obj): { bpe: Bpe; vocab: Map<string, number>; unk: string | null } {
  const vocab = parseVocab(field(model, 'vocab'));
  const merges = parseMerges(field(model, 'merges'));
  const dropout = field(model, 'dropout');
  if (dropout !== null && dropout !== undefined && dropout !== 0) {
    fail('model.dropout', `${show(dropout)} is not supported (BPE dropout is random; use null)`);
  }
  if (boolean('model.byte_fallback', field(model, 'byte_fallback'), false)) fail('model.byte_fallback', 'true is not supported for BPE');
  const unk = nullableString('model.unk_token', field(model, 'unk_token'));
  const bpe = new Bpe(vocab, merges, {
    unkToken: unk,
    prefix: nullableString('model.continuing_subword_prefix', field(model, 'continuing_subword_prefix')),
    suffix: nullableString('model.end_of_word_suffix', field(model, 'end_of_word_suffix')),
    fuseUnk: boolean('model.fuse_unk', field(model, 'fuse_unk'), false),
    ignoreMerges: boolean('model.ignore_merges', field(model, 'ignore_merges'), false),
  });
  return { bpe, vocab, unk };
}

function parseUnigram(model: Obj): { unigram: Unigram; vocab: Map<string, number>; unk: string | null } {
  const list = field(model, 'vocab');
  if (!Array.isArray(list)) fail('model.vocab', `must be an array of [piece, score], got ${show(list)}`);
  if (list.length === 0) fail('model.vocab', 'must not be empty');
  const pieces = list.map((e, i): [string, number] => {
    if (!Array.isArray(e) || e.length !== 2) fail(`model.vocab[${i}]`, `must be [piece, score], got ${show(e)}`);
    if (typeof e[1] !== 'number' || !Number.isFinite(e[1])) fail(`model.vocab[${i}][1]`, `must be a finite number, got ${show(e[1])}`);
    return [string(`model.vocab[${i}][0]`, e[0]), e[1]];
  });
  const unkRaw = field(model, 'unk_id');
  const unkId = unkRaw === null || unkRaw === undefined ? null : int('model.unk_id', unkRaw, 0, pieces.length - 1);
  const vocab = new Map<string, number>();
  pieces.forEach(([p], id) => vocab.set(p, id));
  const unigram = new Unigram(pieces, unkId, boolean('model.byte_fallback', field(model, 'byte_fallback'), false));
  return { unigram, vocab, unk: unkId === null ? null : pieces[unkId][0] };
}

function parsePreTokenizer(v: unknown, path = 'pre_tokenizer'): PreTokenizerSpec {
  if (v === null || v === undefined) return { kind: 'none' };
  const o = object(path, v);
  const type = field(o, 'type');
  if (type === 'ByteLevel') {
    return {
      kind: 'byteLevel',
      addPrefixSpace: boolean(`${path}.add_prefix_space`, field(o, 'add_prefix_space'), true),
      useRegex: boolean(`${path}.use_regex`, field(o, 'use_regex'), true),
    };
  }
  if (type === 'Metaspace') {
    const replacement = string(`${path}.replacement`, field(o, 'replacement'));
    if (Array.from(replacement).length !== 1) fail(`${path}.replacement`, `must be one character, got ${show(replacement)}`);
    let prepend = oneOf(`${path}.prepend_scheme`, field(o, 'prepend_scheme'), ['always', 'first', 'never'] as const, 'always');
    const legacy = field(o, 'add_prefix_space');
    if (legacy !== undefined && legacy !== null && !boolean(`${path}.add_prefix_space`, legacy, true)) {
      if (prepend !== 'never') fail(`${path}.add_prefix_space`, 'false does not match prepend_scheme (HF: "add_prefix_space does not match declared prepend_scheme")');
      prepend = 'never';
    }
    return { kind: 'metaspace', replacement: replacement.codePointAt(0) as number, prepend,
      split: boolean(`${path}.split`, field(o, 'split'), true) };
  }
  if (type === 'Sequence') {
    const list = field(o, 'pretokenizers');
    if (Array.isArray(list) && list.length === 1) return parsePreTokenizer(list[0], `${path}.pretokenizers[0]`);
  }
  fail(`${path}.type`, `unsupported pre_tokenizer ${show(type)} with a BPE or Unigram model (ByteLevel or Metaspace)`);
}

function parseDecoder(v: unknown): DecoderSpec | null {
  if (v === null || v === undefined) return null;
  const o = object('decoder', v);
  const type = field(o, 'type');
  if (type === 'ByteLevel') return { kind: 'byteLevel' };
  if (type === 'Metaspace') {
    const pre = parsePreTokenizer(o, 'decoder');
    if (pre.kind !== 'metaspace') throw new Error('unreachable');
    return { kind: 'metaspace', replacement: String.fromCodePoint(pre.replacement), prependNever: pre.prepend === 'never' };
  }
  fail('decoder.type', `unsupported decoder ${show(type)} with a BPE or Unigram model (ByteLevel or Metaspace)`);
}

function parseAddedFlags(list: unknown, vocabSize: number): (AddedTokenFlags & { special: boolean; normalized: boolean })[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) fail('added_tokens', `must be an array, got ${show(list)}`);
  return list.map((t, i) => {
    const path = `added_tokens[${i}]`;
    const o = object(path, t);
    const content = string(`${path}.content`, field(o, 'content'));
    if (content.length === 0) fail(`${path}.content`, 'must not be empty');
    return {
      content,
      id: int(`${path}.id`, field(o, 'id'), 0, Math.min(MAX_ID, vocabSize + list.length - 1)),
      special: boolean(`${path}.special`, field(o, 'special'), false),
      lstrip: boolean(`${path}.lstrip`, field(o, 'lstrip'), false),
      rstrip: boolean(`${path}.rstrip`, field(o, 'rstrip'), false),
      singleWord: boolean(`${path}.single_word`, field(o, 'single_word'), false),
      normalized: boolean(`${path}.normalized`, field(o, 'normalized'), true),
    };
  });
}

/** A BPE or Unigram tokenizer.json (root already parsed, model.type checked by the caller). */
export function specFromPipelineJson(root: Obj, model: Obj, type: 'BPE' | 'Unigram'): TokenizerSpec {
  const m = type === 'BPE' ? parseBpe(model) : parseUnigram(model);
  const normalizer = parseNormalizer(field(root, 'normalizer'));
  const added = parseAddedFlags(field(root, 'added_tokens'), m.vocab.size);
  const idLimit = m.vocab.size + added.length;
  const idOf = (token: string): number | undefined => added.find((t) => t.content === token)?.id ?? m.vocab.get(token);
  const { single, pair, specialTokens, trimOffsets } = parsePostProcessor(field(root, 'post_processor'), idLimit);
  const pipeline: PipelineSpec = {
    normalizer,
    preTokenizer: parsePreTokenizer(field(root, 'pre_tokenizer')),
    model: 'bpe' in m ? { kind: 'bpe', bpe: m.bpe } : { kind: 'unigram', unigram: m.unigram },
    // HF matches normalized added tokens by their normalized content.
    normalizedAdded: added.filter((t) => t.normalized).map((t) => ({
      ...t, content: normalizer === null ? t.content : toText(normalizer(normString(t.content, 0, t.content.length)).cps),
    })).filter((t) => t.content.length > 0),
  };
  const paddingRaw = field(root, 'padding');
  const padding = parsePadding(paddingRaw);
  const padToken = padding ? string('padding.pad_token', field(paddingRaw as Obj, 'pad_token'), '<pad>') : '<pad>';
  return {
    maskToken: '<mask>',
    vocab: m.vocab,
    unkToken: m.unk ?? '<unk>',
    continuingSubwordPrefix: '',
    maxInputCharsPerWord: 0,
    normalizer: null,
    addedTokens: added.map(({ content, id, special }) => ({ content, id, special })),
    addedFlags: added.filter((t) => !t.normalized),
    single,
    pair,
    specialTokens,
    decoder: parseDecoder(field(root, 'decoder')),
    pipeline,
    ...(trimOffsets ? { trimOffsets } : {}),
    padToken,
    padId: idOf(padToken) ?? 0,
    modelMaxLength: undefined,
    truncation: parseTruncation(field(root, 'truncation')),
    padding,
  };
}
