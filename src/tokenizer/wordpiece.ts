// Greedy longest-match-first WordPiece, as the HF Rust model does it: from each position take the longest vocab entry
// (with the `##` prefix after the first piece); if some position has no match the whole word becomes [UNK], and so does
// a word longer than maxInputCharsPerWord code points.
//
// Changes that keep the result identical but the cost bounded: continuation pieces are looked up in a second map
// keyed without the prefix (no string concatenation per probe), and each position probes only the key lengths the
// vocab has, none longer than maxInputCharsPerWord (a longer token can never match: the word is no longer than that).
// A word costs at most its length times the sum of those lengths; a hostile tokenizer.json (a huge
// max_input_chars_per_word with thousands-of-characters tokens) could still make that enormous, so each word gets a
// budget of looked-up characters and is an error past it. Results are cached per (short) word, since text repeats.
import type { TokenizerSpec } from './config.ts';

const CACHE_LIMIT = 50_000;
/** Words longer than this (UTF-16 units) are not cached: they are rare and would make the cache large. */
const CACHE_WORD_UNITS = 256;
/** Characters of vocab lookups one word may cost; a 100-character word with 100-character tokens needs ~0.5 M. */
export const WORDPIECE_WORK_LIMIT = 20_000_000;

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

/** Distinct key lengths (code points) of a map, longest first, none above `max`. */
function keyLengths(keys: Iterable<string>, max: number): Int32Array {
  const seen = new Set<number>();
  for (const k of keys) {
    const n = codePointLength(k);
    if (n > 0 && n <= max) seen.add(n);
  }
  return Int32Array.from([...seen].sort((a, b) => b - a));
}

export class WordPiece {
  private readonly starts: Map<string, number>;
  private readonly continuations = new Map<string, number>();
  private readonly startLengths: Int32Array;
  private readonly continuationLengths: Int32Array;
  readonly unkId: number;
  readonly maxChars: number;
  private readonly cache = new Map<string, Int32Array>();

  constructor(spec: TokenizerSpec) {
    this.starts = spec.vocab;
    const prefix = spec.continuingSubwordPrefix;
    for (const [token, id] of spec.vocab) {
      if (token.startsWith(prefix)) this.continuations.set(token.slice(prefix.length), id);
    }
    this.maxChars = spec.maxInputCharsPerWord;
    this.startLengths = keyLengths(this.starts.keys(), this.maxChars);
    this.continuationLengths = keyLengths(this.continuations.keys(), this.maxChars);
    this.unkId = spec.vocab.get(spec.unkToken) as number;
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
    if (word.length <= CACHE_WORD_UNITS) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(word, pieces);
    }
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
    let work = 0;
    let start = 0;
    while (start < nChars) {
      const first = start === 0;
      const map = first ? this.starts : this.continuations;
      const lengths = first ? this.startLengths : this.continuationLengths;
      let id: number | undefined;
      let end = start;
      for (let k = 0; k < lengths.length; k++) {
        if (lengths[k] > nChars - start) continue;
        end = start + lengths[k];
        work += lengths[k];
        id = map.get(word.slice(at(start), at(end)));
        if (id !== undefined) break;
      }
      if (work > WORDPIECE_WORK_LIMIT) {
        throw new RangeError(`WordPiece: a word of ${nChars} characters needs more than ${WORDPIECE_WORK_LIMIT} characters of vocab ` +
          `lookups with this vocabulary (max_input_chars_per_word ${this.maxChars}); lower max_input_chars_per_word`);
      }
      if (id === undefined) return Int32Array.of(this.unkId, 0, nChars);
      out.push(id, start, end);
      start = end;
    }
    return Int32Array.from(out);
  }
}
