// HF's Unigram model (SentencePiece: XLM-R, ALBERT, CamemBERT), its optimized Viterbi (sentencepiece's
// unigram_model.cc, as tokenizers' encode_optimized): best path over the pieces of the vocabulary, an unknown
// character costs min_score − 10 and consecutive unknowns fuse into one <unk>; with byte_fallback an unknown piece
// becomes <0xXX> byte tokens, each with the span of the whole piece. Lookups go by the distinct piece lengths instead
// of a trie: the candidates at one position end at different places, so their order does not change the result.
import { fail, show } from './json-fields.ts';

const UNK_PENALTY = 10;
const CACHE_LIMIT = 50_000;
const CACHE_WORD_UNITS = 256;
/** Longest piece (code points) looked up; longer pieces can never match text this long anyway. */
const MAX_PIECE = 256;

export class Unigram {
  private readonly ids = new Map<string, number>();
  private readonly scores: Float64Array;
  private readonly lengths: Int32Array;
  private readonly minScore: number;
  private readonly cache = new Map<string, Int32Array>();

  constructor(pieces: readonly (readonly [string, number])[], private readonly unkId: number | null, private readonly byteFallback: boolean) {
    this.scores = new Float64Array(pieces.length);
    let min = Infinity;
    const lens = new Set<number>();
    pieces.forEach(([piece, parsed], id) => {
      this.ids.set(piece, id);
      const score = serdeJsonF64(parsed);
      this.scores[id] = score;
      if (score < min) min = score;
      const n = codePointLength(piece);
      if (n > 0 && n <= MAX_PIECE) lens.add(n);
    });
    this.minScore = min;
    this.lengths = Int32Array.from([...lens].sort((a, b) => a - b));
    if (unkId !== null && unkId >= pieces.length) fail('model.unk_id', `${unkId} is past the vocabulary (${pieces.length} pieces)`);
  }

  /** One pre-token (code points) → flat [id, cpStart, cpEnd, …]. */
  tokenize(cps: readonly number[]): Int32Array {
    if (cps.length === 0) return new Int32Array(0);
    const key = String.fromCodePoint(...cps);
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const out = this.toTokens(this.viterbi(cps));
    if (key.length <= CACHE_WORD_UNITS) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(key, out);
    }
    return out;
  }

  /** Best path as [start, end, id] pieces (id = unkId for fused unknown runs, −1 when unkId is null). */
  private viterbi(cps: readonly number[]): [number, number, string][] {
    const n = cps.length;
    const score = new Float64Array(n + 1);
    const from = new Int32Array(n + 1).fill(-1);
    const node = new Int32Array(n + 1);
    const unkScore = this.minScore - UNK_PENALTY;
    const text = String.fromCodePoint(...cps);
    // code point index → UTF-16 index in `text`
    const at = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) at[i + 1] = at[i] + (cps[i] > 0xffff ? 2 : 1);
    for (let s = 0; s < n; s++) {
      const base = score[s];
      let single = false;
      for (const len of this.lengths) {
        if (s + len > n) break;
        const id = this.ids.get(text.slice(at[s], at[s + len]));
        if (id === undefined) continue;
        const e = s + len;
        const cand = this.scores[id] + base;
        if (from[e] === -1 || cand > score[e]) {
          score[e] = cand;
          from[e] = s;
          node[e] = id;
        }
        if (len === 1) single = true;
      }
      if (!single) {
        if (this.unkId === null) throw new TypeError('Unigram: the text has a character outside the vocabulary and model.unk_id is null');
        const e = s + 1;
        const cand = unkScore + base;
        if (from[e] === -1 || cand > score[e]) {
          score[e] = cand;
          from[e] = s;
          node[e] = this.unkId;
        }
      }
    }
    const pieces: [number, number, string][] = [];
    let fusedEnd = -1;
    for (let e = n; e > 0; ) {
      const s = from[e];
      if (node[e] === this.unkId) {
        if (fusedEnd === -1) fusedEnd = e;
      } else {
        if (fusedEnd !== -1) {
          pieces.push([e, fusedEnd, text.slice(at[e], at[fusedEnd])]);
          fusedEnd = -1;
        }
        pieces.push([s, e, text.slice(at[s], at[e])]);
      }
      e = s;
    }
    if (fusedEnd !== -1) pieces.push([0, fusedEnd, text.slice(0, at[fusedEnd])]);
    return pieces.reverse();
  }

  private toTokens(pieces: [number, number, string][]): Int32Array {
    const out: number[] = [];
    for (const [s, e, piece] of pieces) {
      const id = this.ids.get(piece);
      if (id !== undefined) {
        out.push(id, s, e);
        continue;
      }
      if (this.byteFallback) {
        const bytes = new TextEncoder().encode(piece);
        const byteIds = Array.from(bytes, (b) => this.ids.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`));
        if (byteIds.every((b) => b !== undefined)) {
          for (const b of byteIds) out.push(b as number, s, e);
          continue;
        }
      }
      if (this.unkId === null) throw new TypeError(`Unigram: ${show(piece)} is not in the vocabulary and model.unk_id is null`);
      out.push(this.unkId, s, e);
    }
    return Int32Array.from(out);
  }
}

/**
 * The f64 HF's Rust reads for a JSON number written in shortest form (as Rust's and Python's JSON writers write
 * scores): serde_json without its float_roundtrip feature turns the digits into a u64, rounds that to f64 and divides
 * by a power of ten — two roundings, so 17-digit scores can land one ulp away from the correctly rounded value JS
 * parses. Viterbi paths whose sums tie in exact arithmetic (a run of one letter split into equal pieces in any order)
 * are then broken the same way as in Rust only with the same bits.
 */
export function serdeJsonF64(x: number): number {
  if (!Number.isFinite(x) || x === 0 || Number.isInteger(x)) return x;
  const text = Math.abs(x).toString();
  const e = text.indexOf('e');
  const mantissa = e === -1 ? text : text.slice(0, e);
  const dot = mantissa.indexOf('.');
  const frac = dot === -1 ? '' : mantissa.slice(dot + 1);
  let digits = dot === -1 ? mantissa : mantissa.slice(0, dot) + frac;
  let k = 0;
  while (k < digits.length - 1 && digits.charCodeAt(k) === 48) k++;
  digits = digits.slice(k);
  let exponent = (e === -1 ? 0 : Number(text.slice(e + 1))) - frac.length;
  // Up to 15 digits and |exponent| ≤ 22 both parts are exact in f64: one rounding, the same bits as JS's parse.
  if (digits.length <= 15 && exponent >= -22 && exponent <= 22) return x;
  if (digits.length > 19) return x; // never for a shortest-form double (≤ 17 digits)
  // u64 → f64 rounds to nearest even, as JS's Number(integer string) does.
  let f = Number(digits);
  while (exponent < -308) {
    f /= 1e308;
    exponent += 308;
  }
  if (exponent > 308) return x;
  // Rust's POW10 table holds the correctly rounded literals 1e0…1e308 (JS's 10 ** n is not always that).
  const pow = Number(`1e${Math.abs(exponent)}`);
  f = exponent >= 0 ? f * pow : f / pow;
  return x < 0 ? -f : f;
}

/** Code points in a string (a lone surrogate counts one). */
function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}
