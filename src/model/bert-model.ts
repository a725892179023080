// A loaded BERT on the GPU: weights (re-laid out once at load: relayout.ts), a cache of Plans per (batch, sequence
// bucket), and forward(), which pads a batch to its bucket, runs one submit and returns the raw head outputs.
import { BufferRegistry } from '../gpu/buffers.ts';
import type { GpuContext } from '../gpu/device.ts';
import { PipelineCache } from '../gpu/pipelines.ts';
import type { DispatchInfo } from '../graph/dispatch-info.ts';
import { profilePlan, runPlan, whenIdle } from '../graph/executor.ts';
import { createPlan, type Plan } from '../graph/plan.ts';
import { NO_TIMESTAMPS } from '../graph/step-timer.ts';
import type { AdapterProfile } from '../graph/variants.ts';
import type { OpTuning } from '../gpu/tuner.ts';
import { defaultTuningStore } from '../gpu/tuner-cache.ts';
import { TuningSession } from '../gpu/tuner-session.ts';
import type { GpuTensor, GpuWeights } from '../weights/gpu-weights.ts';
import { buildBertGraph, embeddingIdInputs, fusesAttentionOutput } from './bert.ts';
import { batchBucket, firstRows, padRows, sequenceBucket, unpadAttention, unpadRows } from './batch-shape.ts';
import { expectedWeights, isTokenHead, type BertConfig, type BertHead } from './config.ts';
import { checkBatch, defaultOutputs, maskedLmRows } from './batch-check.ts';
import { tokenHeadShape } from './token-heads.ts';
import { resolveKernelProfile, resolveTune, TUNE_BUDGET_MS, type BertModelOptions, type KernelProfileOption, type TuneOption } from './model-options.ts';
import { fuseQkv, makeLoadTimeTensors, transposeAttentionOutput, type RelayoutTarget } from './relayout.ts';
import { layoutOf } from './families/layouts.ts';
import { addBlockViews, decoderBlocksOf, joinScoreBlocks, scoreOutputs, sliceDecoderBias } from './row-blocked-model.ts';
import { joinParts, type BertOutputName, type BertOutputs, type EncodedBatch, type ForwardProfile, type Shaped } from './forward-types.ts';

export { sequenceBucket, batchBucket };
export type { BertOutputName, BertOutputs, EncodedBatch, ForwardProfile };

export type { BertModelOptions, KernelProfileOption, TuneOption };
export { resolveKernelProfile, resolveTune, TUNE_BUDGET_MS };

/** Weights as loadBertWeights (src/hub/model.ts) returns them: GPU tensors plus canonical-name access. */
export interface LoadedBertWeights {
  config: BertConfig;
  head: BertHead;
  weights: GpuWeights;
  reader: { has(name: string): boolean; get(name: string): GpuTensor };
}

export class BertModel {
  readonly config: BertConfig;
  readonly head: BertHead;
  readonly hasPooler: boolean;
  readonly weights: GpuWeights;
  readonly registry: BufferRegistry;
  readonly pipelines: PipelineCache;
  /** Canonical HF name (plus the fused `…attention.self.qkv.*`) → tensor. */
  private readonly tensors = new Map<string, GpuTensor>();
  private readonly plans = new Map<string, Promise<Plan>>();
  /** Every plan built and not yet freed (cached, or evicted and waiting for its runs). */
  private readonly livePlans = new Set<Plan>();
  private disposed = false;
  private readonly dtype: 'f32' | 'f16';
  /** The kernel profile (BertModelOptions.kernelProfile) before tuning. */
  private readonly baseProfile: AdapterProfile;
  private readonly tuner: TuningSession;
  /** Weights held in row blocks, by canonical name → rows per block (BertGraphOptions.weightBlocks); empty: none. */
  private readonly weightBlocks: Map<string, number[]>;
  /** The masked-LM decoder's row blocks, or null (whole, or no such head). */
  private readonly decoderBlocks: number[] | null;

