// The tokenizer.json pipeline for the models beyond WordPiece (byte-level BPE, Unigram), in HF's order for one piece
// of text between raw-text added tokens: normalize → split on the normalized added tokens → pre-tokenize each rest
// (ByteLevel: prefix space, GPT-2's regex, bytes → printable chars; Metaspace: spaces → ▁, prepend, split before ▁)
// → the model per pre-token. Every non-empty split (pre-token or added token) is one word, as HF numbers them.
import { FlaggedMatcher, type AddedTokenFlags } from './added-flags.ts';
import type { Bpe } from './bpe.ts';
import { BYTE_TO_CHAR } from './byte-chars.ts';
import { ONIG_NOT_LETTER_OR_NUMBER } from './byte-level-unicode.ts';
import { type NormString, normString, prepend, slice, toText, transform, type Change } from './normalized.ts';
import type { Normalizer } from './normalizers.ts';
import type { SequenceTokens } from './pretokenize.ts';
import type { Unigram } from './unigram.ts';

export type PreTokenizerSpec =
  | { kind: 'byteLevel'; addPrefixSpace: boolean; useRegex: boolean }
  | { kind: 'metaspace'; replacement: number; prepend: 'always' | 'first' | 'never'; split: boolean }
  | { kind: 'none' };

export interface PipelineSpec {
  normalizer: Normalizer | null;
  preTokenizer: PreTokenizerSpec;
  model: { kind: 'bpe'; bpe: Bpe } | { kind: 'unigram'; unigram: Unigram };
  /** Added tokens matched on the normalized text (normalized: true), their content already normalized. */
  normalizedAdded: AddedTokenFlags[];
}

const WS = '\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** GPT-2's pre-tokenizer regex (HF byte_level.rs), with \s spelled out as Unicode White_Space and
// the letters/numbers newer than Oniguruma's tables counted as neither, as Oniguruma reads it. */
const OLD = `[${ONIG_NOT_LETTER_OR_NUMBER}]`;
const BYTE_LEVEL_RE = new RegExp(
  `'s|'t|'re|'ve|'m|'ll|'d| ?(?:(?!${OLD})\\p{L})+| ?(?:(?!${OLD})\\p{N})+| ?(?:${OLD}|[^${WS}\\p{L}\\p{N}])+|[${WS}]+(?![^${WS}])|[${WS}]+`,
  'gu');

const utf8 = new TextEncoder();

export class PipelineEncoder {
  private readonly added: FlaggedMatcher;
  private readonly tokenText: (id: number) => string;

  constructor(private readonly spec: PipelineSpec, tokenText: (id: number) => string, private readonly trim: boolean) {
    this.added = new FlaggedMatcher(spec.normalizedAdded);
    this.tokenText = tokenText;
  }

  /** Appends the tokens of text[from, to) to `out`; returns the next word index. */
  encode(text: string, from: number, to: number, out: SequenceTokens, word: number): number {
    let s = normString(text, from, to);
    if (this.spec.normalizer !== null) s = this.spec.normalizer(s);
    if (s.cps.length === 0) return word;
    if (this.added.empty) return this.preTokenize(s, out, word);
    const normText = toText(s.cps);
    const cpAt = unitToCp(normText);
    let last = 0;
    for (const m of this.added.find(normText)) {
      const a = cpAt[m.start];
      const b = cpAt[m.end];
      if (a > last) word = this.preTokenize(slice(s, last, a), out, word);
      this.push(out, m.id, s.starts[a], s.ends[b - 1], word++, 1, normText.slice(m.start, m.end));
      last = b;
    }
    if (last < s.cps.length) word = this.preTokenize(slice(s, last, s.cps.length), out, word);
    return word;
  }

  private push(out: SequenceTokens, id: number, start: number, end: number, word: number, added: number, value: string): void {
    out.ids.push(id);
    out.offsets.push(start, end);
    out.words.push(word);
    out.added.push(added);
    if (this.trim) {
      (out.lead ??= []).push(leadingSpaces(value));
      (out.trail ??= []).push(trailingSpaces(value));
    }
  }

