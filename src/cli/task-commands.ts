// The CLI's task commands, read from the task registry: every registered task module's `cli` entry (or entries) is a
// `bertgpu <command>`; a task without one has no command.
import { taskModule, taskNames } from '../tasks/registry.ts';
import type { AnyTaskModule, TaskCli } from '../tasks/task.ts';

export interface TaskCommand {
  module: AnyTaskModule;
  cli: TaskCli;
}

/** Every task command, in registry order. */
export function taskCommands(): TaskCommand[] {
  const out: TaskCommand[] = [];
  for (const name of taskNames()) {
    const module = taskModule(name);
    const own = module.cli;
    const entries = own === undefined ? [] : Array.isArray(own) ? own : [own];
    for (const cli of entries as TaskCli[]) out.push({ module, cli });
  }
  return out;
}
