// SentencePiece's Precompiled normalizer (XLM-R, ALBERT, CamemBERT, T5 …), read exactly as HF tokenizers' Rust
// `spm_precompiled` crate reads `precompiled_charsmap`: base64 of [u32 LE trie size in bytes][trie: u32 LE units]
// [normalized strings, each ending in \0]. The trie is Darts' double array over UTF-8 bytes; a key's value is the
// offset of its replacement in the strings blob. Normalization walks grapheme clusters (Intl.Segmenter): a cluster
// shorter than 6 bytes is replaced whole when the trie has an entry for a prefix of it (the SHORTEST prefix's value,
// as the crate takes results[0]); otherwise each character is looked up on its own. The alignments follow the crate's
// `replace` bookkeeping to the letter, including its quirks, so offsets match.
import { type Change, type NormString, transform } from './normalized.ts';

const utf8 = new TextEncoder();
/** Lookups remembered per code point / per short cluster (a text repeats few of them); cleared past this many. */
const CACHE_LIMIT = 20_000;

export class Precompiled {
  private readonly trie: Uint32Array;
  private readonly normalized: Uint8Array;
  private readonly decoded = new Map<number, number[]>();
  private readonly byCodePoint = new Map<number, number[] | null>();
  private readonly byCluster = new Map<string, number[] | null>();
  private segmenter: Intl.Segmenter | undefined;

  /** Throws a TypeError naming the problem when the blob is not a charsmap the Rust crate would load. */
  constructor(base64: string, private readonly field: string) {
    let bytes: Uint8Array;
    try {
      const bin = atob(base64);
      bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    } catch {
      throw new TypeError(`${field}: is not valid base64`);
    }
    if (bytes.length < 4) throw new TypeError(`${field}: ${bytes.length} bytes, too short for the trie size header`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const units = Math.floor(view.getUint32(0, true) / 4);
    if (4 + 4 * units > bytes.length) {
      throw new TypeError(`${field}: the header says the trie has ${units} units but only ${Math.floor((bytes.length - 4) / 4)} follow`);
    }
    if (units === 0) throw new TypeError(`${field}: the trie is empty`);
    this.trie = new Uint32Array(units);
    for (let i = 0; i < units; i++) this.trie[i] = view.getUint32(4 + 4 * i, true);
    this.normalized = bytes.subarray(4 + 4 * units);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(this.normalized);
    } catch {
      throw new TypeError(`${field}: the replacement strings are not valid UTF-8`);
    }
  }

  private unit(pos: number): number {
    if (pos >= this.trie.length) throw new RangeError(`${this.field}: corrupt trie (index ${pos} past its ${this.trie.length} units)`);
    return this.trie[pos];
  }

  /** Replacement of `bytes` (the shortest trie key that is a prefix of it), as code points; undefined: no entry. */
  lookup(bytes: Uint8Array): number[] | undefined {
    let pos = 0;
    let unit = this.unit(0);
    pos ^= offsetOf(unit);
    for (const c of bytes) {
      if (c === 0) break;
      pos ^= c;
      unit = this.unit(pos);
      if (((unit & 0x800000ff) >>> 0) !== c) return undefined;
      pos ^= offsetOf(unit);
      if (((unit >>> 8) & 1) === 1) return this.replacement(this.unit(pos) & 0x7fffffff);
    }
    return undefined;
  }

  private replacement(index: number): number[] {
    const hit = this.decoded.get(index);
    if (hit !== undefined) return hit;
    let end = index;
    while (end < this.normalized.length && this.normalized[end] !== 0) end++;
    if (index > this.normalized.length) throw new RangeError(`${this.field}: corrupt trie (replacement offset ${index} past the strings)`);
    const bytes = this.normalized.subarray(index, end);
    // The crate slices a &str here: an offset inside a character panics in Rust; here it is an error.
    if (index < this.normalized.length && (this.normalized[index] & 0xc0) === 0x80) {
      throw new RangeError(`${this.field}: corrupt trie (replacement offset ${index} inside a character)`);
    }
    const cps = Array.from(new TextDecoder().decode(bytes), (ch) => ch.codePointAt(0) as number);
    this.decoded.set(index, cps);
    return cps;
  }

  /** lookup() of one code point, remembered. */
  private ofCodePoint(cp: number): number[] | null {
    let hit = this.byCodePoint.get(cp);
    if (hit === undefined) {
      hit = this.lookup(utf8.encode(String.fromCodePoint(cp))) ?? null;
      if (this.byCodePoint.size >= CACHE_LIMIT) this.byCodePoint.clear();
      this.byCodePoint.set(cp, hit);
    }
    return hit;
  }

  /** lookup() of a cluster of several code points (under 6 UTF-8 bytes), remembered. */
  private ofCluster(segment: string): number[] | null {
    let hit = this.byCluster.get(segment);
    if (hit === undefined) {
      hit = this.lookup(utf8.encode(segment)) ?? null;
      if (this.byCluster.size >= CACHE_LIMIT) this.byCluster.clear();
      this.byCluster.set(segment, hit);
    }
    return hit;
  }

  /**
   * Grapheme clusters of `text`. ASCII-only text (most of it, in English) splits without Intl.Segmenter: every ASCII
   * character is a cluster of its own except CR LF, one cluster (UAX #29 GB3).
   */
  private *clusters(text: string, cps: readonly number[]): Iterable<string> {
    if (cps.every((cp) => cp < 0x80)) {
      for (let i = 0; i < text.length; i++) {
        if (text.charCodeAt(i) === 0x0d && text.charCodeAt(i + 1) === 0x0a) {
          yield '\r\n';
          i++;
        } else {
          yield text[i];
        }
      }
      return;
    }
    this.segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    for (const { segment } of this.segmenter.segment(text)) yield segment;
  }

  normalize(s: NormString): NormString {
    if (s.cps.length === 0) return s;
    const text = String.fromCodePoint(...s.cps);
    const out: [number, number][] = [];
    let modified = false;
    for (const segment of this.clusters(text, s.cps)) {
      const first = segment.codePointAt(0) as number;
      if (segment.length === (first > 0xffff ? 2 : 1)) {
        // A one-character cluster: the cluster lookup and the character lookup are the same lookup.
        const norm = this.ofCodePoint(first);
        if (norm !== null) {
          modified = true;
          replace(out, 1, norm);
        } else {
          out.push([first, 0]);
        }
        continue;
      }
      const cps = Array.from(segment, (ch) => ch.codePointAt(0) as number);
      if (utf8Length(cps) < 6) {
        const norm = this.ofCluster(segment);
        if (norm !== null) {
          modified = true;
          replace(out, cps.length, norm);
          continue;
        }
      }
      for (const cp of cps) {
        const norm = this.ofCodePoint(cp);
        if (norm !== null) {
          modified = true;
          replace(out, 1, norm);
        } else {
          out.push([cp, 0]);
        }
      }
    }
    return modified ? transform(s, out as Change[]) : s;
  }
}

function utf8Length(cps: readonly number[]): number {
  let n = 0;
  for (const cp of cps) n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  return n;
}

function offsetOf(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}

/** The crate's `replace`: new chars as replacements; extra ones mark the last ones inserted; fewer remove via the last. */
function replace(out: [number, number][], oldCount: number, norm: readonly number[]): void {
  const diff = norm.length - oldCount;
  for (const c of norm) out.push([c, 0]);
  if (diff > 0) {
    for (let k = 0; k < diff && k < out.length; k++) out[out.length - 1 - k][1] = 1;
  } else if (diff < 0 && out.length > 0) {
    out[out.length - 1][1] += diff;
  }
}
