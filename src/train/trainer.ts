// Fine-tuning BertForSequenceClassification on the GPU. One Trainer owns the flat f32 master weights, gradients and
// AdamW moments (param-layout.ts), a training plan per (B, T) bucket (train-plan.ts) and the optimizer dispatches
// (optimizer-plan.ts). Each step() is ONE queue submit: forward, loss, backward — and, on the last micro-batch of an
// accumulation window, grad norm, clipping and AdamW — in one compute pass, then the loss and grad norm are copied
// into a staging buffer by the same encoder and mapped asynchronously (no second submit to read them).
import type { GpuContext } from '../gpu/device.ts';
import { BufferRegistry } from '../gpu/buffers.ts';
import type { BertConfig } from '../model/config.ts';
import type { AttributionContext, AttributionOptions, AttributionResult } from './attribution.ts';
import { segmentRows } from './kernels.ts';
import { lrMultiplier } from './optimizer.ts';
import { OptimizerPlan } from './optimizer-plan.ts';
import { ParamLayout } from './param-layout.ts';
import { buildTrainGraph, type Phase } from './train-graph.ts';
import { TrainPlan } from './train-plan.ts';
import { TrainPipelines } from './train-pipelines.ts';
import { checkBatch, frozenLevels, resolveOptions, type ResolvedOptions, type TrainBatch, type TrainerOptions } from './trainer-options.ts';

export type { TrainBatch, TrainerOptions } from './trainer-options.ts';
export type { AttributionOptions, AttributionResult } from './attribution.ts';

export interface TrainerInit {
  config: BertConfig;
  /** Every parameter by HF name, unfused (BertForSequenceClassification's, with or without the `bert.` prefix). */
  weights: ReadonlyMap<string, Float32Array>;
}

export interface StepResult {
  /** This micro-batch's loss (HF's batch mean), from its forward before any update. */
  loss: number;
  /** Global gradient norm before clipping of the update this step ran; NaN when the window is not complete yet. */
  gradNorm: number;
  /** The learning rate of that update (of the next one while a window is open). */
  lr: number;
  /** True when this step ran the optimizer (the last micro-batch of an accumulation window). */
  updated: boolean;
}

const storage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const FORWARD = new Set<Phase>(['forward']);
const TRAIN = new Set<Phase>(['forward', 'loss', 'backward']);

/** The dropout seed of every site (see train-graph.ts) at a micro-step: what the CPU reference needs to replay masks. */
export function dropoutSeeds(seed: number, microStep: number, sites: number): number[] {
  return Array.from({ length: sites }, (_, i) => siteSeed(seed, microStep, i));
}

