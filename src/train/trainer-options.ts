// The Trainer's options and batches, validated: every bad value is an error naming the option or field.
import type { BertConfig, ProblemType } from '../model/config.ts';
import { ADAMW_DEFAULTS, type Scheduler } from './optimizer.ts';

/** What does not train: frozen tensors get no gradient and no update, and the backward stops before them. */
export interface FreezeOptions {
  /** Freeze the three embedding tables and the embedding LayerNorm. */
  embeddings?: boolean;
  /** Freeze encoder layers 0 .. layers − 1. */
  layers?: number;
  /** Train only the classifier (few-shot mode): everything of `bert.` is frozen, pooler included. */
  headOnly?: boolean;
}

export interface TrainerOptions {
  lr?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Global gradient-norm clipping (HF max_grad_norm, default 1); 0 turns clipping off. */
  maxGradNorm?: number;
  scheduler?: Scheduler;
  warmupSteps?: number;
  /** Optimizer steps of the run: the linear schedule decays to 0 at it. */
  totalSteps?: number;
  /** Micro-batches (step() calls) per optimizer update (HF gradient_accumulation_steps). */
  accumulationSteps?: number;
  freeze?: FreezeOptions;
  /** Dropout after the embeddings, each attention/FFN output dense and before the classifier (HF hidden_dropout_prob). */
  hiddenDropout?: number;
  /** Dropout on the attention probabilities (HF attention_probs_dropout_prob); > 0 materialises them (T × T per head). */
  attentionDropout?: number;
  seed?: number;
  /** Default: the config's problem_type, else HF's rule (1 label → regression, else single-label). */
  problemType?: ProblemType;
}

export type ResolvedOptions = Required<Omit<TrainerOptions, 'freeze'>> & { freeze: Required<FreezeOptions> };

const PROBLEMS: readonly ProblemType[] = ['single_label_classification', 'multi_label_classification', 'regression'];
const SCHEDULERS: readonly Scheduler[] = ['constant', 'linear', 'constant_with_warmup'];

export function resolveOptions(config: BertConfig, o: TrainerOptions = {}): ResolvedOptions {
  if (typeof o !== 'object' || o === null) throw new Error('Trainer: options must be an object');
  const known = ['lr', 'weightDecay', 'beta1', 'beta2', 'eps', 'maxGradNorm', 'scheduler', 'warmupSteps', 'totalSteps', 'accumulationSteps', 'freeze',
    'hiddenDropout', 'attentionDropout', 'seed', 'problemType'];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new Error(`Trainer: unknown option '${k}' (known: ${known.join(', ')})`);
  const num = (name: keyof TrainerOptions, fallback: number, ok: (v: number) => boolean, want: string): number => {
    const v = o[name] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new Error(`Trainer: option ${name} must be ${want}, got ${JSON.stringify(o[name])}`);
    return v;
  };
  const int = (name: keyof TrainerOptions, fallback: number, min: number) => num(name, fallback, (v) => Number.isInteger(v) && v >= min, `an integer ≥ ${min}`);
  const scheduler = o.scheduler ?? 'constant';
  if (!SCHEDULERS.includes(scheduler)) throw new Error(`Trainer: option scheduler must be one of ${SCHEDULERS.join(', ')}, got ${JSON.stringify(o.scheduler)}`);
  const problemType = o.problemType ?? config.problemType ?? (config.numLabels === 1 ? 'regression' : 'single_label_classification');
  if (!PROBLEMS.includes(problemType)) throw new Error(`Trainer: option problemType must be one of ${PROBLEMS.join(', ')}, got ${JSON.stringify(o.problemType)}`);
  const f = o.freeze ?? {};
  if (typeof f !== 'object' || f === null) throw new Error('Trainer: option freeze must be an object { embeddings?, layers?, headOnly? }');
  for (const k of Object.keys(f)) if (!['embeddings', 'layers', 'headOnly'].includes(k)) throw new Error(`Trainer: unknown option freeze.${k} (embeddings, layers, headOnly)`);
  for (const k of ['embeddings', 'headOnly'] as const) {
    if (f[k] !== undefined && typeof f[k] !== 'boolean') throw new Error(`Trainer: option freeze.${k} must be true or false, got ${JSON.stringify(f[k])}`);
  }
  const layers = f.layers ?? 0;
  if (!Number.isInteger(layers) || layers < 0 || layers > config.numHiddenLayers) {
    throw new Error(`Trainer: option freeze.layers must be an integer in [0, ${config.numHiddenLayers}], got ${JSON.stringify(f.layers)}`);
  }
  const resolved: ResolvedOptions = {
    lr: num('lr', 5e-5, (v) => v >= 0, 'a finite number ≥ 0'),
    weightDecay: num('weightDecay', 0, (v) => v >= 0, 'a finite number ≥ 0'),
    beta1: num('beta1', ADAMW_DEFAULTS.beta1, (v) => v >= 0 && v < 1, 'in [0, 1)'),
    beta2: num('beta2', ADAMW_DEFAULTS.beta2, (v) => v >= 0 && v < 1, 'in [0, 1)'),
    eps: num('eps', ADAMW_DEFAULTS.eps, (v) => v > 0, 'a finite number > 0'),
    maxGradNorm: num('maxGradNorm', 1, (v) => v >= 0, 'a finite number ≥ 0 (0: no clipping)'),
    scheduler,
    warmupSteps: int('warmupSteps', 0, 0),
    totalSteps: int('totalSteps', 0, 0),
    accumulationSteps: int('accumulationSteps', 1, 1),
    freeze: { embeddings: f.embeddings ?? false, layers, headOnly: f.headOnly ?? false },
    hiddenDropout: num('hiddenDropout', 0, (v) => v >= 0 && v < 1, 'in [0, 1)'),
    attentionDropout: num('attentionDropout', 0, (v) => v >= 0 && v < 1, 'in [0, 1)'),
    seed: int('seed', 0, 0),
    problemType,
  };
  if (resolved.scheduler === 'linear' && resolved.totalSteps < 1) throw new Error('Trainer: option totalSteps must be ≥ 1 with the linear scheduler');
  if (resolved.seed > 0xffffffff) throw new Error(`Trainer: option seed must be < 2³², got ${resolved.seed}`);
  return resolved;
}

