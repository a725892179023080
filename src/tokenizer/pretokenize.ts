// One pass over a text segment that does BertNormalizer and BertPreTokenizer together, then WordPiece per word.
//
// HF normalizes the whole string (clean_text → Chinese padding → NFD + drop Mn → lowercase) keeping, for every
// normalized character, the span of the original character it came from; then it splits on whitespace (removed) and
// punctuation (isolated). Every one of those steps is a per-character map, so here each original code point is mapped
// through the generated tables and its output characters are fed straight into the word splitter, each carrying the
// original character's UTF-16 span. A token's offsets are then (span of its first char).start, (span of its last
// char).end — what HF's alignments give.
import type { NormalizerSpec } from './config.ts';
import { FLAG, charFlags, combiningRank, decompositionOf, lowercaseOf, stripAccentsOf } from './unicode.ts';
import type { WordPiece } from './wordpiece.ts';

/** Tokens of one text (no template tokens yet): ids, flat UTF-16 offsets, word index per token. */
export interface SequenceTokens {
  ids: number[];
  offsets: number[];
  words: number[];
  /** 1 where the token is an added token matched in the raw text ([MASK], …), else 0. */
  added: number[];
  /** Leading / trailing space characters of each token's text, when the post-processor trims offsets (RoBERTa). */
  lead?: number[];
  trail?: number[];
  /** The input text, kept when offsets are trimmed (the trimming counts its characters). */
  text?: string;
}

const { REMOVE, CLEAN_SPACE, CJK, SPACE, PUNCT, STRIP_REMOVE, STRIP_MAP, LOWER_MAP, CCC } = FLAG;

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

/**
 * A run of combining marks (nonzero canonical class) waiting for NFD's canonical reordering. HF's alignments follow
 * positions: after the stable sort by class, the k-th element that consumed an input character takes the span of the
 * k-th consumed character, and an inserted element (the tail of a decomposition) the span consumed just before it.
 */
interface MarkRun {
  chars: number[];
  inserted: boolean[];
  starts: number[];
  ends: number[];
  ranks: number[];
}

export class SegmentEncoder {
  private n = 0;
  private out!: SequenceTokens;
  private word = 0;
  private readonly run: MarkRun = { chars: [], inserted: [], starts: [], ends: [], ranks: [] };
  /** Span of the last character NFD consumed, for inserted marks at the head of a run. */
  private lastStart = 0;
  private lastEnd = 0;

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
    const nfd = norm !== null && norm.stripAccents;
    const changeMask = norm === null ? 0 : (norm.stripAccents ? STRIP_REMOVE | STRIP_MAP : 0) | (norm.lowercase ? LOWER_MAP : 0);
    // HF's segment starts with no consumed character: an inserted head gets the empty span at the segment start.
    this.lastStart = from;
    this.lastEnd = from;
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
      if (clean && (f & REMOVE) !== 0) {
        // Removed before NFD runs, so it neither consumes nor ends a run of marks.
        i = next;
        continue;
      }
      if (nfd && (f & CCC) !== 0) {
        this.decomposed(cp, i, next);
        i = next;
        continue;
      }
      if (this.run.chars.length !== 0) this.flushRun();
      this.lastStart = i;
      this.lastEnd = next;
      if (clean && (f & CLEAN_SPACE) !== 0) {
        this.flush();
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
    if (this.run.chars.length !== 0) this.flushRun();
    this.flush();
    return this.word;
  }

  /** NFD of a character that is or holds a combining mark: starters go straight on, marks join the run. */
  private decomposed(cp: number, s: number, e: number): void {
    const parts = decompositionOf(cp);
    for (let k = 0; k < parts.length; k++) {
      const c = parts[k];
      const rank = combiningRank(c);
      if (rank === 0) {
        if (this.run.chars.length !== 0) this.flushRun();
        this.lastStart = s;
        this.lastEnd = e;
        this.afterNfd(c, s, e);
      } else {
        const r = this.run;
        r.chars.push(c);
        r.inserted.push(k > 0);
        r.starts.push(s);
        r.ends.push(e);
        r.ranks.push(rank);
      }
    }
  }

  private flushRun(): void {
    const r = this.run;
    const order = r.chars.map((_, i) => i).sort((a, b) => r.ranks[a] - r.ranks[b] || a - b);
    // Spans of the consuming elements in input order, handed out again in sorted order (positional alignment).
    const consumed: number[] = [];
    for (let i = 0; i < r.chars.length; i++) if (!r.inserted[i]) consumed.push(i);
    let q = 0;
    for (const i of order) {
      if (!r.inserted[i]) {
        const j = consumed[q++];
        this.lastStart = r.starts[j];
        this.lastEnd = r.ends[j];
      }
      this.afterNfd(r.chars[i], this.lastStart, this.lastEnd);
    }
    r.chars.length = 0;
    r.inserted.length = 0;
    r.starts.length = 0;
    r.ends.length = 0;
    r.ranks.length = 0;
  }

  /** The rest of strip_accents (drop Mn) and lowercase for one NFD output character. */
  private afterNfd(c: number, s: number, e: number): void {
    const g = charFlags(c);
    if ((g & STRIP_REMOVE) !== 0) return;
    if ((this.norm as NormalizerSpec).lowercase && (g & LOWER_MAP) !== 0) {
      for (const d of lowercaseOf(c)) this.push(d, charFlags(d), s, e);
    } else {
      this.push(c, g, s, e);
    }
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
