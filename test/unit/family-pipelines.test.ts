// Every family through the public pipeline() with text input (Node/Dawn): tiny-distilbert and tiny-electra
// (WordPiece), tiny-roberta (byte-level BPE), tiny-albert (Unigram) × text-classification, feature-extraction,
// fill-mask (the family's own mask token), token-classification (every aggregation strategy: BPE's Ġ-words and
// Unigram's ▁-words grouped by HF's rule for tokenizers without a subword prefix) and question-answering, against
// text-reference.json (scripts/fixtures/make_family_fixtures.py: HF Rust token ids, float64 PyTorch outputs, and HF's
// pipeline post-processing mirrored in family_pipelines.py) — scores within 1e-4, everything else exact. The fixture
// names its sequence classifier; the other heads load from a copy whose config.json names them (family-variants.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { afterAll, describe, expect, it } from 'vitest';
import { pipeline } from '../../src/node.ts';
import { softmax } from '../../src/model/heads.ts';
import { expectClose } from '../helpers/validate.ts';
import { fixturesDir } from '../model/fixture.ts';
import { familyAs, removeFamilyVariants } from '../model/family-variants.ts';
import { FAMILIES, MASK_TOKEN, readTextReference, type RefTensor, type TextCase, type TextReference } from '../model/family-text.ts';

const LABELS = ['negative', 'neutral', 'positive'];
const TOL = { atol: 1e-4, rtol: 0 };

const caseOf = (ref: TextReference, name: string): TextCase => {
  const c = ref.cases.find((x) => x.name === name);
  if (!c) throw new Error(`text-reference.json has no case ${name}`);
  return c;
};

/** Row r of a [B, …] reference tensor. */
const rowOf = (t: RefTensor, r: number): number[] => {
  const width = t.data.length / t.dims[0];
  return t.data.slice(r * width, (r + 1) * width);
};

/** Structure exactly (keys, lengths, strings, integers); non-integer numbers (scores) within 1e-4. */
function expectSame(got: unknown, want: unknown, path: string): void {
  if (typeof want === 'number' && (!Number.isInteger(want) || (typeof got === 'number' && !Number.isInteger(got)))) {
    expect(typeof got, `${path} type`).toBe('number');
    expect(Math.abs((got as number) - want), `${path}: ${String(got)} vs ${want}`).toBeLessThanOrEqual(1e-4);
  } else if (Array.isArray(want)) {
    expect(Array.isArray(got), `${path} is an array (${JSON.stringify(got)})`).toBe(true);
    expect((got as unknown[]).length, `${path}.length: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`).toBe(want.length);
    want.forEach((w, i) => expectSame((got as unknown[])[i], w, `${path}[${i}]`));
  } else if (want && typeof want === 'object') {
    expect(got && typeof got === 'object' && !Array.isArray(got), `${path} is an object: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`).toBe(true);
    expect(Object.keys(got as object).sort(), `${path} keys`).toEqual(Object.keys(want).sort());
    for (const [k, w] of Object.entries(want)) expectSame((got as Record<string, unknown>)[k], w, `${path}.${k}`);
  } else {
    expect(got, path).toEqual(want);
  }
}

/** transformers' PreTrainedTokenizerBase.clean_up_tokenization, transcribed. */
const hfCleanUpTokenization = (s: string): string => s.replaceAll(' .', '.').replaceAll(' ?', '?').replaceAll(' !', '!')
  .replaceAll(' ,', ',').replaceAll(" ' ", "'").replaceAll(" n't", "n't").replaceAll(" 'm", "'m")
  .replaceAll(" 's", "'s").replaceAll(" 've", "'ve").replaceAll(" 're", "'re");

afterAll(removeFamilyVariants);