  private constructor(readonly gpu: GpuContext, loaded: LoadedBertWeights, private readonly options: BertModelOptions) {
    this.config = loaded.config;
    this.head = loaded.head;
    this.weights = loaded.weights;
    this.registry = loaded.weights.registry;
    const pooler = layoutOf(loaded.config).pooler;
    this.hasPooler = pooler !== null && loaded.reader.has(`${pooler}.weight`);
    this.pipelines = options.pipelines ?? new PipelineCache(gpu.device);
    this.dtype = options.dtype ?? 'f32';
    this.baseProfile = resolveKernelProfile(options.kernelProfile, gpu.facts);
    this.tuner = new TuningSession({ device: gpu.device, pipelines: this.pipelines, facts: gpu.facts }, this.baseProfile, {
      enabled: resolveTune(options.tune, gpu.facts), dtype: this.dtype, budgetMs: TUNE_BUDGET_MS, first: options.tuning,
      store: options.tuningStore === undefined ? defaultTuningStore() : options.tuningStore,
    });
    if (this.dtype === 'f16' && !gpu.facts.hasF16) throw new Error("dtype 'f16' needs the adapter feature shader-f16, which this adapter lacks; use 'f32'");
    const storage = loaded.weights.tensors.values().next().value?.dtype;
    if (storage && storage !== this.dtype) throw new Error(`weights were loaded as ${storage} but the model runs in ${this.dtype}`);
    for (const w of expectedWeights(this.config, this.head)) {
      if (loaded.reader.has(w.name)) this.tensors.set(w.name, loaded.reader.get(w.name));
    }
    // Weights the loader split into row blocks (over one storage binding): each block is a graph weight of its own.
    this.weightBlocks = addBlockViews(this.tensors);
    this.decoderBlocks = decoderBlocksOf(this.config, this.head, this.weightBlocks);
  }

  /**
   * Takes ownership of the loaded weights and fuses each layer's query/key/value into one (3C, C) matrix, so the
   * projection is one matmul; the separate tensors are freed.
   */
  static create(gpu: GpuContext, loaded: LoadedBertWeights, options: BertModelOptions = {}): BertModel {
    try {
      const model = new BertModel(gpu, loaded, options);
      makeLoadTimeTensors(model.relayoutTarget());
      if (model.decoderBlocks) {
        sliceDecoderBias(gpu.device, model.registry, model.weights, model.tensors, model.tensor(layoutOf(model.config).maskedLm.bias), model.decoderBlocks);
      }
      fuseQkv(model.relayoutTarget());
      if (fusesAttentionOutput(model.config, model.dtype, model.kernelProfile)) transposeAttentionOutput(model.relayoutTarget());
      return model;
    } catch (e) {
      loaded.weights.dispose();
      throw e;
    }
  }

  /** Weights the loader split into row blocks: canonical name → rows per block (empty when every weight is whole). */
  get rowBlocks(): ReadonlyMap<string, readonly number[]> {
    return this.weightBlocks;
  }

  /** The kernel profile every plan of this model is lowered for: BertModelOptions.kernelProfile, with the tuned choices. */
  get kernelProfile(): AdapterProfile {
    return this.tuner.profile;
  }

  /** What tuning found per op shape so far (kernels timed, choice, source); empty when the model does not tune. */
  get tuning(): readonly OpTuning[] {
    return this.tuner.ops;
  }

  /** Resolves once the tuning load.ts started (if any) is applied; plans built after it use its choices. */
  whenTuned(): Promise<void> {
    return this.tuner.tune(null);
  }

  private relayoutTarget(): RelayoutTarget {
    return { gpu: this.gpu, config: this.config, dtype: this.dtype, registry: this.registry, weights: this.weights, tensors: this.tensors, pipelines: this.pipelines };
  }

