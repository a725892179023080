// The CLI's task commands, read from the task registry: every registered task module's `cli` entry (or entries) is a
// `bertgpu <command>`. ner and qa are defined here, by task name, for as long as their modules carry no `cli` entry of
// their own; a module's own entry wins.
import { taskModule, taskNames } from '../tasks/registry.ts';
import type { AnyTaskModule, TaskCli } from '../tasks/task.ts';

export interface TaskCommand {
  module: AnyTaskModule;
  cli: TaskCli;
}

interface Entity { entity?: string; entity_group?: string; score: number; word: string; start: number; end: number }
interface Answer { score: number; start: number; end: number; answer: string }

/** `bertgpu ner`: token-classification's entities per line (--json: { entities }). */
const nerCli: TaskCli<Entity[]> = {
  command: 'ner',
  usage: '--model M [--aggregation-strategy none|simple|first|average|max] [--ignore-labels L1,L2] [--stride S] [--json]\n' +
    '      [--file F | TEXT...]  named entities (token classification; default aggregation simple, O ignored)',
  flags: { 'aggregation-strategy': { type: 'string' }, 'ignore-labels': { type: 'string' }, stride: { type: 'string' } },
  pairs: false,
  options(values) {
    const o: Record<string, unknown> = { aggregation_strategy: values['aggregation-strategy'] ?? 'simple' };
    if (typeof values['ignore-labels'] === 'string') o.ignore_labels = values['ignore-labels'].split(',').map((l) => l.trim()).filter((l) => l);
    if (values.stride !== undefined) {
      const n = Number(values.stride);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--stride must be an integer ≥ 0, got '${String(values.stride)}'`);
      o.stride = n;
    }
    return o;
  },
  format: (entities, _, o) => (o.json ? JSON.stringify({ entities })
    : entities.map((e) => `${e.word} ${e.entity_group ?? e.entity} ${e.score.toFixed(4)}`).join('  ')),
};

/** `bertgpu qa`: "question<TAB>context" → the best answer (--json: { answer, score, start, end[, top] }). */
const qaCli: TaskCli<Answer | Answer[]> = {
  command: 'qa',
  usage: '--model M [--top-k K] [--max-answer-len N] [--json] [--file F | TEXT...]\n' +
    '      extractive question answering on "question<TAB>context" lines (start/end: UTF-16 offsets in the context)',
  flags: { 'top-k': { type: 'string' }, 'max-answer-len': { type: 'string' } },
  args(line) {
    if (line.textPair === undefined) throw new Error('qa needs "question<TAB>context"');
    return [line.text, line.textPair];
  },
  options(values, { topK }) {
    const o: Record<string, unknown> = {};
    if (topK !== undefined) o.top_k = topK;
    if (values['max-answer-len'] !== undefined) {
      const n = Number(values['max-answer-len']);
      if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--max-answer-len must be a positive integer, got '${String(values['max-answer-len'])}'`);
      o.max_answer_len = n;
    }
    return o;
  },
  format(result, _, o) {
    const answers = Array.isArray(result) ? result : [result];
    const best = answers[0];
    if (o.json) return JSON.stringify({ ...best, ...(o.topK !== undefined ? { top: answers } : {}) });
    return answers.map((a) => `${a.answer} ${a.score.toFixed(4)}`).join('  ');
  },
};

/** CLI entries for tasks whose module has none yet, by task name. */
const fallback: Record<string, TaskCli> = {
  'token-classification': nerCli as TaskCli,
  'question-answering': qaCli as TaskCli,
};

/** Every task command, in registry order. */
export function taskCommands(): TaskCommand[] {
  const out: TaskCommand[] = [];
  for (const name of taskNames()) {
    const module = taskModule(name);
    const own = module.cli;
    const entries = own === undefined ? (fallback[name] ? [fallback[name]] : []) : Array.isArray(own) ? own : [own];
    for (const cli of entries as TaskCli[]) out.push({ module, cli });
  }
  return out;
}
