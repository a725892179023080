// train(), evaluate() and save() of a text-classification pipeline, on top of the runtime that owns the model.
// A run: the examples checked against the model's labels, batches (batches.ts: seeded shuffle, each padded to its
// longest row, then up to the inference model's sequence bucket so the Trainer's per-(B, T) plans stay few), a fresh
// Trainer on the same GPU device from the model's f32 weights, one step per batch, then the trained weights read back
// and the pipeline's model rebuilt from them (train-checkpoint.ts: the loader makes every re-layout and the f16 copy).
// The weights that trained stay here on the CPU as the source of the next run and of save().
import type { GpuContext } from '../gpu/device.ts';
import type { FileProvider } from '../hub/files.ts';
import { sequenceBucket } from '../model/batch-shape.ts';
import type { BertConfig } from '../model/config.ts';
import { problemTypeOf } from '../model/heads.ts';
import type { BertTokenizer } from '../tokenizer/tokenizer.ts';
import type { Encoding } from '../tokenizer/types.ts';
import { stepsPerRun, trainingBatches, type EpochBatch } from '../train/batches.ts';
import { evaluateLogits } from '../train/metrics.ts';
import { Trainer } from '../train/trainer.ts';
import { checkExamples, checkTrainOptions, type EvaluateResult, type SaveOptions, type TrainStep } from './train-api.ts';
import { checkTrainableFamily, folderFiles, memoryProvider, readTrainable, type TrainableModel } from './train-checkpoint.ts';
import { Explainer, type Explanation } from './train-explain.ts';

/** What the session needs of the runtime. */
export interface TrainingHost {
  /** The GPU the model runs on; null on the CPU backend (and why). */
  gpu(): GpuContext | null;
  cpuReason(): string;
  /** The model's current files. */
  provider(): FileProvider;
  context(): { tokenizer: BertTokenizer; maxLength: number; config: BertConfig };
  /** Logits of token rows through the pipeline's model (micro-batched), one array per row. */
  logits(rows: Encoding[], signal?: AbortSignal): Promise<Float32Array[]>;
  /** Rebuilds the pipeline's model from these files (same device, dtype and kernels). */
  reload(provider: FileProvider): Promise<void>;
}

/** Writes a folder's files into a directory (Node's Environment.writeFolder). */
export type WriteFolder = (dir: string, files: ReadonlyMap<string, Uint8Array>, options: { overwrite: boolean }) => Promise<unknown>;

export interface TrainHooks {
  signal?: AbortSignal;
  onStep?: (step: TrainStep) => void;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/** A batch padded on the right to T columns ([PAD], type 0, mask 0): the padded rows get exactly zero gradient. */
function padColumns(b: EpochBatch, T: number, padId: number): EpochBatch {
  if (T === b.T) return b;
  const grow = (a: Int32Array, fill: number) => {
    const out = new Int32Array(b.B * T).fill(fill);
    for (let r = 0; r < b.B; r++) out.set(a.subarray(r * b.T, (r + 1) * b.T), r * T);
    return out;
  };
  return { ...b, T, inputIds: grow(b.inputIds, padId), tokenTypeIds: grow(b.tokenTypeIds, 0), attentionMask: grow(b.attentionMask, 0) };
}

export class TrainingSession {
  /** The trainable weights: read at the first train(), or given by a fresh head; updated by every run. */
  model: TrainableModel | null = null;
  private trained = false;
  private running = false;
  private readonly explainer = new Explainer();

  constructor(private readonly host: TrainingHost) {}

  private spec() {
    const { config } = this.host.context();
    return { id2label: config.id2label, problemType: problemTypeOf(config) };
  }