  private tensor(name: string): GpuTensor {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`weights: no tensor "${name}" in this model`);
    return t;
  }

  private plan(B: number, T: number, attentionLayer?: number, mlmRows = 0): Promise<Plan> {
    const key = `${B}x${T}${attentionLayer === undefined ? '' : `@${attentionLayer}`}${mlmRows ? `r${mlmRows}` : ''}`;
    let p = this.plans.get(key);
    if (p) {
      // Refresh recency (Map keeps insertion order).
      this.plans.delete(key);
      this.plans.set(key, p);
      return p;
    }
    const graph = buildBertGraph(this.config, {
      B, T, dtype: this.dtype, head: this.head, hasPooler: this.hasPooler, attentionLayer, mlmRows,
      untiedDecoder: !this.config.tieWordEmbeddings, profile: this.baseProfile,
      weightBlocks: this.weightBlocks.size > 0 ? this.weightBlocks : undefined,
    });
    // A bucket's first plan waits for its new shapes' tuning (≤ TUNE_BUDGET_MS; stored choices are read, not timed).
    p = this.tuner.tune(graph).then(() => createPlan({
      device: this.gpu.device,
      pipelines: this.pipelines,
      registry: this.registry,
      weight: (name, decl) => {
        const t = this.tensor(name);
        const want = decl.shape.join('×');
        if (t.shape.join('×') !== want) throw new Error(`weight ${name} has shape ${t.shape.join('×')}, the graph needs ${want}`);
        return t.buffer;
      },
      dtype: this.dtype,
      adapter: this.gpu.facts,
      profile: this.kernelProfile,
    }, graph));
    this.plans.set(key, p);
    p.then((pl) => this.livePlans.add(pl), () => this.plans.delete(key));
    const max = this.options.maxPlans ?? 8;
    while (this.plans.size > max) {
      const [oldKey, old] = this.plans.entries().next().value as [string, Promise<Plan>];
      this.plans.delete(oldKey);
      // A run may still be using the evicted plan's buffers: free them once its queue is idle.
      old.then((pl) => whenIdle(pl).then(() => this.freePlan(pl)), () => undefined);
    }
    return p;
  }

  /**
   * Runs the encoder (and head) on a batch; returns the requested outputs cut back to the batch's own T.
   * 'attentions' needs `attentionLayer` (a debug output with its own plan).
   */
  async forward(batch: EncodedBatch, outputs: readonly BertOutputName[] = defaultOutputs(this.head), attentionLayer?: number): Promise<BertOutputs> {
    const shaped = this.shape(batch, outputs, attentionLayer);
    if (shaped.split !== undefined) return this.forwardInParts(batch, shaped.split, outputs, attentionLayer);
    const plan = await this.plan(shaped.Bb, shaped.Tb, attentionLayer, shaped.mlm?.bucket ?? 0);
    const result = await runPlan(this.gpu.device, plan, this.planInputs(shaped), scoreOutputs(outputs, this.decoderBlocks));
    return this.cutBack(shaped, joinScoreBlocks(result, this.decoderBlocks));
  }

  /**
   * One forward as forward() runs it, with every dispatch's GPU time: each dispatch gets its own compute pass with
   * timestamp queries (this run only; forward() keeps one pass). Needs the device feature timestamp-query.
   */
  async profile(batch: EncodedBatch, outputs: readonly BertOutputName[] = defaultOutputs(this.head)): Promise<ForwardProfile> {
    if (this.disposed) throw new Error('BertModel: profile() after dispose()');
    const { device } = this.gpu;
    if (!device.features.has('timestamp-query')) {
      // A device the caller made may lack the feature although its adapter has it: say which one to fix.
      throw new Error(this.gpu.ownsDevice ? NO_TIMESTAMPS
        : "this device was created without timestamp-query; to profile, request it with requiredFeatures: ['timestamp-query'] (where its adapter has it)");
    }
    const shaped = this.shape(batch, outputs);
    if (shaped.split !== undefined) {
      throw new Error(`profile: ${batch.B} sequences of ${shaped.Tb} tokens run as several forwards on this device; profile at most ${shaped.split}`);
    }
    const plan = await this.plan(shaped.Bb, shaped.Tb, undefined, shaped.mlm?.bucket ?? 0);
    const { outputs: blocked, stepMs } = await profilePlan(device, plan, this.planInputs(shaped), scoreOutputs(outputs, this.decoderBlocks));
    const result = joinScoreBlocks(blocked, this.decoderBlocks);
    return {
      B: batch.B, T: batch.T, batchBucket: shaped.Bb, sequenceBucket: shaped.Tb,
      dispatches: plan.steps.map((step, i) => ({ ...step.info, gpuMs: stepMs[i] })),
      outputs: this.cutBack(shaped, result),
    };
  }

  /** The dispatches of the plan that serves a (B, T) batch (with `mlmRows` masked-LM rows), built if needed. */
  async planDispatches(B: number, T: number, mlmRows = 0): Promise<DispatchInfo[]> {
    const Tb = sequenceBucket(T, this.config.maxPositionEmbeddings);
    let rows = 0;
    if (mlmRows > 0) for (rows = 1; rows < mlmRows;) rows *= 2;
    const plan = await this.plan(batchBucket(B, this.maxBatchFor(Tb, false)), Tb, undefined, rows);
    return plan.steps.map((s) => s.info);
  }

  /**
   * The kernels that run each op kind in the plan for a (B, T) batch (built if needed), in plan order: what the
   * kernel profile chose (`info.kernels`).
   */
  async kernelChoices(B = 1, T = 128): Promise<Partial<Record<DispatchInfo['op'], string[]>>> {
    const out: Partial<Record<DispatchInfo['op'], string[]>> = {};
    for (const d of await this.planDispatches(B, Math.min(T, this.config.maxPositionEmbeddings))) {
      const list = (out[d.op] ??= []);
      if (!list.includes(d.kernel)) list.push(d.kernel);
    }
    return out;
  }

  /** Checks a batch and fits it to a plan: buckets, masked-LM rows, or the part size when it must be split. */
  private shape(batch: EncodedBatch, outputs: readonly BertOutputName[], attentionLayer?: number): Shaped {
    if (this.disposed) throw new Error('BertModel: forward() after dispose()');
    checkBatch(this.config, batch, outputs, attentionLayer);
    const { B, T } = batch;
    const Tb = sequenceBucket(T, this.config.maxPositionEmbeddings);
    // Rows are checked before any split, so every part gets valid, ordered rows.
    const mlm = outputs.includes('mlmLogits') ? this.mlmRowsOf(batch) : null;
    const maxB = this.maxBatchFor(Tb, attentionLayer !== undefined);
    if (B > maxB) return { batch, Bb: B, Tb, mlm, split: maxB };
    if (mlm && mlm.bucket * this.scoreColumns * this.elementBytes > this.bindingLimit()) {
      if (B === 1) throw new Error(`forward: ${mlm.count} masked-LM rows × ${this.scoreColumns} scores exceed this device's storage binding limit (${this.bindingLimit()} bytes); ask for fewer rows`);
      return { batch, Bb: B, Tb, mlm, split: Math.ceil(B / 2) };
    }
    // The batch pads to its bucket like the sequence does: a few plans serve every batch size.
    return { batch, Bb: batchBucket(B, maxB), Tb, mlm };
  }

  /** The plan's inputs for a shaped batch: rows padded to Tb, the batch to Bb, masked-LM rows renumbered. */
  private planInputs({ batch, Bb, Tb, mlm }: Shaped): Record<string, Uint32Array> {
    const { B, T } = batch;
    const inputIds = padRows(batch.inputIds, B, T, Bb, Tb, this.config.padTokenId);
    const inputs: Record<string, Uint32Array> = {
      inputIds, attentionMask: padRows(batch.attentionMask, B, T, Bb, Tb, 0),
      ...embeddingIdInputs(this.config, inputIds, padRows(batch.tokenTypeIds, B, T, Bb, Tb, 0), Bb, Tb),
    };
    // Word embeddings in row blocks: the embedding op reads the gathered rows, row i for token i (bert.ts).
    if (this.weightBlocks.has(layoutOf(this.config).wordEmbeddings)) inputs.wordRowIds = Uint32Array.from({ length: Bb * Tb }, (_, i) => i);
    if (mlm) {
      // Rows of the unpadded batch (b·T + t) → rows of the bucket-padded plan (b·Tb + t); the bucket's spare rows read row 0.
      inputs.mlmRows = new Uint32Array(mlm.bucket);
      mlm.rows.forEach((i, k) => { inputs.mlmRows[k] = Math.floor(i / T) * Tb + (i % T); });
    }
    return inputs;
  }

  /** A plan's outputs cut back to the batch's own sequences and tokens. */
  private cutBack({ batch, Tb, mlm }: Shaped, result: Record<string, Float32Array>): BertOutputs {
    const { B, T } = batch;
    const c = this.config;
    const out: BertOutputs = { B, T };
    if (result.lastHiddenState) out.lastHiddenState = unpadRows(result.lastHiddenState, B, Tb, T, c.hiddenSize);
    if (result.poolerOutput) out.poolerOutput = firstRows(result.poolerOutput, B * c.hiddenSize);
    if (result.logits) {
      // Token heads score every token: (Bb·Tb, width) → (B, T, width); the sequence classifier: (Bb, L) → (B, L).
      out.logits = isTokenHead(this.head)
        ? unpadRows(result.logits, B, Tb, T, tokenHeadShape(c, this.head).width)
        : firstRows(result.logits, B * c.numLabels);
    }
    if (result.attentions) out.attentions = unpadAttention(result.attentions, B * c.numAttentionHeads, Tb, T);
    if (result.mlmLogits) out.mlmLogits = result.mlmLogits.subarray(0, mlm!.count * c.vocabSize);
    if (result.nspLogits) out.nspLogits = firstRows(result.nspLogits, B * 2);
    return out;
  }

  /**
   * Most sequences per forward at bucket Tb such that every activation fits one storage binding of this device
   * (the widest is (B·T, max(3C, I)); with inspect(), the (B, NH, T, T) attention probabilities). The masked-LM
   * scores, (rows, V), are checked in forward().
   */
  private maxBatchFor(Tb: number, withAttentions: boolean): number {
    const c = this.config;
    const bytes = this.elementBytes;
    // The fused attention output's per-head f32 partials (NH, B·T, C) are one binding too (GPU profile).
    const headPartials = fusesAttentionOutput(c, this.dtype, this.kernelProfile) ? c.numAttentionHeads * Tb * c.hiddenSize * 4 : 0;
    const perSequence = Math.max(Tb * Math.max(3 * c.hiddenSize, c.intermediateSize) * bytes, withAttentions ? c.numAttentionHeads * Tb * Tb * 4 : 0, headPartials);
    const limit = this.bindingLimit();
    const maxB = Math.floor(limit / perSequence);
    if (maxB < 1) throw new Error(`forward: one sequence of ${Tb} tokens needs ${perSequence} bytes of activations, over this device's storage binding limit (${limit})`);
    return maxB;
  }

  /** Bytes per stored activation element. */
  private get elementBytes(): number {
    return this.dtype === 'f16' ? 2 : 4;
  }

  /** Columns of the widest masked-LM score tensor on the GPU: the vocabulary, or a decoder block's rows. */
  private get scoreColumns(): number {
    return Math.max(...(this.decoderBlocks ?? [this.config.vocabSize]));
  }

  private bindingLimit(): number {
    return Math.min(this.gpu.device.limits.maxStorageBufferBindingSize, this.gpu.device.limits.maxBufferSize);
  }

  /** The batch's masked-LM rows, checked, and the plan's row bucket (a power of two, so few plans serve many calls). */
  private mlmRowsOf(batch: EncodedBatch): { rows: number[]; count: number; bucket: number } {
    const rows = maskedLmRows(this.head, batch);
    let bucket = 1;
    while (bucket < rows.length) bucket *= 2;
    // The exact count when the power of two would not fit one binding but the rows themselves do.
    if (bucket * this.scoreColumns * this.elementBytes > this.bindingLimit()) bucket = rows.length;
    return { rows, count: rows.length, bucket };
  }

  /** A batch too large for the device's binding limit, run as consecutive parts and joined. */
  private async forwardInParts(batch: EncodedBatch, maxB: number, outputs: readonly BertOutputName[], attentionLayer?: number): Promise<BertOutputs> {
    const { B, T } = batch;
    const parts: BertOutputs[] = [];
    for (let b0 = 0; b0 < B; b0 += maxB) {
      const n = Math.min(maxB, B - b0);
      const slice = (a: Int32Array | Uint32Array) => a.subarray(b0 * T, (b0 + n) * T);
      const part: EncodedBatch = { B: n, T, inputIds: slice(batch.inputIds), tokenTypeIds: slice(batch.tokenTypeIds), attentionMask: slice(batch.attentionMask) };
      let partOutputs = outputs;
      if (outputs.includes('mlmLogits') && batch.mlmRows !== undefined) {
        // This part's rows, renumbered from its first sequence; a part without any asks for no scores.
        part.mlmRows = Array.from(batch.mlmRows).filter((i) => i >= b0 * T && i < (b0 + n) * T).map((i) => i - b0 * T);
        if (part.mlmRows.length === 0) partOutputs = outputs.filter((o) => o !== 'mlmLogits');
      }
      parts.push(partOutputs.length > 0 ? await this.forward(part, partOutputs, attentionLayer) : { B: n, T });
    }
    return joinParts(parts, B, T);
  }

  private freePlan(plan: Plan): void {
    plan.dispose();
    this.livePlans.delete(plan);
  }

  /** Plans alive and the GPU buffers they hold: with the weights, every buffer this model has. */
  get planStats(): { plans: number; planBuffers: number } {
    let planBuffers = 0;
    for (const p of this.livePlans) planBuffers += p.bufferCount;
    return { plans: this.livePlans.size, planBuffers };
  }

  /** Plan facts for a batch shape (dispatches per forward, arena bytes), building the plan if needed. */
  async planInfo(B: number, T: number): Promise<{ T: number; dispatches: number; arenaBytes: number; activations: number; arenaBuffers: number }> {
    const Tb = sequenceBucket(T, this.config.maxPositionEmbeddings);
    const plan = await this.plan(batchBucket(B, this.maxBatchFor(Tb, false)), Tb);
    return { T: Tb, dispatches: plan.steps.length, arenaBytes: plan.arenaBytes, activations: plan.activationCount, arenaBuffers: plan.arenaBufferCount };
  }

  /** Frees every GPU buffer of this model (weights, plans); never destroys the device. Resolves when all are freed. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const plans = [...this.plans.values()];
    this.plans.clear();
    // Runs already queued finish first — on cached plans and on evicted ones still draining — then plans and weights
    // are freed.
    await Promise.allSettled(plans);
    // Pipelines compiled ahead (cold start) that no plan used yet must also finish before the device may go.
    await this.options.compiling;
    // So must tuning, and the candidates' compiles it started.
    await this.tuner.close();
    const all = [...this.livePlans];
    await Promise.all(all.map(whenIdle));
    for (const plan of all) this.freePlan(plan);
    this.weights.dispose();
  }

}
