// The shapes forward() takes and returns, and how the parts of a batch that ran as several forwards are joined.
import type { DispatchInfo } from '../graph/dispatch-info.ts';

export interface EncodedBatch {
  /** (B·T) token ids, row-major; T is the longest sequence (padding on the right). */
  inputIds: Int32Array | Uint32Array;
  tokenTypeIds: Int32Array | Uint32Array;
  attentionMask: Int32Array | Uint32Array;
  B: number;
  T: number;
  /**
   * Masked-LM heads: the token rows (b·T + t, ascending) whose scores `mlmLogits` returns, as (rows, V) in this order.
   * Default: every row. Fill-mask passes its [MASK]s, so the V-wide decoder runs on those rows only.
   */
  mlmRows?: ArrayLike<number>;
}

export type BertOutputName = 'lastHiddenState' | 'poolerOutput' | 'logits' | 'attentions' | 'mlmLogits' | 'nspLogits';

export interface BertOutputs {
  B: number;
  T: number;
  /** (B, T, C) */
  lastHiddenState?: Float32Array;
  /** (B, C) */
  poolerOutput?: Float32Array;
  /**
   * Sequence classification: (B, L). Token heads: (B, T, width) — token classification width = L, question
   * answering width 2 (column 0 start, 1 end).
   */
  logits?: Float32Array;
  /** (B, NH, T, T) attention probabilities of the requested layer. */
  attentions?: Float32Array;
  /** (rows, V) masked-LM prediction scores of the batch's `mlmRows` (every row, (B·T, V), by default). */
  mlmLogits?: Float32Array;
  /** (B, 2) next-sentence scores: index 0 "B follows A", 1 "B is random" (pretraining and next-sentence heads). */
  nspLogits?: Float32Array;
}

/** One forward's dispatches with their GPU times (`profile()`). */
export interface ForwardProfile {
  /** The batch as given. */
  B: number;
  T: number;
  /** The plan's shape: the batch and sequence buckets the forward ran at. */
  batchBucket: number;
  sequenceBucket: number;
  /** Every dispatch in order, with its GPU time from timestamp queries (ms). */
  dispatches: Array<DispatchInfo & { gpuMs: number }>;
  /** The forward's outputs, as forward() returns them. */
  outputs: BertOutputs;
}

/** A batch checked and fitted to a plan: its buckets, masked-LM rows, or the size of the parts it must run in. */
export interface Shaped {
  batch: EncodedBatch;
  Bb: number;
  Tb: number;
  mlm: { rows: number[]; count: number; bucket: number } | null;
  /** Set when the batch is too large for one forward on this device: the most sequences per part. */
  split?: number;
}

/** The outputs of consecutive parts of a batch, concatenated in order. */
export function joinParts(parts: readonly BertOutputs[], B: number, T: number): BertOutputs {
  const join = (key: Exclude<keyof BertOutputs, 'B' | 'T'>): Float32Array | undefined => {
    const have = parts.filter((p) => p[key]);
    if (have.length === 0) return undefined;
    const out = new Float32Array(have.reduce((a, p) => a + p[key]!.length, 0));
    let o = 0;
    for (const p of have) {
      out.set(p[key]!, o);
      o += p[key]!.length;
    }
    return out;
  };
  const out: BertOutputs = { B, T };
  for (const key of ['lastHiddenState', 'poolerOutput', 'logits', 'attentions', 'mlmLogits', 'nspLogits'] as const) {
    const joined = join(key);
    if (joined) out[key] = joined;
  }
  return out;
}
