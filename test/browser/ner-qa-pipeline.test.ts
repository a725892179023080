// token-classification and question-answering through the public pipeline() in Chromium: the runtime in its module
// Worker (SwiftShader, f32), the fixtures over HTTP; results vs HF Python's outputs in reference.json (from PyTorch
// float64 logits): structure exact, scores within 1e-4.
import { describe, expect, it } from 'vitest';
import { pipeline } from '../../src/index.ts';
import nerRef from '../fixtures/tiny-bert-ner/reference.json';
import qaRef from '../fixtures/tiny-bert-qa/reference.json';

interface Expected { windows: string; options: Record<string, unknown>; output: unknown }
const url = (name: string) => `${location.origin}/test/fixtures/${name}`;

function expectSame(got: unknown, want: unknown, path = 'result'): void {
  if (typeof want === 'number' && !Number.isInteger(want)) {
    expect(Math.abs((got as number) - want), `${path}: ${String(got)} vs ${want}`).toBeLessThanOrEqual(1e-4);
  } else if (Array.isArray(want)) {
    expect((got as unknown[]).length, `${path}.length`).toBe(want.length);
    want.forEach((w, i) => expectSame((got as unknown[])[i], w, `${path}[${i}]`));
  } else if (want && typeof want === 'object') {
    expect(Object.keys(got as object).sort(), `${path} keys`).toEqual(Object.keys(want).sort());
    for (const [k, w] of Object.entries(want)) expectSame((got as Record<string, unknown>)[k], w, `${path}.${k}`);
  } else {
    expect(got, path).toEqual(want);
  }
}

describe('ner and question-answering in Chromium (Worker)', () => {
  it("ner: 'names' grouped (aggregation_strategy simple) and the long text in stride windows (first)", async () => {
    const ner = await pipeline('ner', url('tiny-bert-ner'));
    try {
      expect(ner.info.task).toBe('token-classification');
      const cases = (nerRef as unknown as { cases: Array<{ name: string; text: string; expected: Expected[] }> }).cases;
      const names = cases.find((c) => c.name === 'names')!;
      const simple = names.expected.find((x) => x.options.aggregation_strategy === 'simple' && !('ignore_labels' in x.options))!;
      expectSame(await ner(names.text, { aggregation_strategy: 'simple' }), simple.output);
      const long = cases.find((c) => c.name === 'long')!;
      const windowed = long.expected.find((x) => x.windows === 'stride16' && x.options.aggregation_strategy === 'first')!;
      expectSame(await ner(long.text, windowed.options), windowed.output);
    } finally {
      await ner.dispose();
    }
  });

  it('question-answering: a long context in doc_stride windows, top_k 4', async () => {
    const qa = await pipeline('question-answering', url('tiny-bert-qa'));
    try {
      const long = (qaRef as unknown as { cases: Array<{ name: string; question: string; context: string; expected: Expected[] }> }).cases.find((c) => c.name === 'long')!;
      const x = long.expected.find((e) => e.windows === 'len32-stride8')!;
      expectSame(await qa(long.question, long.context, x.options), x.output);
    } finally {
      await qa.dispose();
    }
  });
});
