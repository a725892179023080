// Byte-level BPE (RoBERTa) parity with the HF Rust tokenizer (npm `tokenizers`) on the WordPiece corpus (> 2000
// strings, every category) plus RoBERTa's <mask> (lstrip) cases: singles, pairs, truncation with overflowing windows.
// The tokenizer.json is built at test time from GPT-2's real merges (test/fixtures/tokenizer/roberta.ts), with
// add_prefix_space false (roberta-base) and true. 0 mismatches in ids, type ids, masks, offsets (UTF-16), word ids.
import { describe, expect, it } from 'vitest';
import { BertTokenizer, type EncodeOptions, type TruncationOptions } from '../../src/tokenizer/index.ts';
import { buildCorpus } from '../fixtures/tokenizer/corpus.ts';
import { Reference, diffEncodings } from '../fixtures/tokenizer/reference.ts';
import { robertaTokenizerJson } from '../fixtures/tokenizer/roberta.ts';

const corpus = [...buildCorpus(), 'Hello <mask> world', 'a<mask>b', '  <mask>  x', '<s>hi</s>', ' leading space',
  'trailing space ', "it's we're I'll", '😀 x', ' 😀', '\u00a0x', 'x\u3000\u3000y'];
const TRUNCATIONS: TruncationOptions[] = [
  { maxLength: 12, stride: 2 },
  { maxLength: 20, strategy: 'only_first', direction: 'left' },
  { maxLength: 9, strategy: 'longest_first', stride: 1, direction: 'left' },
];

function attempt<T>(f: () => T): T | Error {
  try {
    return f();
  } catch (e) {
    return e as Error;
  }
}

describe.each([false, true])('byte-level BPE parity, add_prefix_space %s', (addPrefixSpace) => {
  const json = robertaTokenizerJson(addPrefixSpace);
  const ours = BertTokenizer.fromTokenizerJson(json);
  const ref = new Reference(json);

  it(`singles, pairs and truncated inputs over ${corpus.length} strings`, async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(2000);
    const bad: string[] = [];
    let cases = 0;
    for (let i = 0; i < corpus.length; i++) {
      const pair = corpus[(i * 7 + 3) % corpus.length];
      const truncation = TRUNCATIONS[i % TRUNCATIONS.length];
      const runs: [string | undefined, EncodeOptions][] = [[undefined, {}], [pair, {}], [pair, { truncation, returnOverflowing: true }]];
      for (const [b, options] of runs) {
        cases++;
        const got = attempt(() => ours.encode(corpus[i], b, options));
        const want = await ref.encode(corpus[i], b, options).catch((e: Error) => e);
        // Both may refuse (a text too short for only_first); the messages differ by design.
        const d = got instanceof Error || want instanceof Error
          ? (got instanceof Error && want instanceof Error ? undefined : `error mismatch: ours ${got}, rust ${want}`)
          : diffEncodings(got, want);
        if (d) bad.push(`${JSON.stringify(corpus[i])} | ${JSON.stringify(b)} | ${JSON.stringify(options)}\n${d}`);
      }
    }
    expect(bad.length, `${bad.length}/${cases} mismatches\n${bad.slice(0, 4).join('\n\n')}`).toBe(0);
  }, 120_000);

  it('decode (ByteLevel decoder) matches, with and without skipSpecialTokens', async () => {
    const bad: string[] = [];
    for (let i = 0; i < corpus.length; i += 5) {
      const ids = ours.encode(corpus[i], corpus[i + 1]).ids;
      for (const skip of [false, true]) {
        const want = await ref.rust.decode(Array.from(ids), skip);
        const got = ours.decode(ids, { skipSpecialTokens: skip });
        if (got !== want) bad.push(`${JSON.stringify(corpus[i])} skip=${skip}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`);
      }
    }
    expect(bad, bad.slice(0, 3).join('\n')).toEqual([]);
  });

  it('exposes the mask token for fill-mask', () => {
    expect(ours.maskToken).toBe('<mask>');
    expect(ours.maskTokenId).toBe(50261);
    expect(ours.padTokenId).toBe(1);
  });
});
