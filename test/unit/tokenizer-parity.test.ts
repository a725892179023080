// Parity with the HF Rust tokenizer (npm `tokenizers`) on a generated corpus of > 2000 strings: uncased and cased,
// singles and pairs, with and without truncation (all three strategies, both directions, stride, overflowing windows).
// Every expected value is computed live by the Rust tokenizer; 0 mismatches in ids, type ids, masks, offsets, word ids.
import { beforeAll, describe, expect, it } from 'vitest';
import { BertTokenizer } from '../../src/tokenizer/index.ts';
import type { EncodeOptions, Encoding, TruncationOptions } from '../../src/tokenizer/index.ts';
import { buildCorpus } from '../fixtures/tokenizer/corpus.ts';
import { expectDecodeParity } from '../fixtures/tokenizer/parity.ts';
import { Reference, diffEncodings, tokenizerConfig, tokenizerJson, vocabText } from '../fixtures/tokenizer/reference.ts';

const corpus = buildCorpus();

// Strides stay below what any truncated text keeps: the Rust tokenizer aborts the process (a panic) otherwise, where
// ours throws a RangeError (tested in tokenizer-api.test.ts).
const TRUNCATIONS: TruncationOptions[] = [
  { maxLength: 8, strategy: 'longest_first' },
  { maxLength: 20, strategy: 'longest_first', stride: 4 },
  { maxLength: 13, strategy: 'longest_first', stride: 2, direction: 'left' },
  { maxLength: 12, strategy: 'only_first' },
  { maxLength: 12, strategy: 'only_second', direction: 'left' },
  { maxLength: 3, strategy: 'longest_first' },
  { maxLength: 64, strategy: 'longest_first', stride: 16 },
];

interface Tally {
  cases: number;
  mismatches: string[];
}

async function compare(ours: BertTokenizer, ref: Reference, tally: Tally, a: string, b: string | undefined,
  options: EncodeOptions): Promise<void> {
  tally.cases++;
  let got: Encoding | Error;
  let want: Encoding | Error;
  try {
    got = ours.encode(a, b, options);
  } catch (e) {
    got = e as Error;
  }
  try {
    want = await ref.encode(a, b, options);
  } catch (e) {
    want = e as Error;
  }
  let diff: string | undefined;
  if (got instanceof Error || want instanceof Error) {
    // Both must refuse (HF: "Sequence to truncate too short…"); the messages differ by design.
    if (!(got instanceof Error && want instanceof Error)) diff = `error mismatch: ours ${got}, rust ${want}`;
  } else {
    diff = diffEncodings(got, want);
  }
  if (diff) tally.mismatches.push(`${JSON.stringify(a)} | ${JSON.stringify(b)} | ${JSON.stringify(options)}\n${diff}`);
}

function report(t: Tally): string {
  return `${t.mismatches.length}/${t.cases} mismatches\n${t.mismatches.slice(0, 5).join('\n\n')}`;
}

describe.each([
  ['uncased', false],
  ['cased', true],
] as const)('parity with the HF Rust tokenizer, %s', (_name, cased) => {
  let ours: BertTokenizer;
  let ref: Reference;
  beforeAll(() => {
    ours = BertTokenizer.fromVocab(vocabText(), tokenizerConfig(cased));
    ref = new Reference(tokenizerJson(vocabText(), cased));
  });

  it(`covers ≥ 2000 strings (${corpus.length})`, () => {
    expect(corpus.length).toBeGreaterThanOrEqual(2000);
  });

  it('singles: ids, type ids, masks, offsets, word ids', async () => {
    const tally: Tally = { cases: 0, mismatches: [] };
    for (const s of corpus) await compare(ours, ref, tally, s, undefined, {});
    expect(tally.mismatches.length, report(tally)).toBe(0);
  });

  it('pairs', async () => {
    const tally: Tally = { cases: 0, mismatches: [] };
    for (let i = 0; i < corpus.length; i++) {
      await compare(ours, ref, tally, corpus[i], corpus[(i * 7 + 3) % corpus.length], {});
    }
    expect(tally.mismatches.length, report(tally)).toBe(0);
  });

  it('truncation with overflowing windows, singles and pairs', async () => {
    const tally: Tally = { cases: 0, mismatches: [] };
    for (let i = 0; i < corpus.length; i++) {
      const truncation = TRUNCATIONS[i % TRUNCATIONS.length];
      const options: EncodeOptions = { truncation, returnOverflowing: true };
      if (truncation.strategy !== 'only_second') await compare(ours, ref, tally, corpus[i], undefined, options);
      await compare(ours, ref, tally, corpus[i], corpus[(i * 13 + 5) % corpus.length], options);
    }
    expect(tally.mismatches.length, report(tally)).toBe(0);
  });

  it('fromTokenizerJson gives the same encodings as fromVocab', () => {
    const fromJson = BertTokenizer.fromTokenizerJson(JSON.stringify(tokenizerJson(vocabText(), cased)));
    const bad: string[] = [];
    for (let i = 0; i < corpus.length; i += 3) {
      const d = diffEncodings(fromJson.encode(corpus[i], corpus[i + 1]), ours.encode(corpus[i], corpus[i + 1]));
      if (d) bad.push(`${JSON.stringify(corpus[i])}: ${d}`);
    }
    expect(bad, bad.slice(0, 3).join('\n')).toEqual([]);
  });

  it('decode matches, with and without skipSpecialTokens', async () => {
    await expectDecodeParity(ours, ref, corpus, 2);
  });
});
