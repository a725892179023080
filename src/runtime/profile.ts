// `pipe.profile(input)`: the task's input as one batch through one forward, with every dispatch's GPU time from
// timestamp queries, plus totals. Runs outside the micro-batcher (its own submit, one compute pass per dispatch).
import type { DispatchInfo } from '../graph/dispatch-info.ts';
import type { BertOutputName, ForwardProfile } from '../model/bert-model.ts';
import type { LoadedBert } from '../model/load.ts';
import type { AnyTaskModule, OutputSpec, TaskContext } from '../tasks/task.ts';
import type { Encoding } from '../tokenizer/types.ts';

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

/**
 * Internal (the CLI's `bertgpu profile --batch B --tokens T`): `profile({ [PROFILE_SHAPE]: { B, T } })` times a B × T
 * batch of stand-in tokens, every position attended, instead of tokenized inputs. A symbol: never a task input.
 */
export const PROFILE_SHAPE = Symbol('bertgpu.profileShape');

/** Timing does not depend on which tokens run: a fixed spread of ids; 'selected' outputs one row per sequence. */
function shapeBatch(loaded: LoadedBert, B: number, T: number, selected: boolean) {
  const { vocabSize, maxPositionEmbeddings } = loaded.model.config;
  for (const [name, v] of [['B', B], ['T', T]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`profile: ${name} must be a positive integer, got ${String(v)}`);
  }
  if (T > maxPositionEmbeddings) throw new RangeError(`profile: ${T} tokens exceed the model's max_position_embeddings (${maxPositionEmbeddings})`);
  return {
    B, T, inputIds: Int32Array.from({ length: B * T }, (_, i) => (7 * i + 1) % vocabSize), tokenTypeIds: new Int32Array(B * T),
    attentionMask: new Int32Array(B * T).fill(1),
    // As a fill-mask call with one [MASK] per sequence (what `plan` assumes).
    mlmRows: selected ? Array.from({ length: B }, (_, b) => b * T + Math.min(1, T - 1)) : undefined,
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

/**
 * The input prepared as `run()` prepares it for this task, run once with timestamps. A task whose head runs outside
 * BertModel (its own forward) is profiled up to the BertModel outputs it asks for; its CPU head is not timed.
 */
export async function profileInput(module: AnyTaskModule, ctx: TaskContext, loaded: LoadedBert, outputs: readonly OutputSpec[],
  dtype: 'f32' | 'f16', inputs: unknown): Promise<ProfileResult> {
  const { tokenizer, model } = loaded;
  const known: readonly string[] = ['lastHiddenState', 'poolerOutput', 'logits', 'mlmLogits', 'nspLogits'];
  const names = outputs.map((o) => o.name).filter((n) => known.includes(n)) as BertOutputName[];
  const output = names.length ? names : ['lastHiddenState' as const];
  const shape = inputs && typeof inputs === 'object' ? (inputs as { [PROFILE_SHAPE]?: { B: number; T: number } })[PROFILE_SHAPE] : undefined;
  let batch;
  if (shape) {
    batch = shapeBatch(loaded, shape.B, shape.T, outputs.some((o) => o.layout === 'selected'));
  } else {
    const prepared = module.prepare(ctx, inputs, module.options(undefined));
    const rows: Encoding[] = prepared.rows;
    const masks: number[][] | undefined = prepared.predict;
    const stacked = stack(rows, tokenizer.padTokenId);
    batch = { ...stacked, mlmRows: masks?.flatMap((positions, b) => positions.map((t) => b * stacked.T + t)) };
  }
  const profile: ForwardProfile = await model.profile(batch, output);
  const gpuMs = profile.dispatches.reduce((a, d) => a + d.gpuMs, 0);
  const flops = profile.dispatches.reduce((a, d) => a + d.flops, 0);
  return {
    B: profile.B, T: profile.T, batchBucket: profile.batchBucket, sequenceBucket: profile.sequenceBucket, dtype,
    dispatches: profile.dispatches,
    totals: { dispatches: profile.dispatches.length, gpuMs, flops, gflops: gpuMs > 0 ? flops / gpuMs / 1e6 : 0 },
  };
}
