// Property-based tests of the tokenizer (fast-check) on random Unicode — any code point, lone surrogates, combining
// marks, CJK, added tokens, control characters — singles and pairs, with and without truncation and overflowing
// windows: it never throws (except the RangeError HF's own impossible truncation settings give), ids are in the
// vocabulary, offsets lie inside their own text and never go backwards, and a sample agrees with the HF Rust tokenizer.
// Fixed seed, printed; FUZZ_SEED=<n> replays another. Each property is bounded to a few seconds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BertTokenizer, type Encoding, type EncodeOptions } from '../../src/tokenizer/index.ts';
import { Reference, diffEncodings, tokenizerConfig, tokenizerJson, vocabText } from '../fixtures/tokenizer/reference.ts';

const seed = Number(process.env.FUZZ_SEED ?? 20_251_111);
console.log(`fuzz-tokenizer: seed ${seed} (FUZZ_SEED=<n> to replay another)`);
const budget = (ms: number) => ({ seed, numRuns: 100_000, plugins: [fc.interruptAfterTimeLimit(ms)] });

/** One "character": any code point, a lone surrogate, or something the tokenizer treats specially. */
const piece = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u)) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }) },
  { weight: 3, arbitrary: fc.constantFrom(' ', '  ', '\t', '\n', '\u00a0', '\u200b', '\u0000', '\ufffd', '\u0301', 'e\u0301', '\u0654', '中文', '##', '[MASK]', '[CLS]', '[UNK]', 'hello', 'world', 'un', '##able', '.', ',', '!', '\u{1f600}', 'ﬁ', 'İ', 'ß') },
);
const text = fc.array(piece, { maxLength: 40 }).map((p) => p.join(''));

const truncation = fc.option(fc.record({
  maxLength: fc.integer({ min: 0, max: 40 }),
  stride: fc.integer({ min: 0, max: 8 }),
  strategy: fc.constantFrom('longest_first', 'only_first', 'only_second') as fc.Arbitrary<'longest_first' | 'only_first' | 'only_second'>,
  direction: fc.constantFrom('right', 'left') as fc.Arbitrary<'right' | 'left'>,
  fullOverflow: fc.boolean(),
}), { nil: undefined });

/** The invariants every encoding (and each overflowing window) must hold. */
function check(tok: BertTokenizer, e: Encoding, texts: readonly string[], maxLength: number | undefined): void {
  const n = e.ids.length;
  for (const a of [e.tokenTypeIds, e.attentionMask, e.specialTokensMask, e.wordIds]) expect(a.length).toBe(n);
  expect(e.offsets.length).toBe(2 * n);
  if (maxLength !== undefined) expect(n).toBeLessThanOrEqual(maxLength);
  const lastStart = [0, 0];
  const lastWord = [-1, -1];
  for (let i = 0; i < n; i++) {
    expect(Number.isInteger(e.ids[i]) && e.ids[i] >= 0 && e.ids[i] < tok.vocabSize, `id ${e.ids[i]}`).toBe(true);
    expect(tok.idToToken(e.ids[i]), `id ${e.ids[i]} has a token`).toBeDefined();
    const type = e.tokenTypeIds[i];
    expect(type === 0 || (type === 1 && texts.length === 2)).toBe(true);
    const [s, end] = [e.offsets[2 * i], e.offsets[2 * i + 1]];
    if (e.specialTokensMask[i] === 1) {
      expect([s, end, e.wordIds[i]]).toEqual([0, 0, -1]);
      continue;
    }
    const own = texts[type];
    expect(0 <= s && s <= end && end <= own.length, `offsets [${s}, ${end}] in a text of ${own.length}`).toBe(true);
    expect(s, 'offsets never go backwards').toBeGreaterThanOrEqual(lastStart[type]);
    expect(e.wordIds[i], 'word ids never go backwards').toBeGreaterThanOrEqual(lastWord[type]);
    lastStart[type] = s;
    lastWord[type] = e.wordIds[i];
  }
}

function encodeChecked(tok: BertTokenizer, a: string, b: string | undefined, options: EncodeOptions & { truncation?: { maxLength: number } }): void {
  let e: Encoding;
  try {
    e = tok.encode(a, b ?? null, options);
  } catch (err) {
    // Settings HF refuses too (a stride not below what is left, a budget smaller than the special tokens).
    if (err instanceof RangeError && /^truncation: /.test(err.message)) return;
    throw err;
  }
  const texts = b === undefined ? [a] : [a, b];
  const maxLength = options.truncation?.maxLength;
  check(tok, e, texts, maxLength);
  // HF's quirk, kept for parity: a text given a budget of 0 tokens gets one overflowing window holding all of it,
  // longer than maxLength. Otherwise every window fits.
  const kept = (type: number) => e.tokenTypeIds.some((t, i) => t === type && e.specialTokensMask[i] === 0);
  const budgetZero = texts.some((_, type) => !kept(type));
  for (const w of e.overflowing) check(tok, w, texts, budgetZero ? undefined : maxLength);
}

describe.each([['uncased', false], ['cased', true]] as const)('fuzzing the tokenizer, %s', (_name, cased) => {
  const tok = BertTokenizer.fromVocab(vocabText(), tokenizerConfig(cased));

  it('singles: no throw, ids in range, offsets in bounds and monotone', () => {
    fc.assert(fc.property(text, truncation, (a, t) => {
      encodeChecked(tok, a, undefined, { truncation: t, returnOverflowing: t !== undefined });
    }), budget(1500));
  });

  it('pairs with truncation and overflowing windows', () => {
    fc.assert(fc.property(text, text, truncation, (a, b, t) => {
      encodeChecked(tok, a, b, { truncation: t, returnOverflowing: t !== undefined });
    }), budget(1500));
  });

  it('decode never throws and encodeBatch equals encode', () => {
    fc.assert(fc.property(fc.array(text, { maxLength: 4 }), (texts) => {
      const batch = tok.encodeBatch(texts);
      batch.forEach((e, i) => {
        expect(Array.from(e.ids)).toEqual(Array.from(tok.encode(texts[i]).ids));
        expect(typeof tok.decode(e.ids, { skipSpecialTokens: true })).toBe('string');
      });
    }), budget(800));
  });
});

describe('fuzzing against the HF Rust tokenizer', () => {
  const ours = BertTokenizer.fromVocab(vocabText(), tokenizerConfig(false));
  const ref = new Reference(tokenizerJson(vocabText(), false));

  it('random Unicode singles and pairs give the same ids, type ids, offsets and word ids', async () => {
    await fc.assert(fc.asyncProperty(text, fc.option(text, { nil: undefined }), async (a, b) => {
      const diff = diffEncodings(ours.encode(a, b ?? null), await ref.encode(a, b));
      expect(diff, `${JSON.stringify(a)} | ${JSON.stringify(b)}`).toBeUndefined();
    }), budget(2000));
  });
});
