// A synthetic task the tiny fixture can learn in a few hundred steps: does token X occur in a random sequence?
// Shared by the Node and Chromium learning tests.
import type { TrainBatch } from '../../src/train/trainer.ts';
import { seededRandom } from '../helpers/validate.ts';

export const WORD_X = 100;

/** B sequences [CLS] w… [SEP] of length T with words from [10, 300); half contain X once (label 1), half never (label 0). */
export function occursBatch(B: number, T: number, seed: number): TrainBatch & { labels: number[] } {
  const rand = seededRandom(seed);
  const ids: number[] = [];
  const labels: number[] = [];
  for (let b = 0; b < B; b++) {
    const row = [2];
    for (let t = 1; t < T - 1; t++) {
      let w = 10 + Math.floor(rand() * 290);
      if (w === WORD_X) w++;
      row.push(w);
    }
    row.push(3);
    const label = rand() < 0.5 ? 1 : 0;
    if (label) row[1 + Math.floor(rand() * (T - 2))] = WORD_X;
    ids.push(...row);
    labels.push(label);
  }
  return { B, T, inputIds: ids, tokenTypeIds: new Array(B * T).fill(0), attentionMask: new Array(B * T).fill(1), labels };
}

export function accuracy(logits: Float32Array, labels: readonly number[], numLabels: number): number {
  let right = 0;
  labels.forEach((l, b) => {
    const row = logits.subarray(b * numLabels, (b + 1) * numLabels);
    right += row.indexOf(Math.max(...row)) === l ? 1 : 0;
  });
  return right / labels.length;
}
