// Review findings on the tokenizer's file parsing and its costs: tokenizer.json values of the wrong type are errors
// naming the field (not coerced ids), vocab.txt duplicates keep the last line's id as HF does, pair windows cannot
// multiply into |A|·|B| rows without bound, and a long word against a long token stays cheap.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer, WordPiece, bertPreTokenizer } from 'tokenizers';
import { describe, expect, it } from 'vitest';
import { BertTokenizer } from '../../src/tokenizer/index.ts';
import { MAX_OVERFLOW_ROWS } from '../../src/tokenizer/truncation.ts';
import { tokenizerConfig, tokenizerJson, vocabText } from '../fixtures/tokenizer/reference.ts';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const tiny = (tokens: string[]) => [...SPECIALS, ...tokens].join('\n') + '\n';
const json = () => tokenizerJson(vocabText(), false) as Record<string, any>;

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('tokenizer.json: fields are type-checked, never coerced', () => {
  const cases: Array<[string, (j: Record<string, any>) => void, RegExp]> = [
    ['max_input_chars_per_word "x"', (j) => (j.model.max_input_chars_per_word = 'x'), /model\.max_input_chars_per_word: must be an integer .*got "x"/],
    ['max_input_chars_per_word -1', (j) => (j.model.max_input_chars_per_word = -1), /model\.max_input_chars_per_word: must be an integer in \[0, /],
    ['vocab id "abc"', (j) => (j.model.vocab.hello = 'abc'), /model\.vocab\["hello"\]: must be an integer id in \[0, 30521\].*got "abc"/],
    ['vocab id "7" (a numeric string)', (j) => (j.model.vocab.hello = '7'), /model\.vocab\["hello"\]: must be an integer id/],
    ['vocab id 1.5', (j) => (j.model.vocab.hello = 1.5), /model\.vocab\["hello"\]: .*got 1\.5/],
    ['vocab id -1', (j) => (j.model.vocab.hello = -1), /model\.vocab\["hello"\]: .*got -1/],
    ['vocab id past the vocab', (j) => (j.model.vocab.hello = 4e9), /model\.vocab\["hello"\]: .*got 4000000000/],
    ['two tokens with one id', (j) => (j.model.vocab.hello = j.model.vocab.world), /model\.vocab\["(hello|world)"\]: id \d+ is already the id of "(world|hello)"/],
    ['normalizer.lowercase "false"', (j) => (j.normalizer.lowercase = 'false'), /normalizer\.lowercase: must be true or false, got "false"/],
    ['special token ids ["101"]', (j) => (j.post_processor.special_tokens['[CLS]'].ids = ['101']), /special_tokens\["\[CLS\]"\]\.ids\[0\]: must be an integer/],
    ['type_id "1"', (j) => (j.post_processor.pair[3].Sequence.type_id = '1'), /post_processor\.pair\[3\]\.Sequence\.type_id: must be an integer/],
    ['added token id null', (j) => (j.added_tokens[0].id = null), /added_tokens\[0\]\.id: must be an integer/],
    ['truncation.max_length "8"', (j) => (j.truncation = { max_length: '8' }), /truncation\.max_length: must be an integer/],
    ['continuing_subword_prefix 7', (j) => (j.model.continuing_subword_prefix = 7), /model\.continuing_subword_prefix: must be a string, got 7/],
  ];
  for (const [what, edit, message] of cases) {
    it(what, () => {
      const j = json();
      edit(j);
      const e = thrown(() => BertTokenizer.fromTokenizerJson(j));
      expect(e).toBeInstanceOf(TypeError);
      expect(e.message).toMatch(/^BertTokenizer\.fromTokenizerJson: tokenizer\.json /);
      expect(e.message).toMatch(message);
    });
  }

  it('the valid file still loads, and a "__proto__" token is an ordinary vocab entry', () => {
    const j = json();
    expect(BertTokenizer.fromTokenizerJson(j).encode('hello world').ids.length).toBe(4);
    // JSON.parse makes "__proto__" an own key; it is a token like any other, and nothing else changes.
    const text = JSON.stringify(j).replace('"[PAD]":0,', '"[PAD]":0,"__proto__":30522,');
    const t = BertTokenizer.fromTokenizerJson(text);
    expect(t.tokenToId('__proto__')).toBe(30522);
  });
});

describe('vocab.txt: a token listed twice keeps its last line, as HF', () => {
  const vocab = tiny(['a', 'b', 'a', 'c  ']);

  it('ours: the last line wins; the earlier id is left without a token', () => {
    const t = BertTokenizer.fromVocab(vocab);
    expect(t.tokenToId('a')).toBe(7);
    expect(Array.from(t.encode('a b a', null, { addSpecialTokens: false }).ids)).toEqual([7, 6, 7]);
    expect(t.idToToken(5)).toBeUndefined();
    expect(t.idToToken(7)).toBe('a');
  });

  it("HF's Rust WordPiece.fromFile agrees on the last line; it differs on trailing spaces, which it trims (trim_end)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bertgpu-vocab-'));
    writeFileSync(join(dir, 'vocab.txt'), vocab);
    const rust = new Tokenizer(await WordPiece.fromFile(join(dir, 'vocab.txt'), { unkToken: '[UNK]' }));
    rust.setPreTokenizer(bertPreTokenizer());
    expect(rust.tokenToId('a')).toBe(7);
    expect(rust.idToToken(5)).toBeNull();
    // The difference: Rust reads "c  " as "c"; HF's Python load_vocab (rstrip("\n")), which builds BertTokenizerFast
    // from a vocab.txt, keeps "c  ", and so do we.
    expect(rust.tokenToId('c')).toBe(8);
    const ours = BertTokenizer.fromVocab(vocab);
    expect(ours.tokenToId('c')).toBeUndefined();
    expect(ours.tokenToId('c  ')).toBe(8);
  });

  it('universal newlines, as Python text mode: \\r\\n and a lone \\r end a line', () => {
    const t = BertTokenizer.fromVocab(SPECIALS.join('\r\n') + '\r\na\rb\n');
    expect([t.tokenToId('a'), t.tokenToId('b')]).toEqual([5, 6]);
  });
});

