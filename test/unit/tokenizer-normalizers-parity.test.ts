// NFD / NFKD / NFC / NFKC / StripAccents (HF's unicode-normalization-alignments crate, Unicode 9.0) with HF's exact
// offsets, vs the HF Rust tokenizer (npm `tokenizers`): each normalizer alone on the parity corpus (> 2000 strings,
// marks reordered by class, compositions blocked and not, Hangul, compatibility forms, code points newer than Unicode
// 9.0), and ALBERT's normalizer chain (Replace ``/'' → ", NFKD, StripAccents, Lowercase, the nmt_nfkc Precompiled,
// Replace " {2,}") in front of the trained Unigram vocabulary with a [CLS] A [SEP] B [SEP] template (B type 1): singles,
// and pairs and truncated pairs for every other string; added tokens matched after the chain (normalized) or before it.
// 0 mismatches in ids, type ids, masks, offsets (UTF-16), word ids.
import { describe, expect, it } from 'vitest';
import { BertTokenizer, type EncodeOptions } from '../../src/tokenizer/index.ts';
import { albertFromXlmr } from '../fixtures/tokenizer/albert-json.ts';
import { buildCorpus } from '../fixtures/tokenizer/corpus.ts';
import { Reference, diffEncodings } from '../fixtures/tokenizer/reference.ts';
import { xlmrTokenizerJson } from '../fixtures/tokenizer/xlmr.ts';

// Cases the crate treats specially: Hangul L+V(+T) composition, blocked and unblocked marks (ê + U+0323 is no
// composition pair though NFC merges it), two-starter compositions, singletons, compatibility forms, Unicode 9
// marks that are letters now (U+1CF2), and characters newer than 9.0 that the engine decomposes but HF leaves alone.
const EXTRA = ['\u1100\u1161\u11a8 \u1100\u1161', '\uac00\u11a8', 'ê\u0323 e\u0323\u0302 \u1ec7\u0323', '\u0b47\u0b3e \u0b4b',
  'ﬁ ① ㍻ \u212b \u2126', '\u0344\u0f73\u0f75 \u1e9b\u0323', 'a\u0308\u0301\u0304', '\u{1fbf0}\u{1fbf9} \ua7f2 \u{10781} \u{1e030}',
  '\u1cf2x\u1cf3', '\u0301\u0301e', 'ǅ ǆ Ǆ', 'ｶﾞ ﾊﾟ ｶ\u3099', '\u3099\u309a', '\u{1d15e}\u{1d165}', '\u{11099}\u{110ba}',
  '\u{114b9}\u{114ba}\u{114b0}', 'Å\u0301\u0323', '\u00c5\u0323', 'A\u030a\u0323', '\u0627\u0653\u0654', '𝐀𝐁 𝟘 ℌ', '¼ ½ ³',
  '\u1fbe \u037e \u0387', '\u{2f800}\u{2fa1d}', 'ﷺ \ufdfa', "``quoted'' text", 'x\u{16d67}\u{16d67}'];
const corpus = [...buildCorpus(), ...EXTRA];

function attempt<T>(f: () => T): T | Error {
  try {
    return f();
  } catch (e) {
    return e as Error;
  }
}

async function mismatches(json: Record<string, unknown>, runs: (i: number) => [string | undefined, EncodeOptions][]): Promise<[number, string[]]> {
  const ours = BertTokenizer.fromTokenizerJson(json);
  const ref = new Reference(json);
  const bad: string[] = [];
  let cases = 0;
  for (let i = 0; i < corpus.length; i++) {
    for (const [b, options] of runs(i)) {
      cases++;
      const got = attempt(() => ours.encode(corpus[i], b, options));
      const want = await ref.encode(corpus[i], b, options).catch((e: Error) => e);
      const d = got instanceof Error || want instanceof Error
        ? (got instanceof Error && want instanceof Error ? undefined : `error mismatch: ours ${got}, rust ${want}`)
        : diffEncodings(got, want);
      if (d) bad.push(`${JSON.stringify(corpus[i])} | ${JSON.stringify(b)} | ${JSON.stringify(options)}\n${d}`);
    }
  }
  return [cases, bad];
}

const base = xlmrTokenizerJson({ byteFallback: true });

describe('Unicode normalizers with HF offsets', () => {
  it.each(['NFD', 'NFKD', 'NFC', 'NFKC', 'StripAccents'])(`%s alone over ${corpus.length} strings`, async (type) => {
    expect(corpus.length).toBeGreaterThanOrEqual(2000);
    const [cases, bad] = await mismatches({ ...base, normalizer: { type } }, () => [[undefined, {}]]);
    expect(bad.length, `${bad.length}/${cases} mismatches\n${bad.slice(0, 3).join('\n\n')}`).toBe(0);
  }, 60_000);

  it(`ALBERT's chain (NFKD, StripAccents, Lowercase, Precompiled …): singles over ${corpus.length} strings, pairs, truncated`, async () => {
    const albert = albertFromXlmr(xlmrTokenizerJson());
    // Pairs and truncation on every other string: the template and windows are the Unigram test's; here the chain is
    // on trial, and every string still goes through it.
    const [cases, bad] = await mismatches(albert, (i) => {
      const pair = corpus[(i * 7 + 3) % corpus.length];
      if (i % 2 === 1) return [[undefined, {}]];
      return [[undefined, {}], [pair, {}], [pair, { truncation: { maxLength: 11, stride: 2 }, returnOverflowing: true }]];
    });
    expect(bad.length, `${bad.length}/${cases} mismatches\n${bad.slice(0, 3).join('\n\n')}`).toBe(0);
  }, 120_000);

  it.each([true, false])('added tokens around the ALBERT chain (<mask> normalized: %s, [SEP] the other way, rstrip)', async (normalized) => {
    const json = albertFromXlmr(xlmrTokenizerJson()) as Record<string, unknown> & { model: { vocab: [string, number][] } };
    const added = json.added_tokens as Record<string, unknown>[];
    added[added.length - 1].normalized = normalized;
    json.model.vocab.push(['[SEP]', 0]);
    added.push({ id: json.model.vocab.length - 1, content: '[SEP]', single_word: false, lstrip: false, rstrip: true,
      normalized: !normalized, special: false });
    // Lowercase and NFKD run before normalized added tokens are matched: <MASK> and ｍａｓｋ forms meet them.
    const texts = ['Hello <mask> world', 'a<mask>b', '  <mask>  x', '<MASK> <ｍａｓｋ>', 'ÀB <Mask>', 'ab[SEP]cd', '[sep] [SEP]  x',
      'e\u0301<mask>', ...buildCorpus(8, 300)];
    const ours = BertTokenizer.fromTokenizerJson(json);
    const ref = new Reference(json);
    const bad: string[] = [];
    for (const t of texts) {
      const d = diffEncodings(ours.encode(t), await ref.encode(t, undefined));
      if (d) bad.push(`${JSON.stringify(t)}\n${d}`);
    }
    expect(bad, bad.slice(0, 3).join('\n\n')).toEqual([]);
  });
});
