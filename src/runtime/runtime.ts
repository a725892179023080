// The runtime behind a pipeline: model + tokenizer on one GPU device or on the CPU backend (device-choice.ts), a
// micro-batcher in front of the encoder, the task's pre/post-processing, f16 selection for dtype 'auto', and recovery
// from a lost device. Runs wherever the GPU is: in a Worker (the browser default) or in-thread.
import { wrapDevice, type GpuContext } from '../gpu/device.ts';
import type { FileProvider } from '../hub/files.ts';
import { sequenceClassificationLoss, type Labels } from '../model/heads.ts';
import type { BertConfig, BertHead } from '../model/config.ts';
import { loadBert, type LoadedBert } from '../model/load.ts';
import type { BertOutputName } from '../model/bert-model.ts';
import { taskModule } from '../tasks/registry.ts';
import type { AnyTaskModule, ForwardOutputs, OutputSpec, TaskContext, WithSignal } from '../tasks/task.ts';
import { finishClassification, normalizeInputs, prepareClassification, textClassificationTask, type LabelScore } from '../tasks/text-classification.ts';
import { MicroBatcher, type ForwardBatch } from './batcher.ts';
import { isFileProvider, type Environment, type ModelInput } from './environment.ts';
import { chooseDtype, type DtypeChoice } from './dtype.ts';
import { resolveKernelProfile } from '../model/model-options.ts';
import { normalizePipelineOptions, sendReady, type NormalizedPipelineOptions } from './pipeline-options.ts';
import { profileInput, type ProfileResult } from './profile.ts';
import { chooseBackend, type DeviceChoice } from './device-choice.ts';
import { kernelsOf, pipelineInfo, runtimeStats } from './runtime-info.ts';
import type { LoadedCpuBert } from './cpu-load.ts';
import type { TrainingSession, TrainHooks } from '../tasks/train-session.ts';
import type { TrainableModel } from '../tasks/train-checkpoint.ts';
import type { EvaluateResult, SaveOptions, TrainStep } from '../tasks/train-api.ts';
import type { Explanation } from '../tasks/train-explain.ts';

import type { Task } from '../tasks/registry.ts';
import type { CallShape } from './callable.ts';

export type { Task };

import { WITH_DETAILS } from './details.ts';

export { WITH_DETAILS };

/** BertModel's outputs by name (its B and T dropped), as the batcher takes them. */
function namedOutputs(r: object): ForwardOutputs {
  const out: ForwardOutputs = {};
  for (const [k, v] of Object.entries(r)) if (v instanceof Float32Array) out[k] = v;
  return out;
}

import type { InspectResult, PipelineInfo, PipelineOptions, RuntimeStats, TuningDecision } from './runtime-types.ts';

export type { InspectResult, PipelineInfo, PipelineOptions, RuntimeStats, TuningDecision };

export class Runtime {
  private loaded!: LoadedBert | LoadedCpuBert;
  private batcher!: MicroBatcher;
  /** The GPU device; null on the CPU backend. */
  private gpu: GpuContext | null = null;
  private deviceChoice!: DeviceChoice;
  private lostReason: string | null = null;
  private disposed = false;
  private restarts = 0;
  private recovering: Promise<void> | null = null;
  private dtypeChoice!: DtypeChoice;
  private outputs!: OutputSpec[];
  private kernels!: Partial<Record<string, string[]>>;
  /**
   * train() / evaluate() / save() / explain() (text-classification; train-session.ts), loaded on first use: the
   * training engine and its kernels stay out of what every pipeline's Worker loads.
   */
  private trainingSession: Promise<TrainingSession> | null = null;
  /** The fresh head's weights for `labels`, handed to the session when it starts. */
  private freshModel: TrainableModel | null = null;

  private constructor(
    readonly module: AnyTaskModule,
    private readonly env: Environment,
    /** The model's files; after train() (or a fresh head for `labels`), the trained model's, held in memory. */
    private provider: FileProvider,
    private readonly options: NormalizedPipelineOptions,
  ) {}

  static async create(env: Environment, task: unknown, model: ModelInput, raw: PipelineOptions = {}): Promise<Runtime> {
    const t = taskModule(task);
    const options = normalizePipelineOptions(raw, typeof model === 'string' ? model : 'files');
    if (model === null || model === undefined || (typeof model === 'string' && model.trim() === '')) {
      throw new TypeError('model must be a Hub id, a URL, a folder path or the files of a model folder');
    }
    if (options.maxBatchSize !== undefined && !(Number.isInteger(options.maxBatchSize) && options.maxBatchSize >= 1)) {
      throw new TypeError('maxBatchSize must be a positive integer');
    }
    options.signal?.throwIfAborted();
    let provider = isFileProvider(model) ? model : env.provider(model, options);
    // `labels`: a fresh head when the checkpoint has none for them (train-checkpoint.ts, loaded only then).
    const fresh = options.labels ? await (await import('../tasks/train-checkpoint.ts')).withLabels(provider, options.labels, options.signal, t.name) : null;
    if (fresh) provider = fresh.provider;
    const rt = new Runtime(t, env, provider, options);
    if (fresh) rt.freshModel = fresh.model;
    await rt.start(options.signal);
    sendReady(options, task as string, typeof model === 'string' ? model : rt.info.model);
    return rt;
  }

