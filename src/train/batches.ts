// Epochs → batches for training. Each epoch visits every example once: in file order (`shuffle: false`, the CLI's
// --no-shuffle) or in a seeded random order; consecutive runs of `batchSize` examples form the batches, the last one
// partial when the count does not divide (kept, as HF's DataLoader with drop_last=False). Each batch is padded on the
// right to its own longest row ([PAD] id, token type 0, mask 0) — not to a fixed bucket — which is what
// DataCollatorWithPadding does and what the PyTorch fixture reproduces.
//
// Shuffling: epoch e's order is a Fisher–Yates shuffle of 0..n−1 driven by mulberry32 (prng.ts) seeded with
// `seed ^ imul(e + 1, 0x9E3779B9)` (the golden-ratio constant decorrelates consecutive epochs), so any epoch's order
// can be computed on its own, and one seed gives one sequence of batches everywhere. It is not torch's RandomSampler
// order. Tokenisation is a function the caller passes (the real tokenizer, or a test's), called once per example;
// this module stays pure.
import { checkSeed, mulberry32 } from './prng.ts';
import type { LabeledExample } from './data.ts';

export interface TokenizedRow {
  /** Token ids of one example, [CLS] … [SEP] (… [SEP]), already truncated, no padding. */
  inputIds: ArrayLike<number>;
  tokenTypeIds: ArrayLike<number>;
}

export type Tokenize = (example: { text: string; textPair?: string }) => TokenizedRow;

/** A batch in the shape Trainer.step() takes (trainer-options.ts's EpochBatch), plus where it came from. */
export interface EpochBatch {
  B: number;
  /** This batch's longest row. */
  T: number;
  inputIds: Int32Array;
  tokenTypeIds: Int32Array;
  attentionMask: Int32Array;
  /** One per row, as the examples' targets: class ids (single-label), values (regression with one output), or
   * rows of numLabels numbers (multi-hot, or regression with several outputs). The Trainer packs them for the GPU. */
  labels: number[] | number[][];
  /** Which examples (indices into the examples array), in row order. */
  rows: number[];
  /** 0-based epoch and batch index within it. */
  epoch: number;
  index: number;
}

export interface BatchOptions {
  batchSize: number;
  /** Default true. */
  shuffle?: boolean;
  /** Default 0. */
  seed?: number;
  /** [PAD]'s id (default 0, BERT's). */
  padId?: number;
}

function checkCount(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new RangeError(`${what} must be a positive integer, got ${JSON.stringify(value) ?? String(value)}`);
  return value;
}

