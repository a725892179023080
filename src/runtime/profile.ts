// `pipe.profile(input)`: the task's input as one batch through one forward, with every dispatch's GPU time from
// timestamp queries, plus totals. Runs outside the micro-batcher (its own submit, one compute pass per dispatch).
import type { DispatchInfo } from '../graph/dispatch-info.ts';
import type { BertOutputName, ForwardProfile } from '../model/bert-model.ts';
import type { LoadedBert } from '../model/load.ts';
import { prepareFeatures } from '../tasks/feature-extraction.ts';
import { prepareFillMask } from '../tasks/fill-mask.ts';
import { prepareNextSentence } from '../tasks/next-sentence.ts';
import { prepareClassification } from '../tasks/text-classification.ts';
import type { Encoding } from '../tokenizer/types.ts';
import type { Task } from './tasks.ts';

/** One dispatch of a profiled forward. */
export interface ProfiledDispatch extends DispatchInfo {
  /** GPU time of this dispatch (its own compute pass, begin to end timestamp), in milliseconds. */
  gpuMs: number;
}

/** What `pipeline.profile(input)` returns: one forward of the input, dispatch by dispatch. */
export interface ProfileResult {
  /** Sequences in the input. */
  B: number;
  /** Tokens of the longest sequence, as tokenized. */
  T: number;
  /** The batch size the plan ran at (B rounded up to its bucket; the spare rows' outputs are dropped). */
  batchBucket: number;
  /** The sequence length the plan ran at (T rounded up to its bucket). */
  sequenceBucket: number;
  /** Storage type of the weights and activations. */
  dtype: 'f32' | 'f16';
  /** Every dispatch of the forward, in order. */
  dispatches: ProfiledDispatch[];
  /** Sums over the forward. */
  totals: {
    /** Number of dispatches. */
    dispatches: number;
    /** Sum of the dispatches' GPU times (ms). */
    gpuMs: number;
    /** Floating-point operations of the forward (from the op shapes). */
    flops: number;
    /** flops / gpuMs, in GFLOP/s. */
    gflops: number;
  };
}

function stack(rows: Encoding[], padId: number) {
  const B = rows.length;
  const T = Math.max(...rows.map((e) => e.ids.length));
  const batch = { B, T, inputIds: new Int32Array(B * T).fill(padId), tokenTypeIds: new Int32Array(B * T), attentionMask: new Int32Array(B * T) };
  rows.forEach((e, b) => {
    batch.inputIds.set(e.ids, b * T);
    batch.tokenTypeIds.set(e.tokenTypeIds, b * T);
    batch.attentionMask.set(e.attentionMask, b * T);
  });
  return batch;
}

/** The input prepared as `run()` prepares it for this task, run once with timestamps. */
export async function profileInput(task: Task, loaded: LoadedBert, dtype: 'f32' | 'f16', inputs: unknown): Promise<ProfileResult> {
  const { tokenizer, maxLength, model } = loaded;
  let rows: Encoding[];
  let masks: number[][] | null = null;
  let output: BertOutputName;
  if (task === 'text-classification') {
    rows = prepareClassification(tokenizer, maxLength, inputs, {}).rows;
    output = 'logits';
  } else if (task === 'fill-mask') {
    const prepared = prepareFillMask(tokenizer, maxLength, inputs);
    rows = prepared.rows;
    masks = prepared.masks;
    output = 'mlmLogits';
  } else if (task === 'next-sentence-prediction') {
    rows = prepareNextSentence(tokenizer, maxLength, inputs).rows;
    output = 'nspLogits';
  } else {
    const texts = typeof inputs === 'string' ? [inputs] : inputs;
    if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== 'string')) {
      throw new TypeError('inputs must be a string or a non-empty array of strings');
    }
    rows = prepareFeatures(tokenizer, maxLength, texts);
    output = 'lastHiddenState';
  }
  const batch = stack(rows, tokenizer.padTokenId);
  const mlmRows = masks?.flatMap((positions, b) => positions.map((t) => b * batch.T + t));
  const profile: ForwardProfile = await model.profile({ ...batch, mlmRows }, [output]);
  const gpuMs = profile.dispatches.reduce((a, d) => a + d.gpuMs, 0);
  const flops = profile.dispatches.reduce((a, d) => a + d.flops, 0);
  return {
    B: profile.B, T: profile.T, batchBucket: profile.batchBucket, sequenceBucket: profile.sequenceBucket, dtype,
    dispatches: profile.dispatches,
    totals: { dispatches: profile.dispatches.length, gpuMs, flops, gflops: gpuMs > 0 ? flops / gpuMs / 1e6 : 0 },
  };
}