  /** Device, weights, batcher. `signal` is the creation's: a later rebuild after a device loss is not tied to it. */
  private async start(signal?: AbortSignal): Promise<void> {
    const o = this.options;
    const device = o.device;
    const chosen = await chooseBackend(o.backend, () => (device ? Promise.resolve(wrapDevice(device)) : this.env.createGpu()));
    this.deviceChoice = { backend: chosen.backend, reason: chosen.reason };
    if (chosen.gpu) await this.loadOnGpu(chosen.gpu, signal);
    else await this.loadOnCpu(signal);
    this.makeBatcher();
    const gpu = this.gpu;
    void gpu?.lost.then((info) => {
      if (this.gpu === gpu && !this.disposed) this.lostReason = `${info.reason}: ${info.message}`;
    });
  }

  /** The micro-batcher in front of the loaded model. */
  private makeBatcher(): void {
    const { config } = this.loaded.model;
    const module = this.module;
    const outputs = this.outputs = module.outputs(config);
    const model = this.loaded.model;
    const gpuLoaded = this.gpu ? this.loaded as LoadedBert : null;
    if (module.forward && !gpuLoaded) throw new Error(`the ${module.name} task runs its own GPU forward; it has no CPU backend (pass device: 'gpu')`);
    const forward = (b: ForwardBatch) => (module.forward
      ? module.forward(gpuLoaded!, b, outputs)
      : model.forward(b, outputs.map((o) => o.name as BertOutputName)).then(namedOutputs));
    this.batcher = new MicroBatcher(forward, this.options.maxBatchSize ?? 32, outputs);
  }

  private training(): Promise<TrainingSession> {
    return this.trainingSession ??= import('../tasks/train-session.ts').then(({ TrainingSession }) => {
      const session = new TrainingSession({
        gpu: () => this.gpu,
        cpuReason: () => this.deviceChoice.reason,
        provider: () => this.provider,
        context: () => this.context,
        logits: async (rows, signal) => (await this.batcher.submit(rows, signal)).map((r) => r.logits!),
        reload: (provider) => this.reload(provider),
      });
      session.model = this.freshModel;
      this.freshModel = null;
      return session;
    });
  }

  /** After train(): the model again from its new files, on the same device with the same dtype; the old one freed. */
  private async reload(provider: FileProvider): Promise<void> {
    const { gpu } = this.gpuOnly('train()');
    const o = this.options;
    const loaded = await loadBert(gpu, provider, {
      dtype: this.dtypeChoice.dtype, kernelProfile: o.kernelProfile, tune: o.tune, tuningStore: this.env.tuningStore?.(), checkModel: (m) => this.checkHeadFits(m),
    });
    const old = this.loaded;
    const oldBatcher = this.batcher;
    this.provider = provider;
    this.loaded = loaded;
    this.kernels = kernelsOf(loaded, this.dtypeChoice.dtype);
    this.makeBatcher();
    // Calls already queued run on the old model; it is freed once they are answered.
    await oldBatcher.whenIdle();
    await old.model.dispose();
  }

  /** The training session of a text-classification pipeline (train-session.ts), for `what` (named in errors). */
  private async classifier(what: string): Promise<TrainingSession> {
    await this.ready();
    if (this.module !== textClassificationTask) throw new Error(`${what} needs a text-classification pipeline`);
    return this.training();
  }

  /** Fine-tunes the model on labelled examples. */
  async train(examples: unknown, options: unknown, hooks: TrainHooks = {}): Promise<TrainStep[]> {
    return (await this.classifier('train()')).train(examples, options, hooks);
  }

  /** Accuracy, macro-F1 and loss of the model on labelled examples. */
  async evaluate(examples: unknown, options: { signal?: AbortSignal } = {}): Promise<EvaluateResult> {
    return (await this.classifier('evaluate()')).evaluate(examples, options?.signal);
  }

  /** A signed score per token of one input for a label's logit (train-explain.ts). */
  async explain(input: unknown, options?: unknown): Promise<Explanation> {
    return (await this.classifier('explain()')).explain(input, options);
  }

