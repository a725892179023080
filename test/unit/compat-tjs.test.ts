// The compatibility suite: the SAME code run with transformers.js (4.3, onnxruntime-node CPU, the fixtures' ONNX
// export) and with bertgpu (WebGPU on Dawn, the same weights as safetensors); results compared deeply: structure
// exactly, numbers within 1e-4. Not compared here, because transformers.js cannot run them on these fixtures or has
// no such pipeline: next-sentence-prediction, text pairs (its text-classification takes no text_pair).
// Known differences, where HF Python wins (tested in the bertgpu-only cases below, or in test/unit/ner-qa-pipeline.test.ts
// against HF's own outputs):
// - token-classification: transformers.js returns no start/end (HF does), drops ignore_labels BEFORE grouping (HF
//   after: with the default ['O'] and 'simple', an O token between two I- tags splits a group there and not in HF), has
//   only 'none' and 'simple' (HF also first/average/max) and no stride windows; truncating a long text it keeps 63
//   tokens after [CLS] and no final [SEP] (HF: 62 and [SEP]). Compared here: texts that fit, start/end left out,
//   'simple' with ignore_labels [] (where the two orders agree).
// - question-answering: transformers.js returns { answer, score } only (HF also start/end), decodes the answer from
//   its tokens (lower case for an uncased model) where HF slices the context, snaps no answer to whole words, has no
//   max_answer_len (HF 15), no doc_stride windows (it truncates the context) and no handle_impossible_answer.
//   Compared here: score and answer on contexts of one window, with align_to_words false (transformers.js ignores
//   the option), the answer lower-cased and its leading '##' (transformers.js decodes a lone subword with it) dropped.
// - zero-shot candidate_labels as one string: HF splits it on commas; transformers.js takes it as one label.
// - fill-mask: transformers.js reads only the FIRST [MASK] of a text (HF: a list per mask, each sequence decoded with
//   the special tokens kept so the other masks show) and has no `targets` (it ignores the option; HF ranks only those
//   tokens, scores still over the whole vocabulary). Compared here: one mask per text, and the first mask's scores,
//   tokens and token_str of a two-mask text.
// - feature-extraction pooling 'none' on a batch: bertgpu zero-fills the padding positions (HF Python returns each
//   text's own tokens); transformers.js returns the padding positions' computed states. Real tokens agree.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cos_sim, pipeline as ours } from '../../src/node.ts';
import { fixturesDir } from '../model/fixture.ts';

