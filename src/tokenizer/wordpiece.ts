// Greedy longest-match-first WordPiece, as the HF Rust model does it: from each position take the longest vocab entry
// (with the `##` prefix after the first piece); if some position has no match the whole word becomes [UNK], and so does
// a word longer than maxInputCharsPerWord code points.
//
// Two changes that keep the result identical but the cost bounded: continuation pieces are looked up in a second map
// keyed without the prefix (no string concatenation per probe), and the first probe starts at the longest key length
// instead of the word's end (a longer substring cannot be in the vocab). A word costs O(len · maxKeyLen), so text of
// any size is linear. Results are cached per word, since real text repeats its words.
import type { TokenizerSpec } from './config.ts';

const CACHE_LIMIT = 50_000;

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) n++;
    else {
      const d = s.charCodeAt(i + 1);
      n++;
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

export class WordPiece {
  private readonly starts: Map<string, number>;
  private readonly continuations = new Map<string, number>();
  private readonly maxStart: number;
  private readonly maxContinuation: number;
  readonly unkId: number;
  readonly maxChars: number;
  private readonly cache = new Map<string, Int32Array>();

  constructor(spec: TokenizerSpec) {
    this.starts = spec.vocab;
    const prefix = spec.continuingSubwordPrefix;
    let maxStart = 0;
    let maxContinuation = 0;
    for (const [token, id] of spec.vocab) {
      maxStart = Math.max(maxStart, codePointLength(token));
      if (token.startsWith(prefix)) {
        const rest = token.slice(prefix.length);
        this.continuations.set(rest, id);
        maxContinuation = Math.max(maxContinuation, codePointLength(rest));
      }
    }
    this.maxStart = maxStart;
    this.maxContinuation = maxContinuation;
    this.unkId = spec.vocab.get(spec.unkToken) as number;
    this.maxChars = spec.maxInputCharsPerWord;
  }

  /**
   * Splits one normalized word of `nChars` code points into pieces: flat `[id, charStart, charEnd, …]` with code-point
   * positions inside the word.
   */
  tokenize(word: string, nChars: number): Int32Array {
    if (nChars > this.maxChars) return Int32Array.of(this.unkId, 0, nChars);
    const hit = this.cache.get(word);
    if (hit !== undefined) return hit;
    const pieces = this.split(word, nChars);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, pieces);
    return pieces;
  }

  private split(word: string, nChars: number): Int32Array {
    let units: Int32Array | undefined;
    if (word.length !== nChars) {
      // Astral characters: index substrings by code point, as Rust walks chars.
      units = new Int32Array(nChars + 1);
      let u = 0;
      for (let i = 0; i < nChars; i++) {
        units[i] = u;
        u += (word.codePointAt(u) as number) > 0xffff ? 2 : 1;
      }
      units[nChars] = u;
    }
    const at = (i: number): number => (units === undefined ? i : units[i]);
    const out: number[] = [];
    let start = 0;
    while (start < nChars) {
      const map = start === 0 ? this.starts : this.continuations;
      let end = Math.min(nChars, start + (start === 0 ? this.maxStart : this.maxContinuation));
      let id: number | undefined;
      for (; end > start; end--) {
        id = map.get(word.slice(at(start), at(end)));
        if (id !== undefined) break;
      }
      if (id === undefined) return Int32Array.of(this.unkId, 0, nChars);
      out.push(id, start, end);
      start = end;
    }
    return Int32Array.from(out);
  }
}