describe('tokenizer_config.json', () => {
  it("model_max_length 1e30 (HF's no-limit sentinel) means no tokenizer limit; wrong types are errors naming the key", () => {
    expect(BertTokenizer.fromVocab(tiny([]), { model_max_length: 1e30 }).modelMaxLength).toBeUndefined();
    expect(BertTokenizer.fromVocab(tiny([]), { model_max_length: 128 }).modelMaxLength).toBe(128);
    for (const [config, message] of [
      [{ model_max_length: '512' }, /tokenizer_config\.json model_max_length: must be a positive integer, got "512"/],
      [{ model_max_length: -1 }, /model_max_length: must be a positive integer, got -1/],
      [{ do_lower_case: 'yes' }, /tokenizer_config\.json do_lower_case: must be true or false, got "yes"/],
      [{ cls_token: 42 }, /tokenizer_config\.json cls_token: must be a token/],
      [{ mask_token: { content: 5 } }, /mask_token: must be a token/],
      [{ unk_token: '[NOPE]' }, /unk_token "\[NOPE\]" is not in vocab\.txt/],
    ] as const) {
      expect(() => BertTokenizer.fromVocab(tiny([]), config as Record<string, unknown>)).toThrow(message);
    }
    expect(() => BertTokenizer.fromTokenizerJson(json(), { model_max_length: 'x' })).toThrow(/^BertTokenizer\.fromTokenizerJson: tokenizer_config\.json model_max_length/);
  });
});