  async train(examples: unknown, options: unknown, hooks: TrainHooks = {}): Promise<TrainStep[]> {
    if (this.running) throw new Error('train(): another train() is running on this pipeline; wait for it to finish (or abort it) first');
    const gpu = this.host.gpu();
    if (!gpu) throw new Error(`train() needs the GPU backend; this pipeline runs on the CPU (${this.host.cpuReason()}): create it with device: 'gpu' to train`);
    const { config, tokenizer, maxLength } = this.host.context();
    checkTrainableFamily(config, 'train()');
    const checked = checkExamples(examples, this.spec(), 'train()');
    const o = checkTrainOptions(options);
    if (hooks.onStep !== undefined && typeof hooks.onStep !== 'function') throw new TypeError('train(): option onStep must be a function');
    const { signal, onStep } = hooks;
    signal?.throwIfAborted();
    this.running = true;
    try {
      const model = this.model ?? await readTrainable(this.host.provider(), { signal });
      const cfg = model.configJson;
      const prob = (k: string) => (typeof cfg[k] === 'number' ? cfg[k] as number : 0.1);
      const totalSteps = stepsPerRun(checked.length, o.batchSize, o.epochs);
      let trainer: Trainer;
      try {
        trainer = await Trainer.create(gpu, { config: model.config, weights: model.weights }, {
          lr: o.lr, weightDecay: o.weightDecay, maxGradNorm: o.maxGradNorm, scheduler: o.scheduler, warmupSteps: o.warmupSteps, totalSteps,
          freeze: o.freeze, hiddenDropout: o.dropout ?? prob('hidden_dropout_prob'), attentionDropout: o.dropout ?? prob('attention_probs_dropout_prob'),
          seed: o.seed, problemType: problemTypeOf(model.config),
        });
      } catch (e) {
        // The Trainer names its options as it knows them; say them as train() takes them.
        throw new RangeError((e as Error).message.replace(/^Trainer: (unknown )?option /, 'train(): $1option '));
      }
      const history: TrainStep[] = [];
      let weights: Map<string, Float32Array>;
      try {
        const tokenize = ({ text, textPair }: { text: string; textPair?: string }) => {
          const e = tokenizer.encode(text, textPair ?? null, { truncation: { maxLength } });
          return { inputIds: e.ids, tokenTypeIds: e.tokenTypeIds };
        };
        const batches = trainingBatches(checked, tokenize, { batchSize: o.batchSize, epochs: o.epochs, shuffle: o.shuffle, seed: o.seed, padId: tokenizer.padTokenId });
        for (const batch of batches) {
          if (signal?.aborted) throw abortError(signal);
          const r = await trainer.step(padColumns(batch, sequenceBucket(batch.T, config.maxPositionEmbeddings), tokenizer.padTokenId));
          const step: TrainStep = { step: history.length + 1, epoch: batch.epoch + 1, loss: r.loss, lr: r.lr, gradNorm: r.gradNorm };
          history.push(step);
          onStep?.(step);
        }
        if (signal?.aborted) throw abortError(signal);
        weights = await trainer.readWeights();
      } finally {
        trainer.dispose();
      }
      const next: TrainableModel = { ...model, weights };
      // Checks the weights (a diverged run's NaN is named here) before the pipeline changes.
      const files = folderFiles(next);
      await this.host.reload(memoryProvider(this.host.provider().label, files));
      this.model = next;
      this.trained = true;
      this.explainer.reset();
      return history;
    } finally {
      this.running = false;
    }
  }

  async evaluate(examples: unknown, signal?: AbortSignal): Promise<EvaluateResult> {
    const spec = this.spec();
    const checked = checkExamples(examples, spec, 'evaluate()');
    const { tokenizer, maxLength, config } = this.host.context();
    const rows = checked.map((e) => tokenizer.encode(e.text, e.textPair ?? null, { truncation: { maxLength } }));
    const out = await this.host.logits(rows, signal);
    const L = config.numLabels;
    const logits = new Float32Array(rows.length * L);
    out.forEach((l, i) => logits.set(l, i * L));
    const targets = checked.flatMap((e) => (Array.isArray(e.target) ? e.target : [e.target]));
    const m = evaluateLogits(logits, targets, L, spec.problemType);
    const result: EvaluateResult = { n: m.count, loss: m.loss };
    if (m.accuracy !== undefined) result.accuracy = m.accuracy;
    if (m.macroF1 !== undefined) result.macroF1 = m.macroF1;
    if (m.mse !== undefined) result.mse = m.mse;
    return result;
  }

  /** Token attributions of one input (train-explain.ts) with the model's current weights. */
  async explain(input: unknown, options: unknown): Promise<Explanation> {
    const gpu = this.host.gpu();
    if (!gpu) throw new Error(`explain() needs the GPU backend; this pipeline runs on the CPU (${this.host.cpuReason()}): create it with device: 'gpu'`);
    const ctx = this.host.context();
    checkTrainableFamily(ctx.config, 'explain()');
    const model = async () => (this.model ??= await readTrainable(this.host.provider()));
    return this.explainer.explain(gpu, model, ctx, input, options);
  }

  /** Frees what explain() keeps on the GPU. */
  dispose(): void {
    this.explainer.reset();
  }

  /** save(): the folder's files as File objects, written into `options.dir` too where the environment can (Node). */
  async saveFiles(options: unknown, writeFolder?: WriteFolder): Promise<File[]> {
    if (options === undefined) options = {};
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError('save(): options must be an object { dir?, overwrite? }');
    const o = options as SaveOptions;
    for (const k of Object.keys(o)) if (k !== 'dir' && k !== 'overwrite') throw new TypeError(`save(): unknown option '${k}' (known: dir, overwrite)`);
    if (o.dir !== undefined && (typeof o.dir !== 'string' || o.dir === '')) throw new TypeError(`save(): option dir must be a directory path, got ${JSON.stringify(o.dir)}`);
    const files = this.save();
    if (o.dir !== undefined) {
      if (!writeFolder) throw new Error('save(): { dir } writes a folder in Node only; in the browser save() returns the Files to download');
      await writeFolder(o.dir, files, { overwrite: o.overwrite === true });
    }
    const type = (name: string) => (name.endsWith('.json') ? 'application/json' : name.endsWith('.txt') ? 'text/plain' : 'application/octet-stream');
    return [...files].map(([name, bytes]) => new File([bytes as Uint8Array<ArrayBuffer>], name, { type: type(name) }));
  }

  /** The trained model's folder, by file name. */
  save(): Map<string, Uint8Array> {
    if (this.running) throw new Error('save(): a train() is running; save when it has finished');
    if (!this.trained || !this.model) throw new Error('save(): nothing to save yet; train() the model first');
    return folderFiles(this.model);
  }
}
