// The public training API in Chromium (SwiftShader), through the runtime Worker (the default): a fresh head for new
// labels learns "does zebra occur" to ≥ 95 % held-out (onStep events cross from the Worker, one per step), the
// trained model answers calls, save() returns the folder as File objects, and an abort from the page cancels a run.
import { describe, expect, it } from 'vitest';
import { pipeline } from '../../src/index.ts';
import { explainZebra, learnZebra, zebraExamples } from '../kernels/train-api-cases.ts';

const modelUrl = () => `${location.origin}/test/fixtures/tiny-bert`;

describe('clf.train() in Chromium (Worker)', () => {
  it('learns the synthetic task to ≥ 95 % held-out; save() gives the folder\'s Files', async () => {
    const clf = await pipeline('text-classification', modelUrl(), { labels: ['no', 'yes'], dtype: 'f32' });
    try {
      const { after, history } = await learnZebra(clf, { train: 48, heldout: 40, epochs: 6, batchSize: 8, lr: 2e-3, words: 4 });
      console.log(`zebra in Chromium: ${after.accuracy} held-out after ${history.length} steps`);
      await explainZebra(clf, 4);
      const files = await clf.save();
      expect(files.every((f) => f instanceof File)).toBe(true);
      expect(files.map((f) => f.name).sort()).toEqual(['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
      const config = JSON.parse(await files.find((f) => f.name === 'config.json')!.text()) as { id2label: Record<string, string>; architectures: string[] };
      expect(config.id2label).toEqual({ 0: 'no', 1: 'yes' });
      expect(config.architectures).toEqual(['BertForSequenceClassification']);
      // The saved Files load back (as dropped files) and agree with the pipeline that trained.
      const again = await pipeline('text-classification', files, { dtype: 'f32' });
      try {
        const probe = 'a zebra and a man';
        const [[a], [b]] = await Promise.all([clf(probe), again(probe)]);
        expect(b.label).toBe(a.label);
        expect(Math.abs(b.score - a.score)).toBeLessThanOrEqual(1e-4);
      } finally {
        await again.dispose();
      }
    } finally {
      await clf.dispose();
    }
  }, 300_000);

  it('an abort from the page cancels a run in the Worker; the pipeline still works', async () => {
    const clf = await pipeline('text-classification', modelUrl(), { labels: ['no', 'yes'], dtype: 'f32' });
    try {
      const controller = new AbortController();
      const steps: number[] = [];
      const run = clf.train(zebraExamples(16, 9, 4), { epochs: 4, batchSize: 4, signal: controller.signal, onStep: (s) => { steps.push(s.step); if (s.step === 1) controller.abort(); } });
      await expect(run).rejects.toMatchObject({ name: 'AbortError' });
      // The Worker sees the abort between steps: the step in flight when it was sent still ends (and is reported).
      expect(steps[0]).toBe(1);
      expect(steps.length).toBeLessThanOrEqual(3);
      await expect(clf.save()).rejects.toThrow('save(): nothing to save yet');
      // A throwing onStep ends the run with its error, once the Worker's run has stopped.
      await expect(clf.train(zebraExamples(8, 9, 4), { epochs: 2, batchSize: 4, onStep: () => { throw new Error('stop here'); } })).rejects.toThrow('stop here');
      await expect(clf.save()).rejects.toThrow('save(): nothing to save yet');
      await expect(clf.train('x' as never)).rejects.toThrow('train(): examples must be an array');
      expect((await clf('still works'))[0].label).toMatch(/^(no|yes)$/);
    } finally {
      await clf.dispose();
    }
  }, 120_000);
});
