// The tokenizer Worker in Chromium: a real module Worker built by Vite from src/tokenizer/worker.ts, driven by
// TokenizerClient. There is no Rust tokenizer in the page, so the Worker is checked against the same BertTokenizer
// on the main thread (which test/unit/tokenizer-parity.test.ts holds equal to the HF Rust tokenizer), token for token.
import { afterEach, describe, expect, it } from 'vitest';
import { BertTokenizer, TokenizerClient, type Encoding } from '../../src/tokenizer/index.ts';
import vocab from '../fixtures/tokenizer/bert-base-uncased-vocab.txt?raw';
import { buildCorpus } from '../fixtures/tokenizer/corpus.ts';

const config = { do_lower_case: true, model_max_length: 512 };
const clients: TokenizerClient[] = [];

function startWorker(): Worker {
  return new Worker(new URL('../../src/tokenizer/worker.ts', import.meta.url), { type: 'module' });
}

async function connect(): Promise<TokenizerClient> {
  const client = await TokenizerClient.inWorker(startWorker(), { vocab, config });
  clients.push(client);
  return client;
}

function same(a: Encoding, b: Encoding): boolean {
  const f = ['ids', 'tokenTypeIds', 'attentionMask', 'specialTokensMask', 'offsets', 'wordIds'] as const;
  return f.every((k) => a[k] instanceof Int32Array && a[k].join() === b[k].join()) &&
    a.overflowing.length === b.overflowing.length && a.overflowing.every((o, i) => same(o, b.overflowing[i]));
}

afterEach(() => {
  for (const c of clients.splice(0)) c.dispose();
});

describe('tokenizer Worker in Chromium', () => {
  const local = BertTokenizer.fromVocab(vocab, config);

  it('encodes like the main-thread tokenizer, with Int32Array results and ids matched to requests', async () => {
    const client = await connect();
    const corpus = buildCorpus(5, 300);
    // Fire everything at once: replies must be routed by request id.
    const options = { truncation: { maxLength: 16, stride: 4 }, returnOverflowing: true } as const;
    const results = await Promise.all(corpus.map((s, i) => client.encode(s, i % 3 === 0 ? corpus[i + 1] : null, options)));
    const bad = results.filter((e, i) => !same(e, local.encode(corpus[i], i % 3 === 0 ? corpus[i + 1] : null, options)));
    expect(bad.length).toBe(0);
    expect(results[0].ids).toBeInstanceOf(Int32Array);
  });

  it('batches with padding and decodes', async () => {
    const client = await connect();
    const inputs: [string, string][] = [['Who wrote it?', 'It was written by 日本 authors.'], ['a', 'b']];
    const batch = await client.encodeBatch(inputs, { padding: 'longest' });
    const want = local.encodeBatch(inputs, { padding: 'longest' });
    expect(batch.every((e, i) => same(e, want[i]))).toBe(true);
    expect(await client.decode(batch[0].ids, { skipSpecialTokens: true })).toBe(local.decode(want[0].ids, { skipSpecialTokens: true }));
  });

  it('an error thrown inside the Worker rejects the call with its class and message; the Worker keeps serving', async () => {
    const client = await connect();
    const bad = client.encode(42 as never);
    await expect(bad).rejects.toBeInstanceOf(TypeError);
    await expect(bad).rejects.toThrow('BertTokenizer.encode: text must be a string, got number');
    await expect(client.encode('x', null, { truncation: { maxLength: 1 } })).rejects.toBeInstanceOf(RangeError);
    const ok = await client.encode('still alive');
    expect(ok.ids.length).toBe(4);
  });

  it('a bad source fails the start with the Worker-side error', async () => {
    const worker = startWorker();
    try {
      await expect(TokenizerClient.inWorker(worker, { tokenizerJson: { model: { type: 'WordLevel' } } }))
        .rejects.toThrow(/unsupported model "WordLevel"/);
    } finally {
      worker.terminate();
    }
  });

  it('dispose rejects calls in flight and later calls', async () => {
    const client = await connect();
    const pending = client.encode('x '.repeat(100_000));
    client.dispose();
    await expect(pending).rejects.toThrow(/disposed/);
    await expect(client.encode('y')).rejects.toThrow(/disposed/);
  });
});
