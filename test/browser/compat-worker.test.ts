// The transformers.js-style calls of the newer tasks through the public pipeline() in Chromium, where the runtime runs
// in its module Worker (SwiftShader, f32) and results cross a structured clone: zero-shot-classification on
// test/fixtures/tiny-bert-nli (tiny-bert's weights with NLI labels), and feature-extraction's Tensor, which must be a
// working Tensor again on the page (a class instance comes out of postMessage as a plain object). Expected values come
// from tiny-bert's PyTorch float64 reference (its pair cases and hidden states), within 1e-4.
import { describe, expect, it } from 'vitest';
import { pipeline, Tensor } from '../../src/index.ts';
import { softmax } from '../../src/model/heads.ts';
import reference from '../fixtures/tiny-bert/reference.json';

interface RefCase { name: string; text: string[]; textPair?: string[]; attentionMask: number[][]; logits: { data: number[] }; lastHiddenState: { dims: number[]; data: number[] } }
const cases = (reference as unknown as { cases: RefCase[] }).cases;
const refCase = (name: string) => cases.find((c) => c.name === name)!;
const url = (name: string) => `${location.origin}/test/fixtures/${name}`;
const C = 64;
const NLI = { contradiction: 0, entailment: 2 };

function expectNear(got: unknown, want: unknown, path = 'result'): void {
  if (typeof want === 'number') {
    expect(typeof got, `${path} type`).toBe('number');
    expect(Math.abs((got as number) - want), `${path}: ${String(got)} vs ${want}`).toBeLessThanOrEqual(1e-4);
  } else if (Array.isArray(want)) {
    expect(Array.isArray(got), `${path} is an array`).toBe(true);
    expect((got as unknown[]).length, `${path}.length`).toBe(want.length);
    want.forEach((w, i) => expectNear((got as unknown[])[i], w, `${path}[${i}]`));
  } else if (want && typeof want === 'object') {
    expect(Object.keys(got as object).sort(), `${path} keys`).toEqual(Object.keys(want).sort());
    for (const [k, w] of Object.entries(want)) expectNear((got as Record<string, unknown>)[k], w, `${path}.${k}`);
  } else {
    expect(got, path).toEqual(want);
  }
}

/** Row b's real tokens' hidden states from the reference, [T_b][C]. */
function hiddenRows(c: RefCase, b: number): number[][] {
  const T = c.lastHiddenState.dims[1];
  const n = c.attentionMask[b].reduce((a, x) => a + x, 0);
  return Array.from({ length: n }, (_, t) => c.lastHiddenState.data.slice((b * T + t) * C, (b * T + t + 1) * C));
}
const l2normalize = (v: number[]) => {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
};
const meanRows = (rows: number[][]) => Array.from({ length: C }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);

describe('transformers.js-style calls through the Worker (Chromium)', () => {
  it('zero-shot-classification: one label per call = softmax(contradiction, entailment) of the PyTorch pair logits', async () => {
    // tiny-bert-nli is a copy (docs/fixtures.md): a stale copy after tiny-bert is regenerated fails here by name.
    for (const f of ['model.safetensors', 'vocab.txt', 'tokenizer.json']) {
      const [a, b] = await Promise.all(['tiny-bert', 'tiny-bert-nli'].map(async (m) => new Uint8Array(await (await fetch(`${url(m)}/${f}`)).arrayBuffer())));
      expect(b.length > 0 && a.length === b.length && a.every((x, i) => x === b[i]), `tiny-bert-nli/${f} equals tiny-bert/${f}`).toBe(true);
    }
    const classifier = await pipeline('zero-shot-classification', url('tiny-bert-nli'));
    try {
      expect(classifier.info.task).toBe('zero-shot-classification');
      // hypothesis_template '{}': the hypothesis is the label itself, so each (text, label) is a reference pair case.
      const pairs = [
        { text: refCase('pair').text[0], label: refCase('pair').textPair![0], logits: refCase('pair').logits.data },
        ...[0, 1].map((b) => ({ text: refCase('padded_batch_pairs').text[b], label: refCase('padded_batch_pairs').textPair![b], logits: refCase('padded_batch_pairs').logits.data.slice(b * 3, b * 3 + 3) })),
      ];
      for (const p of pairs) {
        // One candidate: HF scores it on its own (multi_label), entailment against contradiction.
        const want = softmax([p.logits[NLI.contradiction], p.logits[NLI.entailment]])[1];
        const got = await classifier(p.text, [p.label], { hypothesis_template: '{}' });
        expectNear(got, { sequence: p.text, labels: [p.label], scores: [want] });
        expectNear(await classifier(p.text, { candidate_labels: p.label, hypothesis_template: '{}', multi_label: true }), got);
      }
      // Several labels, a batch: the transformers.js shapes (a list per text, labels sorted by score, summing to 1).
      const texts = ['the match went to extra time', 'taxes rise again'];
      const batch = await classifier(texts, ['sport', 'politics', 'cooking']) as Array<{ sequence: string; labels: string[]; scores: number[] }>;
      expect(batch.map((r) => r.sequence)).toEqual(texts);
      for (const r of batch) {
        expect([...r.labels].sort()).toEqual(['cooking', 'politics', 'sport']);
        expect(r.scores).toEqual([...r.scores].sort((a, b) => b - a));
        expect(Math.abs(r.scores.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
      }
      expectNear(await classifier(texts[1], ['sport', 'politics', 'cooking']), batch[1]);
    } finally {
      await classifier.dispose();
    }
  });

  it('feature-extraction returns a Tensor on the page: data, dims, type, size, tolist(), mean(), normalize() vs PyTorch', async () => {
    const extract = await pipeline('feature-extraction', url('tiny-bert'));
    try {
      const single = refCase('single');
      const tokens = hiddenRows(single, 0);
      const states = await extract(single.text[0]);
      expect(states, 'a Tensor instance after the structured clone').toBeInstanceOf(Tensor);
      expect(states.type).toBe('float32');
      expect(states.data).toBeInstanceOf(Float32Array);
      expect(states.dims).toEqual([1, tokens.length, C]);
      expect(states.size).toBe(tokens.length * C);
      expectNear(states.tolist(), [tokens]);
      // transformers.js's own pooling idiom on the page: mean over tokens, then L2 normalisation.
      const pooled = states.mean(1).normalize();
      expect(pooled).toBeInstanceOf(Tensor);
      expect(pooled.dims).toEqual([1, C]);
      expectNear(pooled.tolist(), [l2normalize(meanRows(tokens))]);

      // A padded batch with pooling in the Worker: rows are the texts' own mean (padding left out), normalised.
      const batch = refCase('padded_batch');
      const embeddings = await extract(batch.text, { pooling: 'mean', normalize: true });
      expect(embeddings).toBeInstanceOf(Tensor);
      expect(embeddings.dims).toEqual([batch.text.length, C]);
      expectNear(embeddings.tolist(), batch.text.map((_, b) => l2normalize(meanRows(hiddenRows(batch, b)))));
      const cls = await extract(batch.text, { pooling: 'cls' });
      expectNear(cls.tolist(), batch.text.map((_, b) => hiddenRows(batch, b)[0]));
    } finally {
      await extract.dispose();
    }
  });
});