  /** The trained model as the Files of an HF folder; `dir` (Node) writes them there too. */
  async save(options: SaveOptions = {}): Promise<File[]> {
    return (await this.classifier('save()')).saveFiles(options, this.env.writeFolder?.bind(this.env));
  }

  /** The CPU backend (its code and WebAssembly load only now); f32 compute, f16 checkpoints widened at load. */
  private async loadOnCpu(signal?: AbortSignal): Promise<void> {
    const o = this.options;
    this.gpu = null;
    const { loadBertCpu } = await import('./cpu-load.ts');
    const loaded = await loadBertCpu(this.provider, {
      signal, head: this.module.loadAsBase ? 'base' : undefined, onProgress: o.onProgress, checkModel: (m) => this.checkHeadFits(m),
      threads: this.env.cpuThreads?.() ?? null,
    });
    this.loaded = loaded;
    this.dtypeChoice = { dtype: 'f32', reason: `the CPU backend computes and stores f32${o.dtype === 'f16' ? " (dtype 'f16' asked for: f16 weights are widened at load)" : ''}` };
    this.kernels = loaded.model.kernelChoices();
    if (this.disposed) {
      await loaded.model.dispose();
      throw new Error('this pipeline was disposed; create a new one');
    }
  }

  private async loadOnGpu(gpu: GpuContext, signal?: AbortSignal): Promise<void> {
    const o = this.options;
    this.gpu = gpu;
    try {
      // With dtype 'auto' the weights are read twice (f32, then f16); progress spans both so it stays monotone.
      // Embeddings need no head: a BertForMaskedLM/-PreTraining checkpoint then loads as its base model.
      const head = this.module.loadAsBase ? 'base' : undefined;
      const load = (dtype: 'f32' | 'f16', part: { index: number; of: number }) => loadBert(gpu, this.provider, {
        dtype, signal, head, kernelProfile: o.kernelProfile, tune: o.tune, tuningStore: this.env.tuningStore?.(), checkModel: (m) => this.checkHeadFits(m),
        onProgress: o.onProgress && ((p) => o.onProgress!({ ...p, loadedBytes: part.index * p.totalBytes + p.loadedBytes, totalBytes: part.of * p.totalBytes })),
      });
      const software = resolveKernelProfile(o.kernelProfile, gpu.facts).kind === 'software';
      const { loaded, choice } = await chooseDtype(gpu, o.dtype ?? 'auto', load, software);
      this.loaded = loaded;
      this.dtypeChoice = choice;
      if (this.disposed) {
        // dispose() ran while a rebuild was loading: free what it made.
        await loaded.model.dispose();
        throw new Error('this pipeline was disposed; create a new one');
      }
    } catch (e) {
      if (gpu.ownsDevice) gpu.device.destroy();
      throw e;
    }
    this.kernels = kernelsOf(this.loaded as LoadedBert, this.dtypeChoice.dtype);
  }

  /** The GPU model; a clear error on the CPU backend for what only the GPU does (profiling, its device). */
  private gpuOnly(what: string): { gpu: GpuContext; loaded: LoadedBert } {
    if (!this.gpu) throw new Error(`${what} needs the GPU backend; this pipeline runs on the CPU (${this.deviceChoice.reason})`);
    return { gpu: this.gpu, loaded: this.loaded as LoadedBert };
  }

  /** Refuses, from config.json alone (before any download), a model whose head cannot serve this task. */
  private checkHeadFits(m: { label: string; config: BertConfig; head: BertHead }): void {
    this.module.checkModel?.(m);
  }

  /** The task (canonical name). */
  get task(): Task {
    return this.module.name as Task;
  }

  private get context(): TaskContext {
    const { tokenizer, maxLength, model } = this.loaded;
    return { tokenizer, maxLength, config: model.config };
  }

  /** After a device loss: a new device and the weights again (from the cache), or a clear error. */
  private async recover(): Promise<void> {
    const reason = this.lostReason!;
    if (!this.gpu?.ownsDevice) throw new Error(`the GPU device was lost (${reason}); it belongs to the caller, so create a new pipeline with a new device`);
    this.lostReason = null;
    this.restarts++;
    try {
      await this.start();
    } catch (e) {
      this.lostReason = reason;
      throw new Error(`the GPU device was lost (${reason}) and could not be restored: ${(e as Error).message}`);
    }
  }

  private async ready(): Promise<void> {
    if (this.disposed) throw new Error('this pipeline was disposed; create a new one');
    // Calls that arrive together after a loss share one recovery instead of racing the half-rebuilt runtime.
    if (this.lostReason !== null) this.recovering ??= this.recover().finally(() => { this.recovering = null; });
    if (this.recovering) await this.recovering;
  }

