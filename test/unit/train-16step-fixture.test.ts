// The 16-step acceptance fixture (test/fixtures/train-16, made by scripts/fixtures/train_16step.py) agrees with the
// pure training pieces the GPU run will use: train.tsv parses with data.ts into the script's rows and labels, the
// project's tokenizer gives the Rust tokenizer's ids, and batches.ts (no shuffle, batch 4, 4 epochs) builds exactly the
// padded batches PyTorch consumed, step by step. Step 1's loss is the mean cross-entropy (metrics.ts) of the start
// model's logits, which ties the recorded losses to the recorded batches.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BertTokenizer } from '../../src/tokenizer/index.ts';
import { stepsPerRun, trainingBatches, type Tokenize } from '../../src/train/batches.ts';
import { parseTsv } from '../../src/train/data.ts';
import { evaluateLogits } from '../../src/train/metrics.ts';
import type { TrainBatch } from '../../src/train/trainer-options.ts';
import { fixturesDir } from '../model/fixture.ts';

interface Row { line: number; text: string; textPair?: string; label: string; labelId: number; inputIds: number[]; tokenTypeIds: number[] }
interface Step {
  step: number; epoch: number; loss: number; lr: number; gradNorm: number; rows: number[]; T: number;
  labels: number[]; inputIds: number[]; tokenTypeIds: number[]; attentionMask: number[];
}
interface Fixture {
  recipe: { epochs: number; batchSize: number; lr: number; weightDecay: number; maxGradNorm: number; scheduler: string; shuffle: boolean; dropout: number };
  id2label: string[];
  rows: Row[];
  heldout: Row[];
  steps: Step[];
  initialLogits: number[][];
  logits: { train: number[][]; heldout: number[][] };
}

const dir = join(fixturesDir, 'train-16');
const model = join(fixturesDir, 'tiny-bert');
const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Fixture;
const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')) as { id2label: Record<string, string> };
const spec = { id2label: ref.id2label, problemType: 'single_label_classification' as const };
const tokenizer = BertTokenizer.fromTokenizerJson(readFileSync(join(model, 'tokenizer.json'), 'utf8'),
  JSON.parse(readFileSync(join(model, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>);
const tokenize: Tokenize = ({ text, textPair }) => {
  const e = tokenizer.encode(text, textPair);
  return { inputIds: e.ids, tokenTypeIds: e.tokenTypeIds };
};

describe('16-step fixture', () => {
  it('has the acceptance recipe and tiny-bert\'s labels', () => {
    expect(ref.recipe).toMatchObject({ epochs: 4, batchSize: 4, lr: 3e-4, weightDecay: 0.01, maxGradNorm: 1, scheduler: 'constant', shuffle: false, dropout: 0 });
    expect(ref.id2label).toEqual(Object.keys(config.id2label).map((k) => config.id2label[k]));
    expect(ref.rows).toHaveLength(16);
    expect(ref.steps).toHaveLength(stepsPerRun(16, 4, 4));
    expect(ref.steps.map((s) => s.step)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    for (const s of ref.steps) {
      expect(s.lr).toBe(3e-4); // constant schedule
      expect(Number.isFinite(s.loss) && s.loss > 0 && Number.isFinite(s.gradNorm) && s.gradNorm > 0).toBe(true);
    }
    expect(ref.rows.filter((r) => r.textPair !== undefined).length).toBeGreaterThanOrEqual(3); // some pairs
    expect(ref.logits.train).toHaveLength(16);
    expect(ref.logits.heldout).toHaveLength(ref.heldout.length);
    for (const l of [...ref.logits.train, ...ref.logits.heldout, ...ref.initialLogits]) expect(l).toHaveLength(3);
  });

  it('train.tsv and heldout.tsv parse with data.ts into the script\'s rows and labels', () => {
    for (const [file, rows] of [['train.tsv', ref.rows], ['heldout.tsv', ref.heldout]] as const) {
      const parsed = parseTsv(readFileSync(join(dir, file), 'utf8'), spec, file);
      expect(parsed.map((e) => ({ line: e.line, text: e.text, textPair: e.textPair, label: e.label, target: e.target })))
        .toEqual(rows.map((r) => ({ line: r.line, text: r.text, textPair: r.textPair, label: r.label, target: r.labelId })));
    }
  });

  it('the project tokenizer gives the Rust tokenizer\'s ids for every line', () => {
    for (const r of [...ref.rows, ...ref.heldout]) {
      const t = tokenize(r);
      expect(Array.from(t.inputIds), `line ${r.line}`).toEqual(r.inputIds);
      expect(Array.from(t.tokenTypeIds), `line ${r.line}`).toEqual(r.tokenTypeIds);
    }
  });

  it('batches.ts reproduces the script\'s batches exactly: composition, order, padding, labels', () => {
    const examples = parseTsv(readFileSync(join(dir, 'train.tsv'), 'utf8'), spec, 'train.tsv');
    const batches = [...trainingBatches(examples, tokenize, { batchSize: ref.recipe.batchSize, epochs: ref.recipe.epochs, shuffle: ref.recipe.shuffle })];
    expect(batches).toHaveLength(ref.steps.length);
    const forTrainer: TrainBatch[] = batches; // type-checked: each batch goes to Trainer.step() as it is
    expect(forTrainer).toBe(batches);
    batches.forEach((b, i) => {
      const s = ref.steps[i];
      const where = `step ${s.step}`;
      expect(b.epoch, where).toBe(s.epoch);
      expect(b.rows, where).toEqual(s.rows);
      expect([b.B, b.T], where).toEqual([s.rows.length, s.T]);
      expect(Array.from(b.inputIds), where).toEqual(s.inputIds);
      expect(Array.from(b.tokenTypeIds), where).toEqual(s.tokenTypeIds);
      expect(Array.from(b.attentionMask), where).toEqual(s.attentionMask);
      expect(b.labels, where).toEqual(s.labels);
    });
    // Padding matters in this fixture: some batches have rows shorter than their T.
    expect(ref.steps.some((s) => s.attentionMask.includes(0))).toBe(true);
  });

  it('step 1\'s loss is the mean cross-entropy of the start model\'s logits on batch 1 (metrics.ts)', () => {
    const first = ref.steps[0];
    const logits = first.rows.flatMap((i) => ref.initialLogits[i]);
    const m = evaluateLogits(logits, first.labels, 3, 'single_label_classification');
    expect(Math.abs(m.loss - first.loss)).toBeLessThan(1e-9);
    // And the trained model fits its training set (the run did learn).
    const trained = evaluateLogits(ref.logits.train.flat(), ref.rows.map((r) => r.labelId), 3, 'single_label_classification');
    expect(trained.accuracy).toBe(1);
    expect(trained.loss).toBeLessThan(ref.steps[0].loss / 4);
  });
});
