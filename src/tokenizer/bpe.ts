// HF's BPE model (RoBERTa, GPT-2): a word's characters become symbols, then the pair with the lowest merge rank
// (leftmost on ties) merges until none is left — the same priority queue as tokenizers' Word::merge_all, so a long word
// costs O(n log n). Unknown characters become unk_token (fused when fuse_unk) or vanish when there is none, as in Rust.
// Dropout and byte_fallback are refused by the parser (non-deterministic / not used by this family).
import { fail, show } from './json-fields.ts';


export interface BpeOptions {
  unkToken: string | null;
  prefix: string | null;
  suffix: string | null;
  fuseUnk: boolean;
  ignoreMerges: boolean;
}

const CACHE_LIMIT = 50_000;
const CACHE_WORD_UNITS = 256;
/** Pair keys: ids are < 2^31 but vocabularies stay far below 2^26, so a*2^26+b is exact in a double. */
const PAIR = 2 ** 26;

export class Bpe {
  private readonly ranks = new Map<number, number>();
  private readonly merged = new Map<number, number>();
  private readonly unkId: number | undefined;
  private readonly cache = new Map<string, Int32Array>();

  /** tokenizers' continuing_subword_prefix (null: none, RoBERTa's case). */
  get continuingSubwordPrefix(): string | null {
    return this.o.prefix;
  }

  constructor(private readonly vocab: Map<string, number>, merges: readonly (readonly [string, string])[], private readonly o: BpeOptions) {
    if (vocab.size >= PAIR) fail('model.vocab', `has ${vocab.size} tokens, more than this BPE supports (${PAIR})`);
    const prefixLen = o.prefix?.length ?? 0;
    merges.forEach(([a, b], rank) => {
      const ia = vocab.get(a);
      const ib = vocab.get(b);
      if (ia === undefined) fail(`model.merges[${rank}]`, `${show(a)} is not in model.vocab`);
      if (ib === undefined) fail(`model.merges[${rank}]`, `${show(b)} is not in model.vocab`);
      const joined = a + b.slice(prefixLen);
      const id = vocab.get(joined);
      if (id === undefined) fail(`model.merges[${rank}]`, `the merged token ${show(joined)} is not in model.vocab`);
      this.ranks.set(ia * PAIR + ib, rank);
      this.merged.set(ia * PAIR + ib, id);
    });
    if (o.unkToken !== null) {
      this.unkId = vocab.get(o.unkToken);
    }
  }

  /** One pre-token → flat [id, charStart, charEnd, …] (code-point positions inside `word`). */
  tokenize(word: string): Int32Array {
    if (word.length === 0) return new Int32Array(0);
    if (this.o.ignoreMerges) {
      const id = this.vocab.get(word);
      if (id !== undefined) return Int32Array.of(id, 0, Array.from(word).length);
    }
    const hit = this.cache.get(word);
    if (hit !== undefined) return hit;
    const out = this.mergeWord(word);
    if (word.length <= CACHE_WORD_UNITS) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(word, out);
    }
    return out;
  }

  private mergeWord(word: string): Int32Array {
    const chars = Array.from(word);
    const ids: number[] = [];
    const lens: number[] = [];
    let unk: [number, number] | undefined;
    chars.forEach((ch, i) => {
      let s = ch;
      if (i > 0 && this.o.prefix !== null) s = this.o.prefix + s;
      if (i === chars.length - 1 && this.o.suffix !== null) s += this.o.suffix;
      const id = this.vocab.get(s);
      if (id !== undefined) {
        if (unk !== undefined) {
          ids.push(unk[0]);
          lens.push(unk[1]);
          unk = undefined;
        }
        ids.push(id);
        lens.push(1);
      } else if (this.o.unkToken !== null) {
        if (this.unkId === undefined) throw new TypeError(`BPE: unk_token ${show(this.o.unkToken)} is not in the vocabulary`);
        if (unk !== undefined && this.o.fuseUnk) unk[1]++;
        else {
          if (unk !== undefined) {
            ids.push(unk[0]);
            lens.push(unk[1]);
          }
          unk = [this.unkId, 1];
        }
      }
    });
    if (unk !== undefined) {
      ids.push(unk[0]);
      lens.push(unk[1]);
    }
    return this.mergeAll(ids, lens);
  }

  private mergeAll(c: number[], len: number[]): Int32Array {
    const n = c.length;
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    const heap = new MergeHeap();
    for (let i = 0; i + 1 < n; i++) {
      const key = c[i] * PAIR + c[i + 1];
      const rank = this.ranks.get(key);
      if (rank !== undefined) heap.push(rank, i, this.merged.get(key) as number);
    }
    while (heap.size > 0) {
      const [, pos, newId] = heap.pop();
      if (len[pos] === 0 || next[pos] === -1) continue;
      const right = next[pos];
      const key = c[pos] * PAIR + c[right];
      if (this.merged.get(key) !== newId) continue;
      c[pos] = newId;
      len[pos] += len[right];
      next[pos] = next[right];
      len[right] = 0;
      if (next[right] !== -1) prev[next[right]] = pos;
      if (prev[pos] >= 0) {
        const p = prev[pos];
        const k = c[p] * PAIR + c[pos];
        const r = this.ranks.get(k);
        if (r !== undefined) heap.push(r, p, this.merged.get(k) as number);
      }
      if (next[pos] !== -1) {
        const k = c[pos] * PAIR + c[next[pos]];
        const r = this.ranks.get(k);
        if (r !== undefined) heap.push(r, pos, this.merged.get(k) as number);
      }
    }
    const out: number[] = [];
    let at = 0;
    for (let i = 0; i < n; i++) {
      if (len[i] === 0) continue;
      out.push(c[i], at, at + len[i]);
      at += len[i];
    }
    return Int32Array.from(out);
  }
}

/** Min-heap on (rank, pos), the order of tokenizers' Merge. */
class MergeHeap {
  private readonly items: [number, number, number][] = [];

  get size(): number {
    return this.items.length;
  }

  private less(a: [number, number, number], b: [number, number, number]): boolean {
    return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  }

  push(rank: number, pos: number, id: number): void {
    const h = this.items;
    h.push([rank, pos, id]);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  pop(): [number, number, number] {
    const h = this.items;
    const top = h[0];
    const last = h.pop() as [number, number, number];
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
