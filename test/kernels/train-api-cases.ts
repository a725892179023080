// A synthetic task for the public training API, shared by the Node and Chromium tests: does the word "zebra" occur
// in a sentence of random tiny-bert words? Labels 'no'/'yes' are not tiny-bert's, so the pipeline starts a fresh head.
import { expect } from 'vitest';
import type { TextClassificationPipeline } from '../../src/runtime/callable.ts';
import type { TrainExample, TrainStep } from '../../src/tasks/train-api.ts';
import { seededRandom } from '../helpers/validate.ts';

const WORDS = ('the and but was are were been you she they movie film show book story plot actor music song scene great good bad ' +
  'terrible awful wonderful amazing boring fun love hate like enjoy not very really just time day year people man woman world life ' +
  'new old first last long short big small happy sad hello okay fine nice well watch see think feel one two three').split(' ');

/** n sentences of `words` random words; about half contain "zebra" once (label 'yes'). */
export function zebraExamples(n: number, seed: number, words = 6): TrainExample[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const w = Array.from({ length: words }, () => WORDS[Math.floor(rand() * WORDS.length)]);
    const yes = rand() < 0.5;
    if (yes) w[Math.floor(rand() * words)] = 'zebra';
    return { text: w.join(' '), label: yes ? 'yes' : 'no' };
  });
}

/** Trains the fresh head + encoder on the task; held-out accuracy must reach 95 %. Returns what happened. */
export async function learnZebra(clf: TextClassificationPipeline, o: { train: number; heldout: number; epochs: number; batchSize: number; lr?: number; words?: number }) {
  expect(clf.info.labels).toEqual(['no', 'yes']);
  const train = zebraExamples(o.train, 1, o.words);
  const heldout = zebraExamples(o.heldout, 2, o.words);
  const before = await clf.evaluate(heldout);
  const steps: TrainStep[] = [];
  const history = await clf.train(train, { epochs: o.epochs, batchSize: o.batchSize, lr: o.lr ?? 1e-3, scheduler: 'constant', dropout: 0.1, seed: 7, onStep: (s) => steps.push(s) });
  expect(steps).toEqual(history);
  expect(history).toHaveLength(o.epochs * Math.ceil(o.train / o.batchSize));
  const after = await clf.evaluate(heldout);
  expect(after.n).toBe(o.heldout);
  expect(after.accuracy, `held-out accuracy ${before.accuracy} → ${after.accuracy}`).toBeGreaterThanOrEqual(0.95);
  expect(after.loss).toBeLessThan(before.loss);
  // The pipeline's own call answers with the trained model.
  const [yes] = await clf('we saw a zebra at the film');
  expect(yes.label).toBe('yes');
  return { before, after, history };
}

/** After learning: explain() gives "zebra" the largest score for 'yes' (both methods), and names bad options. */
export async function explainZebra(clf: TextClassificationPipeline, igSteps: number) {
  const text = 'we saw a zebra at the film';
  for (const method of ['integrated-gradients', 'gradient-x-input'] as const) {
    const e = await clf.explain(text, method === 'integrated-gradients' ? { method, steps: igSteps } : { method });
    expect(e.label).toBe('yes'); // the predicted label by default
    expect(e.tokens.map((t) => t.token)).toEqual(['[CLS]', 'we', 'saw', 'a', 'zebra', 'at', 'the', 'film', '[SEP]']);
    // IG: the largest positive share of the logit's rise from the baseline. Gradient × input is a local linearisation
    // (the trained logit is saturated, the sign of a one-point product is not reliable): the largest magnitude.
    const size = (t: { score: number }) => (method === 'integrated-gradients' ? t.score : Math.abs(t.score));
    const best = e.tokens.reduce((a, b) => (size(b) > size(a) ? b : a));
    expect(best.token, `${method}: ${JSON.stringify(e.tokens)}`).toBe('zebra');
  }
  const no = await clf.explain({ text }, { label: 'no', method: 'gradient-x-input' });
  expect(no.label).toBe('no');
  await expect(clf.explain(text, { label: 'maybe' })).rejects.toThrow('explain(): unknown label "maybe" (known labels: "no", "yes")');
  await expect(clf.explain([text] as never)).rejects.toThrow('explain(): takes one input');
  await expect(clf.explain(text, { method: 'gradient-x-input', steps: 4 })).rejects.toThrow('explain(): option steps applies to integrated-gradients only');
  await expect(clf.explain(text, { method: 'saliency' as never })).rejects.toThrow("explain(): option method must be 'gradient-x-input' or 'integrated-gradients'");
}