/** Freezing levels (see ParamUnit.level) from the freeze options. */
export function frozenLevels(config: BertConfig, f: Required<FreezeOptions>): Set<number> {
  const L = config.numHiddenLayers;
  const levels = new Set<number>();
  if (f.headOnly) for (let lv = 0; lv <= L + 1; lv++) levels.add(lv);
  if (f.embeddings) levels.add(0);
  for (let l = 0; l < f.layers; l++) levels.add(1 + l);
  return levels;
}

export interface TrainBatch {
  /** Token ids, token type ids and attention mask (1 = token, 0 = padding), row-major (B·T). */
  inputIds: ArrayLike<number>;
  tokenTypeIds: ArrayLike<number>;
  attentionMask: ArrayLike<number>;
  B: number;
  T: number;
  /** Class ids (single-label; −100 = ignored), values (regression: B numbers, or B rows of numLabels), multi-hot rows. */
  labels?: ReadonlyArray<number> | ReadonlyArray<ReadonlyArray<number>>;
}

/** Checks a batch against the config; returns the labels packed for the loss kernel (i32 class ids or f32 targets). */
export function checkBatch(config: BertConfig, problem: ProblemType, batch: TrainBatch, needLabels: boolean): { labels: Int32Array | Float32Array | null } {
  if (typeof batch !== 'object' || batch === null) throw new Error('Trainer: batch must be an object { inputIds, tokenTypeIds, attentionMask, B, T, labels }');
  const { B, T } = batch;
  if (!Number.isInteger(B) || B < 1) throw new Error(`Trainer: batch.B must be an integer ≥ 1, got ${JSON.stringify(B)}`);
  if (!Number.isInteger(T) || T < 1) throw new Error(`Trainer: batch.T must be an integer ≥ 1, got ${JSON.stringify(T)}`);
  if (T > config.maxPositionEmbeddings) throw new Error(`Trainer: batch.T ${T} exceeds max_position_embeddings ${config.maxPositionEmbeddings}`);
  const fields = [['inputIds', config.vocabSize], ['tokenTypeIds', config.typeVocabSize], ['attentionMask', 2]] as const;
  for (const [k, limit] of fields) {
    const a = batch[k];
    if (!a || typeof a.length !== 'number' || a.length !== B * T) throw new Error(`Trainer: batch.${k} must have B·T = ${B * T} elements, got ${a?.length}`);
    for (let i = 0; i < a.length; i++) {
      if (!Number.isInteger(a[i]) || a[i] < 0 || a[i] >= limit) throw new Error(`Trainer: batch.${k}[${i}] = ${a[i]} is outside [0, ${limit})`);
    }
  }
  if (!needLabels) return { labels: null };
  const labels = batch.labels;
  const NL = config.numLabels;
  if (!Array.isArray(labels) || labels.length !== B) throw new Error(`Trainer: batch.labels must be an array of B = ${B} labels, got ${Array.isArray(labels) ? labels.length : typeof labels}`);
  if (problem === 'single_label_classification') {
    return {
      labels: Int32Array.from(labels, (l, i) => {
        if (!Number.isInteger(l) || ((l as number) < 0 && l !== -100) || (l as number) >= NL) throw new Error(`Trainer: batch.labels[${i}] = ${JSON.stringify(l)} must be a class id in [0, ${NL}) (or -100: ignored)`);
        return l as number;
      }),
    };
  }
  const out = new Float32Array(B * NL);
  labels.forEach((l, i) => {
    const row = typeof l === 'number' && NL === 1 && problem === 'regression' ? [l] : l;
    if (!Array.isArray(row) || row.length !== NL || !row.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new Error(`Trainer: batch.labels[${i}] must be ${NL} finite number(s) for ${problem}, got ${JSON.stringify(l)}`);
    }
    out.set(row, i * NL);
  });
  return { labels: out };
}