/** tiny-bert with NLI labels (same weights): a zero-shot model for both libraries. */
function nliFixture(): string {
  const root = mkdtempSync(join(tmpdir(), 'bertgpu-compat-'));
  const dir = join(root, 'tiny-bert-nli');
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const src = join(fixturesDir, 'tiny-bert');
  for (const f of ['model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'onnx/model.onnx']) copyFileSync(join(src, f), join(dir, f));
  const config = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8'));
  config.id2label = { 0: 'contradiction', 1: 'neutral', 2: 'entailment' };
  config.label2id = { contradiction: 0, neutral: 1, entailment: 2 };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return root;
}

/** Structure exactly (keys, lengths, types), numbers within 1e-4; a Tensor is compared as its type, dims and tolist(). */
function expectDeepClose(got: unknown, want: unknown, path = 'result'): void {
  const isTensor = (v: unknown) => !!v && typeof v === 'object' && 'dims' in v && typeof (v as { tolist?: unknown }).tolist === 'function';
  if (isTensor(want)) {
    expect(isTensor(got), `${path} is a Tensor`).toBe(true);
    const [g, w] = [got as { type: string; dims: number[]; tolist(): unknown }, want as { type: string; dims: number[]; tolist(): unknown }];
    expect(g.type, `${path}.type`).toBe(w.type);
    expect(g.dims, `${path}.dims`).toEqual(w.dims);
    return expectDeepClose(g.tolist(), w.tolist(), `${path}.tolist()`);
  }
  if (typeof want === 'number') {
    expect(typeof got, `${path} type`).toBe('number');
    expect(Math.abs((got as number) - want), `${path}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-4);
    return;
  }
  if (Array.isArray(want)) {
    expect(Array.isArray(got), `${path} is an array`).toBe(true);
    expect((got as unknown[]).length, `${path}.length`).toBe(want.length);
    want.forEach((w, i) => expectDeepClose((got as unknown[])[i], w, `${path}[${i}]`));
    return;
  }
  if (want && typeof want === 'object') {
    expect(got && typeof got === 'object', `${path} is an object`).toBe(true);
    expect(Object.keys(got as object).sort(), `${path} keys`).toEqual(Object.keys(want).sort());
    for (const [k, w] of Object.entries(want)) expectDeepClose((got as Record<string, unknown>)[k], w, `${path}.${k}`);
    return;
  }
  expect(got, path).toEqual(want);
}

type Run = (pipe: (...args: unknown[]) => Promise<unknown>) => Promise<unknown>;

describe('transformers.js compatibility: the same code, the same results', async () => {
  const tjs = await import('@huggingface/transformers');
  tjs.env.allowRemoteModels = false;
  const nliRoot = nliFixture();
  const models: Record<string, { root: string; id: string }> = {
    'tiny-bert': { root: fixturesDir, id: 'tiny-bert' },
    'tiny-bert-nli': { root: nliRoot, id: 'tiny-bert-nli' },
    'tiny-bert-ner': { root: fixturesDir, id: 'tiny-bert-ner' },
    'tiny-bert-qa': { root: fixturesDir, id: 'tiny-bert-qa' },
    // BertForPreTraining: transformers.js picks its masked-LM class from model_type, and onnx/model.onnx has the
    // prediction scores as `logits` (scripts/fixtures/check-mlm-onnx.mjs), so the fixture serves both as it is.
    'tiny-bert-mlm': { root: fixturesDir, id: 'tiny-bert-mlm' },
  };
  const open: Array<{ dispose(): Promise<unknown> }> = [];
  afterAll(async () => { for (const p of open) await p.dispose(); });
  const cache = new Map<string, Promise<[(...a: unknown[]) => Promise<unknown>, (...a: unknown[]) => Promise<unknown>]>>();

  /** The same task on both libraries, loaded as transformers.js code would load it (dtype 'fp32'). */
  function both(task: string, model: string) {
    const key = `${task} ${model}`;
    if (!cache.has(key)) {
      cache.set(key, (async () => {
        const m = models[model];
        tjs.env.localModelPath = m.root + '/';
        const theirs = await tjs.pipeline(task as 'text-classification', m.id, { dtype: 'fp32', device: 'cpu' });
        const mine = await ours(task as 'text-classification', join(m.root, m.id), { dtype: 'fp32', device: 'webgpu' });
        open.push(theirs as unknown as { dispose(): Promise<unknown> }, mine);
        return [theirs as unknown as (...a: unknown[]) => Promise<unknown>, mine as unknown as (...a: unknown[]) => Promise<unknown>];
      })());
    }
    return cache.get(key)!;
  }

  /** The fields transformers.js returns: no start/end (see the header); QA answers lower-cased as its decode gives them. */
  const withoutOffsets = (v: unknown): unknown => (Array.isArray(v) ? v.map(withoutOffsets)
    : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'start' && k !== 'end')
      .map(([k, x]) => [k, k === 'answer' ? String(x).toLowerCase().replace(/^##/, '') : withoutOffsets(x)])) : v);
  const ner = 'Johanna Schmidt met Pierre Dubois and Mary Ann in Paris.';
  const cases: Array<[string, string, string, Run, ((v: unknown) => unknown)?]> = [
    ['sentiment-analysis', 'tiny-bert', 'one text', (p) => p('I love this movie')],
    ['sentiment-analysis', 'tiny-bert', 'a batch (top_k 1: one flat list)', (p) => p(['I love this movie', 'terrible', 'ok then'])],
    ['text-classification', 'tiny-bert', 'top_k 2, one text', (p) => p('I love this movie', { top_k: 2 })],
    ['text-classification', 'tiny-bert', 'top_k 3, a batch (a list per text)', (p) => p(['good', 'bad things happen'], { top_k: 3 })],
    ['feature-extraction', 'tiny-bert', "pooling 'mean', normalize", (p) => p(['hello world', 'a longer sentence here'], { pooling: 'mean', normalize: true })],
    ['feature-extraction', 'tiny-bert', "pooling 'cls'", (p) => p('hello world', { pooling: 'cls' })],
    ['feature-extraction', 'tiny-bert', "pooling 'first_token'", (p) => p(['hello world', 'again'], { pooling: 'first_token' })],
    ['feature-extraction', 'tiny-bert', "pooling 'none', one text", (p) => p('hello world')],
    ['embeddings', 'tiny-bert', 'tolist() and cos_sim of two vectors', async (p) => {
      const out = await p(['the cat sat', 'a cat was sitting'], { pooling: 'mean' }) as { tolist(): number[][] };
      const [a, b] = out.tolist();
      return { list: out.tolist(), sim: cos_sim(a, b) };
    }],
    ['embeddings', 'tiny-bert', 'Tensor.mean(1) and normalize() on token states', async (p) => {
      const out = await p('hello world') as { mean(d: number): { normalize(): { tolist(): unknown } } };
      return out.mean(1).normalize().tolist();
    }],
    ['zero-shot-classification', 'tiny-bert-nli', 'one text', (p) => p('the match went to extra time', ['sport', 'politics', 'cooking'])],
    ['zero-shot-classification', 'tiny-bert-nli', 'a batch', (p) => p(['the match went to extra time', 'taxes rise again'], ['sport', 'politics'])],
    ['zero-shot-classification', 'tiny-bert-nli', 'multi_label', (p) => p('the match went to extra time', ['sport', 'politics', 'cooking'], { multi_label: true })],
    ['zero-shot-classification', 'tiny-bert-nli', 'one label (scored on its own)', (p) => p('the match went to extra time', ['sport'])],
    ['zero-shot-classification', 'tiny-bert-nli', 'hypothesis_template', (p) => p('taxes rise again', ['sport', 'politics'], { hypothesis_template: 'The topic is {}.' })],
    ['ner', 'tiny-bert-ner', 'one text, per token (ignore_labels default)', (p) => p(ner), withoutOffsets],
    ['token-classification', 'tiny-bert-ner', 'a batch, per token, ignore_labels []', (p) => p([ner, 'Paris.'], { ignore_labels: [] }), withoutOffsets],
    ['token-classification', 'tiny-bert-ner', "aggregation_strategy 'simple', ignore_labels []", (p) => p(ner, { aggregation_strategy: 'simple', ignore_labels: [] }), withoutOffsets],
    ['question-answering', 'tiny-bert-qa', '(question, context)', (p) => p('Who loved Paris?', 'Johanna loved Paris.', { align_to_words: false }), withoutOffsets],
    ['fill-mask', 'tiny-bert-mlm', 'one mask', (p) => p('The movie was [MASK].')],
    ['fill-mask', 'tiny-bert-mlm', 'top_k 8, a continuation piece (##tion) in the list', (p) => p('I [MASK] it.', { top_k: 8 })],
    ['fill-mask', 'tiny-bert-mlm', 'a batch, top_k 3 (a list per text)', (p) => p(['I [MASK] it.', 'The film was [MASK] and too long.', '[MASK] people watched the show again after the ending.'], { top_k: 3 })],
    ['fill-mask', 'tiny-bert-mlm', 'top_k 1 (still a list)', (p) => p('The movie was [MASK].', { top_k: 1 })],
    ['question-answering', 'tiny-bert-qa', 'top_k 3', (p) => p('Where is it?', 'The zebra is in Berlin today.', { top_k: 3, align_to_words: false }), withoutOffsets],
  ];
  for (const [task, model, name, run, view = (v: unknown) => v] of cases) {
    it(`${task}: ${name}`, async () => {
      const [theirs, mine] = await both(task, model);
      const want = view(await run(theirs));
      expect(JSON.stringify(want).length, 'a non-trivial reference').toBeGreaterThan(30);
      expectDeepClose(view(await run(mine)), want);
    });
  }

  it('HF wins: zero-shot candidate_labels as one string are split on commas (transformers.js: one label)', async () => {
    const [, mine] = await both('zero-shot-classification', 'tiny-bert-nli');
    const split = await mine('taxes rise again', 'sport, politics') as { labels: string[] };
    expectDeepClose(split, await mine('taxes rise again', ['sport', 'politics']));
    expect(split.labels.sort()).toEqual(['politics', 'sport']);
  });

  it('HF wins: fill-mask with two masks gives a list per mask, special tokens kept in sequence (transformers.js: the first mask only)', async () => {
    const [theirs, mine] = await both('fill-mask', 'tiny-bert-mlm');
    const text = 'I [MASK] this movie, but the music was [MASK]!';
    const want = await theirs(text, { top_k: 3 }) as Array<{ sequence: string; token_str: string }>;
    const got = await mine(text, { top_k: 3 }) as Array<Array<{ sequence: string; token_str: string }>>;
    expect(got.length, 'one list per mask').toBe(2);
    expect(got.map((m) => m.length)).toEqual([3, 3]);
    const noSequence = (l: Array<{ sequence: string }>) => l.map(({ sequence: _, ...rest }) => rest);
    expectDeepClose(noSequence(got[0]), noSequence(want));
    expect(want[0].sequence).toBe(`i ${want[0].token_str} this movie, but the music was!`);
    // HF's FillMaskPipeline: decode(tokens, skip_special_tokens=False) when a text has several masks.
    expect(got[0][0].sequence).toBe(`[CLS] i ${want[0].token_str} this movie, but the music was [MASK]! [SEP]`);
    expect(got[1][0].sequence).toBe(`[CLS] i [MASK] this movie, but the music was ${got[1][0].token_str}! [SEP]`);
  });

  it('HF wins: fill-mask targets rank only those tokens, with the scores transformers.js gives them over the vocabulary', async () => {
    const [theirs, mine] = await both('fill-mask', 'tiny-bert-mlm');
    const text = 'The movie was [MASK].';
    const all = await theirs(text, { top_k: 344 }) as Array<{ score: number; token: number; token_str: string; sequence: string }>;
    expect(all.length).toBe(344);
    const targets = ['good', 'bad', 'great'];
    const want = all.filter((p) => targets.includes(p.token_str));
    expect(want.length, 'every target is one vocabulary token').toBe(3);
    expectDeepClose(await mine(text, { targets }), want);
    expectDeepClose(await mine(text, { targets, top_k: 2 }), want.slice(0, 2));
  });

  it('HF wins: a text longer than the model is truncated to 62 tokens and [SEP] (transformers.js: 63 tokens, no [SEP])', async () => {
    const [theirs, mine] = await both('ner', 'tiny-bert-ner');
    const long = 'Johanna Schmidt met Pierre Dubois and Mary Ann in Paris, then flew to New Caledonia with Katharina.';
    expect((await mine(long, { ignore_labels: [] }) as unknown[]).length).toBe(62);
    expect((await theirs(long, { ignore_labels: [] }) as unknown[]).length).toBe(63);
  });

  it('HF wins: pooling none on a batch zero-fills padding; the real tokens equal transformers.js', async () => {
    const [theirs, mine] = await both('feature-extraction', 'tiny-bert');
    const texts = ['hi', 'a much longer sentence than that'];
    const [a, b] = await Promise.all([mine(texts), theirs(texts)]) as Array<{ dims: number[]; tolist(): number[][][] }>;
    expect(a.dims).toEqual(b.dims);
    const short = (await mine('hi') as { dims: number[] }).dims[1];
    expectDeepClose(a.tolist()[0].slice(0, short), b.tolist()[0].slice(0, short));
    expectDeepClose(a.tolist()[1], b.tolist()[1]);
    expect(a.tolist()[0].slice(short).flat().every((v) => v === 0)).toBe(true);
  });
});
