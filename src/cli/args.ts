// Command-line parsing for the bertgpu CLI. Usage problems are UsageError (exit status 2). The task commands
// (classify, embed, fill-mask, zero-shot, similarity, ner, qa, …) come from the task registry: each is a task module's
// `cli` entry (its flags, input lines, call options and output lines); tokenize, plan, profile and info are the CLI's own.
import { parseArgs } from 'node:util';
import type { CliFlag } from '../tasks/task.ts';
import { taskCommands, type TaskCommand } from './task-commands.ts';
import { parseTrainFlags, TRAIN_FLAGS, TRAIN_USAGE, type TrainCli } from './train.ts';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The CLI's own commands (not tasks), with their usage lines and the flags each takes beyond the common ones. */
const builtins: Record<string, { usage: string; flags: Record<string, CliFlag> }> = {
  tokenize: {
    usage: '--model M [--json] [--file F | TEXT...]\n      token ids, type ids, attention mask and offsets (special tokens added, truncated to the model\'s length)',
    flags: {},
  },
  plan: {
    usage: '--model M --batch B --tokens T [--profile gpu|software] [--dtype f32|f16] [--json]\n' +
      '      one forward\'s dispatches (op, kernel, workgroups, workgroup size, FLOPs) from config.json alone: no weights,\n' +
      '      no GPU; --profile (or --kernel-profile): the kernels chosen for a GPU or a software adapter (default software)',
    flags: { batch: { type: 'string' }, tokens: { type: 'string' }, profile: { type: 'string' }, 'kernel-profile': { type: 'string' } },
  },
  profile: {
    usage: '--model M --batch B --tokens T [--dtype f32|f16] [--kernel-profile gpu|software|auto] [--json]\n' +
      '      one forward on this adapter with every dispatch\'s GPU time (needs the adapter\'s timestamp-query)',
    flags: { batch: { type: 'string' }, tokens: { type: 'string' }, 'kernel-profile': { type: 'string' } },
  },
  info: { usage: '\n      the WebGPU adapter bertgpu runs on', flags: {} },
  train: { usage: TRAIN_USAGE, flags: TRAIN_FLAGS },
};