  private preTokenize(s: NormString, out: SequenceTokens, word: number): number {
    const pre = this.spec.preTokenizer;
    if (s.cps.length === 0) return word;
    if (pre.kind === 'none') return this.model(s, out, word);
    if (pre.kind === 'byteLevel') {
      if (pre.addPrefixSpace && s.cps[0] !== 0x20) s = prepend(s, ' ');
      const pieces = pre.useRegex ? regexSplits(s) : [s];
      for (const p of pieces) word = this.model(byteLevel(p), out, word);
      return word;
    }
    const r = pre.replacement;
    s = transform(s, s.cps.map((c): Change => [c === 0x20 ? r : c, 0]));
    if (s.cps[0] !== r && (pre.prepend === 'always' || (pre.prepend === 'first' && s.base === 0))) {
      s = prepend(s, String.fromCodePoint(r));
    }
    if (!pre.split) return this.model(s, out, word);
    let start = 0;
    for (let i = 1; i <= s.cps.length; i++) {
      if (i === s.cps.length || s.cps[i] === r) {
        word = this.model(slice(s, start, i), out, word);
        start = i;
      }
    }
    return word;
  }

  private model(s: NormString, out: SequenceTokens, word: number): number {
    if (s.cps.length === 0) return word;
    const m = this.spec.model;
    const pieces = m.kind === 'bpe' ? m.bpe.tokenize(toText(s.cps)) : m.unigram.tokenize(s.cps);
    for (let k = 0; k < pieces.length; k += 3) {
      const id = pieces[k];
      this.push(out, id, s.starts[pieces[k + 1]], s.ends[pieces[k + 2] - 1], word, 0, this.trim ? this.tokenText(id) : '');
    }
    return word + 1;
  }
}

/** UTF-16 index → code point index (both ends of every character map). */
function unitToCp(text: string): Int32Array {
  const map = new Int32Array(text.length + 1);
  let k = 0;
  for (let i = 0; i < text.length; k++) {
    const wide = (text.codePointAt(i) as number) > 0xffff;
    map[i] = k;
    if (wide) map[i + 1] = k;
    i += wide ? 2 : 1;
  }
  map[text.length] = k;
  return map;
}

function regexSplits(s: NormString): NormString[] {
  const text = toText(s.cps);
  const cpAt = unitToCp(text);
  const out: NormString[] = [];
  let last = 0;
  for (const m of text.matchAll(BYTE_LEVEL_RE)) {
    const a = cpAt[m.index as number];
    const b = cpAt[(m.index as number) + m[0].length];
    if (a > last) out.push(slice(s, last, a));
    if (b > a) out.push(slice(s, a, b));
    last = b;
  }
  if (last < s.cps.length) out.push(slice(s, last, s.cps.length));
  return out;
}

/** Each character → the printable stand-ins of its UTF-8 bytes, all with the character's span. */
function byteLevel(s: NormString): NormString {
  const out: NormString = { cps: [], starts: [], ends: [], base: s.base };
  for (let i = 0; i < s.cps.length; i++) {
    for (const b of utf8.encode(String.fromCodePoint(s.cps[i]))) {
      out.cps.push(BYTE_TO_CHAR[b]);
      out.starts.push(s.starts[i]);
      out.ends.push(s.ends[i]);
    }
  }
  return out;
}

const SPACE_CHAR = BYTE_TO_CHAR[0x20];

function isSpaceLike(cp: number): boolean {
  return cp === SPACE_CHAR || (cp >= 0x09 && cp <= 0x0d) || cp === 0x20 || cp === 0x85 || cp === 0xa0 || cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 || cp === 0x202f || cp === 0x205f || cp === 0x3000;
}

function leadingSpaces(value: string): number {
  let n = 0;
  for (const ch of value) {
    if (!isSpaceLike(ch.codePointAt(0) as number)) break;
    n++;
  }
  return n;
}

function trailingSpaces(value: string): number {
  const chars = Array.from(value);
  let n = 0;
  for (let i = chars.length - 1; i >= 0 && isSpaceLike(chars[i].codePointAt(0) as number); i--) n++;
  return n;
}