/** Example indices in the order epoch `epoch` visits them. */
export function epochOrder(n: number, epoch: number, options: { shuffle?: boolean; seed?: number } = {}): number[] {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`epochOrder: n must be a non-negative integer, got ${n}`);
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`epochOrder: epoch must be a non-negative integer, got ${epoch}`);
  const order = Array.from({ length: n }, (_, i) => i);
  if (options.shuffle === false) return order;
  const rng = mulberry32((checkSeed(options.seed ?? 0) ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** Pads `rows` (tokenized examples) to their longest and stacks them with their labels. */
export function padBatch(rows: readonly TokenizedRow[], targets: ReadonlyArray<number | number[]>, padId = 0): Pick<EpochBatch, 'B' | 'T' | 'inputIds' | 'tokenTypeIds' | 'attentionMask' | 'labels'> {
  const B = rows.length;
  if (B === 0) throw new RangeError('padBatch: no rows');
  if (targets.length !== B) throw new RangeError(`padBatch: ${B} rows but ${targets.length} labels`);
  const T = Math.max(...rows.map((r) => r.inputIds.length));
  const inputIds = new Int32Array(B * T).fill(padId);
  const tokenTypeIds = new Int32Array(B * T);
  const attentionMask = new Int32Array(B * T);
  rows.forEach((r, b) => {
    for (let t = 0; t < r.inputIds.length; t++) {
      inputIds[b * T + t] = r.inputIds[t];
      tokenTypeIds[b * T + t] = r.tokenTypeIds[t];
      attentionMask[b * T + t] = 1;
    }
  });
  const arrays = targets.filter((t) => Array.isArray(t)).length;
  if (arrays !== 0 && arrays !== B) throw new TypeError('padBatch: labels mix numbers and arrays');
  const width = arrays ? (targets[0] as number[]).length : 0;
  targets.forEach((t, b) => {
    if (Array.isArray(t) ? t.length !== width || !t.every(Number.isFinite) : !Number.isFinite(t)) {
      throw new TypeError(`padBatch: label of row ${b} must be ${arrays ? `${width} finite numbers` : 'a finite number'}, got ${JSON.stringify(t)}`);
    }
  });
  const labels = arrays ? (targets as number[][]).map((t) => [...t]) : [...(targets as number[])];
  return { B, T, inputIds, tokenTypeIds, attentionMask, labels };
}

function checkRow(row: TokenizedRow, i: number): TokenizedRow {
  if (!row || row.inputIds === undefined || row.tokenTypeIds === undefined) throw new TypeError(`tokenize(example ${i}) must return { inputIds, tokenTypeIds }`);
  const n = row.inputIds.length;
  if (n === 0) throw new RangeError(`tokenize(example ${i}) returned no tokens`);
  if (row.tokenTypeIds.length !== n) throw new RangeError(`tokenize(example ${i}): ${n} ids but ${row.tokenTypeIds.length} token types`);
  for (let t = 0; t < n; t++) {
    if (!Number.isInteger(row.inputIds[t]) || row.inputIds[t] < 0) throw new RangeError(`tokenize(example ${i}): token ${t} id ${row.inputIds[t]} is not a non-negative integer`);
  }
  return row;
}

/**
 * Batches for training: for each epoch 0..epochs−1, the examples in epochOrder, cut into batches of `batchSize` (the
 * last one partial), each padded to its longest row; each batch can go to Trainer.step() as it is.
 * Lazy: yields one batch at a time; `tokenize` runs once per example, on first use.
 */
export function* trainingBatches(
  examples: ReadonlyArray<Pick<LabeledExample, 'text' | 'textPair' | 'target'>>,
  tokenize: Tokenize,
  options: BatchOptions & { epochs: number },
): Generator<EpochBatch> {
  if (!Array.isArray(examples) || examples.length === 0) throw new RangeError('trainingBatches: no examples');
  if (typeof tokenize !== 'function') throw new TypeError('trainingBatches: tokenize must be a function');
  const batchSize = checkCount(options.batchSize, 'batchSize');
  const epochs = checkCount(options.epochs, 'epochs');
  const padId = options.padId ?? 0;
  if (!Number.isInteger(padId) || padId < 0) throw new RangeError(`padId must be a non-negative integer, got ${padId}`);
  const seed = checkSeed(options.seed ?? 0);
  const cache = new Array<TokenizedRow | undefined>(examples.length);
  const row = (i: number) => (cache[i] ??= checkRow(tokenize({ text: examples[i].text, ...(examples[i].textPair !== undefined ? { textPair: examples[i].textPair } : {}) }), i));
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = epochOrder(examples.length, epoch, { shuffle: options.shuffle, seed });
    for (let start = 0, index = 0; start < order.length; start += batchSize, index++) {
      const rows = order.slice(start, start + batchSize);
      const padded = padBatch(rows.map(row), rows.map((i) => examples[i].target), padId);
      yield { ...padded, rows, epoch, index };
    }
  }
}

/** Optimizer steps in a run: epochs × ⌈n / batchSize⌉ (no gradient accumulation). For linear schedules' totals. */
export function stepsPerRun(n: number, batchSize: number, epochs: number): number {
  return checkCount(epochs, 'epochs') * Math.ceil(checkCount(n, 'examples') / checkCount(batchSize, 'batchSize'));
}
