// zero-shot-classification's HF rules bertgpu-side: the model must be an NLI classifier (a label starting with
// "entail" in id2label, else an error before any weight is read), candidate_labels and hypothesis_template checked.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipeline } from '../../src/node.ts';
import { checkZeroShotOptions } from '../../src/tasks/zero-shot.ts';
import { fixturesDir } from '../model/fixture.ts';

describe('zero-shot-classification checks', () => {
  it('a classifier without an entailment label is refused, naming its labels', async () => {
    await expect(pipeline('zero-shot-classification', join(fixturesDir, 'tiny-bert'))).rejects.toThrow(/no label starting with "entail" in id2label \(negative, neutral, positive\)/);
  });
  it('candidate_labels: comma-separated string split as HF, empty refused; template needs {}', () => {
    expect(checkZeroShotOptions({ candidate_labels: 'a, b,c' }).labels).toEqual(['a', 'b', 'c']);
    expect(() => checkZeroShotOptions({})).toThrow(/needs candidate_labels/);
    expect(() => checkZeroShotOptions({ candidate_labels: [] })).toThrow(/candidate_labels is empty/);
    expect(() => checkZeroShotOptions({ candidate_labels: ['a'], hypothesis_template: 'no slot' })).toThrow(/has no \{\}/);
    expect(() => checkZeroShotOptions({ candidate_labels: ['a'], multilabel: true })).toThrow(/did you mean 'multi_label'/);
  });
});