  /** What the callable needs of the task (sent to the page by a Worker). */
  get callShape(): CallShape {
    return { positional: this.module.positional, revivesAs: this.module.revivesAs };
  }

  get info(): PipelineInfo {
    return pipelineInfo({ task: this.task, loaded: this.loaded, gpu: this.gpu, deviceChoice: this.deviceChoice, dtypeChoice: this.dtypeChoice, kernels: this.kernels });
  }

  get stats(): RuntimeStats {
    return runtimeStats(this.loaded, this.gpu, this.batcher.stats, this.restarts);
  }

  /** The device in use (tests simulate a loss with it). */
  get device(): GPUDevice {
    return this.gpuOnly('the device').gpu.device;
  }

  async run(inputs: unknown, options?: unknown): Promise<unknown> {
    await this.ready();
    const module = this.module;
    const withDetails = !!options && typeof options === 'object' && (options as { [WITH_DETAILS]?: boolean })[WITH_DETAILS] === true;
    const o: WithSignal = module.options(options);
    const ctx = this.context;
    const prepared = module.prepare(ctx, inputs, o);
    const rows = await this.batcher.submit(prepared.rows, o.signal, prepared.predict);
    const result = module.finish(ctx, prepared, rows, o);
    if (!withDetails) return result;
    return { result, details: module.details?.(ctx, prepared, rows, o) ?? [] };
  }

  /**
   * One input through the model with one layer's attention probabilities (the demo's heatmap), the tokens as the
   * model saw them, the scores (classification) and timings. Runs outside the micro-batcher, with its own plan.
   */
  async inspect(input: unknown, options: { layer?: number } = {}): Promise<InspectResult> {
    await this.ready();
    const t0 = performance.now();
    const { tokenizer, maxLength, model } = this.loaded;
    const { config } = model;
    const layer = options?.layer ?? config.numHiddenLayers - 1;
    if (!Number.isInteger(layer) || layer < 0 || layer >= config.numHiddenLayers) {
      throw new RangeError(`layer must be an integer in [0, ${config.numHiddenLayers}), got ${String(layer)}`);
    }
    const prepared = prepareClassification(tokenizer, maxLength, input, {});
    if (!prepared.single) throw new TypeError('inspect() takes one input, not an array');
    const e = prepared.rows[0];
    const t1 = performance.now();
    const classification = this.module === textClassificationTask;
    const out = await model.forward(
      { B: 1, T: e.ids.length, inputIds: e.ids, tokenTypeIds: e.tokenTypeIds, attentionMask: e.attentionMask },
      [classification ? 'logits' : 'lastHiddenState', 'attentions'], layer,
    );
    const t2 = performance.now();
    const scores = classification ? finishClassification(config, prepared, [out.logits!], { topK: null }) as LabelScore[] : [];
    return {
      tokens: Array.from(e.ids, (id) => tokenizer.idToToken(id) ?? `[${id}]`),
      layer, numLayers: config.numHiddenLayers, numHeads: config.numAttentionHeads,
      attentions: out.attentions!, scores,
      timings: { tokenizeMs: t1 - t0, gpuMs: t2 - t1, totalMs: performance.now() - t0 },
    };
  }

  /**
   * The input (as `run()` takes it) through one forward with every dispatch's GPU time, from timestamp queries; an
   * adapter without timestamp-query gets a clear error. Runs outside the micro-batcher.
   */
  async profile(inputs: unknown): Promise<ProfileResult> {
    await this.ready();
    return profileInput(this.module, this.context, this.gpuOnly('profile()').loaded, this.outputs, this.dtypeChoice.dtype, inputs);
  }

  /** HF's `outputs.loss` for labelled inputs (text-classification only); truncation as in run(). */
  async loss(inputs: unknown, labels: Labels, options?: { signal?: AbortSignal }): Promise<number> {
    await this.ready();
    if (this.module !== textClassificationTask) throw new Error('loss() needs a text-classification pipeline');
    const { tokenizer, maxLength, model } = this.loaded;
    const items = normalizeInputs(inputs).items;
    const prepared = prepareClassification(tokenizer, maxLength, items, {});
    const rows = await this.batcher.submit(prepared.rows, options?.signal);
    const L = model.config.numLabels;
    const logits = new Float32Array(items.length * L);
    rows.forEach((r, i) => logits.set(r.logits!, i * L));
    return sequenceClassificationLoss(model.config, logits, items.length, labels).loss;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    // A rebuild in flight sees `disposed` when its load ends and frees what it made; wait for it.
    await this.recovering?.catch(() => undefined);
    (await this.trainingSession?.catch(() => null))?.dispose();
    await this.loaded.model.dispose();
    if (this.gpu?.ownsDevice) this.gpu.device.destroy();
  }
}
