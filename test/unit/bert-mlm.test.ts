// BERT's pre-training heads on the tiny-bert-mlm fixture (BertForPreTraining, decoder tied to the word embeddings):
// masked-LM scores and next-sentence scores vs PyTorch fp64 (scripts/make-fixtures), and pipeline('fill-mask') vs
// the same references, with token strings and sequences from the HF Rust tokenizer (npm `tokenizers`).
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pipeline } from '../../src/node.ts';
import type { FillMaskPrediction } from '../../src/tasks/fill-mask.ts';
import { readSafetensors } from '../../src/weights/cpu-reader.ts';
import { fileSource } from '../../src/weights/node-source.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { startServer } from '../helpers/http-server.ts';
import { writeSafetensors } from '../helpers/safetensors-writer.ts';
import { expectClose } from '../helpers/validate.ts';
import { batchOf, fixturesDir, loadFixtureModel, type RefCase } from '../model/fixture.ts';

interface MlmCase extends Pick<RefCase, 'name' | 'text' | 'textPair' | 'inputIds' | 'attentionMask' | 'tokenTypeIds'> {
  maskPositions: number[][];
  maskLogits: number[][][];
  top5: { id: number; prob: number }[][][];
  nsp: number[][];
  rowLogits0: number[];
}
interface MlmReference { vocabSize: number; maskTokenId: number; cases: MlmCase[] }

const dir = join(fixturesDir, 'tiny-bert-mlm');
const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as MlmReference;
const tol = { atol: 1e-4, rtol: 0 };
const { Tokenizer } = createRequire(import.meta.url)('tokenizers') as typeof import('tokenizers');
const rust = Tokenizer.fromFile(join(dir, 'tokenizer.json'));

describe('tiny-bert-mlm forward vs PyTorch fp64', () => {
  for (const c of ref.cases) {
    it(c.name, async () => {
      const m = await loadFixtureModel(await getTestGpu(), 'tiny-bert-mlm');
      try {
        expect(m.head).toBe('pretraining');
        const V = ref.vocabSize;
        const T = c.inputIds[0].length;
        const out = await m.forward(batchOf(c), ['mlmLogits', 'nspLogits']);
        expect(out.mlmLogits).toHaveLength(c.inputIds.length * T * V);
        c.maskPositions.forEach((positions, b) => positions.forEach((p, k) => {
          expectClose(`${c.name} row ${b} mask ${k}`, out.mlmLogits!.subarray((b * T + p) * V, (b * T + p + 1) * V), c.maskLogits[b][k], tol);
        }));
        expectClose(`${c.name} [CLS] row`, out.mlmLogits!.subarray(0, V), c.rowLogits0, tol);
        expectClose(`${c.name} nsp`, out.nspLogits!, c.nsp.flat(), tol);
        // Only the [MASK] rows (plus the first [CLS]) through the head, as fill-mask asks: the same scores, in order.
        const mlmRows = [0, ...c.maskPositions.flatMap((positions, b) => positions.map((p) => b * T + p))];
        const picked = await m.forward({ ...batchOf(c), mlmRows }, ['mlmLogits']);
        expect(picked.mlmLogits).toHaveLength(mlmRows.length * V);
        expectClose(`${c.name} picked [CLS] row`, picked.mlmLogits!.subarray(0, V), c.rowLogits0, tol);
        let k = 1;
        c.maskPositions.forEach((positions, b) => positions.forEach((_, j) => {
          expectClose(`${c.name} picked row ${b} mask ${j}`, picked.mlmLogits!.subarray(k * V, (k + 1) * V), c.maskLogits[b][j], tol);
          k++;
        }));
      } finally {
        await m.dispose();
      }
      expect(m.registry.liveCount).toBe(0);
    });
  }
});