for (const folder of FAMILIES) {
  const dir = join(fixturesDir, folder);
  const ref = readTextReference(folder);

  describe(`${folder}: pipelines with text input vs PyTorch fp64 and HF's post-processing`, () => {
    it('text-classification: singles, a batch and pairs score softmax(logits) within 1e-4', async () => {
      const classify = await pipeline('text-classification', dir, { dtype: 'f32' });
      try {
        for (const name of ['text-single', 'text-batch', 'text-pair']) {
          const c = caseOf(ref, name);
          const inputs = c.text.map((t, i) => (c.textPair ? { text: t, textPair: c.textPair[i] } : t));
          const batched = (await classify(inputs, { topK: null })) as Array<Array<{ label: string; score: number }>>;
          for (let r = 0; r < inputs.length; r++) {
            const want = softmax(rowOf(c.logits!, r));
            const one = (await classify(inputs[r], { topK: null })) as Array<{ label: string; score: number }>;
            for (const got of [one, batched[r]]) expectClose(`${folder} ${name}[${r}]`, LABELS.map((l) => got.find((x) => x.label === l)!.score), want, TOL);
          }
        }
      } finally {
        await classify.dispose();
      }
    });

    it('feature-extraction: per-token states, mean and cls pooling within 1e-4', async () => {
      const embed = await pipeline('feature-extraction', dir, { dtype: 'f32' });
      try {
        const c = caseOf(ref, 'text-batch');
        const [B, , C] = c.lastHiddenState.dims;
        const none = await embed(c.text, { pooling: 'none' });
        const mean = await embed(c.text, { pooling: 'mean' });
        const cls = await embed(c.text, { pooling: 'cls' });
        const T = none.dims[1];
        expect(none.dims).toEqual([B, T, C]);
        for (let r = 0; r < B; r++) {
          const n = c.tokens[r].length;
          const want = rowOf(c.lastHiddenState, r).slice(0, n * C);
          expectClose(`${folder} none[${r}]`, Array.from(none.data.subarray(r * T * C, r * T * C + n * C)), want, TOL);
          const avg = Array.from({ length: C }, (_, j) => want.reduce((a, _v, i) => (i % C === j ? a + want[i] : a), 0) / n);
          expectClose(`${folder} mean[${r}]`, Array.from(mean.data.subarray(r * C, (r + 1) * C)), avg, TOL);
          expectClose(`${folder} cls[${r}]`, Array.from(cls.data.subarray(r * C, (r + 1) * C)), want.slice(0, C), TOL);
        }
      } finally {
        await embed.dispose();
      }
    });

    it(`fill-mask: the tokenizer's own mask token (${MASK_TOKEN[folder]}), top 5 ids and softmax scores within 1e-4`, async () => {
      const fill = await pipeline('fill-mask', familyAs(folder, 'ForMaskedLM'), { dtype: 'f32' });
      try {
        const c = caseOf(ref, 'text-fill-mask');
        const rust = Tokenizer.fromFile(join(dir, 'tokenizer.json'));
        const cleanUp = (JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>).clean_up_tokenization_spaces === true;
        const [, T, V] = c.mlmLogits!.dims;
        for (let r = 0; r < c.text.length; r++) {
          expect(c.text[r]).toContain(MASK_TOKEN[folder]);
          // Rust reports an lstrip token with the space it took (' <mask>').
          const at = c.tokens[r].findIndex((t) => t.trim() === MASK_TOKEN[folder]);
          expect(at, `${folder}: HF tokenized ${c.text[r]} with its mask token`).toBeGreaterThan(0);
          const probs = softmax(c.mlmLogits!.data.slice((r * T + at) * V, (r * T + at + 1) * V));
          const order = probs.map((p, id) => [p, id]).sort((a, b) => b[0] - a[0]).slice(0, 5);
          const got = (await fill(c.text[r], { topK: 5 })) as Array<{ score: number; token: number; token_str: string; sequence: string }>;
          expect(got.map((x) => x.token), `${folder} ${c.text[r]}`).toEqual(order.map((o) => o[1]));
          expectClose(`${folder} ${c.text[r]} scores`, got.map((x) => x.score), order.map((o) => o[0]), TOL);
          for (const x of got) {
            // HF: token_str = tokenizer.decode([token]) (Ġ → space, ▁ dropped at the start, ## kept).
            expect(x.token_str, `${folder} token ${x.token}`).toBe(await rust.decode([x.token], false));
            expect(x.sequence).not.toContain(MASK_TOKEN[folder]);
            // HF: sequence = tokenizer.decode(ids with the token in, skip_special_tokens=True): the Rust decode, then
            // transformers' clean_up_tokenization when tokenizer_config.json sets clean_up_tokenization_spaces.
            const ids = c.inputIds[r].slice(0, c.tokens[r].length).map((id, i) => (i === at ? x.token : id));
            const raw = await rust.decode(ids, true);
            expect(x.sequence, `${folder} sequence`).toBe(cleanUp ? hfCleanUpTokenization(raw) : raw);
          }
        }
      } finally {
        await fill.dispose();
      }
    });

    it("token-classification: HF's entities for every aggregation strategy, long texts in stride windows", async () => {
      const ner = await pipeline('token-classification', familyAs(folder, 'ForTokenClassification'), { dtype: 'f32' });
      try {
        for (const e of ref.pipelines.tokenClassification) {
          const got = await ner(e.text, { aggregation_strategy: e.aggregation_strategy as 'none' });
          expectSame(got, e.entities, `${folder} ${e.case}[${e.row}] ${e.aggregation_strategy}`);
        }
        // A text longer than the model: windows sharing `stride` tokens, overlapping entities merged as HF does.
        const w = ref.pipelines.tokenClassificationWindows;
        expect(w.windows).toBeGreaterThan(1);
        for (const e of w.expected.filter((x) => x.aggregation_strategy !== 'none')) { // HF refuses stride with 'none'
          const got = await ner(w.text, { aggregation_strategy: e.aggregation_strategy as 'none', stride: w.stride });
          expectSame(got, e.entities, `${folder} ${w.windows} windows ${e.aggregation_strategy}`);
        }
      } finally {
        await ner.dispose();
      }
    });

    it("question-answering: HF's answers (top_k 1 and 3), spans from the tokenizer's offsets, long contexts in windows", async () => {
      const qa = await pipeline('question-answering', familyAs(folder, 'ForQuestionAnswering'), { dtype: 'f32' });
      try {
        for (const e of ref.pipelines.questionAnswering) {
          const got = await qa(e.question, e.context, { top_k: e.top_k });
          expectSame(got, e.answer, `${folder} qa[${e.row}] top_k ${e.top_k}`);
        }
        // A long context: HF's windows (max_seq_len, doc_stride) and its answer merging across them.
        for (const e of ref.pipelines.questionAnsweringWindows) {
          expect(e.windows).toBeGreaterThan(1);
          const got = await qa(e.question, e.context, { top_k: e.top_k, max_seq_len: e.max_seq_len, doc_stride: e.doc_stride });
          expectSame(got, e.answer, `${folder} windows (${e.windows}) top_k ${e.top_k}: ${e.question}`);
        }
      } finally {
        await qa.dispose();
      }
    });
  });
}

