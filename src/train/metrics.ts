// Evaluation metrics for `clf.evaluate(examples)` and the demo's live plot, from logits and targets, in float64:
// - single-label: accuracy, macro-F1, mean cross-entropy;
// - multi-label (a label is on when sigmoid(logit) > 0.5, i.e. logit > 0): exact-match accuracy (every label of the
//   example right: sklearn's accuracy_score on indicator matrices), macro-F1 over the labels, mean BCE-with-logits;
// - regression: MSE (which is also the loss); accuracy and F1 do not apply and are left out.
// The losses are HF's (reduction 'mean': CE over examples, BCE and MSE over examples × labels), so `loss` equals what
// training minimises on the same batch.

export type EvalProblem = 'single_label_classification' | 'multi_label_classification' | 'regression';

export interface EvalMetrics {
  problemType: EvalProblem;
  /** Examples evaluated. */
  count: number;
  loss: number;
  accuracy?: number;
  macroF1?: number;
  mse?: number;
}

function checkSameLength(a: ArrayLike<unknown>, b: ArrayLike<unknown>, what: string): void {
  if (a.length !== b.length) throw new RangeError(`${what}: ${a.length} predictions but ${b.length} targets`);
  if (a.length === 0) throw new RangeError(`${what}: nothing to evaluate`);
}

/** Fraction of equal entries. */
export function accuracy(predicted: ArrayLike<number>, gold: ArrayLike<number>): number {
  checkSameLength(predicted, gold, 'accuracy');
  let right = 0;
  for (let i = 0; i < gold.length; i++) if (predicted[i] === gold[i]) right++;
  return right / gold.length;
}

/** Per-class F1 = 2·TP / (2·TP + FP + FN), one per (predicted, gold) sequence; NaN where TP + FP + FN = 0 (undefined). */
function perClassF1(pairs: Iterable<[boolean, boolean]>[]): number[] {
  return pairs.map((it) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const [p, g] of it) {
      if (p && g) tp++;
      else if (p) fp++;
      else if (g) fn++;
    }
    return tp + fp + fn === 0 ? Number.NaN : (2 * tp) / (2 * tp + fp + fn);
  });
}

/**
 * Macro-F1 of single-label predictions, as sklearn's `f1_score(gold, predicted, average='macro', zero_division=0)`:
 * the unweighted mean of per-class F1 over the classes that occur in gold or in the predictions (sklearn's default
 * `labels`: their sorted union) — a class with no support and no predictions is not counted; one with support but no
 * predictions (or predictions but no support) counts with F1 = 0.
 */
export function macroF1(predicted: ArrayLike<number>, gold: ArrayLike<number>): number {
  checkSameLength(predicted, gold, 'macroF1');
  const classes = [...new Set([...Array.from(gold), ...Array.from(predicted)])].sort((a, b) => a - b);
  const f1 = perClassF1(classes.map((c) => Array.from({ length: gold.length }, (_, i): [boolean, boolean] => [predicted[i] === c, gold[i] === c])));
  return f1.reduce((a, b) => a + b, 0) / f1.length;
}

/**
 * Macro-F1 over the labels of multi-label 0/1 indicator rows (N × L, row-major), as sklearn's
 * `f1_score(gold, predicted, average='macro', zero_division=0)` on indicator matrices: every label column counts,
 * and a column that is never on in gold nor predictions gets F1 = 0 (zero_division).
 */
export function multiLabelMacroF1(predicted: ArrayLike<number>, gold: ArrayLike<number>, numLabels: number): number {
  checkSameLength(predicted, gold, 'multiLabelMacroF1');
  if (!Number.isInteger(numLabels) || numLabels < 1 || gold.length % numLabels !== 0) throw new RangeError(`multiLabelMacroF1: ${gold.length} values are not rows of ${numLabels} labels`);
  const rows = gold.length / numLabels;
  const columns = Array.from({ length: numLabels }, (_, l) => Array.from({ length: rows }, (_, r): [boolean, boolean] => [predicted[r * numLabels + l] === 1, gold[r * numLabels + l] === 1]));
  const f1 = perClassF1(columns).map((x) => (Number.isNaN(x) ? 0 : x));
  return f1.reduce((a, b) => a + b, 0) / numLabels;
}

