// bert-base-chinese's tokenizer (its real 21,128-token vocab.txt, no lower-casing: test/fixtures/tiny-bert-chinese)
// vs the HF Rust tokenizer (npm `tokenizers`) on a seeded Chinese corpus of 800 strings: CJK characters split one per
// token (common, traditional, rare and extension-A/B ones outside the vocabulary), special tokens inside the text,
// full-width punctuation ，。！？；：“”（）《》 and full-width letters/digits, mixed Latin/CJK words, numbers and dates,
// emoji, spaces and control characters.
// Singles, pairs and truncated pairs with overflowing windows; both ways we load it (vocab.txt + tokenizer_config.json,
// and tokenizer.json). 0 mismatches in ids, type ids, masks, offsets (UTF-16) and word ids.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BertTokenizer, type TruncationOptions } from '../../src/tokenizer/index.ts';
import { expectEncodeParity } from '../fixtures/tokenizer/parity.ts';
import { Reference } from '../fixtures/tokenizer/reference.ts';
import { seededRandom } from '../helpers/validate.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'tiny-bert-chinese');
const read = (name: string) => readFileSync(join(dir, name), 'utf8');

const COMMON = '的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明社长';
const RARE = ['㐀㐁㐂', '𠀀𠀁', '𪜀', '龘', '靐', '齉', '豈更車', '〇', '々', '丼'];
const PUNCT = ['，', '。', '！', '？', '；', '：', '“', '”', '‘', '’', '（', '）', '《', '》', '【', '】', '、', '…', '——', '·', '～', '「', '」', '『', '』'];
const FULLWIDTH = ['ＡＢＣ', 'ａｂｃ', '１２３', '０', '＋', '％', '＠', '＃', '＆', 'Ｗｉｎｄｏｗｓ', '　'];
const LATIN = ['iPhone', 'WebGPU', 'BERT', 'bert', 'Python3', 'AI', 'GPU', 'app', 'OK', 'hello world', 'COVID-19', 'e-mail', 'café', 'naïve', 'Zürich'];
const NUMBERS = ['2024年', '12月31日', '3.14', '-5', '100%', '1,000,000', '15:30', '第3名', '0.5元', '１０个', '二〇二四', '5G'];
const TRADITIONAL = ['臺灣', '資訊', '電腦', '這個', '學習', '語言', '國際', '體驗', '們', '麼'];
const SPECIAL = ['[MASK]', '[CLS]', '[SEP]', '[UNK]', '[PAD]', '[mask]', '[MASK', 'x[MASK]y'];
const OTHER = ['😀', '👍', '🇨🇳', '\u200b', '\u00a0', '\t', '\n', ' ', '  ', '\u3000', 'ｶﾀｶﾅ', 'ひらがな', '한국어'];

function chineseCorpus(size = 800, seed = 2024): string[] {
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const hanzi = (n: number) => Array.from({ length: n }, () => COMMON[Math.floor(rand() * COMMON.length)]).join('');
  const out = ['我爱北京天安门。', '这部电影太好看了！', '你好，世界！', '他说：“今天很好。”', '价格是１２３元？', '我用iPhone 15拍了3张照片，真的很棒！', ''];
  while (out.length < size) {
    const parts: string[] = [];
    const n = 1 + Math.floor(rand() * 6);
    for (let i = 0; i < n; i++) {
      const r = rand();
      if (r < 0.45) parts.push(hanzi(1 + Math.floor(rand() * 8)));
      else if (r < 0.6) parts.push(pick(PUNCT));
      else if (r < 0.7) parts.push(pick(LATIN));
      else if (r < 0.8) parts.push(pick(NUMBERS));
      else if (r < 0.87) parts.push(pick(FULLWIDTH));
      else if (r < 0.9) parts.push(pick(RARE));
      else if (r < 0.93) parts.push(pick(TRADITIONAL));
      else if (r < 0.96) parts.push(pick(SPECIAL));
      else parts.push(pick(OTHER));
      if (rand() < 0.2) parts.push(' ');
    }
    out.push(parts.join(''));
  }
  return out;
}

const corpus = chineseCorpus();
const TRUNCATIONS: TruncationOptions[] = [
  { maxLength: 12, stride: 2 },
  // only_second with a stride is left out: Rust panics (aborting the process) when the first text leaves the second
  // no more room than the stride; the WordPiece parity suite covers that strategy.
  { maxLength: 20, stride: 3 },
  { maxLength: 10, strategy: 'longest_first', direction: 'left' },
];

describe('bert-base-chinese tokenizer parity with HF Rust', () => {
  const tokenizerJson = JSON.parse(read('tokenizer.json')) as Record<string, unknown>;
  const ref = new Reference(tokenizerJson);
  const loaders: Array<[string, () => BertTokenizer]> = [
    ['vocab.txt + tokenizer_config.json', () => BertTokenizer.fromVocab(read('vocab.txt'), JSON.parse(read('tokenizer_config.json')) as Record<string, unknown>)],
    ['tokenizer.json', () => BertTokenizer.fromTokenizerJson(tokenizerJson)],
  ];

  it('the fixture vocabulary is bert-base-chinese: 21,128 tokens, [UNK] [CLS] [SEP] [MASK] = 100…103', () => {
    const lines = read('vocab.txt').split('\n');
    expect(lines.length - 1).toBe(21128);
    expect(lines.slice(100, 104)).toEqual(['[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    const tok = loaders[0][1]();
    expect(tok.encode('我爱北京天安门。').ids).toEqual(Int32Array.from([101, 2769, 4263, 1266, 776, 1921, 2128, 7305, 511, 102]));
  });

  for (const [how, load] of loaders) {
    it(`${how}: singles, pairs and truncated pairs over ${corpus.length} Chinese strings`, async () => {
      expect(corpus.length).toBeGreaterThanOrEqual(500);
      await expectEncodeParity(load(), ref, corpus, TRUNCATIONS);
    }, 120_000);
  }
});
