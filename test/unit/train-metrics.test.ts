// Evaluation metrics (src/train/metrics.ts) against values worked out by hand with sklearn's definitions
// (f1_score(average='macro', zero_division=0), accuracy_score) and HF's three losses.
import { describe, expect, it } from 'vitest';
import { accuracy, evaluateLogits, macroF1, meanLoss, multiLabelMacroF1 } from '../../src/train/metrics.ts';

describe('single-label', () => {
  it('accuracy and macro-F1 of a 3-class case', () => {
    const gold = [0, 0, 1, 1, 2, 2];
    const pred = [0, 1, 1, 1, 2, 0];
    // class 0: TP 1, FP 1, FN 1 → 0.5; class 1: TP 2, FP 1 → 0.8; class 2: TP 1, FN 1 → 2/3.
    expect(accuracy(pred, gold)).toBeCloseTo(4 / 6, 12);
    expect(macroF1(pred, gold)).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 3, 12);
  });

  it('sklearn zero_division=0: a class neither in gold nor predicted is left out; one only on one side counts as 0', () => {
    expect(macroF1([0, 0], [0, 0])).toBe(1); // the model's other classes do not dilute a perfect score
    // gold [0, 1], predicted [0, 3]: class 0 → 1, class 1 (support, no predictions) → 0, class 3 (predicted only) → 0.
    expect(macroF1([0, 3], [0, 1])).toBeCloseTo(1 / 3, 12);
    expect(macroF1([1, 1], [0, 0])).toBe(0);
  });

  it('evaluateLogits: argmax (first of ties), mean cross-entropy', () => {
    const logits = [2, 0, 0, /**/ 0, 1, 1, /**/ 0, 0, 3];
    const m = evaluateLogits(logits, [0, 2, 2], 3, 'single_label_classification');
    // predictions [0, 1 (tie → first), 2]
    expect(m.accuracy).toBeCloseTo(2 / 3, 12);
    expect(m.macroF1).toBeCloseTo((1 + 0 + 2 / 3) / 3, 12);
    const ce = (row: number[], y: number) => Math.log(row.reduce((a, x) => a + Math.exp(x), 0)) - row[y];
    expect(m.loss).toBeCloseTo((ce([2, 0, 0], 0) + ce([0, 1, 1], 2) + ce([0, 0, 3], 2)) / 3, 12);
    expect(m.count).toBe(3);
    expect(m).not.toHaveProperty('mse');
    // Stable for large logits (log-sum-exp).
    expect(evaluateLogits([1000, 0], [1], 2, 'single_label_classification').loss).toBeCloseTo(1000, 9);
  });
});

describe('multi-label', () => {
  it('exact-match accuracy and macro-F1 over labels (a never-seen label counts 0)', () => {
    const gold = [1, 0, 0, /**/ 1, 1, 0];
    const pred = [1, 0, 0, /**/ 0, 1, 0];
    // label 0: TP 1, FN 1 → 2/3; label 1: TP 1 → 1; label 2: nothing anywhere → 0 (zero_division).
    expect(multiLabelMacroF1(pred, gold, 3)).toBeCloseTo((2 / 3 + 1 + 0) / 3, 12);
    const logits = [3, -1, -2, /**/ -0.5, 2, -4];
    const m = evaluateLogits(logits, gold, 3, 'multi_label_classification');
    expect(m.accuracy).toBe(0.5);
    expect(m.macroF1).toBeCloseTo((2 / 3 + 1 + 0) / 3, 12);
    const bce = (x: number, y: number) => -(y * Math.log(1 / (1 + Math.exp(-x))) + (1 - y) * Math.log(1 - 1 / (1 + Math.exp(-x))));
    expect(m.loss).toBeCloseTo(logits.reduce((a, x, i) => a + bce(x, gold[i]), 0) / 6, 12);
    // Threshold: logit exactly 0 is sigmoid 0.5, not above 0.5 → off.
    expect(evaluateLogits([0], [0], 1, 'multi_label_classification').accuracy).toBe(1);
    expect(() => evaluateLogits([0, 0], [1, 2], 2, 'multi_label_classification')).toThrow(/target 1 is 2, not 0 or 1/);
  });
});

describe('regression and loss averaging', () => {
  it('MSE is the loss; accuracy and F1 are omitted', () => {
    const m = evaluateLogits([1, 2, 4], [1, 0, 1], 1, 'regression');
    expect(m).toEqual({ problemType: 'regression', count: 3, loss: (0 + 4 + 9) / 3, mse: (0 + 4 + 9) / 3 });
    expect(evaluateLogits([1, 2, 3, 4], [0, 0, 0, 0], 2, 'regression').count).toBe(2);
  });

  it('meanLoss weights batches by their size (a partial last batch counts less)', () => {
    expect(meanLoss([{ loss: 1, count: 4 }, { loss: 4, count: 1 }])).toBeCloseTo(8 / 5, 12);
    expect(() => meanLoss([])).toThrow(/no batches/);
    expect(() => meanLoss([{ loss: 1, count: 0 }])).toThrow(/positive integer/);
  });

  it('refuses mismatched or bad inputs with the problem named', () => {
    expect(() => accuracy([1], [1, 2])).toThrow(/1 predictions but 2 targets/);
    expect(() => macroF1([], [])).toThrow(/nothing to evaluate/);
    expect(() => evaluateLogits([1, 2, 3], [0], 2, 'single_label_classification')).toThrow(/3 logits are not rows of 2/);
    expect(() => evaluateLogits([1, 2], [0, 1], 2, 'single_label_classification')).toThrow(/1 rows but 2 labels/);
    expect(() => evaluateLogits([1, 2], [2], 2, 'single_label_classification')).toThrow(/label 0 is 2/);
    expect(() => evaluateLogits([Number.NaN, 2], [0], 2, 'single_label_classification')).toThrow(/logit 0 is NaN/);
    expect(() => evaluateLogits([1], [0], 1, 'ranking' as 'regression')).toThrow(/unknown problemType/);
  });
});
