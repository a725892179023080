// Generates src/tokenizer/unicode-tables.ts by asking the HF Rust tokenizer (npm `tokenizers`) how it treats every
// code point. The Rust crate classifies characters with its own (older) Unicode tables, which differ from Node's ICU
// and JS `\p{…}` on several hundred code points; copying its answers is the only way to be byte-for-byte equal.
//
// Each BertNormalizer step is probed on its own, one code point at a time (the steps are per-character maps):
//   clean_text            → removed (control, U+0000, U+FFFD) | replaced by ' ' (whitespace) | kept
//   handle_chinese_chars  → padded with spaces (a "Chinese" character) | kept
//   strip_accents         → NFD then drop Mn: removed | replaced by a string | kept
//   lowercase             → replaced by a string | kept
// and BertPreTokenizer on "a" + c + "b": split away (whitespace) | isolated (punctuation) | part of the word.
// NFD also reorders combining marks by canonical class, which is not per character: the Rust NFD's decompositions
// of code points holding a mark and the order of the classes (probed by pairs) are stored for that path.
//
//   npx tsx scripts/make-unicode-tables.ts            writes the table file
//   npx tsx scripts/make-unicode-tables.ts --check    fails if the committed file differs from a fresh build
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { bertNormalizer, bertPreTokenizer, nfdNormalizer } from 'tokenizers';

// Flag bits, written into the generated file (FLAG) that src/tokenizer/unicode.ts reads.
export const F = {
  REMOVE: 1, CLEAN_SPACE: 2, CJK: 4, SPACE: 8, PUNCT: 16, STRIP_REMOVE: 32, STRIP_MAP: 64, LOWER_MAP: 128, CCC: 256,
} as const;

const HANGUL_FIRST = 0xac00;
const HANGUL_LAST = 0xd7a3;
const OUT = 'src/tokenizer/unicode-tables.ts';

const clean = bertNormalizer({ cleanText: true, handleChineseChars: false, stripAccents: false, lowercase: false });
const chinese = bertNormalizer({ cleanText: false, handleChineseChars: true, stripAccents: false, lowercase: false });
const strip = bertNormalizer({ cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false });
const lower = bertNormalizer({ cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: true });
const preTokenizer = bertPreTokenizer();
const nfd = nfdNormalizer();

export interface Classified {
  flags: number;
  /** strip_accents output when it is neither the input nor empty. */
  strip?: string;
  /** lowercase output when it differs from the input. */
  lower?: string;
}

/** Asks the Rust tokenizer about one code point (not a surrogate). Throws on an answer outside the known shapes. */
export function classifyCodePoint(cp: number): Classified {
  const c = String.fromCodePoint(cp);
  let flags = 0;
  const out: Classified = { flags: 0 };

  const cleaned = clean.normalizeString(c);
  if (cleaned === '') flags |= F.REMOVE;
  else if (cleaned === ' ') flags |= F.CLEAN_SPACE;
  else if (cleaned !== c) throw new Error(`clean_text(U+${hex(cp)}) = ${JSON.stringify(cleaned)}`);

  const padded = chinese.normalizeString(c);
  if (padded === ` ${c} `) flags |= F.CJK;
  else if (padded !== c) throw new Error(`handle_chinese_chars(U+${hex(cp)}) = ${JSON.stringify(padded)}`);

  const stripped = strip.normalizeString(c);
  if (stripped === '') flags |= F.STRIP_REMOVE;
  else if (stripped !== c) {
    flags |= F.STRIP_MAP;
    out.strip = stripped;
  }

  const lowered = lower.normalizeString(c);
  if (lowered !== c) {
    if (lowered === '') throw new Error(`lowercase(U+${hex(cp)}) is empty`);
    flags |= F.LOWER_MAP;
    out.lower = lowered;
  }

  const pieces = preTokenizer.preTokenizeString(`a${c}b`).map(([s]) => s);
  const n = c.length;
  if (pieces.length === 2 && pieces[0] === 'a' && pieces[1] === 'b') flags |= F.SPACE;
  else if (pieces.length === 3 && pieces[1] === c) flags |= F.PUNCT;
  else if (!(pieces.length === 1 && pieces[0].length === n + 2)) {
    throw new Error(`pre-tokenize(U+${hex(cp)}) = ${JSON.stringify(pieces)}`);
  }
  out.flags = flags;
  return out;
}

