// Character lookups over the generated tables (unicode-tables.ts, copied from the HF Rust tokenizer's own answers).
// The BMP is expanded into a 128 KiB flag array at load (the hot path is one typed-array read); astral code points are
// found by binary search over the run starts. The maps are small (a few thousand entries) and built lazily.
//
// Decompositions come from the engine (String.prototype.normalize), not from a table: the Rust side's normalization
// tables are Unicode 9.0, and Unicode's stability policy freezes a code point's canonical decomposition once it is
// assigned, so for every code point the flags mark (Rust's own answers) any engine with Unicode ≥ 9 agrees —
// scripts/make-unicode-tables.ts and test/unit/tokenizer-unicode.test.ts check all of them against Rust.
import { CCC_RANKS, FLAG, FLAG_RUNS, LOWER_MAP } from './unicode-tables.ts';

export { FLAG };

const bmpFlags = new Uint16Array(0x10000);
let astralStarts: Uint32Array;
let astralFlags: Uint16Array;

(function decodeRuns(): void {
  const nums = FLAG_RUNS.split(',').map((s) => parseInt(s, 36));
  const starts: number[] = [];
  const flags: number[] = [];
  let cp = 0;
  for (let i = 0; i < nums.length; i += 2) {
    const len = nums[i];
    const f = nums[i + 1];
    const end = cp + len;
    if (cp < 0x10000) bmpFlags.fill(f, cp, Math.min(end, 0x10000));
    if (end > 0x10000) {
      starts.push(Math.max(cp, 0x10000));
      flags.push(f);
    }
    cp = end;
  }
  if (cp !== 0x110000) throw new Error(`unicode-tables: runs cover ${cp} code points, want 0x110000`);
  astralStarts = Uint32Array.from(starts);
  astralFlags = Uint16Array.from(flags);
})();

/** FLAG bits of a code point as the Rust tokenizer classifies it (lone surrogates count as U+FFFD). */
export function charFlags(cp: number): number {
  if (cp < 0x10000) return bmpFlags[cp];
  let lo = 0;
  let hi = astralStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (astralStarts[mid] <= cp) lo = mid;
    else hi = mid - 1;
  }
  return astralFlags[lo];
}

type CodePointMap = Map<number, number[]>;
const stripMap: CodePointMap = new Map();
const nfdMap: CodePointMap = new Map();
let cccRanks: Map<number, number> | undefined;
let lowerMap: CodePointMap | undefined;

function decodeMap(encoded: string): CodePointMap {
  const nums = encoded.split(',').map((s) => parseInt(s, 36));
  const map: CodePointMap = new Map();
  let cp = 0;
  for (let i = 0; i < nums.length; ) {
    cp += nums[i];
    const n = nums[i + 1];
    const out: number[] = [];
    for (let j = 0; j < n; j++) out.push(cp + nums[i + 2 + j]);
    map.set(cp, out);
    i += 2 + n;
  }
  return map;
}

const HANGUL_FIRST = 0xac00;
const HANGUL_LAST = 0xd7a3;

/** strip_accents (NFD, then drop Mn) of a code point whose flags have STRIP_MAP. */
export function stripAccentsOf(cp: number): readonly number[] {
  if (cp >= HANGUL_FIRST && cp <= HANGUL_LAST) {
    // Unicode §3.12 algorithmic decomposition; the generator checked the Rust output equals it for every syllable.
    const s = cp - HANGUL_FIRST;
    const t = s % 28;
    const l = 0x1100 + Math.floor(s / 588);
    const v = 0x1161 + Math.floor((s % 588) / 28);
    return t ? [l, v, 0x11a7 + t] : [l, v];
  }
  let out = stripMap.get(cp);
  if (out === undefined) {
    out = nfdOf(cp).filter((p) => (charFlags(p) & FLAG.STRIP_REMOVE) === 0);
    stripMap.set(cp, out);
  }
  return out;
}

/** Rust `char::to_lowercase` of a code point whose flags have LOWER_MAP. */
export function lowercaseOf(cp: number): readonly number[] {
  lowerMap ??= decodeMap(LOWER_MAP);
  const out = lowerMap.get(cp);
  if (out === undefined) throw new Error(`unicode-tables: no lowercase entry for U+${cp.toString(16)}`);
  return out;
}

/** Rust's full NFD of a code point whose flags have CCC (a decomposition holding a combining mark, or the mark). */
export function decompositionOf(cp: number): readonly number[] {
  let out = nfdMap.get(cp);
  if (out === undefined) {
    out = nfdOf(cp);
    nfdMap.set(cp, out);
  }
  return out;
}

function nfdOf(cp: number): number[] {
  return Array.from(String.fromCodePoint(cp).normalize('NFD'), (ch) => ch.codePointAt(0) as number);
}

/** Order of the canonical combining class of a code point as Rust's NFD sorts them; 0 for starters. */
export function combiningRank(cp: number): number {
  if (cccRanks === undefined) {
    cccRanks = new Map();
    const nums = CCC_RANKS.split(',').map((s) => parseInt(s, 36));
    let cp0 = 0;
    for (let i = 0; i < nums.length; i += 2) {
      cp0 += nums[i];
      cccRanks.set(cp0, nums[i + 1]);
    }
  }
  return cccRanks.get(cp) ?? 0;
}
