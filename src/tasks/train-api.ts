// The public shapes of `clf.train()`, `clf.evaluate()` and `clf.save()` on a text-classification pipeline, and their
// checking: every bad example or option is an error naming it ("examples[3].label: unknown label …",
// "train(): option lr must be …").
import type { FreezeOptions } from '../train/trainer-options.ts';
import { labelTarget, type DataSpec } from '../train/data.ts';

/** One labelled example: a text (or a pair) and its label. */
export interface TrainExample {
  /** The text (sentence A of a pair). */
  text: string;
  /** Sentence B, for pairs (NLI, paraphrase). */
  textPair?: string;
  /**
   * A label name of the model (`info.labels`); multi-label: the names that apply (an array, or comma-separated);
   * regression: the value (or one per output).
   */
  label: string | readonly string[] | number | readonly number[];
}

/** One optimizer step of a run, as `onStep` receives it and `train()` returns it. */
export interface TrainStep {
  /** 1-based optimizer step. */
  step: number;
  /** 1-based epoch the step belongs to. */
  epoch: number;
  /** The batch's mean loss, from its forward before this step's update. */
  loss: number;
  /** The learning rate of this step's update. */
  lr: number;
  /** The global gradient norm before clipping. */
  gradNorm: number;
}

/** Options of `clf.train(examples, options)`: HF Trainer's names and defaults where it has them. */
export interface TrainOptions {
  /** Passes over the examples (default 3). */
  epochs?: number;
  /** Examples per optimizer step (default 8); the last batch of an epoch may be smaller. */
  batchSize?: number;
  /** Peak learning rate (default 5e-5). */
  lr?: number;
  /** AdamW's decoupled weight decay (default 0), not applied to biases and LayerNorm weights. */
  weightDecay?: number;
  /** Steps of linear warm-up from 0 (default 0). */
  warmupSteps?: number;
  /** 'linear' (default: decays to 0 at the last step, HF's default), 'constant' or 'constant_with_warmup'. */
  scheduler?: 'constant' | 'linear' | 'constant_with_warmup';
  /** Global gradient-norm clipping (default 1; 0 turns it off). */
  maxGradNorm?: number;
  /** What does not train: the embeddings, the first `layers` encoder layers, or everything but the head. */
  freeze?: FreezeOptions;
  /** Dropout while training, hidden and attention alike (default: the config's hidden_dropout_prob and attention_probs_dropout_prob). */
  dropout?: number;
  /** Shuffle the examples each epoch (default true; seeded). */
  shuffle?: boolean;
  /** Seed of the shuffle and the dropout masks (default 42, HF's). */
  seed?: number;
  /** Cancels the run: train() rejects with an AbortError and the model keeps the weights it had before. */
  signal?: AbortSignal;
  /** Called after every optimizer step. */
  onStep?: (step: TrainStep) => void;
}

/** What `clf.evaluate(examples)` returns (metrics in float64 from the model's logits). */
export interface EvaluateResult {
  /** Examples evaluated. */
  n: number;
  /** The mean loss HF's model would report for them (cross-entropy, BCE or MSE). */
  loss: number;
  /** Fraction right (multi-label: every label of the example right); absent for regression. */
  accuracy?: number;
  /** Unweighted mean of the per-class F1 (sklearn's macro average); absent for regression. */
  macroF1?: number;
  /** Mean squared error (regression). */
  mse?: number;
}

/** Options of `clf.save()`. */
export interface SaveOptions {
  /** Node only: also write the folder here (created if missing). */
  dir?: string;
  /** Node: write into a non-empty directory that is not a previous bertgpu save. */
  overwrite?: boolean;
}

export interface ResolvedTrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  warmupSteps: number;
  scheduler: 'constant' | 'linear' | 'constant_with_warmup';
  maxGradNorm: number;
  freeze: FreezeOptions;
  dropout: number | null;
  shuffle: boolean;
  seed: number;
}

const TRAIN_KEYS = ['epochs', 'batchSize', 'lr', 'weightDecay', 'warmupSteps', 'scheduler', 'maxGradNorm', 'freeze', 'dropout', 'shuffle', 'seed', 'signal', 'onStep'];

