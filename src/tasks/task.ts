// What a task is, for the runtime: one module per task (src/tasks/*.ts) implements TaskModule and is listed once in
// src/tasks/registry.ts. The runtime, the micro-batcher, the Worker protocol and the CLI only ever talk to this
// interface, so none of them knows a task by name.
import type { BertConfig, BertHead } from '../model/config.ts';
import type { LoadedBert } from '../model/load.ts';
import type { BertTokenizer } from '../tokenizer/tokenizer.ts';
import type { Encoding } from '../tokenizer/types.ts';

/** What a task's pre- and post-processing may read of the loaded model. */
export interface TaskContext {
  tokenizer: BertTokenizer;
  /** Longest input in tokens, [CLS]/[SEP] included. */
  maxLength: number;
  config: BertConfig;
}

/**
 * How one forward output is cut into per-row pieces by the micro-batcher:
 * - 'sequence': `width` values per row (logits (B, L), nspLogits (B, 2), poolerOutput (B, C));
 * - 'token': `width` values per token, the row's own tokens only (lastHiddenState (B, T, C) → (n, C));
 * - 'selected': `width` values per requested token (a row's `predict` positions: mlmLogits (k, V)).
 */
export interface OutputSpec {
  name: string;
  layout: 'sequence' | 'token' | 'selected';
  width: number;
}

/** One padded batch as the batcher builds it (rows stacked, padded on the right to the longest). */
export interface ForwardBatch {
  B: number;
  T: number;
  inputIds: Int32Array;
  tokenTypeIds: Int32Array;
  attentionMask: Int32Array;
  /** Token rows (b·T + t, ascending) whose 'selected' outputs are wanted, when calls asked for any. */
  mlmRows?: number[];
}

/** A forward's outputs by name, batch-shaped ((B, …), or (selected rows, …)). */
export type ForwardOutputs = Partial<Record<string, Float32Array>>;

/** One row's outputs by name, cut from the batch (see OutputSpec). */
export type RowOutput = Partial<Record<string, Float32Array>>;

/** Token rows to run, and (for 'selected' outputs) the positions each row wants. */
export interface PreparedRows {
  rows: Encoding[];
  /** Per row, ascending token positions whose 'selected' outputs it wants (fill-mask's [MASK]s). */
  predict?: number[][];
}

/** Every task option may carry a signal; the runtime hands it to the batcher. */
export interface WithSignal {
  signal?: AbortSignal;
}

/** One input line of the CLI: the text, and what followed a TAB (when the line had one). */
export interface CliLine {
  text: string;
  textPair?: string;
}

/** A flag a CLI command adds (parsed by node:util parseArgs as a string or a boolean). */
export interface CliFlag {
  type: 'string' | 'boolean';
}

/**
 * The CLI's view of a task: one `bertgpu <command>` that feeds each input line to the task's pipeline as one call
 * (the micro-batcher batches them) and prints each result as one line. A module may have several (feature-extraction:
 * embed and similarity).
 */
export interface TaskCli<Item = unknown, Detail = unknown> {
  /** The command name (`bertgpu <command>`). */
  command: string;
  /** The usage lines (after the command name) for `bertgpu --help`. */
  usage: string;
  /** Flags this command adds to the common ones; `top-k` is parsed as a positive integer into `common.topK`. */
  flags?: Record<string, CliFlag>;
  /** Whether a TAB in an input line makes a pair (text, textPair) this command accepts (default true). */
  pairs?: boolean;
  /**
   * The call's arguments before its options for one line (default: `[text]`, or `[{ text, text_pair }]` for a TAB
   * pair; question-answering: `[question, context]`). Throw to refuse the line; the CLI names it ("input 3: …").
   */
  args?(line: CliLine): unknown[];
  /**
   * The call options (as pipeline callers write them) from the flags (`values` as parseArgs returns them). Checked
   * here, before any model loads: a throw is a usage error.
   */
  options(values: Record<string, unknown>, common: { topK?: number }): Record<string, unknown>;
  /** One input's line: its call's result, and its details (TaskModule.details of that call: one entry per input). */
  format(item: Item, details: Detail[], o: { json: boolean; topK?: number }): string;
}

export interface TaskModule<Name extends string = string, Options extends WithSignal = WithSignal,
  Prepared extends PreparedRows = PreparedRows, Result = unknown> {
  /** The canonical task name (`pipeline(name, …)`, PipelineInfo.task). */
  readonly name: Name;
  /** Other names `pipeline()` accepts for it (transformers.js's aliases: 'sentiment-analysis', 'embeddings', …). */
  readonly aliases?: readonly string[];
  /** Load the checkpoint as a base model whatever its `architectures` (head weights unread): embeddings. */
  readonly loadAsBase?: boolean;
  /** Refuses, from config.json alone (before any download), a model whose head cannot serve the task. */
  checkModel?(m: { label: string; config: BertConfig; head: BertHead }): void;
  /** The forward outputs each row needs, and how the batcher cuts them (see OutputSpec). */
  outputs(config: BertConfig): OutputSpec[];
  /**
   * Runs one padded batch. Default: `model.forward(batch, outputs' names)`. A task whose head is not part of
   * BertModel computes it here (from lastHiddenState, say) and returns its own named outputs.
   */
  forward?(loaded: LoadedBert, batch: ForwardBatch, outputs: readonly OutputSpec[]): Promise<ForwardOutputs>;
  /** Checks a call's options (unknown keys are a TypeError) and maps transformers.js's names to the task's own. */
  options(options: unknown): Options;
  /** Checks and tokenizes a call's inputs into rows; everything that can be refused is refused here, before the GPU. */
  prepare(ctx: TaskContext, inputs: unknown, options: Options): Prepared;
  /** The call's result from its rows' outputs (same order as prepared.rows). */
  finish(ctx: TaskContext, prepared: Prepared, rows: RowOutput[], options: Options): Result;
  /** Per input, what the CLI prints besides the result (raw logits, whether it was truncated). Internal. */
  details?(ctx: TaskContext, prepared: Prepared, rows: RowOutput[], options: Options): unknown[];
  /**
   * The option a second positional argument fills, as transformers.js's call shape `pipe(inputs, labels, options)`
   * (zero-shot: 'candidate_labels'); then a third argument holds the options.
   */
  readonly positional?: string;
  /**
   * The class a Worker's structured clone strips from this task's results, which the page side rebuilds (a Tensor).
   * Data, not code: the page learns it from the Worker and never loads task modules.
   */
  readonly revivesAs?: 'Tensor';
  /** `bertgpu <command>` (or several): absent for tasks without a CLI command. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly cli?: TaskCli<any, any> | readonly TaskCli<any, any>[];
}

/** Any task module (the registry's element type). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTaskModule = TaskModule<string, any, any, any>;