/** Flags every command takes. */
const common: Record<string, CliFlag & { short?: string }> = {
  model: { type: 'string', short: 'm' },
  json: { type: 'boolean' },
  file: { type: 'string', short: 'f' },
  'batch-size': { type: 'string' },
  dtype: { type: 'string' },
  endpoint: { type: 'string' },
  'no-cache': { type: 'boolean' },
  device: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/** Every task command also takes --kernel-profile (which kernels its pipeline runs). */
const taskFlags = (t: TaskCommand): Record<string, CliFlag> => ({ ...t.cli.flags, 'kernel-profile': { type: 'string' } });

function commandFlags(): Map<string, Record<string, CliFlag>> {
  const m = new Map<string, Record<string, CliFlag>>();
  for (const t of taskCommands()) m.set(t.cli.command, taskFlags(t));
  for (const [name, b] of Object.entries(builtins)) m.set(name, b.flags);
  return m;
}

export function usageText(): string {
  const lines = ['usage: bertgpu <command> [options]', '', 'commands:'];
  for (const t of taskCommands()) lines.push(`  ${t.cli.command} ${t.cli.usage}`);
  for (const [name, b] of Object.entries(builtins)) lines.push(`  ${name} ${b.usage}`.replace(/ \n/, '\n'));
  lines.push('',
    '  M is a local model folder, a URL, or a Hugging Face Hub id (org/name or org/name@revision).',
    '  --file F reads one input per line (F = - reads standard input), streamed: each batch\'s results are written as',
    '  it finishes, and a reader that stops early (| head) ends the run with status 0. A TAB splits a line in two',
    '  (text pair; similarity: the two texts; qa: question and context).',
    '  --json           one JSON object per input line',
    '  --batch-size N   input lines per batch handed to the pipeline (default 16)',
    '  --dtype f32|f16  weight and activation storage (default f32)',
    '  --kernel-profile gpu|software|auto   the kernels a task runs with (default auto: from the adapter)',
    '  --device cpu|gpu|auto   where the model runs: the CPU backend (WebAssembly SIMD), WebGPU, or auto (WebGPU on',
    '                   a hardware adapter, else the CPU); default: WebGPU, the CPU where there is none',
    '  --endpoint URL   Hub endpoint for ids (default https://huggingface.co); --no-cache skips the download cache');
  return lines.join('\n');
}

export type KernelProfile = 'gpu' | 'software' | 'auto';
export type DeviceFlag = 'cpu' | 'gpu' | 'auto';

export interface CliOptions {
  command: string;
  /** The task command's entry, for task commands. */
  task?: TaskCommand;
  /** The task command's call options (from its flags). */
  callOptions: Record<string, unknown>;
  model?: string;
  json: boolean;
  topK?: number;
  file?: string;
  texts: string[];
  batchSize: number;
  dtype: 'f32' | 'f16';
  endpoint?: string;
  cache: boolean;
  /** plan / profile: the forward's shape. */
  batch?: number;
  tokens?: number;
  /** plan: the adapter profile the kernels are chosen for. */
  profile: 'gpu' | 'software';
  /** Task commands and profile: the pipeline's kernelProfile (undefined: auto). */
  kernelProfile?: KernelProfile;
  /** --device: the pipeline's device (undefined: its default). */
  device?: DeviceFlag;
  /** train: the data, output folder, labels and train() options. */
  train?: TrainCli;
}

function positiveInt(flag: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got '${String(v)}'`);
  return n;
}

export function parseCli(argv: readonly string[]): CliOptions | 'help' {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return 'help';
  const flagsOf = commandFlags();
  const own = flagsOf.get(command);
  if (!own) throw new UsageError(`unknown command '${command}' (expected ${[...flagsOf.keys()].join(', ')})`);
  // Every command's flags are known to the parser, so a flag of another command gets "applies to …", not "unknown".
  const all: Record<string, CliFlag & { short?: string }> = { ...common };
  for (const flags of flagsOf.values()) for (const [k, f] of Object.entries(flags)) all[k] ??= f;
  let parsed;
  try {
    parsed = parseArgs({ args: [...rest], allowPositionals: true, strict: true, options: all });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values as Record<string, unknown>;
  if (v.help) return 'help';
  for (const k of Object.keys(v)) {
    if (k in common || k in own) continue;
    const takers = [...flagsOf].filter(([, f]) => k in f).map(([c]) => c);
    throw new UsageError(`--${k} applies to ${takers.join(', ')} only, not ${command}`);
  }
  const dtype = (v.dtype ?? 'f32') as string;
  if (dtype !== 'f32' && dtype !== 'f16') throw new UsageError(`--dtype must be f32 or f16, got '${dtype}'`);
  const o: CliOptions = {
    command,
    callOptions: {},
    model: v.model as string | undefined,
    json: v.json === true,
    topK: v['top-k'] === undefined ? undefined : positiveInt('--top-k', v['top-k'], 1),
    file: v.file as string | undefined,
    texts: parsed.positionals,
    batchSize: positiveInt('--batch-size', v['batch-size'], 16),
    dtype,
    endpoint: v.endpoint as string | undefined,
    cache: v['no-cache'] !== true,
    batch: v.batch === undefined ? undefined : positiveInt('--batch', v.batch, 1),
    tokens: v.tokens === undefined ? undefined : positiveInt('--tokens', v.tokens, 1),
    profile: 'software',
  };
  const kp = v['kernel-profile'] as string | undefined;
  if (kp !== undefined && kp !== 'gpu' && kp !== 'software' && kp !== 'auto') throw new UsageError(`--kernel-profile must be gpu, software or auto, got '${kp}'`);
  o.kernelProfile = kp as KernelProfile | undefined;
  const device = v.device as string | undefined;
  if (device !== undefined && device !== 'cpu' && device !== 'gpu' && device !== 'auto') throw new UsageError(`--device must be cpu, gpu or auto, got '${device}'`);
  o.device = device;
  // plan lists GPU dispatches and profile times them: the CPU backend has neither.
  if (device === 'cpu' && (command === 'plan' || command === 'profile')) {
    throw new UsageError(`${command} ${command === 'plan' ? 'lists' : 'times'} GPU dispatches; with --device cpu there are none (the CPU backend runs one WebAssembly kernel per op)`);
  }
  if (command === 'info') {
    if (o.texts.length) throw new UsageError(`info takes no arguments (got '${o.texts[0]}')`);
    return o;
  }
  if (!o.model) throw new UsageError(`${command} needs --model (a model folder, URL or Hub id)`);
  if (command === 'train') {
    if (device === 'cpu') throw new UsageError('train runs on the GPU; --device cpu cannot train (the CPU backend has no backward kernels)');
    if (o.texts.length || o.file !== undefined) throw new UsageError(`train reads its examples from --data FILE, not from arguments or --file (got '${o.texts[0] ?? o.file}')`);
    o.train = parseTrainFlags(v, (m) => new UsageError(m));
    return o;
  }
  if (command === 'plan' || command === 'profile') {
    if (command === 'plan') o.profile = planProfile(v.profile as string | undefined, kp);
    if (o.texts.length || o.file !== undefined) throw new UsageError(`${command} takes no inputs, only --batch B --tokens T (got '${o.texts[0] ?? o.file}')`);
    if (o.batch === undefined || o.tokens === undefined) throw new UsageError(`${command} needs --batch B and --tokens T`);
    return o;
  }
  if (o.file !== undefined && o.texts.length) throw new UsageError('give inputs either with --file or as arguments, not both');
  if (o.file === undefined && o.texts.length === 0) throw new UsageError(`${command} needs input: TEXT arguments or --file F`);
  const task = taskCommands().find((t) => t.cli.command === command);
  if (task) {
    o.task = task;
    try {
      o.callOptions = task.cli.options(v, { topK: o.topK });
      // The task checks them as a pipeline call would, so a bad value is a usage error before any model loads.
      task.module.options(o.callOptions);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  return o;
}

/**
 * plan's kernel profile: --profile gpu|software, or --kernel-profile (the same; 'auto' is plan's default, software,
 * since plan sees no adapter). Given both, they must agree.
 */
function planProfile(profile: string | undefined, kernelProfile: string | undefined): 'gpu' | 'software' {
  if (profile !== undefined && profile !== 'gpu' && profile !== 'software') throw new UsageError(`--profile must be gpu or software, got '${profile}'`);
  const fromKernel = kernelProfile === undefined || kernelProfile === 'auto' ? undefined : kernelProfile;
  if (profile !== undefined && fromKernel !== undefined && profile !== fromKernel) {
    throw new UsageError(`--profile ${profile} and --kernel-profile ${kernelProfile} disagree; give one`);
  }
  return (profile ?? fromKernel ?? 'software') as 'gpu' | 'software';
}
