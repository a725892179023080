// The checks a batch passes before any backend runs it, and the outputs a head returns when not told. Kept apart
// from the models so the GPU model (bert-model.ts) and the CPU one (cpu-backend/cpu-model.ts) refuse the same bad
// input with the same messages, and neither grows past its job of running plans.
import { hasMaskedLmHead, isTokenHead, type BertConfig, type BertHead } from './config.ts';
import type { BertOutputName, EncodedBatch } from './forward-types.ts';

/** What forward() returns when not told: the head's scores, or the hidden states of a base model. */
export function defaultOutputs(head: BertHead): BertOutputName[] {
  if (head === 'sequence-classification' || isTokenHead(head)) return ['logits'];
  if (hasMaskedLmHead(head)) return ['mlmLogits'];
  if (head === 'next-sentence') return ['nspLogits'];
  return ['lastHiddenState'];
}

/** A batch's shape, its ids' ranges and the 'attentions'/attentionLayer pairing; throws naming the bad field. */
export function checkBatch(config: BertConfig, batch: EncodedBatch, outputs: readonly BertOutputName[], attentionLayer?: number): void {
  const { B, T } = batch;
  if (!Number.isInteger(B) || B < 1 || !Number.isInteger(T) || T < 1) throw new Error(`forward: B and T must be positive integers, got B=${B} T=${T}`);
  if (T > config.maxPositionEmbeddings) throw new Error(`forward: ${T} tokens exceed max_position_embeddings (${config.maxPositionEmbeddings}); truncate first`);
  for (const key of ['inputIds', 'tokenTypeIds', 'attentionMask'] as const) {
    if (batch[key]?.length !== B * T) throw new Error(`forward: ${key} must have B·T = ${B * T} elements, got ${batch[key]?.length}`);
  }
  checkRange('inputIds', batch.inputIds, config.vocabSize);
  // DistilBERT reads no token types (HF's forward takes none): whatever the tokenizer made is not used.
  if (config.tokenTypes) checkRange('tokenTypeIds', batch.tokenTypeIds, config.typeVocabSize);
  if (outputs.includes('attentions') !== (attentionLayer !== undefined)) throw new Error("forward: the 'attentions' output and attentionLayer go together");
}

/** The batch's masked-LM rows (every row when not given), checked: inside the batch, ascending, without repeats. */
export function maskedLmRows(head: BertHead, batch: EncodedBatch): number[] {
  if (!hasMaskedLmHead(head)) throw new Error(`forward: 'mlmLogits' needs a masked-LM head; this model's head is ${head}`);
  const n = batch.B * batch.T;
  const rows = batch.mlmRows === undefined ? Array.from({ length: n }, (_, i) => i) : Array.from(batch.mlmRows);
  if (rows.length === 0) throw new Error('forward: mlmRows is empty; ask for at least one row');
  rows.forEach((r, k) => {
    if (!(Number.isInteger(r) && r >= 0 && r < n)) throw new Error(`forward: mlmRows[${k}] = ${r} is not a row of this batch (0 … ${n - 1})`);
    if (k > 0 && r <= rows[k - 1]) throw new Error(`forward: mlmRows must be ascending without repeats (mlmRows[${k}] = ${r} after ${rows[k - 1]})`);
  });
  return rows;
}

function checkRange(name: string, values: ArrayLike<number>, limit: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= 0 && v < limit)) throw new Error(`forward: ${name}[${i}] = ${v} is outside [0, ${limit})`);
  }
}
