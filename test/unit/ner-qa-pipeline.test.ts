// token-classification (ner) and question-answering end to end on Dawn/lavapipe: the fixtures' per-token head logits
// from the GPU (f32) vs PyTorch float64 at 1e-4 for every window, and the public pipeline() reproducing HF Python's
// outputs from reference.json (every aggregation strategy, ignore_labels, stride windows; QA top_k, max_answer_len,
// doc_stride / max_seq_len windows, handle_impossible_answer, align_to_words) — structure exact, scores within 1e-4.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pipeline } from '../../src/node.ts';
import { expectClose } from '../helpers/validate.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { startServer } from '../helpers/http-server.ts';
import { fixturesDir, loadFixtureModel } from '../model/fixture.ts';

interface RefRow { inputIds: number[]; tokenTypeIds: number[]; attentionMask: number[]; logits: { dims: number[]; data: number[] } }
interface Expected { windows: string; options: Record<string, unknown>; output: unknown }
interface NerCase { name: string; text: string; windows: Record<string, RefRow[]>; expected: Expected[] }
interface QaCase { name: string; question: string; context: string; windows: Record<string, RefRow[]>; expected: Expected[] }
const read = <T>(name: string) => JSON.parse(readFileSync(join(fixturesDir, name, 'reference.json'), 'utf8')) as { cases: T[] };
const ner = read<NerCase>('tiny-bert-ner');
const qa = read<QaCase>('tiny-bert-qa');
const nerDir = join(fixturesDir, 'tiny-bert-ner');
const F16_ATOL = 1e-2; // measured: 3.4e-3 on the NER logits (bert-forward uses 2e-2)
const qaDir = join(fixturesDir, 'tiny-bert-qa');

