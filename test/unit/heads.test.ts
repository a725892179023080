// Loss and problem-type semantics vs PyTorch fp64 (labels and loss in the fixtures' reference.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBertConfig } from '../../src/model/config.ts';
import { problemTypeOf, sequenceClassificationLoss, type Labels } from '../../src/model/heads.ts';
import { fixturesDir, readReference } from '../model/fixture.ts';

for (const model of ['tiny-bert', 'tiny-bert-multilabel', 'tiny-bert-regression']) {
  describe(`${model} loss`, () => {
    const ref = readReference(model);
    const config = parseBertConfig(readFileSync(join(fixturesDir, model, 'config.json'), 'utf8'));
    for (const c of ref.cases.filter((x) => x.labels !== undefined)) {
      it(`${c.name}: loss from the reference logits equals PyTorch's`, () => {
        const logits = Float32Array.from(c.logits.data);
        const { loss, problemType } = sequenceClassificationLoss(config, logits, c.logits.dims[0], c.labels as Labels);
        expect(problemType).toBe(ref.problemType);
        // Logits rounded to f32 move the loss by ~1e-7; the fp64 loss itself is the reference.
        expect(Math.abs(loss - c.loss!)).toBeLessThan(1e-5);
      });
    }
  });
}

describe('problem type and label validation', () => {
  const config = parseBertConfig(readFileSync(join(fixturesDir, 'tiny-bert', 'config.json'), 'utf8'));
  const logits = new Float32Array([1, 2, 3]);
  it('rejects a class id out of range, naming it', () => {
    expect(() => sequenceClassificationLoss(config, logits, 1, [3])).toThrow(/labels\[0\] = 3/);
  });
  it('rejects a wrong number of labels', () => {
    expect(() => sequenceClassificationLoss(config, logits, 1, [1, 2])).toThrow(/expected 1 entries/);
  });
  it('ignores -100 like PyTorch', () => {
    expect(Number.isNaN(sequenceClassificationLoss(config, logits, 1, [-100]).loss)).toBe(true);
  });
  it('infers multi-label from float rows when config has no problem_type', () => {
    expect(problemTypeOf({ ...config, problemType: null }, [[1, 0, 1]])).toBe('multi_label_classification');
  });
});
