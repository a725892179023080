// Command-line parsing for the bertgpu CLI. Usage problems are UsageError (exit status 2).
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const usage = `usage: bertgpu <command> [options]

commands:
  classify --model M [--json] [--top-k K] [--file F | TEXT...]
      text classification; a TAB in an input line separates text and text pair
  tokenize --model M [--json] [--file F | TEXT...]
      token ids, type ids, attention mask and offsets (special tokens added, truncated to the model's length)
  embed --model M [--json] [--pooling mean|cls] [--normalize] [--file F | TEXT...]
      sentence embeddings (mean pooling excludes padding)
  fill-mask --model M [--json] [--top-k K] [--file F | TEXT...]
      the likeliest tokens for each [MASK] (default 5; needs a BertForMaskedLM or BertForPreTraining model)
  plan --model M --batch B --tokens T [--profile gpu|software] [--dtype f32|f16] [--json]
      one forward's dispatches (op, kernel, workgroups, workgroup size, FLOPs) from config.json alone: no weights,
      no GPU; --profile: the adapter the kernels are chosen for (default software)
  profile --model M --batch B --tokens T [--dtype f32|f16] [--json]
      one forward on this adapter with every dispatch's GPU time (needs the adapter's timestamp-query)
  info
      the WebGPU adapter bertgpu runs on

  M is a local model folder, a URL, or a Hugging Face Hub id (org/name or org/name@revision).
  --file F reads one input per line (F = - reads standard input), streamed: each batch's results are written as
  it finishes, and a reader that stops early (| head) ends the run with status 0.
  --batch-size N   inputs per forward pass (default 16)
  --dtype f32|f16  weight and activation storage (default f32)
  --endpoint URL   Hub endpoint for ids (default https://huggingface.co); --no-cache skips the download cache`;

export type Command = 'classify' | 'tokenize' | 'embed' | 'fill-mask' | 'plan' | 'profile' | 'info';
const commands: readonly Command[] = ['classify', 'tokenize', 'embed', 'fill-mask', 'plan', 'profile', 'info'];
/** Commands that take a shape (--batch, --tokens) instead of inputs. */
const shapeCommands: readonly Command[] = ['plan', 'profile'];

export interface CliOptions {
  command: Command;
  model?: string;
  json: boolean;
  topK?: number;
  file?: string;
  texts: string[];
  pooling: 'mean' | 'cls';
  normalize: boolean;
  batchSize: number;
  dtype: 'f32' | 'f16';
  endpoint?: string;
  cache: boolean;
  /** plan / profile: the forward's shape. */
  batch?: number;
  tokens?: number;
  /** plan: the adapter profile the kernels are chosen for. */
  profile: 'gpu' | 'software';
}

function positiveInt(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got '${v}'`);
  return n;
}

export function parseCli(argv: readonly string[]): CliOptions | 'help' {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return 'help';
  if (!commands.includes(command as Command)) throw new UsageError(`unknown command '${command}' (expected ${commands.join(', ')})`);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: true,
      strict: true,
      options: {
        model: { type: 'string', short: 'm' },
        json: { type: 'boolean', default: false },
        'top-k': { type: 'string' },
        file: { type: 'string', short: 'f' },
        pooling: { type: 'string', default: 'mean' },
        normalize: { type: 'boolean', default: false },
        'batch-size': { type: 'string' },
        dtype: { type: 'string', default: 'f32' },
        endpoint: { type: 'string' },
        'no-cache': { type: 'boolean', default: false },
        batch: { type: 'string' },
        tokens: { type: 'string' },
        profile: { type: 'string', default: 'software' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const o: CliOptions = {
    command: command as Command,
    model: v.model,
    json: v.json ?? false,
    topK: v['top-k'] === undefined ? undefined : positiveInt('--top-k', v['top-k'], 1),
    file: v.file,
    texts: parsed.positionals,
    pooling: v.pooling as 'mean' | 'cls',
    normalize: v.normalize ?? false,
    batchSize: positiveInt('--batch-size', v['batch-size'], 16),
    dtype: v.dtype as 'f32' | 'f16',
    endpoint: v.endpoint,
    cache: !v['no-cache'],
    batch: v.batch === undefined ? undefined : positiveInt('--batch', v.batch, 1),
    tokens: v.tokens === undefined ? undefined : positiveInt('--tokens', v.tokens, 1),
    profile: v.profile as 'gpu' | 'software',
  };
  if (o.pooling !== 'mean' && o.pooling !== 'cls') throw new UsageError(`--pooling must be mean or cls, got '${o.pooling}'`);
  if (o.dtype !== 'f32' && o.dtype !== 'f16') throw new UsageError(`--dtype must be f32 or f16, got '${o.dtype}'`);
  if (o.command === 'info') {
    if (o.texts.length) throw new UsageError(`info takes no arguments (got '${o.texts[0]}')`);
    return o;
  }
  if (!o.model) throw new UsageError(`${o.command} needs --model (a model folder, URL or Hub id)`);
  if (o.profile !== 'gpu' && o.profile !== 'software') throw new UsageError(`--profile must be gpu or software, got '${o.profile}'`);
  if (v.profile !== 'software' && o.command !== 'plan') throw new UsageError('--profile applies to plan only (profile measures this adapter)');
  if ((o.batch !== undefined || o.tokens !== undefined) && !shapeCommands.includes(o.command)) throw new UsageError('--batch and --tokens apply to plan and profile only');
  if (shapeCommands.includes(o.command)) {
    if (o.texts.length || o.file !== undefined) throw new UsageError(`${o.command} takes no inputs, only --batch B --tokens T (got '${o.texts[0] ?? o.file}')`);
    if (o.batch === undefined || o.tokens === undefined) throw new UsageError(`${o.command} needs --batch B and --tokens T`);
    return o;
  }
  if (o.file !== undefined && o.texts.length) throw new UsageError('give inputs either with --file or as arguments, not both');
  if (o.file === undefined && o.texts.length === 0) throw new UsageError(`${o.command} needs input: TEXT arguments or --file F`);
  if (o.command !== 'classify' && o.command !== 'fill-mask' && o.topK !== undefined) throw new UsageError('--top-k applies to classify and fill-mask only');
  return o;
}