/** The fixtures' sequence heads read as NLI heads: the labels zero-shot looks for. */
const NLI = { id2label: { 0: 'contradiction', 1: 'neutral', 2: 'entailment' }, label2id: { contradiction: 0, neutral: 1, entailment: 2 } };

describe.each(FAMILIES)('%s: zero-shot-classification with NLI labels', (folder) => {
  it("scores the text-zero-shot pairs' logits as HF: softmax over entailment across labels; multi_label: per label over [contradiction, entailment]", async () => {
    const c = readTextReference(folder).cases.find((x) => x.name === 'text-zero-shot')!;
    const labels = c.textPair!.map((h) => /This example is (\w+)\./.exec(h)![1]);
    const rows = labels.map((_, r) => rowOf(c.logits!, r));
    const zs = await pipeline('zero-shot-classification', familyAs(folder, 'ForSequenceClassification', NLI), { dtype: 'f32' });
    try {
      for (const multi of [false, true]) {
        const want = multi ? rows.map((l) => softmax([l[0], l[2]])[1]) : softmax(rows.map((l) => l[2]));
        const got = (await zs(c.text[0], { candidate_labels: labels, multi_label: multi })) as { sequence: string; labels: string[]; scores: number[] };
        expect(got.sequence).toBe(c.text[0]);
        expect(got.labels, `${folder} multi_label ${multi}`).toEqual([...labels].sort((a, b) => want[labels.indexOf(b)] - want[labels.indexOf(a)]));
        expectClose(`${folder} zero-shot multi_label ${multi}`, got.labels.map((l) => got.scores[got.labels.indexOf(l)]), got.labels.map((l) => want[labels.indexOf(l)]), TOL);
      }
    } finally {
      await zs.dispose();
    }
  });
});

describe('tiny-albert: next-sentence-prediction with the sentence-order head (AlbertForPreTraining)', () => {
  it('scores softmax(sop_logits) for the text pairs: index 0 (IsNext) is "in order"', async () => {
    const c = readTextReference('tiny-albert').cases.find((x) => x.name === 'text-pair')! as TextCase & { nspLogits: RefTensor };
    const nsp = await pipeline('next-sentence-prediction', familyAs('tiny-albert', 'ForPreTraining'), { dtype: 'f32' });
    try {
      const got = (await nsp(c.text.map((t, i) => ({ text: t, textPair: c.textPair![i] })))) as Array<Array<{ label: string; score: number }>>;
      got.forEach((r, i) => {
        const want = softmax(rowOf(c.nspLogits, i));
        expectClose(`albert sop[${i}]`, ['IsNext', 'NotNext'].map((l) => r.find((x) => x.label === l)!.score), want, TOL);
      });
    } finally {
      await nsp.dispose();
    }
  });
});

describe('the mask token of a folder without tokenizer_config.json', () => {
  it("fill-mask reads it from special_tokens_map.json (ALBERT's [MASK], not the BPE/Unigram default <mask>)", async () => {
    const c = readTextReference('tiny-albert').cases.find((x) => x.name === 'text-fill-mask')!;
    const fill = await pipeline('fill-mask', familyAs('tiny-albert', 'ForMaskedLM', {}, ['tokenizer_config.json']), { dtype: 'f32' });
    try {
      const got = (await fill(c.text[0], { topK: 5 })) as Array<{ token: number; score: number }>;
      const [, T, V] = c.mlmLogits!.dims;
      const at = c.tokens[0].findIndex((t) => t.trim() === '[MASK]');
      const probs = softmax(c.mlmLogits!.data.slice(at * V, (at + 1) * V));
      expect(T).toBeGreaterThan(at);
      expectClose('albert fill-mask without tokenizer_config.json', got.map((x) => x.score), got.map((x) => probs[x.token]), TOL);
      expect(got.map((x) => x.token)).toEqual(probs.map((p, id) => [p, id]).sort((a, b) => b[0] - a[0]).slice(0, 5).map((x) => x[1]));
    } finally {
      await fill.dispose();
    }
  });
});

describe('zero-shot-classification on a family model without NLI labels', () => {
  it('is refused naming id2label, for every family', async () => {
    for (const folder of FAMILIES) {
      await expect(pipeline('zero-shot-classification', join(fixturesDir, folder), { dtype: 'f32' }), folder)
        .rejects.toThrow(/needs an NLI model: no label starting with "entail" in id2label \(negative, neutral, positive\)/);
    }
  });
});