/** Hangul syllables decompose algorithmically (Unicode §3.12); the runtime computes them instead of storing 11 172. */
export function hangulDecomposition(cp: number): string {
  const s = cp - HANGUL_FIRST;
  const l = 0x1100 + Math.floor(s / 588);
  const v = 0x1161 + Math.floor((s % 588) / 28);
  const t = s % 28;
  return String.fromCodePoint(l, v, ...(t ? [0x11a7 + t] : []));
}

function hex(cp: number): string {
  return cp.toString(16).toUpperCase().padStart(4, '0');
}

const b36 = (n: number): string => n.toString(36);

const reorders = (a: string, b: string): boolean => nfd.normalizeString(a + b) === b + a && a !== b;

/**
 * Canonical combining classes as the Rust NFD uses them, as ranks (only their order matters): a code point has a
 * nonzero class when NFD moves it past U+0334 (class 1) or U+0301 (class 230) moves past it; the classes are then
 * ordered by asking NFD to reorder pairs. Returns code point → rank (1…), for code points that are their own NFD.
 */
export function combiningRanks(): Map<number, number> {
  const marks: string[] = [];
  for (let cp = 0x300; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const c = String.fromCodePoint(cp);
    if (nfd.normalizeString(c) !== c) continue;
    if (reorders(c, '\u0334') || reorders('\u0301', c) || c === '\u0334' || c === '\u0301') marks.push(c);
  }
  // a before b when NFD would move a behind b (a has the higher class).
  marks.sort((a, b) => (reorders(a, b) ? 1 : reorders(b, a) ? -1 : 0));
  const ranks = new Map<number, number>();
  let rank = 1;
  marks.forEach((c, i) => {
    if (i > 0) {
      if (reorders(marks[i - 1], c)) throw new Error('combining classes are not a total order');
      if (reorders(c, marks[i - 1])) rank++;
    }
    ranks.set(c.codePointAt(0) as number, rank);
  });
  return ranks;
}

