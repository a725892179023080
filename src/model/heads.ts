// Sequence-classification heads on the CPU: the GPU stops at the logits; scores and loss are tiny and exact here.
// Semantics follow HF's BertForSequenceClassification: the problem type comes from config.problem_type, or is
// inferred (1 label → regression; integer labels → single-label; otherwise multi-label), and the loss is
// CrossEntropy (ignore_index −100) / BCEWithLogits / MSE, each a mean, in float64.
import type { BertConfig, ProblemType } from './config.ts';

/** How logits become scores: softmax (single-label), sigmoid (multi-label, each label on its own), none (raw). */
export type ScoreFunction = 'softmax' | 'sigmoid' | 'none';

/** Class ids (single-label), multi-hot rows (multi-label) or targets (regression), one entry per batch row. */
export type Labels = ReadonlyArray<number> | ReadonlyArray<ReadonlyArray<number>>;

export function problemTypeOf(config: BertConfig, labels?: Labels): ProblemType {
  if (config.problemType) return config.problemType;
  if (config.numLabels === 1) return 'regression';
  if (labels && labels.every((l) => typeof l === 'number' && Number.isInteger(l))) return 'single_label_classification';
  if (labels) return 'multi_label_classification';
  return 'single_label_classification';
}

/**
 * HF Python's default score function for each problem type (TextClassificationPipeline: sigmoid for multi-label or a
 * single label, softmax otherwise, none for regression here). transformers.js differs: it applies softmax unless
 * problem_type is multi_label_classification, so a one-label regression model always scores 1 there.
 */
export function defaultScoreFunction(problem: ProblemType): ScoreFunction {
  return problem === 'multi_label_classification' ? 'sigmoid' : problem === 'regression' ? 'none' : 'softmax';
}

export function softmax(row: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
  const e = Array.from(row, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

export function sigmoid(v: number): number {
  return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
}

export function applyScore(row: ArrayLike<number>, fn: ScoreFunction): number[] {
  if (fn === 'softmax') return softmax(row);
  if (fn === 'sigmoid') return Array.from(row, sigmoid);
  return Array.from(row);
}

/** log(Σ exp(row)) without overflow. */
function logSumExp(row: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]);
  let s = 0;
  for (let i = 0; i < row.length; i++) s += Math.exp(row[i] - max);
  return max + Math.log(s);
}

/** HF's loss for logits (B, L) and labels; throws a clear error when labels do not fit the problem type. */
export function sequenceClassificationLoss(config: BertConfig, logits: Float32Array, B: number, labels: Labels): { loss: number; problemType: ProblemType } {
  const L = config.numLabels;
  if (!Array.isArray(labels) || labels.length !== B) throw new Error(`labels: expected ${B} entries (one per input), got ${Array.isArray(labels) ? labels.length : typeof labels}`);
  const problemType = problemTypeOf(config, labels);
  const row = (b: number) => logits.subarray(b * L, (b + 1) * L);
  if (problemType === 'single_label_classification') {
    let sum = 0;
    let count = 0;
    labels.forEach((label, b) => {
      if (typeof label !== 'number' || !Number.isInteger(label)) throw new Error(`labels[${b}] must be a class id (integer), got ${JSON.stringify(label)}`);
      if (label === -100) return; // PyTorch's ignore_index
      if (label < 0 || label >= L) throw new Error(`labels[${b}] = ${label} is not a class id in [0, ${L})`);
      sum += logSumExp(row(b)) - row(b)[label];
      count++;
    });
    return { loss: count ? sum / count : NaN, problemType };
  }
  if (problemType === 'multi_label_classification') {
    let sum = 0;
    labels.forEach((label, b) => {
      if (!Array.isArray(label) || label.length !== L) throw new Error(`labels[${b}] must be ${L} numbers (multi-hot), got ${JSON.stringify(label)}`);
      label.forEach((y: number, j: number) => {
        const x = row(b)[j];
        // BCEWithLogits, numerically stable: max(x, 0) − x·y + log(1 + e^−|x|)
        sum += Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
      });
    });
    return { loss: sum / (B * L), problemType };
  }
  let sum = 0;
  labels.forEach((label, b) => {
    const targets = typeof label === 'number' ? [label] : label;
    if (!Array.isArray(targets) || targets.length !== L || targets.some((t) => typeof t !== 'number')) {
      throw new Error(`labels[${b}] must be ${L === 1 ? 'a number' : `${L} numbers`} for regression, got ${JSON.stringify(label)}`);
    }
    targets.forEach((y: number, j: number) => { sum += (row(b)[j] - y) ** 2; });
  });
  return { loss: sum / (B * L), problemType };
}