/** Structure exactly (keys, lengths, strings, integers); `score` within 1e-4 (GPU f32 logits vs float64). */
function expectSame(got: unknown, want: unknown, path = 'result'): void {
  if (typeof want === 'number' && !Number.isInteger(want)) {
    expect(typeof got, `${path} type`).toBe('number');
    expect(Math.abs((got as number) - want), `${path}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-4);
  } else if (Array.isArray(want)) {
    expect(Array.isArray(got), `${path} is an array`).toBe(true);
    expect((got as unknown[]).length, `${path}.length`).toBe(want.length);
    want.forEach((w, i) => expectSame((got as unknown[])[i], w, `${path}[${i}]`));
  } else if (want && typeof want === 'object') {
    expect(got && typeof got === 'object' && !Array.isArray(got), `${path} is an object`).toBe(true);
    expect(Object.keys(got as object).sort(), `${path} keys`).toEqual(Object.keys(want).sort());
    for (const [k, w] of Object.entries(want)) expectSame((got as Record<string, unknown>)[k], w, `${path}.${k}`);
  } else if (typeof want === 'number' && typeof got === 'number' && !Number.isInteger(got)) {
    // A score that happens to be a whole number in the reference (1.0).
    expect(Math.abs(got - want), `${path}`).toBeLessThanOrEqual(1e-4);
  } else {
    expect(got, path).toEqual(want);
  }
}

/** Every window of every case as one padded batch (rows of different lengths), through BertModel.forward. */
async function expectLogits(model: string, cases: Array<{ name: string; windows: Record<string, RefRow[]> }>, kernelProfile: 'auto' | 'gpu', dtype: 'f32' | 'f16' = 'f32') {
  const gpu = await getTestGpu();
  const m = await loadFixtureModel(gpu, model, { kernelProfile, dtype });
  try {
    const rows = cases.flatMap((c) => Object.entries(c.windows).flatMap(([k, ws]) => ws.map((w, i) => ({ where: `${c.name} ${k}[${i}]`, w }))));
    const T = Math.max(...rows.map((r) => r.w.inputIds.length));
    const pad = (f: (w: RefRow) => number[]) => Int32Array.from(rows.flatMap(({ w }) => [...f(w), ...new Array(T - f(w).length).fill(0)]));
    const out = await m.forward({ B: rows.length, T, inputIds: pad((w) => w.inputIds), tokenTypeIds: pad((w) => w.tokenTypeIds), attentionMask: pad((w) => w.attentionMask) });
    const width = rows[0].w.logits.dims[1];
    expect(out.logits!.length, 'logits (B, T, width)').toBe(rows.length * T * width);
    rows.forEach(({ where, w }, b) => {
      const n = w.inputIds.length;
      // f16 storage rounds every activation to 11 bits: its bound is looser, the f32 one is the acceptance's 1e-4.
      expectClose(`${model} ${kernelProfile} ${dtype} ${where}`, out.logits!.subarray(b * T * width, (b * T + n) * width), w.logits.data,
        { atol: dtype === 'f16' ? F16_ATOL : 1e-4, rtol: 0 });
    });
  } finally {
    await m.dispose();
  }
}

describe('per-token head logits vs PyTorch float64 (every window, one padded batch)', () => {
  for (const kernelProfile of ['auto', 'gpu'] as const) {
    it(`tiny-bert-ner (BertForTokenClassification), kernel profile ${kernelProfile}`, () => expectLogits('tiny-bert-ner', ner.cases, kernelProfile));
    it(`tiny-bert-qa (BertForQuestionAnswering), kernel profile ${kernelProfile}`, () => expectLogits('tiny-bert-qa', qa.cases, kernelProfile));
  }
  it('f16 storage (lavapipe has shader-f16): both heads, looser bound', async () => {
    await expectLogits('tiny-bert-ner', ner.cases, 'auto', 'f16');
    await expectLogits('tiny-bert-qa', qa.cases, 'auto', 'f16');
  });
});

describe('pipeline() reproduces HF Python (reference.json)', async () => {
  const nerPipe = await pipeline('ner', nerDir, { dtype: 'fp32' });
  const qaPipe = await pipeline('question-answering', qaDir, { dtype: 'fp32' });
  afterAll(async () => {
    await nerPipe.dispose();
    await qaPipe.dispose();
  });

  it('info: the canonical task, the labels', () => {
    expect(nerPipe.info.task).toBe('token-classification');
    expect(nerPipe.info.labels).toEqual(['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC']);
    expect(qaPipe.info.task).toBe('question-answering');
  });

  for (const c of ner.cases) {
    for (const x of c.expected) {
      it(`ner ${c.name} ${JSON.stringify(x.options)}`, async () => expectSame(await nerPipe(c.text, x.options), x.output));
    }
  }

  it('ner: a batch gives one list per text, each as alone; camelCase aliases', async () => {
    for (const strategy of ['simple', 'average'] as const) {
      const want = ner.cases.map((c) => c.expected.find((x) => x.windows === 'truncate' && x.options.aggregation_strategy === strategy && !('ignore_labels' in x.options))!.output);
      expectSame(await nerPipe(ner.cases.map((c) => c.text), { aggregationStrategy: strategy }), want);
    }
  });

  for (const c of qa.cases) {
    for (const x of c.expected) {
      it(`qa ${c.name} ${JSON.stringify(x.options)}`, async () => {
        expectSame(await qaPipe(c.question, c.context, x.options), x.output);
        expectSame(await qaPipe({ question: c.question, context: c.context }, x.options), x.output);
      });
    }
  }

  it('qa: batches as HF ({question, context}[] and (questions[], contexts[])), one result per pair', async () => {
    const want = qa.cases.map((c) => c.expected.find((x) => Object.keys(x.options).length === 0)!.output);
    expectSame(await qaPipe(qa.cases.map((c) => ({ question: c.question, context: c.context }))), want);
    expectSame(await qaPipe(qa.cases.map((c) => c.question), qa.cases.map((c) => c.context)), want);
    const top = qa.cases.find((c) => c.name === 'long')!.expected.find((x) => x.options.top_k === 5)!.output;
    const long = qa.cases.find((c) => c.name === 'long')!;
    expectSame(await qaPipe(long.question, long.context, { topK: 5 }), top);
  });

  it('errors: unknown options (with the right spelling), bad values, bad inputs — before the GPU', async () => {
    // Untyped, as JavaScript callers are.
    const nerAny = nerPipe as unknown as (...a: unknown[]) => Promise<unknown>;
    const qaAny = qaPipe as unknown as (...a: unknown[]) => Promise<unknown>;
    await expect(nerAny('x', { aggregation_stratgy: 'simple' })).rejects.toThrow(/unknown option 'aggregation_stratgy' for token-classification; did you mean 'aggregation_strategy'/);
    await expect(nerAny('x', { aggregation_strategy: 'mean' })).rejects.toThrow(/aggregation_strategy must be one of none, simple, first, average, max/);
    await expect(nerAny('x', { stride: 8 })).rejects.toThrow(/stride .* needs aggregation_strategy/);
    await expect(nerAny('x', { stride: 64, aggregation_strategy: 'simple' })).rejects.toThrow(/stride \(64\) must be less than the model's length \(64\)/);
    await expect(nerAny(42)).rejects.toThrow(/inputs must be a string, got number/);
    await expect(qaAny('who?', 'ctx', { topk: 2 })).rejects.toThrow(/unknown option 'topk' for question-answering; did you mean 'top_k'/);
    await expect(qaAny('who?', 'ctx', { max_seq_len: 65 })).rejects.toThrow(/max_seq_len 65 is over the model's length 64/);
    await expect(qaAny('who?')).rejects.toThrow(/context must be a non-empty string, got undefined/);
    await expect(qaAny(['a?', 'b?'], ['only one'])).rejects.toThrow(/same length \(2 questions, 1 contexts\)/);
  });
});

describe("dtype 'auto' on per-token heads", () => {
  it("keeps f16 only when every token's top label agrees with f32, and says so", async () => {
    // lavapipe has shader-f16, so auto runs the probe under the GPU kernel profile; the reason names what was compared.
    for (const [task, dir] of [['ner', nerDir], ['question-answering', qaDir]] as const) {
      const pipe = await pipeline(task, dir, { dtype: 'auto', kernelProfile: 'gpu' });
      try {
        expect(pipe.info.dtypeReason).toMatch(/top label at every token/);
      } finally {
        await pipe.dispose();
      }
    }
  });
});

describe('a model whose head does not fit is refused from config.json', () => {
  it('ner on a QA model, QA on a NER model, text-classification on either; no weight byte fetched', async () => {
    await expect(pipeline('ner', qaDir)).rejects.toThrow(/not a token-classification model \(architectures: BertForQuestionAnswering\)/);
    await expect(pipeline('question-answering', nerDir)).rejects.toThrow(/not a question-answering model \(architectures: BertForTokenClassification\)/);
    await expect(pipeline('token-classification', join(fixturesDir, 'tiny-bert'))).rejects.toThrow(/not a token-classification model/);
    await expect(pipeline('text-classification', nerDir)).rejects.toThrow(/not a sequence-classification model/);
    const files = Object.fromEntries(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt']
      .map((f) => [`/m/${f}`, readFileSync(join(qaDir, f))]));
    const server = await startServer(files);
    try {
      await expect(pipeline('ner', `${server.url}/m/`, { cache: false })).rejects.toThrow(/not a token-classification model/);
      expect(server.log.filter((r) => r.path.endsWith('model.safetensors') && r.method === 'GET')).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