/** Checks train()'s options (those that cross to a Worker: no signal, no onStep) and fills the defaults. */
export function checkTrainOptions(options: unknown): ResolvedTrainOptions {
  if (options === undefined) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError('train(): options must be an object');
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!TRAIN_KEYS.includes(k)) throw new TypeError(`train(): unknown option '${k}' (known: ${TRAIN_KEYS.join(', ')})`);
  const num = (k: string, fallback: number, ok: (v: number) => boolean, want: string): number => {
    const v = o[k] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new RangeError(`train(): option ${k} must be ${want}, got ${JSON.stringify(o[k]) ?? String(o[k])}`);
    return v;
  };
  const int = (k: string, fallback: number, min: number) => num(k, fallback, (v) => Number.isSafeInteger(v) && v >= min, `an integer ≥ ${min}`);
  const scheduler = o.scheduler ?? 'linear';
  if (scheduler !== 'constant' && scheduler !== 'linear' && scheduler !== 'constant_with_warmup') {
    throw new RangeError(`train(): option scheduler must be 'constant', 'linear' or 'constant_with_warmup', got ${JSON.stringify(o.scheduler)}`);
  }
  if (o.shuffle !== undefined && typeof o.shuffle !== 'boolean') throw new TypeError(`train(): option shuffle must be true or false, got ${JSON.stringify(o.shuffle)}`);
  if (o.freeze !== undefined && (o.freeze === null || typeof o.freeze !== 'object' || Array.isArray(o.freeze))) {
    throw new TypeError('train(): option freeze must be an object { embeddings?, layers?, headOnly? }');
  }
  return {
    epochs: int('epochs', 3, 1),
    batchSize: int('batchSize', 8, 1),
    lr: num('lr', 5e-5, (v) => v >= 0, 'a finite number ≥ 0'),
    weightDecay: num('weightDecay', 0, (v) => v >= 0, 'a finite number ≥ 0'),
    warmupSteps: int('warmupSteps', 0, 0),
    scheduler,
    maxGradNorm: num('maxGradNorm', 1, (v) => v >= 0, 'a finite number ≥ 0 (0: no clipping)'),
    freeze: (o.freeze ?? {}) as FreezeOptions,
    dropout: o.dropout === undefined ? null : num('dropout', 0, (v) => v >= 0 && v < 1, 'in [0, 1)'),
    shuffle: o.shuffle !== false,
    seed: num('seed', 42, (v) => Number.isSafeInteger(v) && v >= 0 && v < 2 ** 32, 'an integer in [0, 2³²)'),
  };
}

export interface CheckedExample {
  text: string;
  textPair?: string;
  target: number | number[];
}

/** Checks labelled examples against the model's labels; `what` names the call in errors ("train()"). */
export function checkExamples(examples: unknown, spec: DataSpec, what: string): CheckedExample[] {
  if (!Array.isArray(examples)) throw new TypeError(`${what}: examples must be an array of { text, textPair?, label }, got ${examples === null ? 'null' : typeof examples}`);
  if (examples.length === 0) throw new RangeError(`${what}: examples is empty`);
  return examples.map((e: unknown, i) => {
    const where = `${what}: examples[${i}]`;
    if (!e || typeof e !== 'object' || Array.isArray(e)) throw new TypeError(`${where} must be an object { text, textPair?, label }`);
    const x = e as Record<string, unknown>;
    for (const k of Object.keys(x)) if (k !== 'text' && k !== 'textPair' && k !== 'label') throw new TypeError(`${where} has an unknown key '${k}' (expected text, textPair, label)`);
    if (typeof x.text !== 'string' || x.text.trim() === '') throw new TypeError(`${where}.text must be a non-empty string, got ${JSON.stringify(x.text)}`);
    if (x.textPair !== undefined && (typeof x.textPair !== 'string' || x.textPair.trim() === '')) throw new TypeError(`${where}.textPair must be a non-empty string when given`);
    const label = x.label;
    let written: string;
    if (typeof label === 'string') written = label.trim();
    else if (typeof label === 'number' && spec.problemType === 'regression') written = String(label);
    else if (Array.isArray(label) && spec.problemType === 'multi_label_classification' && label.every((l) => typeof l === 'string')) written = label.join(',');
    else if (Array.isArray(label) && spec.problemType === 'regression' && label.every((l) => typeof l === 'number')) written = label.join(',');
    else throw new TypeError(`${where}.label must be ${spec.problemType === 'regression' ? 'a number (or one per output)' : `a label name (${spec.problemType === 'multi_label_classification' ? 'or an array of names' : 'one of info.labels'})`}, got ${JSON.stringify(label) ?? String(label)}`);
    let target: number | number[];
    try {
      target = labelTarget(written, spec, `${where}.label`);
    } catch (err) {
      throw new RangeError((err as Error).message);
    }
    return x.textPair === undefined ? { text: x.text, target } : { text: x.text, textPair: x.textPair as string, target };
  });
}
