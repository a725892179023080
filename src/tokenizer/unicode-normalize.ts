// HF tokenizers' NFD / NFKD / NFC / NFKC and StripAccents normalizers with their exact alignments: the
// unicode-normalization-alignments crate emits (char, change) pairs — a character's decomposition is its first part
// (change 0, takes the character's span) then inserted parts (change 1) — sorts runs of combining marks by class
// (stably, moving the pairs, so spans follow positions), and recomposes with a composee/buffer state machine whose
// changes add up (composee change + part change − 1). This file replays those steps; the character data comes from the
// engine (String.prototype.normalize), minus the code points newer than the crate's Unicode 9.0 (unicode9.ts), with
// the crate's own canonical classes (unicode.ts ranks, probed from Rust).
import type { Change } from './normalized.ts';
import { combiningRank } from './unicode.ts';
import { DECOMPOSED_AFTER_UNICODE9, MARKS_AFTER_UNICODE9, MARKS_ONLY_IN_UNICODE9 } from './unicode9.ts';

type RangeSet = Uint32Array;

function ranges(encoded: string): RangeSet {
  const out: number[] = [];
  for (const item of encoded.split(',')) {
    if (item === '') continue;
    const [a, b] = item.split('-').map((x) => parseInt(x, 36));
    out.push(a, b ?? a);
  }
  return Uint32Array.from(out);
}

function inRanges(set: RangeSet, cp: number): boolean {
  let lo = 0;
  let hi = set.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (cp < set[2 * mid]) hi = mid - 1;
    else if (cp > set[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

let newerDecompositions: RangeSet | undefined;
let newerMarks: RangeSet | undefined;
let oldMarks: RangeSet | undefined;
const decompositions = [new Map<number, number[]>(), new Map<number, number[]>()];
const compositions = new Map<number, number>();

function isNewer(cp: number): boolean {
  newerDecompositions ??= ranges(DECOMPOSED_AFTER_UNICODE9);
  return inRanges(newerDecompositions, cp);
}

/** The crate's full decomposition of one character (canonical, or compatibility when `compat`). */
function decompose(cp: number, compat: boolean): readonly number[] {
  if (cp < 0xa0) return [cp];
  const cache = decompositions[compat ? 1 : 0];
  let out = cache.get(cp);
  if (out === undefined) {
    out = isNewer(cp) ? [cp] : Array.from(String.fromCodePoint(cp).normalize(compat ? 'NFKD' : 'NFD'), (c) => c.codePointAt(0) as number);
    cache.set(cp, out);
  }
  return out;
}

/** The primary composite of a + b as the crate composes them, or -1. */
function compose(a: number, b: number): number {
  const key = a * 0x110000 + b;
  const hit = compositions.get(key);
  if (hit !== undefined) return hit;
  let r = -1;
  const pair = String.fromCodePoint(a, b);
  const nfc = pair.normalize('NFC');
  const c = nfc.codePointAt(0) as number;
  // One character that decomposes straight back to a's decomposition + b: (a, b) is its canonical mapping. (NFC alone
  // would also merge ê + U+0323 into ệ, whose mapping is ẹ + U+0302: not a composition of that pair.)
  if (nfc.length === (c > 0xffff ? 2 : 1) && !isNewer(c) &&
      String.fromCodePoint(c).normalize('NFD') === String.fromCodePoint(a).normalize('NFD') + String.fromCodePoint(b)) {
    r = c;
  }
  compositions.set(key, r);
  return r;
}

/** NFD / NFKD as (char, change) pairs over `cps`. */
export function decomposeChanges(cps: readonly number[], compat: boolean): Change[] {
  const out: [rank: number, cp: number, change: number][] = [];
  let ready = 0;
  const sortPending = () => {
    if (out.length - ready > 1) {
      const run = out.slice(ready).sort((x, y) => x[0] - y[0]); // Array.prototype.sort is stable
      out.splice(ready, run.length, ...run);
    }
    ready = out.length;
  };
  for (const cp of cps) {
    const parts = decompose(cp, compat);
    for (let i = 0; i < parts.length; i++) {
      const rank = combiningRank(parts[i]);
      if (rank === 0) sortPending();
      out.push([rank, parts[i], i === 0 ? 0 : 1]);
    }
  }
  sortPending();
  return out.map(([, cp, change]) => [cp, change] as const);
}

/** NFC / NFKC as (char, change) pairs: the decomposition, then the crate's recomposition. */
export function composeChanges(cps: readonly number[], compat: boolean): Change[] {
  const out: Change[] = [];
  let composee: [number, number] | null = null;
  let lastRank = -1;
  let buffer: Change[] = [];
  for (const [ch, change] of decomposeChanges(cps, compat)) {
    const rank = combiningRank(ch);
    if (composee === null) {
      if (rank !== 0) out.push([ch, change]);
      else composee = [ch, change];
      continue;
    }
    if (lastRank !== -1 && lastRank >= rank) {
      // Blocked from the composee.
      if (rank === 0) {
        out.push(composee, ...buffer);
        buffer = [];
        composee = [ch, change];
        lastRank = -1;
      } else {
        buffer.push([ch, change]);
        lastRank = rank;
      }
      continue;
    }
    const r = compose(composee[0], ch);
    if (r !== -1) {
      composee = [r, composee[1] + change - 1];
    } else if (lastRank === -1 && rank === 0) {
      out.push(composee);
      composee = [ch, change];
    } else {
      buffer.push([ch, change]);
      lastRank = rank;
    }
  }
  if (composee !== null) out.push(composee);
  out.push(...buffer);
  return out;
}

/** The crate's is_combining_mark (General_Category M in Unicode 9.0). */
export function isCombiningMark9(cp: number): boolean {
  if (cp < 0x300) return false;
  newerMarks ??= ranges(MARKS_AFTER_UNICODE9);
  oldMarks ??= ranges(MARKS_ONLY_IN_UNICODE9);
  if (inRanges(oldMarks, cp)) return true;
  return /\p{M}/u.test(String.fromCodePoint(cp)) && !inRanges(newerMarks, cp);
}
