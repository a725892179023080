// Truncation and overflowing windows with HF Rust semantics (tokenizers/src/utils/truncation.rs and
// Encoding::truncate): the budget is maxLength minus the template's special tokens, so the final [SEP] always stays;
// a truncated text is cut into windows of that length that overlap by `stride` tokens; with a pair, windows of the two
// texts are combined in the order Encoding::merge_with produces them. That order is every A window × every B window,
// |A|·|B| rows; HF-exact mode keeps it (each text is cut near maxLength first, so both counts stay small), while
// fullOverflow (whole documents, our extension) pairs them linearly. Either way the row count is computed before any
// row is built and bounded by MAX_OVERFLOW_ROWS.
import type { Direction, TruncationStrategy } from './types.ts';

export interface ResolvedTruncation {
  maxLength: number;
  strategy: TruncationStrategy;
  stride: number;
  direction: Direction;
  fullOverflow: boolean;
}

export type Window = readonly [start: number, stop: number];

/** Most rows (main + overflowing) one input may produce; each row is a full encoding of up to maxLength tokens. */
export const MAX_OVERFLOW_ROWS = 10_000;

/**
 * HF tokenizers (0.23) stops tokenizing a text early when truncation is on: it walks the words (from the end for
 * `left`), and after a word produced by WordPiece stops once the text has ≥ maxLength tokens; added-token words
 * ([MASK]…) count but do not stop it. The rest is dropped before the budget and the windows are computed, so HF's
 * windows never reach past that point. Returns the token range [from, to) that survives.
 */
export function firstCut(words: readonly number[], added: readonly number[], maxLength: number, direction: Direction): Window {
  const n = words.length;
  if (n <= maxLength) return [0, n];
  if (direction === 'right') {
    for (let i = 0; i < n; ) {
      let j = i + 1;
      while (j < n && words[j] === words[i]) j++;
      if (added[i] === 0 && j >= maxLength) return [0, j];
      i = j;
    }
  } else {
    for (let j = n; j > 0; ) {
      let i = j - 1;
      while (i > 0 && words[i - 1] === words[j - 1]) i--;
      if (added[i] === 0 && n - i >= maxLength) return [i, n];
      j = i;
    }
  }
  return [0, n];
}

/** Token budget for each text (HF truncate_encodings); throws where HF returns an error. */
export function truncatedLengths(
  nA: number,
  nB: number | undefined,
  budget: number,
  strategy: TruncationStrategy,
): [number, number | undefined] {
  if (budget === 0) return [0, nB === undefined ? undefined : 0];
  const total = nA + (nB ?? 0);
  if (total <= budget) return [nA, nB];
  const toRemove = total - budget;
  if (strategy === 'longest_first') {
    if (nB === undefined) return [total - toRemove, undefined];
    let n1 = Math.min(nA, nB);
    let n2 = Math.max(nA, nB);
    n2 = n1 > budget ? n1 : Math.max(n1, budget - n1);
    if (n1 + n2 > budget) {
      n1 = Math.floor(budget / 2);
      n2 = n1 + (budget % 2);
    }
    return nA > nB ? [n2, n1] : [n1, n2];
  }
  if (strategy === 'only_second' && nB === undefined) {
    throw new RangeError('truncation: strategy only_second needs a second text');
  }
  const target = strategy === 'only_first' ? nA : (nB as number);
  if (target <= toRemove) {
    throw new RangeError(
      `truncation: the ${strategy === 'only_first' ? 'first' : 'second'} text (${target} tokens) is too short to ` +
        `remove ${toRemove} tokens and respect maxLength`,
    );
  }
  return strategy === 'only_first' ? [target - toRemove, nB] : [nA, target - toRemove];
}

/** How many windows `windows(n, maxLen, stride, …)` makes, without making them (throws where it throws). */
export function windowCount(n: number, maxLen: number, stride: number): number {
  if (maxLen >= n) return 1;
  if (maxLen === 0) return 2;
  if (stride >= maxLen) {
    throw new RangeError(`truncation: stride (${stride}) must be smaller than the length left for the text (${maxLen})`);
  }
  return 1 + Math.ceil((n - maxLen) / (maxLen - stride));
}

/** Windows of a text of n tokens cut to maxLen (Encoding::truncate); the first is the one kept. */
export function windows(n: number, maxLen: number, stride: number, direction: Direction, limit = Infinity): Window[] {
  const count = Math.min(windowCount(n, maxLen, stride), limit);
  if (maxLen >= n) return [[0, n]];
  if (maxLen === 0) return ([[0, 0], [0, n]] as Window[]).slice(0, count);
  const step = maxLen - stride;
  const out: Window[] = [];
  for (let k = 0; k < count; k++) {
    if (direction === 'right') {
      const start = k * step;
      out.push([start, Math.min(start + maxLen, n)]);
    } else {
      const stop = n - k * step;
      out.push([Math.max(0, stop - maxLen), stop]);
    }
  }
  return out;
}

/** Rows windowPairs makes for `a` and `b` windows per text. */
export function rowCount(a: number, b: number | undefined, linear: boolean): number {
  if (b === undefined) return a;
  return linear ? a + b - 1 : a * b;
}

/** Throws a clear error before building more than MAX_OVERFLOW_ROWS rows. */
export function checkRowCount(a: number, b: number | undefined, linear: boolean): void {
  const rows = rowCount(a, b, linear);
  if (rows <= MAX_OVERFLOW_ROWS) return;
  const windowsOf = b === undefined ? `${a} windows` : `${a} windows of the first text ${linear ? '+' : '×'} ${b} of the second`;
  throw new RangeError(`truncation: returnOverflowing would make ${rows} rows (${windowsOf}), over the limit of ${MAX_OVERFLOW_ROWS}; ` +
    'raise maxLength, lower stride' + (b === undefined ? '' : ", or truncate one text only ('only_first' / 'only_second')"));
}

/**
 * (windowA, windowB) combinations. HF's order (`linear` false): main, then A's overflow × (B, B's overflow…), then
 * A × B's overflow. Linear: main, then A's overflow with B's first window, then A's first window with B's overflow —
 * every token of both texts still appears in some row, in |A| + |B| − 1 rows.
 */
export function windowPairs(a: Window[], b: Window[] | undefined, linear = false): [Window, Window | undefined][] {
  if (b === undefined) return a.map((w) => [w, undefined]);
  const out: [Window, Window | undefined][] = [[a[0], b[0]]];
  for (let i = 1; i < a.length; i++) {
    if (linear) out.push([a[i], b[0]]);
    else for (let j = 0; j < b.length; j++) out.push([a[i], b[j]]);
  }
  for (let j = 1; j < b.length; j++) out.push([a[0], b[j]]);
  return out;
}
