// THE TASK REGISTRY: every task pipeline() runs, and nothing else names tasks.
//
// How to add a task:
//   1. Write src/tasks/<task>.ts exporting a `TaskModule` (src/tasks/task.ts): its name and aliases, the head it needs
//      (checkModel, from config.json alone), the forward outputs each row needs (outputs, and forward if its head is
//      computed outside BertModel), option checking (options: transformers.js's names, unknown keys a TypeError —
//      see readOptions in src/tasks/options.ts), input checking and tokenization (prepare), the result (finish),
//      and optionally the CLI command (cli: flags and how a result prints).
//   2. Add it to TASK_MODULES below. That is all: runtime, micro-batcher, Worker, profile() and the CLI are generic,
//      and the `Task` type follows this list. (pipeline()'s typed overloads in src/pipeline.ts / src/node.ts are
//      optional sugar; an unlisted task still gets the generic signature.)
import { featureExtractionTask } from './feature-extraction.ts';
import { fillMaskTask } from './fill-mask.ts';
import { nextSentenceTask } from './next-sentence.ts';
import { questionAnsweringTask } from './question-answering.ts';
import type { AnyTaskModule } from './task.ts';
import { textClassificationTask } from './text-classification.ts';
import { tokenClassificationTask } from './token-classification.ts';
import { zeroShotTask } from './zero-shot.ts';

export const TASK_MODULES = [
  textClassificationTask,
  featureExtractionTask,
  fillMaskTask,
  nextSentenceTask,
  zeroShotTask,
  tokenClassificationTask,
  questionAnsweringTask,
] as const satisfies readonly AnyTaskModule[];

/** The tasks `pipeline()` runs (canonical names). */
export type Task = (typeof TASK_MODULES)[number]['name'];

/** A task name as `pipeline()` takes it: canonical, or one of transformers.js's aliases ('sentiment-analysis', …). */
export type TaskName = Task | 'sentiment-analysis' | 'embeddings' | 'ner' | (string & {});

/** Tasks added at run time (tests; extensions); looked up after the built-in ones. */
const extra: AnyTaskModule[] = [];

function all(): readonly AnyTaskModule[] {
  return [...TASK_MODULES, ...extra];
}

/** Canonical names of every registered task. */
export function taskNames(): string[] {
  return all().map((t) => t.name);
}

/** The module for a task name or alias; a TypeError listing the supported names otherwise. */
export function taskModule(task: unknown): AnyTaskModule {
  const found = typeof task === 'string' ? all().find((t) => t.name === task || t.aliases?.includes(task)) : undefined;
  if (!found) {
    const names = all().flatMap((t) => [t.name, ...(t.aliases ?? [])]);
    throw new TypeError(`unknown task ${JSON.stringify(task)}; supported: ${names.join(', ')}`);
  }
  return found;
}

/**
 * Adds a task at run time, for tests and for code that extends bertgpu in-thread (a Worker pipeline only knows the
 * tasks in TASK_MODULES). A name or alias already taken is an error.
 */
export function registerTask(module: AnyTaskModule): void {
  const taken = new Set(all().flatMap((t) => [t.name, ...(t.aliases ?? [])]));
  for (const n of [module.name, ...(module.aliases ?? [])]) if (taken.has(n)) throw new Error(`task name ${JSON.stringify(n)} is already registered`);
  extra.push(module);
}

/** Removes a task added with registerTask (tests clean up with it). */
export function unregisterTask(name: string): void {
  const i = extra.findIndex((t) => t.name === name);
  if (i >= 0) extra.splice(i, 1);
}

/** Tasks with a CLI command. */
export function cliTasks(): AnyTaskModule[] {
  return all().filter((t) => t.cli);
}