describe('pair windows', () => {
  const tok = BertTokenizer.fromVocab(vocabText(), tokenizerConfig(false));
  const words = (n: number, w: string) => Array.from({ length: n }, (_, i) => `${w}${i % 10}`).join(' ');

  it('fullOverflow pairs windows linearly (|A| + |B| − 1 rows), every token of both texts in some row', () => {
    const a = words(200, 'cat');
    const b = words(150, 'dog');
    const e = tok.encode(a, b, { truncation: { maxLength: 32, stride: 4, fullOverflow: true }, returnOverflowing: true });
    const rows = [e, ...e.overflowing];
    const nA = tok.encode(a, null, { addSpecialTokens: false }).ids.length;
    const nB = tok.encode(b, null, { addSpecialTokens: false }).ids.length;
    // longest_first splits the 29 tokens left beside [CLS] and two [SEP]s 15 (the longer text) / 14, in steps of 11 / 10.
    const wA = 1 + Math.ceil((nA - 15) / 11);
    const wB = 1 + Math.ceil((nB - 14) / 10);
    expect(rows.length).toBe(wA + wB - 1);
    const seen = (typeId: number) => new Set(rows.flatMap((r) => Array.from(r.offsets.filter((_, i) => i % 2 === 0 && r.tokenTypeIds[i >> 1] === typeId && r.specialTokensMask[i >> 1] === 0))));
    expect(seen(0).size).toBe(nA);
    expect(seen(1).size).toBe(nB);
  });

  it('past MAX_OVERFLOW_ROWS: a clear RangeError, before any row is built', () => {
    const a = words(60_000, 'cat');
    const started = performance.now();
    const e = thrown(() => tok.encode(a, a, { truncation: { maxLength: 64, stride: 29, fullOverflow: true }, returnOverflowing: true }));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toMatch(new RegExp(`returnOverflowing would make \\d+ rows .*over the limit of ${MAX_OVERFLOW_ROWS}`));
    expect(performance.now() - started).toBeLessThan(3000);
    // The same text without returnOverflowing builds one window only.
    expect(tok.encode(a, a, { truncation: { maxLength: 64, stride: 29, fullOverflow: true } }).ids.length).toBe(64);
  });
});

describe('WordPiece cost', () => {
  const long = 'x'.repeat(4000);

  it('a 16,000-character word against a vocab with a 4,000-character token is one [UNK], quickly', () => {
    const t = BertTokenizer.fromVocab(tiny([long, 'x', '##x']));
    const started = performance.now();
    const e = t.encode('x'.repeat(16_000), null, { addSpecialTokens: false });
    expect(Array.from(e.ids)).toEqual([1]);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('with a huge max_input_chars_per_word the same word splits exactly, in bounded time', () => {
    const j = json();
    j.model.vocab = Object.fromEntries([...SPECIALS, long, 'x', `##${long}`, '##x'].map((t, i) => [t, i]));
    j.added_tokens = [];
    j.post_processor = null;
    j.model.max_input_chars_per_word = 1e9;
    const t = BertTokenizer.fromTokenizerJson(j);
    const started = performance.now();
    expect(Array.from(t.encode('x'.repeat(16_001)).ids)).toEqual([5, 7, 7, 7, 8]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('a vocab built to make every position expensive is an error naming max_input_chars_per_word, not a hang', () => {
    const j = json();
    const traps = Array.from({ length: 40 }, (_, i) => `##${'x'.repeat(3000 + i)}y`);
    j.model.vocab = Object.fromEntries([...SPECIALS, 'x', '##x', ...traps].map((t, i) => [t, i]));
    j.added_tokens = [];
    j.post_processor = null;
    j.model.max_input_chars_per_word = 1e9;
    const t = BertTokenizer.fromTokenizerJson(j);
    const started = performance.now();
    expect(() => t.encode('x'.repeat(16_000))).toThrow(/WordPiece: a word of 16000 characters needs more than \d+ characters of vocab lookups .*max_input_chars_per_word/);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
