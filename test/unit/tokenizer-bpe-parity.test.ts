// Byte-level BPE (RoBERTa) parity with the HF Rust tokenizer (npm `tokenizers`) on the WordPiece corpus (> 2000
// strings, every category) plus RoBERTa's <mask> (lstrip) cases: singles, pairs, truncation with overflowing windows.
// The tokenizer.json is built at test time from GPT-2's real merges (test/fixtures/tokenizer/roberta.ts), with
// add_prefix_space false (roberta-base) and true. 0 mismatches in ids, type ids, masks, offsets (UTF-16), word ids.
import { describe, expect, it } from 'vitest';
import { BertTokenizer, type TruncationOptions } from '../../src/tokenizer/index.ts';
import { buildCorpus } from '../fixtures/tokenizer/corpus.ts';
import { expectDecodeParity, expectEncodeParity } from '../fixtures/tokenizer/parity.ts';
import { Reference } from '../fixtures/tokenizer/reference.ts';
import { robertaTokenizerJson } from '../fixtures/tokenizer/roberta.ts';

const corpus = [...buildCorpus(), 'Hello <mask> world', 'a<mask>b', '  <mask>  x', '<s>hi</s>', ' leading space',
  'trailing space ', "it's we're I'll", '😀 x', ' 😀', '\u00a0x', 'x\u3000\u3000y'];
const TRUNCATIONS: TruncationOptions[] = [
  { maxLength: 12, stride: 2 },
  { maxLength: 20, strategy: 'only_first', direction: 'left' },
  { maxLength: 9, strategy: 'longest_first', stride: 1, direction: 'left' },
];

describe.each([false, true])('byte-level BPE parity, add_prefix_space %s', (addPrefixSpace) => {
  const json = robertaTokenizerJson(addPrefixSpace);
  const ours = BertTokenizer.fromTokenizerJson(json);
  const ref = new Reference(json);

  it(`singles, pairs and truncated inputs over ${corpus.length} strings`, async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(2000);
    await expectEncodeParity(ours, ref, corpus, TRUNCATIONS);
  }, 120_000);

  it('decode (ByteLevel decoder) matches, with and without skipSpecialTokens', async () => {
    await expectDecodeParity(ours, ref, corpus);
  });

  it('exposes the mask token for fill-mask', () => {
    expect(ours.maskToken).toBe('<mask>');
    expect(ours.maskTokenId).toBe(50261);
    expect(ours.padTokenId).toBe(1);
  });
});
