// Task names for the entries (pipeline.ts, node.ts): the registry decides, this only checks and resolves aliases.
import { taskModule, type Task, type TaskName } from '../tasks/registry.ts';

export type { Task, TaskName };

/** The canonical name of a task or alias; a TypeError listing the supported names otherwise. */
export function checkTask(task: unknown): Task {
  return taskModule(task).name as Task;
}