/** Builds the generated file's text. */
export function buildTables(): { text: string; marks: number } {
  const runs: number[] = [];
  let runFlags = -1;
  let runStart = 0;
  const lowerEntries: string[] = [];
  let lastLower = 0;
  // Decompositions are not tabled: the runtime asks String.prototype.normalize (src/tokenizer/unicode.ts). Rust's
  // tables are Unicode 9 and assigned decompositions never change, so this engine must agree wherever Rust maps.
  const jsNfd = (cp: number) => String.fromCodePoint(cp).normalize('NFD');
  const fffd = classifyCodePoint(0xfffd).flags;
  const ranks = combiningRanks();
  const rankEntries: string[] = [];
  let lastRank = 0;
  for (const [cp, rank] of [...ranks].sort((a, b) => a[0] - b[0])) {
    rankEntries.push(b36(cp - lastRank), b36(rank));
    lastRank = cp;
  }

  for (let cp = 0; cp <= 0x10ffff; cp++) {
    const isSurrogate = cp >= 0xd800 && cp <= 0xdfff;
    // Lone surrogates reach the Rust side as U+FFFD (N-API's UTF-8 conversion); the runtime maps them the same way.
    const k: Classified = isSurrogate ? { flags: fffd } : classifyCodePoint(cp);
    if (!isSurrogate) {
      // NFD sorts combining marks by class, and HF's alignments then follow positions, not characters: code points
      // whose decomposition holds a nonzero class take the exact (buffered) path at run time.
      const c = String.fromCodePoint(cp);
      const d = nfd.normalizeString(c);
      if (Array.from(d).some((p) => ranks.has(p.codePointAt(0) as number))) {
        k.flags |= F.CCC;
        if (jsNfd(cp) !== d) throw new Error(`U+${hex(cp)}: this engine's NFD differs from Rust's`);
      }
    }
    if (k.flags !== runFlags) {
      if (runFlags >= 0) runs.push(cp - runStart, runFlags);
      runFlags = k.flags;
      runStart = cp;
    }
    // strip_accents at run time: the engine's NFD minus the code points Rust strips (STRIP_REMOVE).
    if (k.strip !== undefined && (k.flags & F.CCC) === 0) {
      const isHangul = cp >= HANGUL_FIRST && cp <= HANGUL_LAST;
      if (isHangul && k.strip !== hangulDecomposition(cp)) throw new Error(`Hangul U+${hex(cp)} is not algorithmic`);
      const kept = Array.from(jsNfd(cp)).filter((p) => (classifyCodePoint(p.codePointAt(0) as number).flags & F.STRIP_REMOVE) === 0);
      if (!isHangul && kept.join('') !== k.strip) throw new Error(`U+${hex(cp)}: NFD minus Mn differs from Rust's strip_accents`);
    }
    if (k.lower !== undefined) {
      lowerEntries.push(encodeEntry(cp - lastLower, cp, k.lower));
      lastLower = cp;
    }
  }
  runs.push(0x110000 - runStart, runFlags);

  const require = createRequire(import.meta.url);
  const version = (JSON.parse(readFileSync(require.resolve('tokenizers/package.json'), 'utf8')) as { version: string })
    .version;
  const text = `// GENERATED by scripts/make-unicode-tables.ts from the HF Rust tokenizer (npm tokenizers ${version}). Do not edit.
// Character classes exactly as the Rust BertNormalizer / BertPreTokenizer see them (their Unicode tables, not ICU's).
//
// FLAG_RUNS: base-36 pairs "length,flags" covering U+0000..U+10FFFF in order (surrogates carry U+FFFD's flags).
// LOWER_MAP: base-36 entries "cpDelta,n,out1-cp,...,outN-cp" (cpDelta from the previous entry). Decompositions (NFD,
// strip_accents) are the engine's String.prototype.normalize, checked against Rust for every flagged code point here.
// CCC_RANKS: base-36 pairs "cpDelta,rank": the order of canonical combining classes (0 when absent).
export const FLAG = { REMOVE: 1, CLEAN_SPACE: 2, CJK: 4, SPACE: 8, PUNCT: 16, STRIP_REMOVE: 32, STRIP_MAP: 64, LOWER_MAP: 128, CCC: 256 } as const;
export const FLAG_RUNS = ${JSON.stringify(runs.map(b36).join(','))};
export const LOWER_MAP = ${JSON.stringify(lowerEntries.join(','))};
export const CCC_RANKS = ${JSON.stringify(rankEntries.join(','))};
`;
  return { text, marks: ranks.size };
}

function encodeEntry(delta: number, cp: number, out: string): string {
  const cps = Array.from(out, (ch) => (ch.codePointAt(0) as number) - cp);
  return [delta, cps.length, ...cps].map(b36).join(',');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t0 = performance.now();
  const { text, marks } = buildTables();
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (process.argv.includes('--check')) {
    const committed = readFileSync(OUT, 'utf8');
    if (committed !== text) {
      console.error(`${OUT} differs from a fresh build: run npx tsx scripts/make-unicode-tables.ts`);
      process.exit(1);
    }
    console.log(`${OUT} is up to date (${secs} s, ${marks} combining marks)`);
  } else {
    writeFileSync(OUT, text);
    console.log(`wrote ${OUT}: ${text.length} bytes in ${secs} s, ${marks} combining marks`);
  }
}
