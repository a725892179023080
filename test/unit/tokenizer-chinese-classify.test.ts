// A bert-base-chinese-shaped model (its real 21,128-token vocabulary; hidden 32 to keep the fixture small) through the
// public pipeline() with Chinese text — CJK one character per token, full-width punctuation, mixed Latin/CJK, numbers,
// a pair, a padded batch, a text truncated to the model's 64 positions — vs the float64 PyTorch reference at 1e-4; the
// tokenizer's ids for the same texts equal HF Rust's (reference.json, scripts/fixtures/make_chinese_fixture.py); and
// fill-mask, bert-base-chinese's own task (the folder read as BertForMaskedLM), vs fill-mask-reference.json's top 10.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pipeline } from '../../src/node.ts';
import { BertTokenizer } from '../../src/tokenizer/index.ts';
import { softmax } from '../../src/model/heads.ts';
import { expectClose } from '../helpers/validate.ts';
import { fixturesDir, readReference, validRows } from '../model/fixture.ts';
import { familyAs, removeFamilyVariants } from '../model/family-variants.ts';

const dir = join(fixturesDir, 'tiny-bert-chinese');
const ref = readReference('tiny-bert-chinese');
const LABELS = ['negative', 'neutral', 'positive'];
const inputsOf = (c: (typeof ref.cases)[number]) => c.text.map((t, i) => (c.textPair ? { text: t, textPair: c.textPair[i] } : t));

describe('tiny-bert-chinese (vocab 21,128) with Chinese text', async () => {
  const classify = await pipeline('text-classification', dir, { dtype: 'f32' });
  const embed = await pipeline('feature-extraction', dir, { dtype: 'f32' });
  afterAll(async () => {
    await classify.dispose();
    await embed.dispose();
  });

  it("the tokenizer (from tokenizer.json, as the pipeline loads it) gives HF Rust's ids, types and masks for every case", () => {
    const tokenizer = BertTokenizer.fromTokenizerJson(readFileSync(join(dir, 'tokenizer.json'), 'utf8'), JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>);
    for (const c of ref.cases) {
      const batch = tokenizer.encodeBatch(c.text.map((t, i): string | [string, string] => (c.textPair ? [t, c.textPair[i]] : t)), { padding: { strategy: 'longest' }, truncation: { maxLength: 64 } });
      c.text.forEach((_, r) => {
        expect(Array.from(batch[r].ids), `${c.name}[${r}]`).toEqual(c.inputIds[r]);
        expect(Array.from(batch[r].tokenTypeIds), `${c.name}[${r}]`).toEqual(c.tokenTypeIds[r]);
        expect(Array.from(batch[r].attentionMask), `${c.name}[${r}]`).toEqual(c.attentionMask[r]);
      });
    }
  });

  it('text-classification scores equal softmax of the PyTorch logits (singles, a pair, a batch, a truncated text)', async () => {
    for (const c of ref.cases) {
      const got = (await classify(inputsOf(c), { topK: null })) as Array<Array<{ label: string; score: number }>>;
      const L = LABELS.length;
      c.text.forEach((_, r) => {
        const want = softmax(c.logits.data.slice(r * L, (r + 1) * L));
        expectClose(`${c.name}[${r}]`, LABELS.map((l) => got[r].find((x) => x.label === l)!.score), want, { atol: 1e-4, rtol: 0 });
      });
    }
  });

  it('feature-extraction: per-token hidden states within 1e-4', async () => {
    const c = ref.cases.find((x) => x.name === 'padded_batch')!;
    const out = await embed(c.text, { pooling: 'none' });
    const [B, T, H] = c.lastHiddenState.dims;
    expect(out.dims).toEqual([B, T, H]);
    expectClose('padded_batch hidden', validRows(out.data, c.attentionMask, H), validRows(c.lastHiddenState.data, c.attentionMask, H), { atol: 1e-4, rtol: 0 });
  });
});

interface FillMaskCase { text: string; inputIds: number[]; maskPositions: number[]; top10: Array<Array<{ token: number; score: number }>> }

describe('tiny-bert-chinese as BertForMaskedLM: fill-mask on Chinese text', () => {
  afterAll(removeFamilyVariants);
  it('the top 5 characters and their probabilities at each [MASK] equal PyTorch fp64 (one and two masks)', async () => {
    const ref = JSON.parse(readFileSync(join(dir, 'fill-mask-reference.json'), 'utf8')) as { cases: FillMaskCase[] };
    const fill = await pipeline('fill-mask', familyAs('tiny-bert-chinese', 'ForMaskedLM'), { dtype: 'f32' });
    try {
      for (const c of ref.cases) {
        const got = (await fill(c.text, { topK: 5 })) as unknown[];
        const perMask = (c.maskPositions.length === 1 ? [got] : got) as Array<Array<{ token: number; score: number; token_str: string }>>;
        expect(perMask).toHaveLength(c.maskPositions.length);
        perMask.forEach((preds, m) => {
          const want = c.top10[m].slice(0, 5);
          expect(preds.map((p) => p.token), `${c.text} mask ${m}`).toEqual(want.map((w) => w.token));
          expectClose(`${c.text} mask ${m}`, preds.map((p) => p.score), want.map((w) => w.score), { atol: 1e-4, rtol: 0 });
          for (const p of preds) expect([...p.token_str.replace(/^##/, '')].length, p.token_str).toBeGreaterThan(0);
        });
      }
    } finally {
      await fill.dispose();
    }
  });
});