/** A 32-bit mix (murmur3's finaliser) of the run seed, the micro-step and the dropout site: one seed per site. */
function siteSeed(seed: number, microStep: number, site: number): number {
  let h = (seed ^ Math.imul(microStep + 1, 0x9e3779b1) ^ Math.imul(site + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class Trainer {
  private readonly plans = new Map<string, Promise<TrainPlan>>();
  private readonly owned: GPUBuffer[] = [];
  private updates = 0;
  private microSteps = 0;
  private windowFill = 0;
  private disposed = false;
  private attributionsOnly = false;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly config: BertConfig,
    readonly options: ResolvedOptions,
    private readonly device: GPUDevice,
    readonly registry: BufferRegistry,
    private readonly pipelines: TrainPipelines,
    readonly layout: ParamLayout,
    private readonly buf: { weights: GPUBuffer; grads: GPUBuffer; m: GPUBuffer; v: GPUBuffer; normStats: GPUBuffer; staging: GPUBuffer },
    private optimizer: OptimizerPlan | null,
  ) {}

  /** `internals.maxBindingBytes` (tests): cut the optimizer's bindings smaller than the device's limit. */
  static async create(gpu: GpuContext, init: TrainerInit, options: TrainerOptions = {}, internals: { maxBindingBytes?: number; attributionsOnly?: boolean } = {}): Promise<Trainer> {
    if (!init || typeof init !== 'object' || !init.config || !(init.weights instanceof Map)) throw new Error('Trainer.create: init must be { config: BertConfig, weights: Map<string, Float32Array> }');
    const { config } = init;
    const opts = resolveOptions(config, options);
    const layout = new ParamLayout(config, { frozenLevels: frozenLevels(config, opts.freeze) });
    const flat = new Float32Array(layout.total);
    for (const [name, t] of layout.tensors) {
      const w = init.weights.get(name) ?? (name.startsWith('bert.') ? init.weights.get(name.slice(5)) : undefined);
      if (!w) throw new Error(`Trainer.create: missing weight '${name}'`);
      if (!(w instanceof Float32Array) || w.length !== t.size) throw new Error(`Trainer.create: weight '${name}' must be a Float32Array of ${t.size} elements (${t.shape.join('×')}), got ${w.length}`);
      flat.set(w, t.offset);
    }
    const device = gpu.device;
    if (layout.total * 4 > device.limits.maxBufferSize) {
      throw new Error(`Trainer.create: the model's ${layout.total * 4} bytes of f32 parameters exceed this device's maxBufferSize (${device.limits.maxBufferSize})`);
    }
    const registry = new BufferRegistry(device);
    const pipelines = new TrainPipelines(device);
    const make = (label: string, bytes: number, usage = storage()) => registry.create({ label, size: bytes, usage });
    try {
      const weights = registry.createWith('train.weights', flat, storage());
      const bytes = layout.total * 4;
      // Attributions only: no gradients or moments (a quarter of the memory); placeholders keep the buffer set whole.
      const stateBytes = internals.attributionsOnly ? 4 : bytes;
      const buf = {
        weights, grads: make('train.grads', stateBytes), m: make('train.m', stateBytes), v: make('train.v', stateBytes), normStats: make('train.normStats', 16),
        staging: make('train.readback', 16, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST),
      };
      const trainer = new Trainer(config, opts, device, registry, pipelines, layout, buf, null);
      if (internals.attributionsOnly) trainer.attributionsOnly = true;
      else trainer.optimizer = await OptimizerPlan.create(device, pipelines, registry, trainer.owned, layout, buf, opts.weightDecay, internals.maxBindingBytes);
      return trainer;
    } catch (e) {
      registry.destroyAll();
      throw e;
    }
  }

  /**
   * A Trainer that only explains and evaluates (attributions, attributionDetails, evaluateLogits, readWeights): the
   * weights alone on the GPU, no gradient buffer or AdamW moments (BERT-base: 0.44 GB instead of 1.76 GB).
   */
  static createForAttributions(gpu: GpuContext, init: TrainerInit): Promise<Trainer> {
    return Trainer.create(gpu, init, {}, { attributionsOnly: true });
  }

  /** Optimizer updates done so far. */
  get updateCount(): number {
    return this.updates;
  }

  /** One micro-batch: forward, loss, backward, and the optimizer when it completes an accumulation window. */
  step(batch: TrainBatch): Promise<StepResult> {
    return this.serial(async () => {
      this.trainingOnly('step');
      const plan = await this.prepare(batch, true);
      const o = this.options;
      const last = this.windowFill + 1 === o.accumulationSteps;
      const lr = o.lr * lrMultiplier(o.scheduler, this.updates, o.warmupSteps, o.totalSteps);
      if (last) this.optimizer!.writeUniforms({ lr, weightDecay: o.weightDecay, beta1: o.beta1, beta2: o.beta2, eps: o.eps }, this.updates + 1, 1 / o.accumulationSteps, o.maxGradNorm);
      const encoder = this.device.createCommandEncoder({ label: 'train step' });
      if (this.windowFill === 0) encoder.clearBuffer(this.buf.grads);
      const pass = encoder.beginComputePass({ label: 'train step' });
      plan.record(pass, TRAIN);
      if (last) this.optimizer!.record(pass);
      pass.end();
      encoder.copyBufferToBuffer(plan.inputs.get('loss')!, 0, this.buf.staging, 0, 4);
      encoder.copyBufferToBuffer(this.buf.normStats, 0, this.buf.staging, 4, 8);
      const [loss, norm] = await this.submitAndRead(encoder, this.buf.staging, 12, 'train step');
      this.microSteps++;
      this.windowFill = last ? 0 : this.windowFill + 1;
      if (last) this.updates++;
      return { loss: loss[0], gradNorm: last ? norm : NaN, lr, updated: last };
    });
  }

  /** The gradient of the batch's mean loss for every trainable parameter (no update; frozen ones are absent). */
  gradients(batch: TrainBatch): Promise<Map<string, Float32Array>> {
    return this.serial(async () => {
      this.trainingOnly('gradients');
      if (this.windowFill !== 0) throw new Error('Trainer.gradients: an accumulation window is open (call step() until it completes first)');
      const plan = await this.prepare(batch, true);
      const encoder = this.device.createCommandEncoder({ label: 'train gradients' });
      encoder.clearBuffer(this.buf.grads);
      const pass = encoder.beginComputePass({ label: 'train gradients' });
      plan.record(pass, TRAIN);
      pass.end();
      this.microSteps++;
      const flat = await this.readFlat(encoder, this.buf.grads);
      const out = new Map<string, Float32Array>();
      for (const u of this.layout.units) if (!u.frozen) for (const t of u.members) out.set(t.name, flat.slice(t.offset, t.offset + t.size));
      return out;
    });
  }

  /** Logits (B·numLabels, row-major) with the current weights, dropout off. */
  evaluateLogits(batch: TrainBatch): Promise<Float32Array> {
    if (this.attributionsOnly) return this.serial(async () => (await import('./attribution.ts')).forwardLogits(this.attributionContext(), batch));
    return this.serial(async () => {
      const plan = await this.prepare(batch, false);
      const encoder = this.device.createCommandEncoder({ label: 'train evaluate' });
      const pass = encoder.beginComputePass({ label: 'train evaluate' });
      plan.record(pass, FORWARD);
      pass.end();
      const n = batch.B * this.config.numLabels;
      return this.readFlat(encoder, plan.logits, n);
    });
  }

  /**
   * One signed score per token of a one-sequence batch (B = 1; `labels` unused): gradient × input or integrated
   * gradients of the label's logit w.r.t. the word-embedding rows, with the current weights and no dropout. See
   * attribution-options.ts for the exact semantics and src/train/attribution.ts for how it runs.
   */
  attributions(batch: TrainBatch, options: AttributionOptions): Promise<Float32Array> {
    return this.attributionDetails(batch, options).then((r) => r.scores);
  }

  /** attributions() with the label's logit at the input and the baseline (completeness) and the work it took. */
  attributionDetails(batch: TrainBatch, options: AttributionOptions, internals: { maxTokens?: number } = {}): Promise<AttributionResult> {
    // Loaded on demand: attributions' code and kernels stay out of what a page that only trains or classifies loads.
    return this.serial(async () => (await import('./attribution.ts')).runAttribution(this.attributionContext(), batch, options, internals.maxTokens));
  }

  private attributionContext(): AttributionContext {
    return {
      config: this.config, problemType: this.options.problemType, device: this.device,
      plan: (B, T) => this.plan(B, T, 'attribution'),
      read: async (encoder, fill, floats) => {
        const staging = this.registry.create({ label: 'train.attributions.readback', size: floats * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        try {
          fill(staging);
          return (await this.submitAndRead(encoder, staging, floats * 4, 'attributions'))[0];
        } finally {
          this.registry.destroy(staging);
        }
      },
    };
  }

  private trainingOnly(method: string): void {
    if (this.attributionsOnly) throw new Error(`Trainer.${method}: this Trainer was made by createForAttributions (no gradients or optimizer state); use Trainer.create to train`);
  }

  /** Every parameter in HF layout (BertForSequenceClassification names, unfused). */
  readWeights(): Promise<Map<string, Float32Array>> {
    return this.serial(async () => {
      const flat = await this.readFlat(this.device.createCommandEncoder({ label: 'train weights' }), this.buf.weights);
      return new Map(this.layout.names.map((n) => {
        const t = this.layout.tensors.get(n)!;
        return [n, flat.slice(t.offset, t.offset + t.size)];
      }));
    });
  }

  /** The (B, T) bucket's plan: dispatches per training step and its activation arena (built if needed). */
  async planStats(B: number, T: number): Promise<{ steps: number; arenaBytes: number; arenaBuffers: number; tensors: number }> {
    this.trainingOnly('planStats');
    const plan = await this.plan(B, T);
    return { steps: plan.stepCount, arenaBytes: plan.arena.bytes, arenaBuffers: plan.arena.buffers, tensors: plan.arena.tensors };
  }

  /** GPU buffers alive (plans, flat buffers): flat across steps of known buckets. */
  get liveBuffers(): number {
    return this.registry.liveCount;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.registry.destroyAll();
    this.plans.clear();
  }

  // ---- internals

  private serial<T>(run: () => Promise<T>): Promise<T> {
    if (this.disposed) return Promise.reject(new Error('Trainer: used after dispose()'));
    const next = this.chain.catch(() => undefined).then(run);
    this.chain = next;
    return next;
  }

  private plan(B: number, T: number, objective: 'loss' | 'attribution' = 'loss'): Promise<TrainPlan> {
    const key = `${objective === 'loss' ? '' : 'attr:'}${B}x${T}`;
    let p = this.plans.get(key);
    if (!p) {
      const o = this.options;
      // Attributions explain the model as it predicts: no dropout.
      const dropout = objective === 'loss' ? { hiddenDropout: o.hiddenDropout, attentionDropout: o.attentionDropout } : { hiddenDropout: 0, attentionDropout: 0 };
      const graph = buildTrainGraph(this.config, B, T, { problemType: o.problemType, ...dropout, layout: this.layout, objective });
      p = TrainPlan.create({ device: this.device, pipelines: this.pipelines, registry: this.registry, layout: this.layout, weights: this.buf.weights, grads: this.buf.grads }, graph);
      this.plans.set(key, p);
      p.catch(() => this.plans.delete(key));
    }
    return p;
  }

  /** Validates the batch, writes its inputs and the per-run uniforms; returns the bucket's plan. */
  private async prepare(batch: TrainBatch, training: boolean): Promise<TrainPlan> {
    const { labels } = checkBatch(this.config, this.options.problemType, batch, training);
    const plan = await this.plan(batch.B, batch.T);
    const q = this.device.queue;
    const put = (name: Parameters<typeof plan.inputs.get>[0], data: Uint32Array | Int32Array | Float32Array) => q.writeBuffer(plan.inputs.get(name)!, 0, data.buffer, data.byteOffset, data.byteLength);
    const ids = Uint32Array.from(batch.inputIds);
    const types = Uint32Array.from(batch.tokenTypeIds);
    put('ids', ids);
    put('types', types);
    put('mask', Uint32Array.from(batch.attentionMask));
    put('clsRows', Uint32Array.from({ length: batch.B }, (_, b) => b * batch.T));
    const counts = { word: 0, pos: 0, type: 0 };
    if (training) {
      put('labels', labels!);
      const keys = { word: [ids, this.config.vocabSize], pos: [Uint32Array.from(ids, (_, r) => r % batch.T), this.config.maxPositionEmbeddings], type: [types, this.config.typeVocabSize] } as const;
      for (const [table, [k, rows]] of Object.entries(keys) as Array<[keyof typeof counts, readonly [Uint32Array, number]]>) {
        const s = segmentRows(`batch ${table} rows`, k, rows);
        put(`starts.${table}`, s.starts);
        put(`rows.${table}`, s.sortedRows);
        put(`targets.${table}`, s.targets);
        counts[table] = s.targets.length;
      }
    }
    const sites = plan.graph.dropoutSites;
    const seeds = dropoutSeeds(this.options.seed, this.microSteps, sites);
    const o = this.options;
    plan.writeUniforms({ dropout: { hidden: training ? o.hiddenDropout : 0, attention: training ? o.attentionDropout : 0, seeds }, segments: counts });
    return plan;
  }

  /** Submits the encoder (error scopes around it), then maps `staging` and returns [its floats, the norm at [1]]. */
  private async submitAndRead(encoder: GPUCommandEncoder, staging: GPUBuffer, bytes: number, what: string): Promise<[Float32Array, number]> {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    this.device.queue.submit([encoder.finish()]);
    // Popped before any await: the device's scope stack is shared with concurrent work (as src/graph/executor.ts).
    const scopes = [this.device.popErrorScope(), this.device.popErrorScope()];
    const [[validation, oom], mapped] = await Promise.all([Promise.all(scopes), staging.mapAsync(GPUMapMode.READ).then(() => true, (e: Error) => e)]);
    if (validation || oom) {
      if (mapped === true) staging.unmap();
      throw new Error(`${what} failed: ${(validation ?? oom)!.message}`);
    }
    if (mapped !== true) throw mapped;
    try {
      const f = new Float32Array(staging.getMappedRange(0, Math.ceil(bytes / 4) * 4).slice(0));
      return [f, f[1]];
    } finally {
      staging.unmap();
    }
  }

  /** Copies a buffer (or its first n floats) into a temporary staging buffer in the same submit and reads it. */
  private async readFlat(encoder: GPUCommandEncoder, source: GPUBuffer, n = source.size / 4): Promise<Float32Array> {
    const staging = this.registry.create({ label: 'train.readback.tmp', size: Math.max(4, n * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      encoder.copyBufferToBuffer(source, 0, staging, 0, n * 4);
      const [f] = await this.submitAndRead(encoder, staging, n * 4, 'trainer readback');
      return f;
    } finally {
      this.registry.destroy(staging);
    }
  }
}
