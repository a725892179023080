// Unigram (XLM-R style) parity with the HF Rust tokenizer (npm `tokenizers`) on the WordPiece corpus (> 2000 strings,
// every category) plus SentencePiece-specific cases: singles, pairs, truncation with overflowing windows. The
// tokenizer.json is a trained SentencePiece vocabulary with the real nmt_nfkc Precompiled charsmap
// (test/fixtures/tokenizer/xlmr.ts); variants: XLM-R as shipped (unknowns → <unk>), and byte fallback with
// prepend_scheme "first" and type id 1 on the second sequence. 0 mismatches in ids, type ids, masks, offsets (UTF-16),
// word ids.
import { describe, expect, it } from 'vitest';
import { BertTokenizer, type TruncationOptions } from '../../src/tokenizer/index.ts';
import { serdeJsonF64 } from '../../src/tokenizer/unigram.ts';
import { buildCorpus } from '../fixtures/tokenizer/corpus.ts';
import { expectDecodeParity, expectEncodeParity } from '../fixtures/tokenizer/parity.ts';
import { Reference } from '../fixtures/tokenizer/reference.ts';
import { type UnigramVariant, xlmrTokenizerJson } from '../fixtures/tokenizer/xlmr.ts';

const corpus = [...buildCorpus(), 'Hello <mask> world', 'a<mask>b', '  <mask>  x', '<s>hi</s>', '<unk> <pad>',
  ' leading space', 'trailing space ', 'many     spaces\t\t here', '▁already▁spaced ▁', '<0x41><0xE2>', '``quoted\'\'',
  'ｆｕｌｌｗｉｄｔｈ　ＡＢＣ　１２３', '㍻ ㌔ ℡ ﬃ', 'x\u3000\u3000y', '\u00a0x', 'ǅ', '😀 x', ' 😀', 'é vs e\u0301',
  '각 각', 'ｶﾞｷﾞ', `x ${'b'.repeat(100)} y`, 'a'.repeat(300)];
const TRUNCATIONS: TruncationOptions[] = [
  { maxLength: 12, stride: 2 },
  { maxLength: 20, strategy: 'only_first', direction: 'left' },
  { maxLength: 9, strategy: 'longest_first', stride: 1, direction: 'left' },
];
const VARIANTS: [string, UnigramVariant][] = [
  ['XLM-R (unknown → <unk>)', {}],
  ['byte fallback, prepend_scheme first, pair type 1', { byteFallback: true, prependScheme: 'first', pairTypeId: 1 }],
];

describe.each(VARIANTS)('Unigram parity: %s', (_name, variant) => {
  const json = xlmrTokenizerJson(variant);
  const ours = BertTokenizer.fromTokenizerJson(json);
  const ref = new Reference(json);

  it(`singles, pairs and truncated inputs over ${corpus.length} strings`, async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(2000);
    await expectEncodeParity(ours, ref, corpus, TRUNCATIONS);
  }, 120_000);

  it('decode (Metaspace decoder) matches, with and without skipSpecialTokens', async () => {
    await expectDecodeParity(ours, ref, corpus);
  });

  it('exposes <mask> and <pad>', () => {
    const vocab = (json.model as { vocab: [string, number][] }).vocab;
    expect(ours.maskToken).toBe('<mask>');
    expect(ours.maskTokenId).toBe(vocab.length - 1);
    expect(ours.padTokenId).toBe(1);
  });
});

describe('Unigram scores read as serde_json reads them', () => {
  it('rounds 17-digit scores the way Rust does (u64 → f64, then ÷ 10^k)', () => {
    // Seen: "-10.254303932189941" parses one ulp apart; ties between equal-piece paths then break differently.
    const x = -10.254303932189941;
    expect(serdeJsonF64(x)).toBe(-(Number(10254303932189941n) / 1e15));
    expect(serdeJsonF64(-3.5)).toBe(-3.5);
    expect(serdeJsonF64(0)).toBe(0);
    expect(serdeJsonF64(-1.5e-7)).toBe(-(15 / 1e8));
  });
});
