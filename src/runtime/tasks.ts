// Task names, kept apart from the runtime so the page-side entry can check them without loading the runtime.
/** The tasks `pipeline()` runs; fill-mask and next-sentence-prediction need the matching pre-training head. */
export type Task = 'text-classification' | 'feature-extraction' | 'fill-mask' | 'next-sentence-prediction';
export const TASKS: readonly Task[] = ['text-classification', 'feature-extraction', 'fill-mask', 'next-sentence-prediction'];

export function checkTask(task: unknown): Task {
  if (!TASKS.includes(task as Task)) throw new TypeError(`unknown task ${JSON.stringify(task)}; supported: ${TASKS.join(', ')}`);
  return task as Task;
}
