// question-answering vs HF Python's QuestionAnsweringPipeline: our post-processing (src/tasks/question-answering.ts) on
// the fixture's float64 PyTorch start/end logits must give what hf_token_pipelines.py (HF's code mirrored, run in
// Python) gives — top_k, max_answer_len, handle_impossible_answer, align_to_words, doc_stride windows — and our
// tokenizer must cut the same windows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BertTokenizer } from '../../src/tokenizer/tokenizer.ts';
import type { Encoding } from '../../src/tokenizer/types.ts';
import {
  hfAnswerShape, normalizeQaInputs, postprocessQuestionAnswering, prepareQuestionAnswering, resolveQuestionAnsweringOptions,
  type Answer,
} from '../../src/tasks/question-answering.ts';
import { fixturesDir } from '../model/fixture.ts';

interface RefRow {
  inputIds: number[]; tokenTypeIds: number[]; attentionMask: number[]; specialTokensMask: number[];
  wordIds: number[]; offsets: [number, number][]; logits: { dims: number[]; data: number[] };
}
interface RefCase {
  name: string; question: string; context: string; windows: Record<string, RefRow[]>;
  expected: Array<{ windows: string; options: Record<string, unknown>; output: Answer | Answer[] }>;
}
const dir = join(fixturesDir, 'tiny-bert-qa');
const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as { maxLength: number; cases: RefCase[] };
const tokenizer = BertTokenizer.fromTokenizerJson(readFileSync(join(dir, 'tokenizer.json'), 'utf8'),
  JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')));

function encodingOf(r: RefRow): Encoding {
  return {
    ids: Int32Array.from(r.inputIds), tokenTypeIds: Int32Array.from(r.tokenTypeIds), attentionMask: Int32Array.from(r.attentionMask),
    specialTokensMask: Int32Array.from(r.specialTokensMask), offsets: Int32Array.from(r.offsets.flat()), wordIds: Int32Array.from(r.wordIds),
    overflowing: [],
  };
}

function expectAnswers(got: Answer | Answer[], want: Answer | Answer[]) {
  expect(Array.isArray(got)).toBe(Array.isArray(want));
  const g = Array.isArray(got) ? got : [got];
  const w = Array.isArray(want) ? want : [want];
  expect(g.map(({ start, end, answer }) => ({ start, end, answer }))).toEqual(w.map(({ start, end, answer }) => ({ start, end, answer })));
  g.forEach((a, i) => expect(Math.abs(a.score - w[i].score), `score of ${i}`).toBeLessThan(1e-9));
}

describe('question-answering post-processing = HF QuestionAnsweringPipeline (fixture logits, float64)', () => {
  for (const c of ref.cases) {
    for (const x of c.expected) {
      const n = c.windows[x.windows].length;
      it(`${c.name} ${JSON.stringify(x.options)} (${n} window${n > 1 ? 's: best spans across windows' : ''})`, () => {
        const o = resolveQuestionAnsweringOptions(x.options, ref.maxLength);
        const windows = c.windows[x.windows].map((r) => ({ encoding: encodingOf(r), logits: r.logits.data }));
        expectAnswers(hfAnswerShape(postprocessQuestionAnswering(c.context, windows, o)), x.output);
      });
    }
  }

  it('the fixture exercises the windows: the best answers come from several windows, and one is a word cut by a window edge (HF snaps to the window\'s part of the word)', () => {
    const long = ref.cases.find((c) => c.name === 'long')!;
    const top5 = long.expected.find((x) => JSON.stringify(x.options) === '{"top_k":5}')!.output as Answer[];
    const windowsOf = (a: Answer) => long.windows['len64-stride32'].map((r, k) => [r, k] as const)
      .filter(([r]) => r.offsets.some(([s], i) => r.tokenTypeIds[i] === 1 && s === a.start)).map(([, k]) => k);
    expect(new Set(top5.map((a) => windowsOf(a)[0])).size).toBeGreaterThan(1);
    expect(top5.map((a) => a.answer)).toContain('midt'); // "Schmidt", whose first pieces are in the previous window only
  });
});

describe('question-answering rows = the windows HF runs (only_second, stride = doc_stride)', () => {
  for (const c of ref.cases) {
    for (const key of Object.keys(c.windows)) {
      const [, len, stride] = /^len(\d+)-stride(\d+)$/.exec(key)!.map(Number);
      it(`${c.name} ${key}: ${c.windows[key].length} rows, ids, offsets (UTF-16), word ids, type ids` +
        (c.windows[key].length > 2 ? ' — windows cover the whole context (HF pipeline; tokenizers 0.23 would stop near max_seq_len)' : ''), () => {
        const o = resolveQuestionAnsweringOptions({ max_seq_len: len, doc_stride: stride }, ref.maxLength);
        const { rows, groups } = prepareQuestionAnswering(tokenizer, [{ question: c.question, context: c.context }], o);
        expect(groups).toEqual([rows.map((_, i) => i)]);
        const want = c.windows[key];
        expect(rows.map((r) => Array.from(r.ids))).toEqual(want.map((r) => r.inputIds));
        expect(rows.map((r) => Array.from(r.tokenTypeIds))).toEqual(want.map((r) => r.tokenTypeIds));
        expect(rows.map((r) => Array.from(r.offsets))).toEqual(want.map((r) => r.offsets.flat()));
        expect(rows.map((r) => Array.from(r.wordIds))).toEqual(want.map((r) => r.wordIds));
      });
    }
  }

  it('a batch: each pair gets its rows', () => {
    const [short, long] = ['short', 'long'].map((n) => ref.cases.find((c) => c.name === n)!);
    const { items, single } = normalizeQaInputs([{ question: short.question, context: short.context }, { question: long.question, context: long.context }]);
    expect(single).toBe(false);
    const { rows, groups } = prepareQuestionAnswering(tokenizer, items, resolveQuestionAnsweringOptions({}, ref.maxLength));
    expect(groups).toEqual([[0], [1, 2, 3, 4, 5, 6, 7, 8]]);
    expect(rows).toHaveLength(9);
  });
});

describe('question-answering semantics on hand-made logits', () => {
  const question = 'who?';
  const context = 'Johanna loved Paris';
  // [CLS] who ? [SEP] j(4) ##o ##h ##a ##n ##n ##a loved(11) p(12) ##a ##r ##i ##s(16) [SEP](17)
  const enc = tokenizer.encode(question, context);
  const T = enc.ids.length;
  const logits = (start: Record<number, number>, end: Record<number, number>) => {
    const out = new Float64Array(2 * T);
    for (const [t, v] of Object.entries(start)) out[2 * Number(t)] = v;
    for (const [t, v] of Object.entries(end)) out[2 * Number(t) + 1] = v;
    return out;
  };
  const run = (l: Float64Array, options: Record<string, unknown> = {}) =>
    postprocessQuestionAnswering(context, [{ encoding: enc, logits: l }], resolveQuestionAnsweringOptions(options, 64));

  it('question tokens never answer, however large their logits', () => {
    const [best] = run(logits({ 1: 50, 12: 8 }, { 2: 50, 12: 8 }));
    expect(best.answer).toBe('Paris');
  });
  it('a span inside a word is snapped to the whole word (align_to_words), or not', () => {
    expect(run(logits({ 5: 9 }, { 6: 9 }))[0]).toMatchObject({ answer: 'Johanna', start: 0, end: 7 });
    expect(run(logits({ 5: 9 }, { 6: 9 }), { align_to_words: false })[0]).toMatchObject({ answer: 'oh', start: 1, end: 3 });
  });
  it('max_answer_len bounds the span in tokens', () => {
    const l = logits({ 4: 9 }, { 16: 9 }); // j (4) … ##s (16): 13 tokens
    expect(run(l)[0].answer).toBe('Johanna loved Paris');
    expect(run(l, { max_answer_len: 13 })[0].answer).toBe('Johanna loved Paris');
    expect(run(l, { max_answer_len: 12 })[0].answer).not.toBe('Johanna loved Paris');
  });
  it('handle_impossible_answer: [CLS] scores the empty answer', () => {
    const l = logits({ 0: 12, 12: 3 }, { 0: 12, 16: 3 });
    const [best] = run(l, { handle_impossible_answer: true });
    expect(best).toMatchObject({ answer: '', start: 0, end: 0 });
    // Without it [CLS] keeps its share of the softmax but never starts or ends an answer.
    expect(run(l)[0]).toMatchObject({ answer: 'Paris', start: 14, end: 19 });
    expect(run(l)[0].score).toBeLessThan(1e-6);
  });
  it('equal answers (case-insensitive) add their scores; top_k returns a list, one answer an object (HF)', () => {
    const l = logits({ 5: 9, 6: 8.9 }, { 6: 9 }); // ##o→##h and ##h→##h both snap to "Johanna"
    const [alone] = run(l);
    const out = run(l, { top_k: 20 });
    expect(out[0].answer).toBe('Johanna');
    expect(out[0].score).toBeGreaterThan(1.8 * alone.score); // the two spans' scores, summed
    expect(out.filter((a) => a.answer.toLowerCase() === 'johanna')).toHaveLength(1);
    expect(Array.isArray(hfAnswerShape(out))).toBe(true);
    expect(Array.isArray(hfAnswerShape(run(l)))).toBe(false);
  });
});

describe('question-answering inputs and options', () => {
  it('call shapes: (question, context), {question, context}, arrays, (questions[], context)', () => {
    expect(normalizeQaInputs('q?', 'ctx')).toEqual({ items: [{ question: 'q?', context: 'ctx' }], single: true });
    expect(normalizeQaInputs({ question: 'q?', context: 'ctx' })).toEqual({ items: [{ question: 'q?', context: 'ctx' }], single: true });
    expect(normalizeQaInputs(['a?', 'b?'], 'ctx').items).toHaveLength(2);
    expect(normalizeQaInputs(['a?', 'b?'], ['c1', 'c2']).items[1]).toEqual({ question: 'b?', context: 'c2' });
  });
  it('defaults follow HF: top_k 1, max_answer_len 15, max_seq_len min(model, 384), doc_stride min(max_seq_len / 2, 128)', () => {
    expect(resolveQuestionAnsweringOptions({}, 512)).toEqual({ topK: 1, maxAnswerLen: 15, docStride: 128, maxSeqLen: 384, maxQuestionLen: 64,
      handleImpossibleAnswer: false, alignToWords: true });
    expect(resolveQuestionAnsweringOptions({ maxSeqLen: 48 }, 64)).toMatchObject({ maxSeqLen: 48, docStride: 24 });
  });
  it('errors name the option or input', () => {
    expect(() => resolveQuestionAnsweringOptions({ topk: 2 }, 64)).toThrow(/unknown option "topk"/);
    expect(() => resolveQuestionAnsweringOptions({ top_k: 0 }, 64)).toThrow(/top_k must be an integer ≥ 1/);
    expect(() => resolveQuestionAnsweringOptions({ doc_stride: 40, max_seq_len: 32 }, 64)).toThrow(/doc_stride \(40\) is larger than max_seq_len/);
    expect(() => resolveQuestionAnsweringOptions({ max_seq_len: 128 }, 64)).toThrow(/over the model's length/);
    expect(() => normalizeQaInputs('q?', '')).toThrow(/context must be a non-empty string/);
    expect(() => normalizeQaInputs(['a?'], ['c1', 'c2'])).toThrow(/same length/);
    const o = resolveQuestionAnsweringOptions({ max_seq_len: 16, doc_stride: 8 }, 64);
    expect(() => prepareQuestionAnswering(tokenizer, [{ question: 'who loved the movie so much?', context: 'a b c d e f g h i j k l m n' }], o))
      .toThrow(/question-answering: input 0: .*doc_stride/);
  });
});
