// One pass over a text segment that does BertNormalizer and BertPreTokenizer together, then WordPiece per word.
//
// HF normalizes the whole string (clean_text → Chinese padding → NFD + drop Mn → lowercase) keeping, for every
// normalized character, the span of the original character it came from; then it splits on whitespace (removed) and
// punctuation (isolated). Every one of those steps is a per-character map, so here each original code point is mapped
// through the generated tables and its output characters are fed straight into the word splitter, each carrying the
// original character's UTF-16 span. A token's offsets are then (span of its first char).start, (span of its last
// char).end — what HF's alignments give.
import type { NormalizerSpec } from './config.ts';
import { FLAG, charFlags, lowercaseOf, stripAccentsOf } from './unicode.ts';
import type { WordPiece } from './wordpiece.ts';

/** Tokens of one text (no template tokens yet): ids, flat UTF-16 offsets, word index per token. */
export interface SequenceTokens {
  ids: number[];
  offsets: number[];
  words: number[];
  /** 1 where the token is an added token matched in the raw text ([MASK], …), else 0. */
  added: number[];
}

const { REMOVE, CLEAN_SPACE, CJK, SPACE, PUNCT, STRIP_REMOVE, STRIP_MAP, LOWER_MAP } = FLAG;

/** Reused word buffers: code points and their original spans. Grown on demand (a 1 MB word is fine). */
let cps: Int32Array = new Int32Array(256);
let starts: Int32Array = new Int32Array(256);
let ends: Int32Array = new Int32Array(256);

function grow(): void {
  const n = cps.length * 2;
  const g = (a: Int32Array): Int32Array => {
    const b = new Int32Array(n);
    b.set(a);
    return b;
  };
  cps = g(cps);
  starts = g(starts);
  ends = g(ends);
}

export class SegmentEncoder {
  private n = 0;
  private out!: SequenceTokens;
  private word = 0;

  constructor(private readonly norm: NormalizerSpec | null, private readonly model: WordPiece) {}

  /** Appends the tokens of text[from, to) to `out`; `word` is the next word index. Returns the next word index. */
  encode(text: string, from: number, to: number, out: SequenceTokens, word: number): number {
    this.out = out;
    this.word = word;
    this.n = 0;
    const norm = this.norm;
    const clean = norm !== null && norm.cleanText;
    const chinese = norm !== null && norm.handleChineseChars;
    const transform = norm !== null && (norm.stripAccents || norm.lowercase);
    const changeMask = norm === null ? 0 : (norm.stripAccents ? STRIP_REMOVE | STRIP_MAP : 0) | (norm.lowercase ? LOWER_MAP : 0);
    for (let i = from; i < to; ) {
      let cp = text.charCodeAt(i);
      let next = i + 1;
      if (cp >= 0xd800 && cp <= 0xdfff) {
        const lo = next < to ? text.charCodeAt(next) : 0;
        if (cp <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          next++;
        } else {
          cp = 0xfffd; // a lone surrogate reaches HF's Rust code as U+FFFD
        }
      }
      const f = charFlags(cp);
      if (clean && (f & (REMOVE | CLEAN_SPACE)) !== 0) {
        if ((f & CLEAN_SPACE) !== 0) this.flush();
      } else if (chinese && (f & CJK) !== 0) {
        this.flush();
        if (transform && (f & changeMask) !== 0) this.transformed(cp, f, i, next);
        else this.push(cp, f, i, next);
        this.flush();
      } else if (transform && (f & changeMask) !== 0) {
        this.transformed(cp, f, i, next);
      } else {
        this.push(cp, f, i, next);
      }
      i = next;
    }
    this.flush();
    return this.word;
  }

  /** strip_accents then lowercase, each output character split/appended on its own flags. */
  private transformed(cp: number, f: number, s: number, e: number): void {
    const norm = this.norm as NormalizerSpec;
    let chars: readonly number[] = [cp];
    if (norm.stripAccents) {
      if ((f & STRIP_REMOVE) !== 0) return;
      if ((f & STRIP_MAP) !== 0) chars = stripAccentsOf(cp);
    }
    for (const c of chars) {
      const g = charFlags(c);
      if (norm.lowercase && (g & LOWER_MAP) !== 0) {
        for (const d of lowercaseOf(c)) this.push(d, charFlags(d), s, e);
      } else {
        this.push(c, g, s, e);
      }
    }
  }

  /** BertPreTokenizer on one normalized character: whitespace ends a word, punctuation is a word of its own. */
  private push(c: number, flags: number, s: number, e: number): void {
    if ((flags & SPACE) !== 0) {
      this.flush();
      return;
    }
    const punct = (flags & PUNCT) !== 0;
    if (punct) this.flush();
    if (this.n === cps.length) grow();
    cps[this.n] = c;
    starts[this.n] = s;
    ends[this.n] = e;
    this.n++;
    if (punct) this.flush();
  }

  private flush(): void {
    const n = this.n;
    if (n === 0) return;
    this.n = 0;
    const out = this.out;
    const w = this.word++;
    const model = this.model;
    // A word over the limit becomes one [UNK] without building its string (keeps a 1 MB word linear).
    const pieces = n > model.maxChars ? Int32Array.of(model.unkId, 0, n) : model.tokenize(wordString(n), n);
    for (let k = 0; k < pieces.length; k += 3) {
      out.ids.push(pieces[k]);
      out.offsets.push(starts[pieces[k + 1]], ends[pieces[k + 2] - 1]);
      out.words.push(w);
      out.added.push(0);
    }
  }
}

function wordString(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const c = cps[i];
    s += c > 0xffff ? String.fromCodePoint(c) : String.fromCharCode(c);
  }
  return s;
}
