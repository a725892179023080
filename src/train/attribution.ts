// Token attributions on the GPU (Trainer.attributions): the training engine's graph in its 'attribution' objective
// (train-graph.ts) — forward with the word rows interpolated per batch row, a one-hot on the label's logit as the
// objective's gradient, the backward down to the embedding sum without parameter gradients or optimizer, then one
// score per token (attribution_reduce.wgsl). The integrated-gradients points of one sequence are the rows of one
// batch, ONE submit for all of them when B·T fits the token budget; otherwise chunks of equal row count (the last
// padded with weight-0 rows, so one plan serves them all), one submit each, the per-token partial sums added here in
// float64. Semantics and the integration rule: attribution-options.ts; float64 reference: src/cpu/attribution.ts.
import type { BertConfig } from '../model/config.ts';
import attributionEmbeddingSum from '../../shaders/train/attribution_embedding_sum.wgsl?raw';
import logitSeed from '../../shaders/train/logit_seed.wgsl?raw';
import attributionReduce from '../../shaders/train/attribution_reduce.wgsl?raw';
import { resolveAttribution, type AttributionOptions } from './attribution-options.ts';
import { registerAttributionKernels } from './train-pipelines.ts';
import type { TrainPlan } from './train-plan.ts';
import { checkBatch, type TrainBatch } from './trainer-options.ts';

export type { AttributionOptions } from './attribution-options.ts';

registerAttributionKernels({ attributionEmbeddingSum: { main: attributionEmbeddingSum, embeddingRows: true }, logitSeed: { main: logitSeed }, attributionReduce: { main: attributionReduce, reduce: true } });

/**
 * Rows × tokens per submit: the activations the backward keeps scale with it (BERT-base keeps 8C + 2I floats ≈ 49 kB
 * per token per layer, so 1024 tokens ≈ 0.6 GB — the 8 × 128 training batch's footprint).
 */
export const ATTRIBUTION_TOKEN_BUDGET = 1024;

export interface AttributionResult {
  /** One signed score per token of the sequence (T, padding included: its scores are 0, masked keys get no gradient). */
  scores: Float32Array;
  /** The label's logit at the input (α = 1) and at the baseline (α = 0; NaN for gradient × input). */
  inputLogit: number;
  baselineLogit: number;
  /** Gradient evaluations and submits it took. */
  points: number;
  submits: number;
}

export interface AttributionContext {
  config: BertConfig;
  problemType: Parameters<typeof checkBatch>[1];
  device: GPUDevice;
  plan(B: number, T: number): Promise<TrainPlan>;
  /** Submits the encoder and reads `floats` floats of a fresh staging buffer the encoder copied into. */
  read(encoder: GPUCommandEncoder, fill: (staging: GPUBuffer) => void, floats: number): Promise<Float32Array>;
}

export async function runAttribution(ctx: AttributionContext, batch: TrainBatch, options: AttributionOptions, maxTokens = ATTRIBUTION_TOKEN_BUDGET): Promise<AttributionResult> {
  checkBatch(ctx.config, ctx.problemType, batch, false);
  if (batch.B !== 1) throw new Error(`Trainer.attributions: the batch must hold one sequence (B = 1), got B = ${batch.B}`);
  const o = resolveAttribution(options, ctx.config.numLabels);
  const { T } = batch;
  const NL = ctx.config.numLabels;
  const points = o.alphas.length;
  const rows = Math.min(points, Math.max(1, Math.floor(maxTokens / T)));
  const chunks = Math.ceil(points / rows);
  const plan = await ctx.plan(rows, T);
  const put = writer(ctx.device, plan);
  // Every row holds the one sequence; row b is integration point b.
  const repeat = (a: ArrayLike<number>) => Uint32Array.from({ length: rows * T }, (_, r) => a[r % T]);
  put('ids', repeat(batch.inputIds));
  put('types', repeat(batch.tokenTypeIds));
  put('mask', repeat(batch.attentionMask));
  put('clsRows', Uint32Array.from({ length: rows }, (_, b) => b * T));
  put('attrParams', Uint32Array.of(o.label, o.baseline === 'pad' ? 1 : 0, ctx.config.padTokenId, 0));
  const scores = new Float64Array(T);
  let inputLogit = NaN;
  let baselineLogit = NaN;
  for (let k = 0; k < chunks; k++) {
    const first = k * rows;
    const alphas = new Float32Array(rows).fill(1);
    const weights = new Float32Array(rows);  // rows past the last point: weight 0
    for (let b = 0; b < rows && first + b < points; b++) {
      alphas[b] = o.alphas[first + b];
      weights[b] = o.weights[first + b];
    }
    put('alphas', alphas);
    put('quadWeights', weights);
    const encoder = ctx.device.createCommandEncoder({ label: 'attributions' });
    const pass = encoder.beginComputePass({ label: 'attributions' });
    plan.record(pass, ATTRIBUTION_PHASES);
    pass.end();
    const out = await ctx.read(encoder, (staging) => {
      encoder.copyBufferToBuffer(plan.inputs.get('scores')!, 0, staging, 0, T * 4);
      encoder.copyBufferToBuffer(plan.logits, 0, staging, T * 4, rows * NL * 4);
    }, T + rows * NL);
    for (let t = 0; t < T; t++) scores[t] += out[t];
    for (let b = 0; b < rows && first + b < points; b++) {
      const logit = out[T + b * NL + o.label];
      if (o.alphas[first + b] === 1) inputLogit = logit;
      if (o.alphas[first + b] === 0) baselineLogit = logit;
    }
  }
  return { scores: Float32Array.from(scores), inputLogit, baselineLogit, points, submits: chunks };
}

/**
 * Logits (B·numLabels) of any batch from an attribution plan's forward with α = 1 and a zero baseline — exactly the
 * model's forward (the embedding sum is word + position + type) — for a Trainer made by createForAttributions, which
 * has no gradient buffer for the training plans to bind.
 */
export async function forwardLogits(ctx: AttributionContext, batch: TrainBatch): Promise<Float32Array> {
  checkBatch(ctx.config, ctx.problemType, batch, false);
  const { B, T } = batch;
  const plan = await ctx.plan(B, T);
  const put = writer(ctx.device, plan);
  put('ids', Uint32Array.from(batch.inputIds));
  put('types', Uint32Array.from(batch.tokenTypeIds));
  put('mask', Uint32Array.from(batch.attentionMask));
  put('clsRows', Uint32Array.from({ length: B }, (_, b) => b * T));
  put('attrParams', new Uint32Array(4));
  put('alphas', new Float32Array(B).fill(1));
  const encoder = ctx.device.createCommandEncoder({ label: 'attribution plan forward' });
  const pass = encoder.beginComputePass({ label: 'attribution plan forward' });
  plan.record(pass, FORWARD_PHASE);
  pass.end();
  const n = B * ctx.config.numLabels;
  return ctx.read(encoder, (staging) => encoder.copyBufferToBuffer(plan.logits, 0, staging, 0, n * 4), n);
}

function writer(device: GPUDevice, plan: TrainPlan) {
  return (name: Parameters<typeof plan.inputs.get>[0], data: Uint32Array | Float32Array) => device.queue.writeBuffer(plan.inputs.get(name)!, 0, data.buffer, data.byteOffset, data.byteLength);
}

const ATTRIBUTION_PHASES: ReadonlySet<'forward' | 'loss' | 'backward'> = new Set(['forward', 'loss', 'backward']);
const FORWARD_PHASE: ReadonlySet<'forward' | 'loss' | 'backward'> = new Set(['forward']);
