// Issue 14's 16-step acceptance run through the public API (Node/Dawn): tiny-bert fine-tuned on
// test/fixtures/train-16/train.tsv with the recipe of scripts/fixtures/train_16step.py (4 epochs × 4 batches of 4,
// AdamW 3e-4, weight decay 0.01, clipping 1.0, constant schedule, dropout 0, no shuffle) by `clf.train()`: every
// step's loss within 1e-3 of PyTorch's float64 run (and its grad norm, lr and epoch), then the model the pipeline now
// runs, and the folder `clf.save({ dir })` wrote loaded back through pipeline() and through the float64 CPU chain, give
// PyTorch's trained logits within 1e-3 on the training and held-out rows. (The folder in PyTorch: scripts/fixtures/check_saved_folder.py, by hand.)
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pipeline } from '../../src/node.ts';
import type { TrainStep } from '../../src/tasks/train-api.ts';
import type { TextClassificationPipeline } from '../../src/runtime/callable.ts';
import { parseTsv } from '../../src/train/data.ts';
import { bertClassifierBackward, bertShapeFromConfig } from '../../src/cpu/bert-backward.ts';
import { readSafetensors } from '../../src/weights/cpu-reader.ts';
import { fileSource } from '../../src/weights/node-source.ts';
import { fixturesDir } from '../model/fixture.ts';

interface Fixture {
  id2label: string[];
  rows: Array<{ inputIds: number[]; tokenTypeIds: number[]; labelId: number }>;
  heldout: Array<{ inputIds: number[]; tokenTypeIds: number[]; labelId: number }>;
  steps: Array<{ step: number; epoch: number; loss: number; lr: number; gradNorm: number }>;
  logits: { train: number[][]; heldout: number[][] };
}
const dir = join(fixturesDir, 'train-16');
const ref = JSON.parse(await readFile(join(dir, 'reference.json'), 'utf8')) as Fixture;
const spec = { id2label: ref.id2label, problemType: 'single_label_classification' as const };
const examplesOf = async (file: string) => parseTsv(await readFile(join(dir, file), 'utf8'), spec, file)
  .map((e) => (e.textPair === undefined ? { text: e.text, label: e.label } : { text: e.text, textPair: e.textPair, label: e.label }));
const train = await examplesOf('train.tsv');
const heldout = await examplesOf('heldout.tsv');
export const RECIPE = { epochs: 4, batchSize: 4, lr: 3e-4, weightDecay: 0.01, maxGradNorm: 1, scheduler: 'constant', dropout: 0, shuffle: false } as const;

const temps: string[] = [];
afterAll(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

type Classifier = TextClassificationPipeline;
/** Raw logits in label-id order for each example. */
async function logitsOf(clf: Classifier, rows: Array<{ text: string; textPair?: string }>): Promise<number[][]> {
  const out = await clf(rows.map((r) => (r.textPair === undefined ? r.text : { text: r.text, textPair: r.textPair })), { topK: null, functionToApply: 'none' });
  return (out as Array<Array<{ label: string; score: number }>>).map((scores) => ref.id2label.map((l) => scores.find((s) => s.label === l)!.score));
}

function expectLogits(what: string, got: number[][], want: number[][]): number {
  let worst = 0;
  got.forEach((row, i) => row.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - want[i][j])); }));
  expect(worst, `${what}: max |Δ logit| vs PyTorch`).toBeLessThanOrEqual(1e-3);
  return worst;
}

describe('16-step recipe through clf.train() vs PyTorch float64', () => {
  it('every step\'s loss within 1e-3; the trained and the saved model give PyTorch\'s trained logits within 1e-3', async () => {
    const clf = await pipeline('text-classification', join(fixturesDir, 'tiny-bert'), { dtype: 'f32' });
    try {
      const seen: TrainStep[] = [];
      const history = await clf.train(train, { ...RECIPE, onStep: (s) => seen.push(s) });
      expect(seen).toEqual(history);
      expect(history).toHaveLength(ref.steps.length);
      let worstLoss = 0;
      history.forEach((s, i) => {
        const r = ref.steps[i];
        expect(s.step).toBe(r.step);
        expect(s.epoch).toBe(r.epoch + 1); // the fixture counts epochs from 0, the API from 1
        expect(s.lr).toBe(r.lr);
        expect(Math.abs(s.loss - r.loss), `step ${s.step} loss ${s.loss} vs ${r.loss}`).toBeLessThanOrEqual(1e-3);
        expect(Math.abs(s.gradNorm - r.gradNorm) / r.gradNorm, `step ${s.step} grad norm`).toBeLessThanOrEqual(1e-3);
        worstLoss = Math.max(worstLoss, Math.abs(s.loss - r.loss));
      });
      const live = expectLogits('pipeline after train()', await logitsOf(clf, [...train, ...heldout]), [...ref.logits.train, ...ref.logits.heldout]);
      const out = await mkdtemp(join(tmpdir(), 'bertgpu-train16-'));
      temps.push(out);
      const files = await clf.save({ dir: out });
      expect(files.map((f) => f.name).sort()).toEqual(['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt'].sort());
      const saved = await pipeline('text-classification', out, { dtype: 'f32' });
      try {
        expect(saved.info.labels).toEqual(ref.id2label);
        const loaded = expectLogits('saved folder through pipeline()', await logitsOf(saved, [...train, ...heldout]), [...ref.logits.train, ...ref.logits.heldout]);
        // The saved weights through the float64 CPU chain (src/cpu/bert-backward.ts), one row at a time, unpadded.
        const { tensors } = await readSafetensors(fileSource(join(out, 'model.safetensors')));
        const weights = new Map([...tensors].map(([n, t]) => [n, t.data]));
        const shape = bertShapeFromConfig(JSON.parse(await readFile(join(out, 'config.json'), 'utf8')) as Record<string, unknown>);
        const cpu = [...ref.rows, ...ref.heldout].map((r) => Array.from(bertClassifierBackward(shape, weights, {
          inputIds: [r.inputIds], tokenTypeIds: [r.tokenTypeIds], attentionMask: [r.inputIds.map(() => 1)], labels: [r.labelId],
        }, 'single_label_classification').logits));
        const chain = expectLogits('saved folder through the float64 CPU chain', cpu, [...ref.logits.train, ...ref.logits.heldout]);
        console.log(`16-step: max |Δ loss| ${worstLoss.toExponential(2)}, max |Δ logit| live ${live.toExponential(2)}, saved ${loaded.toExponential(2)}, float64 chain ${chain.toExponential(2)}`);
      } finally {
        await saved.dispose();
      }
    } finally {
      await clf.dispose();
    }
  }, 120_000);
});