describe('masked-LM rows: checked, and batches split across the binding limit keep their rows', () => {
  it('rejects rows outside the batch, out of order, repeated or none, and mlmLogits on a model without the head', async () => {
    const m = await loadFixtureModel(await getTestGpu(), 'tiny-bert-mlm');
    const plain = await loadFixtureModel(await getTestGpu(), 'tiny-bert');
    try {
      const c = ref.cases.find((x) => x.name === 'single')!;
      const n = c.inputIds[0].length;
      await expect(m.forward({ ...batchOf(c), mlmRows: [n] }, ['mlmLogits'])).rejects.toThrow(/mlmRows\[0\] = \d+ is not a row of this batch/);
      await expect(m.forward({ ...batchOf(c), mlmRows: [3, 1] }, ['mlmLogits'])).rejects.toThrow(/ascending without repeats/);
      await expect(m.forward({ ...batchOf(c), mlmRows: [2, 2] }, ['mlmLogits'])).rejects.toThrow(/ascending without repeats/);
      await expect(m.forward({ ...batchOf(c), mlmRows: [] }, ['mlmLogits'])).rejects.toThrow(/mlmRows is empty/);
      await expect(plain.forward(batchOf(c), ['mlmLogits'])).rejects.toThrow(/needs a masked-LM head/);
      // Checked before a batch is split over the binding limit too.
      (m as unknown as { maxBatchFor: () => number }).maxBatchFor = () => 1;
      const b = ref.cases.find((x) => x.name === 'batch')!;
      const rowsOfB = b.inputIds.length * b.inputIds[0].length;
      await expect(m.forward({ ...batchOf(b), mlmRows: [1, rowsOfB] }, ['mlmLogits'])).rejects.toThrow(/is not a row of this batch/);
      await expect(m.forward({ ...batchOf(b), mlmRows: [b.inputIds[0].length + 1, 0] }, ['mlmLogits'])).rejects.toThrow(/ascending/);
      await expect(m.forward({ ...batchOf(b), mlmRows: [] }, ['mlmLogits'])).rejects.toThrow(/mlmRows is empty/);
    } finally {
      await m.dispose();
      await plain.dispose();
    }
  });

  it('a batch split in parts (binding limit) returns the same rows in order, parts without rows included', async () => {
    const m = await loadFixtureModel(await getTestGpu(), 'tiny-bert-mlm');
    try {
      const c = ref.cases.find((x) => x.name === 'batch')!;
      const T = c.inputIds[0].length;
      const V = ref.vocabSize;
      // Row 1's mask and row 2's mask only: with one sequence per part, part 0 asks for no scores.
      const mlmRows = [1 * T + c.maskPositions[1][0], 2 * T + c.maskPositions[2][0]];
      const hooks = m as unknown as { maxBatchFor: () => number; bindingLimit: () => number };
      hooks.maxBatchFor = () => 1;
      const split = await m.forward({ ...batchOf(c), mlmRows }, ['mlmLogits', 'lastHiddenState']);
      expect(split.mlmLogits).toHaveLength(2 * V);
      expectClose('row 1 mask', split.mlmLogits!.subarray(0, V), c.maskLogits[1][0], tol);
      expectClose('row 2 mask', split.mlmLogits!.subarray(V), c.maskLogits[2][0], tol);
      expect(split.lastHiddenState).toHaveLength(3 * T * m.config.hiddenSize);
      // Too many rows for one binding: halves the batch until the rows fit, or says so for one sequence.
      hooks.maxBatchFor = () => 8;
      hooks.bindingLimit = () => 2 * V * 4;
      const halves = await m.forward({ ...batchOf(c), mlmRows: [0, 1, T, 2 * T] }, ['mlmLogits']);
      expectClose('[CLS] of row 0', halves.mlmLogits!.subarray(0, V), c.rowLogits0, tol);
      expect(halves.mlmLogits).toHaveLength(4 * V);
      await expect(m.forward({ ...batchOf(c), B: 1, inputIds: batchOf(c).inputIds.subarray(0, T), tokenTypeIds: batchOf(c).tokenTypeIds.subarray(0, T),
        attentionMask: batchOf(c).attentionMask.subarray(0, T), mlmRows: [0, 1, 2] }, ['mlmLogits'])).rejects.toThrow(/exceed this device's storage binding limit/);
    } finally {
      await m.dispose();
    }
  });
});

describe('an untied decoder (tie_word_embeddings: false) is read from cls.predictions.decoder.weight', () => {
  it('the same weights untied give the same scores; a different decoder gives different ones', async () => {
    const { tensors } = await readSafetensors(fileSource(join(dir, 'model.safetensors')));
    const copy = mkdtempSync(join(tmpdir(), 'bertgpu-untied-'));
    for (const f of ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) copyFileSync(join(dir, f), join(copy, f));
    writeFileSync(join(copy, 'config.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), tie_word_embeddings: false }));
    const entries = [...tensors.values()].map((t) => ({ name: t.name, dtype: 'F32' as const, shape: t.shape, data: Array.from(t.data) }));
    const emb = tensors.get('bert.embeddings.word_embeddings.weight')!;
    const c = ref.cases.find((x) => x.name === 'single')!;
    const scoresAtMask = async (decoder: number[]) => {
      writeFileSync(join(copy, 'model.safetensors'), writeSafetensors([...entries, { name: 'cls.predictions.decoder.weight', dtype: 'F32' as const, shape: emb.shape, data: decoder }]));
      const m = await loadFixtureModel(await getTestGpu(), copy);
      try {
        const V = ref.vocabSize;
        const p = c.maskPositions[0][0];
        return (await m.forward(batchOf(c), ['mlmLogits'])).mlmLogits!.slice(p * V, (p + 1) * V);
      } finally {
        await m.dispose();
      }
    };
    expectClose('untied, same weights', await scoresAtMask(Array.from(emb.data)), c.maskLogits[0][0], tol);
    const other = await scoresAtMask(Array.from(emb.data, (v) => -v));
    expect(Math.max(...other.map((v, i) => Math.abs(v - c.maskLogits[0][0][i])))).toBeGreaterThan(0.1);
  });
});

describe('fill-mask pipeline (Node)', async () => {
  const fill = await pipeline('fill-mask', dir, { dtype: 'f32' });
  afterAll(() => fill.dispose());
  const single = ref.cases.find((c) => c.name === 'single')!;
  const twoMasks = ref.cases.find((c) => c.name === 'two-masks')!;
  const batch = ref.cases.find((c) => c.name === 'batch')!;

  /** What HF's FillMaskPipeline returns for one row and one mask, from the fp64 top-5 and the Rust tokenizer. */
  async function expected(ids: number[], pos: number, top: { id: number; prob: number }[], oneMask: boolean) {
    const real = ids.filter((id) => id !== 0);
    return Promise.all(top.map(async ({ id, prob }) => {
      const filled = real.slice();
      filled[pos] = id;
      return { score: prob, token: id, token_str: await rust.decode([id], false), sequence: await rust.decode(filled, oneMask) };
    }));
  }

  function expectPredictions(got: FillMaskPrediction[], want: Awaited<ReturnType<typeof expected>>) {
    expect(got.map((p) => p.token)).toEqual(want.map((p) => p.token));
    expect(got.map((p) => p.token_str)).toEqual(want.map((p) => p.token_str));
    expect(got.map((p) => p.sequence)).toEqual(want.map((p) => p.sequence));
    // A random model's probabilities are ~0.01: compare them relatively (logits are checked to 1e-4 above).
    expectClose('scores', got.map((p) => p.score), want.map((p) => p.score), { atol: 0, rtol: 1e-3 });
  }

  it('one mask: the top 5 tokens and probabilities of PyTorch, token strings and sequences of the HF tokenizer', async () => {
    const got = (await fill(single.text[0])) as FillMaskPrediction[];
    expectPredictions(got, await expected(single.inputIds[0], single.maskPositions[0][0], single.top5[0][0], true));
    const top2 = (await fill(single.text[0], { topK: 2 })) as FillMaskPrediction[];
    expect(top2.map((p) => p.token)).toEqual(got.slice(0, 2).map((p) => p.token));
  });

  it('two masks: a list per mask, sequences keep the special tokens (as HF)', async () => {
    const got = (await fill(twoMasks.text[0])) as FillMaskPrediction[][];
    expect(got).toHaveLength(2);
    for (const [k, pos] of twoMasks.maskPositions[0].entries()) {
      expectPredictions(got[k], await expected(twoMasks.inputIds[0], pos, twoMasks.top5[0][k], false));
    }
  });

  it('an array of texts (micro-batched, padded): one result per text, each equal to PyTorch', async () => {
    const got = (await fill(batch.text)) as FillMaskPrediction[][];
    expect(got).toHaveLength(batch.text.length);
    for (const [b, preds] of got.entries()) {
      expectPredictions(preds, await expected(batch.inputIds[b], batch.maskPositions[b][0], batch.top5[b][0], true));
    }
  });

  it('targets: only those words ranked, with their probabilities over the whole vocabulary (HF targets)', async () => {
    const logits = single.maskLogits[0][0];
    const max = Math.max(...logits);
    const sum = logits.reduce((a, v) => a + Math.exp(v - max), 0);
    const prob = (id: number) => Math.exp(logits[id] - max) / sum;
    // Two vocabulary words, a repeat, and one that is not a token (its first piece stands in, as in HF).
    const words = ['movie', 'music', 'movie', 'musicals'];
    const ids = [...new Set(await Promise.all(words.map(async (w) => rust.tokenToId(w) ?? (await rust.encode(w, null, { addSpecialTokens: false })).getIds()[0])))];
    const want = ids.map((id) => ({ id, p: prob(id) })).sort((a, b) => b.p - a.p);
    const got = (await fill(single.text[0], { targets: words })) as FillMaskPrediction[];
    expect(got.map((p) => p.token)).toEqual(want.map((w) => w.id));
    expectClose('target scores', got.map((p) => p.score), want.map((w) => w.p), { atol: 0, rtol: 1e-3 });
    expect((await fill(single.text[0], { targets: words, topK: 1 })) as FillMaskPrediction[]).toHaveLength(1);
    expect(((await fill(single.text[0], { targets: 'music' })) as FillMaskPrediction[]).map((p) => p.token)).toEqual([rust.tokenToId('music')]);
    await expect(fill(single.text[0], { targets: [] })).rejects.toThrow(/targets is an empty array/);
    await expect(fill(single.text[0], { targets: [7 as never] })).rejects.toThrow(/targets must be a string or an array of strings/);
  });

  it('rejects bad input with errors that name the problem', async () => {
    await expect(fill('no mask here')).rejects.toThrow(/no mask token \(\[MASK\]\) found/);
    await expect(fill(['fine [MASK]', 'none'])).rejects.toThrow(/inputs\[1\]: no mask token/);
    await expect(fill([])).rejects.toThrow(/empty array/);
    await expect(fill(42 as never)).rejects.toThrow(/inputs must be a string, got number/);
    await expect(fill('a [MASK]', { topK: 0 })).rejects.toThrow(/topK must be a positive integer/);
    const long = `${'word '.repeat(200)}[MASK]`;
    await expect(fill(long)).rejects.toThrow(/1 of its 1 \[MASK\] tokens are beyond the first 64 tokens/);
    // One mask kept and one cut would silently turn a list per mask into one list: refused instead.
    await expect(fill(`[MASK] ${'word '.repeat(200)}[MASK]`)).rejects.toThrow(/1 of its 2 \[MASK\] tokens are beyond the first 64 tokens/);
  });

  it("dtype 'auto' also compares the top token at every position before it keeps f16, and says so", async () => {
    const auto = await pipeline('fill-mask', dir, { kernelProfile: 'gpu' });
    try {
      expect(auto.info.dtypeReason).toMatch(auto.info.adapter.hasF16 ? /^auto: f16 probe (agrees|disagrees).*top token/ : /^auto: /);
      expect((await auto(single.text[0])) as FillMaskPrediction[]).toHaveLength(5);
    } finally {
      await auto.dispose();
    }
  });

  it('a model without a masked-LM head is refused for fill-mask, and this one for text-classification', async () => {
    await expect(pipeline('fill-mask', join(fixturesDir, 'tiny-bert'))).rejects.toThrow(/no masked-LM head .*BertForSequenceClassification/);
    await expect(pipeline('text-classification', dir)).rejects.toThrow(/not a sequence-classification model/);
    // Refused from config.json alone: not one byte of the weights is fetched.
    const files = Object.fromEntries(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt']
      .map((f) => [`/m/${f}`, readFileSync(join(fixturesDir, 'tiny-bert', f))]));
    const server = await startServer(files);
    try {
      await expect(pipeline('fill-mask', `${server.url}/m/`, { cache: false })).rejects.toThrow(/no masked-LM head/);
      expect(server.log.filter((r) => r.path.endsWith('model.safetensors') && r.method === 'GET')).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('next-sentence-prediction pipeline (Node)', async () => {
  const nsp = await pipeline('next-sentence-prediction', dir, { dtype: 'f32' });
  afterAll(() => nsp.dispose());
  const pair = ref.cases.find((c) => c.name === 'pair')!;
  const input = { text: pair.text[0], textPair: pair.textPair![0] };
  const want = (() => {
    const [a, b] = pair.nsp[0];
    const m = Math.max(a, b);
    const ea = Math.exp(a - m);
    const eb = Math.exp(b - m);
    return { IsNext: ea / (ea + eb), NotNext: eb / (ea + eb) };
  })();

  it('IsNext / NotNext are the softmax of the PyTorch NSP scores, single and batched', async () => {
    for (const result of [await nsp(input), ...(await nsp([input, input]))]) {
      expect(result.map((r) => r.label).sort()).toEqual(['IsNext', 'NotNext']);
      expect(result[0].score).toBeGreaterThanOrEqual(result[1].score);
      const got = Object.fromEntries(result.map((r) => [r.label, r.score]));
      expectClose('nsp', [got.IsNext, got.NotNext], [want.IsNext, want.NotNext], tol);
    }
  });

  it('needs pairs, and a model with the next-sentence head', async () => {
    await expect(nsp('just one sentence' as never)).rejects.toThrow(/needs a textPair/);
    await expect(nsp([input, { text: 'x' }] as never)).rejects.toThrow(/inputs\[1\] needs a textPair/);
    await expect(pipeline('next-sentence-prediction', join(fixturesDir, 'tiny-bert'))).rejects.toThrow(/no next-sentence head/);
  });
});

describe('tiny-bert-mlm in f16 storage, and as a base model', () => {
  it('f16: the [MASK] scores stay within the f16 bound of PyTorch (see bert-forward.test.ts) with the same top token', async () => {
    const gpu = await getTestGpu();
    expect(gpu.facts.hasF16, 'the Node adapter (lavapipe) must have shader-f16').toBe(true);
    const m = await loadFixtureModel(gpu, 'tiny-bert-mlm', { dtype: 'f16' });
    try {
      for (const c of ref.cases) {
        const T = c.inputIds[0].length;
        const V = ref.vocabSize;
        const mlmRows = c.maskPositions.flatMap((positions, b) => positions.map((p) => b * T + p));
        const out = await m.forward({ ...batchOf(c), mlmRows }, ['mlmLogits', 'nspLogits']);
        const want = c.maskLogits.flat();
        want.forEach((w, k) => {
          const got = out.mlmLogits!.subarray(k * V, (k + 1) * V);
          expectClose(`${c.name} mask ${k} (f16)`, got, w, { atol: 2e-2, rtol: 0 });
          expect(got.indexOf(Math.max(...got))).toBe(w.indexOf(Math.max(...w)));
        });
        expectClose(`${c.name} nsp (f16)`, out.nspLogits!, c.nsp.flat(), { atol: 2e-2, rtol: 0 });
      }
    } finally {
      await m.dispose();
    }
  });

  it('feature-extraction loads a BertForPreTraining checkpoint as its base model: no head weights on the GPU', async () => {
    const extract = await pipeline('feature-extraction', dir, { dtype: 'f32' });
    const fill = await pipeline('fill-mask', dir, { dtype: 'f32' });
    try {
      const { dims } = await extract('the movie was great', { pooling: 'mean' });
      expect(dims).toEqual([1, 64]);
      const [base, full] = [await extract.stats(), await fill.stats()];
      // The masked-LM transform (4 tensors), its bias and the NSP classifier (2) are left out.
      expect(full.weightBuffers - base.weightBuffers).toBe(7);
    } finally {
      await extract.dispose();
      await fill.dispose();
    }
  });
});
