// The public training API in Node (Dawn/lavapipe): a fresh head for new labels learns a synthetic task to ≥ 95 %
// held-out accuracy; an f16 pipeline trains in f32 and runs the trained weights in f16; cancel keeps the old model;
// evaluate()'s numbers; and every bad input is an error naming the field.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipeline } from '../../src/node.ts';
import { explainZebra, learnZebra, zebraExamples } from '../kernels/train-api-cases.ts';
import { fixturesDir } from '../model/fixture.ts';

const tiny = join(fixturesDir, 'tiny-bert');

describe('clf.train() in Node', () => {
  it('labels give a fresh head; it learns "does zebra occur" to ≥ 95 % held-out', async () => {
    const clf = await pipeline('text-classification', tiny, { labels: ['no', 'yes'], dtype: 'f32' });
    try {
      const { before, after, history } = await learnZebra(clf, { train: 128, heldout: 64, epochs: 10, batchSize: 16 });
      console.log(`zebra: held-out ${before.accuracy} → ${after.accuracy} in ${history.length} steps, loss ${history[0].loss.toFixed(3)} → ${history.at(-1)!.loss.toFixed(3)}`);
      expect(history.every((s, i) => s.step === i + 1 && s.epoch === Math.floor(i / 8) + 1 && s.lr === 1e-3 && s.gradNorm > 0)).toBe(true);
      await explainZebra(clf, 20);
    } finally {
      await clf.dispose();
    }
  }, 120_000);

  it('an f16 pipeline trains (f32 master weights) and runs the trained weights in f16', async () => {
    const [c16, c32] = await Promise.all([
      pipeline('text-classification', tiny, { labels: ['no', 'yes'], dtype: 'f16' }),
      pipeline('text-classification', tiny, { labels: ['no', 'yes'], dtype: 'f32' }),
    ]);
    try {
      expect(c16.info.dtype).toBe('f16');
      const train = zebraExamples(32, 3);
      const options = { epochs: 2, batchSize: 8, lr: 1e-3, scheduler: 'constant' as const, dropout: 0 };
      const [h16, h32] = [await c16.train(train, options), await c32.train(train, options)];
      // Training itself is f32 in both: the same steps.
      h16.forEach((s, i) => expect(Math.abs(s.loss - h32[i].loss)).toBeLessThanOrEqual(1e-5));
      const probe = zebraExamples(8, 4).map((e) => e.text);
      const [a, b] = await Promise.all([c16(probe, { topK: null, functionToApply: 'none' }), c32(probe, { topK: null, functionToApply: 'none' })]);
      const logits = (r: unknown) => (r as Array<Array<{ label: string; score: number }>>).flatMap((x) => ['no', 'yes'].map((l) => x.find((s) => s.label === l)!.score));
      const before = await pipeline('text-classification', tiny, { labels: ['no', 'yes'], dtype: 'f16' });
      const untrained = logits(await before(probe, { topK: null, functionToApply: 'none' }));
      await before.dispose();
      const [l16, l32] = [logits(a), logits(b)];
      l16.forEach((v, i) => expect(Math.abs(v - l32[i]), `logit ${i}`).toBeLessThanOrEqual(2e-2));
      // …and the f16 model did change: it is not still the untrained one.
      expect(Math.max(...l16.map((v, i) => Math.abs(v - untrained[i])))).toBeGreaterThan(0.05);
    } finally {
      await Promise.all([c16.dispose(), c32.dispose()]);
    }
  }, 120_000);

  it('abort: train() rejects with an AbortError after the step that aborted and the model is unchanged', async () => {
    const clf = await pipeline('text-classification', tiny, { labels: ['no', 'yes'], dtype: 'f32' });
    try {
      const held = zebraExamples(16, 5);
      const before = await clf.evaluate(held);
      const controller = new AbortController();
      let steps = 0;
      const run = clf.train(zebraExamples(32, 6), { epochs: 3, batchSize: 4, lr: 1e-3, signal: controller.signal, onStep: () => { if (++steps === 2) controller.abort(); } });
      await expect(run).rejects.toMatchObject({ name: 'AbortError' });
      expect(steps).toBe(2);
      expect(await clf.evaluate(held)).toEqual(before);
      await expect(clf.save()).rejects.toThrow('save(): nothing to save yet; train() the model first');
      await expect(clf.train(zebraExamples(8, 6), { epochs: 2, batchSize: 4, onStep: () => { throw new Error('stop here'); } })).rejects.toThrow('stop here');
      expect(await clf.evaluate(held)).toEqual(before);
    } finally {
      await clf.dispose();
    }
  }, 120_000);

  it('multi-label (BCE) and regression (MSE) checkpoints train and evaluate through the same API', async () => {
    const multi = await pipeline('text-classification', join(fixturesDir, 'tiny-bert-multilabel'), { dtype: 'f32' });
    try {
      const data = [
        { text: 'a funny love story', label: ['comedy', 'romance'] }, { text: 'explosions and a chase', label: 'action' },
        { text: 'a sad family story', label: ['drama'] }, { text: 'nothing at all', label: [] as string[] },
      ];
      const before = await multi.evaluate(data);
      const history = await multi.train(data, { epochs: 20, batchSize: 4, lr: 3e-3, scheduler: 'constant', dropout: 0 });
      const after = await multi.evaluate(data);
      expect(history).toHaveLength(20);
      expect(after.loss).toBeLessThan(before.loss);
      // The first step's loss is the model's BCE on the batch before any update, as evaluate() computes it.
      expect(Math.abs(history[0].loss - before.loss)).toBeLessThanOrEqual(1e-5);
      expect(after.macroF1).toBeGreaterThanOrEqual(0);
      await expect(multi.train([{ text: 'x', label: ['comedy', 'western'] }])).rejects.toThrow('train(): examples[0].label: unknown label "western" in "comedy,western"');
    } finally {
      await multi.dispose();
    }
    const reg = await pipeline('text-classification', join(fixturesDir, 'tiny-bert-regression'), { dtype: 'f32' });
    try {
      const data = [{ text: 'great', label: 1 }, { text: 'awful', label: -1 }, { text: 'okay', label: 0 }];
      const before = await reg.evaluate(data);
      expect(before.mse).toBe(before.loss);
      expect(before.accuracy).toBeUndefined();
      const history = await reg.train(data, { epochs: 10, batchSize: 3, lr: 3e-3, scheduler: 'constant', dropout: 0 });
      expect(Math.abs(history[0].loss - before.loss)).toBeLessThanOrEqual(1e-5);
      expect((await reg.evaluate(data)).loss).toBeLessThan(before.loss);
      await expect(reg.train([{ text: 'x', label: 'high' }])).rejects.toThrow('train(): examples[0].label: regression label "high" is not a finite number');
    } finally {
      await reg.dispose();
    }
  }, 120_000);

  it('calls made while train() ends are all answered (the replaced model finishes its queue before it is freed)', async () => {
    const clf = await pipeline('text-classification', tiny, { labels: ['no', 'yes'], dtype: 'f32' });
    try {
      let done = false;
      const run = clf.train(zebraExamples(8, 10), { epochs: 2, batchSize: 4 }).finally(() => { done = true; });
      const calls: Array<Promise<unknown>> = [];
      while (!done) {
        calls.push(clf(['a zebra', 'the film', 'we saw one']));
        await new Promise((r) => setTimeout(r, 1));
      }
      await run;
      const settled = await Promise.allSettled(calls);
      expect(settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason))).toEqual([]);
      expect(calls.length).toBeGreaterThan(2);
    } finally {
      await clf.dispose();
    }
  }, 120_000);

  it('explain() calls in flight when train() ends finish on the weights they started with', async () => {
    const clf = await pipeline('text-classification', tiny, { labels: ['no', 'yes'], dtype: 'f32' });
    try {
      await clf.explain('a zebra'); // makes the attribution Trainer that train() will replace
      let done = false;
      const run = clf.train(zebraExamples(8, 11), { epochs: 2, batchSize: 4 }).finally(() => { done = true; });
      const calls: Array<Promise<unknown>> = [];
      while (!done) {
        calls.push(clf.explain('we saw a zebra', { method: 'integrated-gradients', steps: 8 }));
        await new Promise((r) => setTimeout(r, 1));
      }
      await run;
      const settled = await Promise.allSettled(calls);
      expect(settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason))).toEqual([]);
      expect((await clf.explain('a zebra')).tokens).toHaveLength(4);
    } finally {
      await clf.dispose();
    }
  }, 120_000);

  it('evaluate(): accuracy, macro-F1 and loss of the model on labelled examples (tiny-bert vs its PyTorch logits)', async () => {
    const clf = await pipeline('text-classification', tiny, { dtype: 'f32' });
    try {
      const r = await clf.evaluate([{ text: 'I love this movie!', label: 'positive' }, { text: 'The film was terrible.', label: 'negative' }]);
      expect(r.n).toBe(2);
      expect(r.accuracy! >= 0 && r.accuracy! <= 1 && r.macroF1! >= 0 && r.macroF1! <= 1).toBe(true);
      expect(Math.abs(r.loss - await clf.loss(['I love this movie!', 'The film was terrible.'], [2, 0]))).toBeLessThanOrEqual(1e-6);
    } finally {
      await clf.dispose();
    }
  }, 60_000);

  it('bad input: each error names the field', async () => {
    const clf = await pipeline('text-classification', tiny, { dtype: 'f32' });
    try {
      const ok = [{ text: 'good', label: 'positive' }];
      await expect(clf.train('good' as never)).rejects.toThrow('train(): examples must be an array of { text, textPair?, label }, got string');
      await expect(clf.train([])).rejects.toThrow('train(): examples is empty');
      await expect(clf.train([{ text: 'x', label: 'great' }])).rejects.toThrow('train(): examples[0].label: unknown label "great" (known labels: "negative", "neutral", "positive")');
      await expect(clf.train([{ text: '  ', label: 'positive' }])).rejects.toThrow('train(): examples[0].text must be a non-empty string');
      await expect(clf.train([{ text: 'x', label: 2 }])).rejects.toThrow('train(): examples[0].label must be a label name');
      await expect(clf.train(ok, { lr: -1 })).rejects.toThrow('train(): option lr must be a finite number ≥ 0, got -1');
      await expect(clf.train(ok, { epochs: 0 })).rejects.toThrow('train(): option epochs must be an integer ≥ 1, got 0');
      await expect(clf.train(ok, { dropout: 1 })).rejects.toThrow('train(): option dropout must be in [0, 1), got 1');
      await expect(clf.train(ok, { scheduler: 'cosine' as never })).rejects.toThrow("train(): option scheduler must be 'constant', 'linear' or 'constant_with_warmup'");
      await expect(clf.train(ok, { freeze: { layers: 9 } })).rejects.toThrow('train(): option freeze.layers must be an integer in [0, 2], got 9');
      await expect(clf.train(ok, { epoch: 2 } as never)).rejects.toThrow("train(): unknown option 'epoch'");
      await expect(clf.evaluate([{ text: 'x', label: 'nope' }])).rejects.toThrow('evaluate(): examples[0].label: unknown label "nope"');
      await expect(clf.save()).rejects.toThrow('save(): nothing to save yet; train() the model first');
      const first = clf.train(ok, { epochs: 2, batchSize: 1 });
      await expect(clf.train(ok)).rejects.toThrow('train(): another train() is running on this pipeline');
      await first;
      await expect(clf.save({ dir: 7 } as never)).rejects.toThrow();
    } finally {
      await clf.dispose();
    }
    await expect(pipeline('text-classification', tiny, { labels: [] })).rejects.toThrow('option labels must be a non-empty array of label names');
    await expect(pipeline('text-classification', tiny, { labels: ['a', 'a'] })).rejects.toThrow('label "a" is listed twice');
    await expect(pipeline('feature-extraction', tiny, { labels: ['a', 'b'] })).rejects.toThrow('the labels option applies to text-classification only');
    await expect(pipeline('text-classification', join(fixturesDir, 'tiny-roberta'), { labels: ['a', 'b'] })).rejects.toThrow(/training supports BERT so far \(this model's model_type is 'roberta'\)/);
    const roberta = await pipeline('text-classification', join(fixturesDir, 'tiny-roberta'), { dtype: 'f32' }).catch(() => null);
    if (roberta) {
      await expect(roberta.train([{ text: 'x', label: roberta.info.labels[0] }])).rejects.toThrow('train(): training supports BERT so far');
      await roberta.dispose();
    }
    const cpu = await pipeline('text-classification', tiny, { device: 'cpu' });
    try {
      await expect(cpu.train([{ text: 'good', label: 'positive' }])).rejects.toThrow(/^train\(\) needs the GPU backend; this pipeline runs on the CPU/);
      await expect(cpu.explain('good')).rejects.toThrow(/^explain\(\) needs the GPU backend/);
      expect((await cpu.evaluate([{ text: 'good', label: 'positive' }])).n).toBe(1);
    } finally {
      await cpu.dispose();
    }
  }, 120_000);
});