/** Mean of batch losses weighted by their example counts (HF Trainer's eval loss: each batch's mean × its size). */
export function meanLoss(batches: ReadonlyArray<{ loss: number; count: number }>): number {
  if (batches.length === 0) throw new RangeError('meanLoss: no batches');
  let sum = 0;
  let count = 0;
  for (const b of batches) {
    if (!Number.isInteger(b.count) || b.count < 1) throw new RangeError(`meanLoss: batch count must be a positive integer, got ${b.count}`);
    sum += b.loss * b.count;
    count += b.count;
  }
  return sum / count;
}

function logSumExp(x: ArrayLike<number>, from: number, n: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, x[from + j]);
  let s = 0;
  for (let j = 0; j < n; j++) s += Math.exp(x[from + j] - max);
  return max + Math.log(s);
}

/**
 * Metrics of logits (N × numLabels, row-major) against targets: class ids (single-label), 0/1 rows (multi-label,
 * N × L) or values (regression, N × L).
 */
export function evaluateLogits(logits: ArrayLike<number>, targets: ArrayLike<number>, numLabels: number, problemType: EvalProblem): EvalMetrics {
  if (!Number.isInteger(numLabels) || numLabels < 1) throw new RangeError(`evaluateLogits: numLabels must be a positive integer, got ${numLabels}`);
  if (logits.length === 0 || logits.length % numLabels !== 0) throw new RangeError(`evaluateLogits: ${logits.length} logits are not rows of ${numLabels}`);
  const count = logits.length / numLabels;
  for (let i = 0; i < logits.length; i++) if (!Number.isFinite(logits[i])) throw new RangeError(`evaluateLogits: logit ${i} is ${logits[i]}`);
  if (problemType === 'single_label_classification') {
    if (targets.length !== count) throw new RangeError(`evaluateLogits: ${count} rows but ${targets.length} labels`);
    const predicted = new Int32Array(count);
    let loss = 0;
    for (let r = 0; r < count; r++) {
      const y = targets[r];
      if (!Number.isInteger(y) || y < 0 || y >= numLabels) throw new RangeError(`evaluateLogits: label ${r} is ${y}, not a class id in [0, ${numLabels})`);
      let best = 0;
      for (let j = 1; j < numLabels; j++) if (logits[r * numLabels + j] > logits[r * numLabels + best]) best = j; // first max, as argmax
      predicted[r] = best;
      loss += logSumExp(logits, r * numLabels, numLabels) - logits[r * numLabels + y];
    }
    return { problemType, count, loss: loss / count, accuracy: accuracy(predicted, targets), macroF1: macroF1(predicted, targets) };
  }
  if (targets.length !== logits.length) throw new RangeError(`evaluateLogits: ${logits.length} logits but ${targets.length} targets (N × ${numLabels})`);
  if (problemType === 'multi_label_classification') {
    const predicted = new Int32Array(logits.length);
    let loss = 0;
    for (let i = 0; i < logits.length; i++) {
      const x = logits[i];
      const y = targets[i];
      if (y !== 0 && y !== 1) throw new RangeError(`evaluateLogits: multi-label target ${i} is ${y}, not 0 or 1`);
      predicted[i] = x > 0 ? 1 : 0; // sigmoid(x) > 0.5
      loss += Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
    }
    let exact = 0;
    for (let r = 0; r < count; r++) {
      let all = true;
      for (let j = 0; j < numLabels; j++) all &&= predicted[r * numLabels + j] === targets[r * numLabels + j];
      if (all) exact++;
    }
    return { problemType, count, loss: loss / logits.length, accuracy: exact / count, macroF1: multiLabelMacroF1(predicted, targets, numLabels) };
  }
  if (problemType !== 'regression') throw new RangeError(`evaluateLogits: unknown problemType ${JSON.stringify(problemType)}`);
  let sq = 0;
  for (let i = 0; i < logits.length; i++) {
    if (!Number.isFinite(targets[i])) throw new RangeError(`evaluateLogits: regression target ${i} is ${targets[i]}`);
    sq += (logits[i] - targets[i]) ** 2;
  }
  const mse = sq / logits.length;
  return { problemType, count, loss: mse, mse };
}
