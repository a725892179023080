// The tokenizer's API edges: padding (checked against the HF Rust tokenizer), bad input, huge and odd strings, and the
// in-thread client that shares the Worker's message handling.
import { beforeAll, describe, expect, it } from 'vitest';
import { BertTokenizer, TokenizerClient, type Encoding } from '../../src/tokenizer/index.ts';
import { buildCorpus } from '../fixtures/tokenizer/corpus.ts';
import { Reference, diffEncodings, tokenizerConfig, tokenizerJson, vocabText } from '../fixtures/tokenizer/reference.ts';

let tok: BertTokenizer;
let ref: Reference;
beforeAll(() => {
  tok = BertTokenizer.fromVocab(vocabText(), tokenizerConfig(false));
  ref = new Reference(tokenizerJson(vocabText(), false));
});

function firstDiff(got: Encoding[], want: Encoding[]): string | undefined {
  if (got.length !== want.length) return `batch size ${got.length}, want ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const d = diffEncodings(got[i], want[i]);
    if (d) return `[${i}] ${d}`;
  }
  return undefined;
}

describe('padding matches the HF Rust tokenizer', () => {
  const batch: (string | [string, string])[] = ['short', 'a somewhat longer sentence, with punctuation!',
    ['question?', 'context paragraph that is long enough to be truncated by the small max length below'], '', '日本語'];

  it.each([
    ['longest', { padding: 'longest' }],
    ['longest, left', { padding: { strategy: 'longest', direction: 'left' } }],
    ['longest, multipleOf 8', { padding: { strategy: 'longest', multipleOf: 8 } }],
    ['max_length 24 with truncation and overflow', {
      padding: { strategy: 'max_length', maxLength: 24 }, truncation: { maxLength: 12, stride: 2 }, returnOverflowing: true,
    }],
  ] as const)('%s', async (_name, options) => {
    const got = tok.encodeBatch(batch, options as never);
    const want = await ref.encodeBatch(batch, options as never);
    expect(firstDiff(got, want)).toBeUndefined();
  });

  it('bucket pads to the smallest bucket that fits (HF fixed length of that bucket)', async () => {
    const got = tok.encodeBatch(batch, { padding: { strategy: 'bucket', buckets: [8, 16, 32] } });
    const longest = Math.max(...tok.encodeBatch(batch).map((e) => e.ids.length));
    const bucket = [8, 16, 32].find((b) => b >= longest) as number;
    expect(got[0].ids.length).toBe(bucket);
    const want = await ref.encodeBatch(batch, { padding: { strategy: 'max_length', maxLength: bucket } });
    expect(firstDiff(got, want)).toBeUndefined();
    // Longer than every bucket: a multiple of the last one.
    const long = tok.encode('word '.repeat(40), null, { padding: { strategy: 'bucket', buckets: [8, 16] } });
    expect(long.ids.length).toBe(48);
  });

  it("max_length defaults to the truncation length, then model_max_length (512)", () => {
    expect(tok.encode('hi', null, { truncation: { maxLength: 10 }, padding: 'max_length' }).ids.length).toBe(10);
    expect(tok.encode('hi', null, { padding: 'max_length' }).ids.length).toBe(512);
  });
});

describe('bad and odd input', () => {
  it('non-strings throw a TypeError naming the argument', () => {
    expect(() => tok.encode(42 as never)).toThrow(TypeError);
    expect(() => tok.encode(42 as never)).toThrow(/encode: text must be a string, got number/);
    expect(() => tok.encode('a', 7 as never)).toThrow(/textPair must be a string/);
    expect(() => tok.encode(undefined as never)).toThrow(/text must be a string, got undefined/);
    expect(() => tok.encodeBatch('abc' as never)).toThrow(/inputs must be an array/);
    expect(() => tok.encodeBatch(['a', 3] as never)).toThrow(/inputs\[1\] must be a string/);
    expect(() => tok.encodeBatch([['a', null]] as never)).toThrow(/inputs\[0\]\[1\] must be a string/);
    expect(() => tok.decode('101' as never)).toThrow(/ids must be an array/);
    expect(() => tok.decode([1.5])).toThrow(/ids\[0\] must be an integer/);
    expect(() => BertTokenizer.fromVocab(null as never)).toThrow(/fromVocab: vocabText must be a string, got null/);
    expect(() => BertTokenizer.fromTokenizerJson(3 as never)).toThrow(/json must be a string or an object/);
    expect(() => tok.encode('a', null, { truncation: { maxLength: -1 } })).toThrow(RangeError);
    expect(() => tok.encode('a', null, { padding: 'sideways' as never })).toThrow(/options.padding must be one of/);
    expect(() => tok.encode('a', null, 'x' as never)).toThrow(/options must be an object/);
  });

  it('a stride that does not fit throws a RangeError (HF aborts the process here)', () => {
    expect(() => tok.encode('a b c d e f g h', null, { truncation: { maxLength: 4, stride: 2 } })).toThrow(RangeError);
  });

  it('empty string → [CLS] [SEP]', async () => {
    const e = tok.encode('');
    expect(Array.from(e.ids)).toEqual([tok.tokenToId('[CLS]'), tok.tokenToId('[SEP]')]);
    expect(diffEncodings(e, await ref.encode('', undefined))).toBeUndefined();
  });

  it('lone surrogates do not crash and match HF (which sees them as U+FFFD)', async () => {
    for (const s of ['\ud800', 'a\udc00b', '\udbff\udbff x \udfff', 'x\ud83d', '\ud83d\ude00\ud83d']) {
      expect(diffEncodings(tok.encode(s), await ref.encode(s, undefined)), JSON.stringify(s)).toBeUndefined();
    }
  });

  it('a 1 MB string is tokenized in linear time and matches HF', async () => {
    const corpus = buildCorpus(7, 2000).join(' ');
    let big = '';
    while (big.length < 1 << 20) big += corpus;
    big = big.slice(0, 1 << 20);
    const half = big.slice(0, big.length / 2);
    const time = (s: string) => {
      const t0 = performance.now();
      const e = tok.encode(s);
      return { ms: performance.now() - t0, n: e.ids.length, e };
    };
    time(half); // warm the word cache and the JIT so the two timings compare like with like
    const best = (s: string) => [time(s), time(s)].reduce((a, b) => (a.ms <= b.ms ? a : b));
    const h = best(half);
    const f = best(big);
    // Not a benchmark, a guard against a quadratic path: doubling the input must not quadruple the time (best of 2
    // each, so a busy machine does not decide it), and 1 MB must finish in seconds, not hang.
    expect(f.ms / Math.max(h.ms, 1)).toBeLessThan(3.5);
    expect(f.ms).toBeLessThan(20_000);
    expect(diffEncodings(f.e, await ref.encode(big, undefined))).toBeUndefined();
    // One 1 MB word without spaces becomes a single [UNK] quickly.
    const word = 'x'.repeat(1 << 20);
    const w = time(word);
    expect(Array.from(w.e.ids)).toEqual([101, 100, 102]);
    expect(Array.from(w.e.offsets.slice(2, 4))).toEqual([0, 1 << 20]);
  });
});

describe('fullOverflow', () => {
  it('windows cover the whole text, each ≤ maxLength, overlapping by stride', () => {
    const text = Array.from({ length: 300 }, (_, i) => `w${i}`).join(' ');
    const all = tok.encode(text, null, { addSpecialTokens: false }).ids;
    const e = tok.encode(text, null, { truncation: { maxLength: 32, stride: 8, fullOverflow: true }, returnOverflowing: true });
    const windows = [e, ...e.overflowing].map((w) => Array.from(w.ids.slice(1, -1)));
    expect(windows.every((w) => w.length <= 30)).toBe(true);
    const joined = windows.flatMap((w, i) => (i === 0 ? w : w.slice(8)));
    expect(joined).toEqual(Array.from(all));
  });
});

describe('TokenizerClient in-thread (same handler as the Worker)', () => {
  it('encodes, decodes and rejects with the thrown error class', async () => {
    const client = await TokenizerClient.inThread({ vocab: vocabText(), config: tokenizerConfig(false) });
    const [e, batch] = await Promise.all([client.encode('Hello, world!'), client.encodeBatch(['a', ['b', 'c']], { padding: 'longest' })]);
    expect(diffEncodings(e, tok.encode('Hello, world!'))).toBeUndefined();
    expect(batch.map((b) => b.ids.length)).toEqual([5, 5]);
    expect(await client.decode(e.ids, { skipSpecialTokens: true })).toBe('hello, world!');
    await expect(client.encode(5 as never)).rejects.toThrow(TypeError);
    await expect(client.encode(5 as never)).rejects.toThrow(/text must be a string/);
    client.dispose();
    await expect(client.encode('x')).rejects.toThrow(/disposed/);
  });

  it('loads from tokenizer.json and reports a bad source as an error', async () => {
    const client = await TokenizerClient.inThread({ tokenizerJson: tokenizerJson(vocabText(), true) });
    expect(Array.from((await client.encode('Hello')).ids)).toEqual(Array.from(BertTokenizer.fromTokenizerJson(
      tokenizerJson(vocabText(), true)).encode('Hello').ids));
    await expect(TokenizerClient.inThread({ tokenizerJson: { model: { type: 'WordLevel' } } })).rejects.toThrow(/unsupported model/);
  });
});
