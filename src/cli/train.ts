// `bertgpu train`: fine-tunes a text-classification model on a TSV/CSV file through the public API (pipeline(),
// clf.train(), clf.save()) and saves the folder, which `bertgpu classify --model OUT` then runs. With --json, stdout
// carries one JSON object per optimizer step {"step","epoch","loss","lr","gradNorm"} and nothing else; without, a
// progress bar with the loss goes to stderr.
import { readFile, readdir } from 'node:fs/promises';
import { openModel } from '../hub/model.ts';
import { problemTypeOf } from '../model/heads.ts';
import { pipeline } from '../node.ts';
import type { TrainOptions, TrainStep } from '../tasks/train-api.ts';
import { stepsPerRun } from '../train/batches.ts';
import { parseTrainingData } from '../train/data.ts';
import { checkLabelList } from '../train/head-init.ts';
import { isBertgpuSave } from '../train/save-node.ts';
import type { FreezeOptions } from '../train/trainer-options.ts';
import type { CliFlag } from '../tasks/task.ts';
import type { CliOptions } from './args.ts';
import { provider, type Out } from './commands.ts';

export const TRAIN_USAGE = '--model M --data FILE --out DIR [--epochs N] [--batch-size B] [--lr X] [--weight-decay X]\n' +
  '      [--max-grad-norm X] [--scheduler constant|linear] [--warmup-steps N] [--dropout X] [--no-shuffle] [--seed N]\n' +
  '      [--freeze embeddings|layers:K|head] [--labels a,b,c] [--json]\n' +
  '      fine-tunes a text classifier on the GPU: FILE has lines text[<TAB>text_pair]<TAB>label (or CSV with a header\n' +
  '      text,label[,text_pair]); the model folder is saved to DIR (--labels: a fresh head for these labels)';

export const TRAIN_FLAGS: Record<string, CliFlag> = {
  data: { type: 'string' }, out: { type: 'string' }, epochs: { type: 'string' }, lr: { type: 'string' }, 'weight-decay': { type: 'string' },
  'max-grad-norm': { type: 'string' }, scheduler: { type: 'string' }, 'warmup-steps': { type: 'string' }, dropout: { type: 'string' },
  'no-shuffle': { type: 'boolean' }, seed: { type: 'string' }, freeze: { type: 'string' }, labels: { type: 'string' },
};

export interface TrainCli {
  data: string;
  out: string;
  labels?: string[];
  options: Omit<TrainOptions, 'signal' | 'onStep'>;
}

/** The flags as train() options; `usage` makes the error a usage error. */
export function parseTrainFlags(v: Record<string, unknown>, usage: (m: string) => Error): TrainCli {
  const str = (k: string) => v[k] as string | undefined;
  const number = (k: string, ok: (x: number) => boolean, want: string): number | undefined => {
    const s = str(k);
    if (s === undefined) return undefined;
    const x = Number(s);
    if (s.trim() === '' || !Number.isFinite(x) || !ok(x)) throw usage(`--${k} must be ${want}, got '${s}'`);
    return x;
  };
  const int = (k: string, min: number) => number(k, (x) => Number.isSafeInteger(x) && x >= min, `an integer ≥ ${min}`);
  if (!str('data')) throw usage('train needs --data FILE (lines text[<TAB>text_pair]<TAB>label)');
  if (!str('out')) throw usage('train needs --out DIR (where the trained model folder is saved)');
  const scheduler = str('scheduler');
  if (scheduler !== undefined && scheduler !== 'constant' && scheduler !== 'linear') throw usage(`--scheduler must be constant or linear, got '${scheduler}'`);
  const options: TrainCli['options'] = {};
  const set = <K extends keyof TrainCli['options']>(k: K, x: TrainCli['options'][K] | undefined) => { if (x !== undefined) options[k] = x; };
  set('epochs', int('epochs', 1));
  set('batchSize', int('batch-size', 1));
  set('lr', number('lr', (x) => x >= 0, 'a number ≥ 0'));
  set('weightDecay', number('weight-decay', (x) => x >= 0, 'a number ≥ 0'));
  set('maxGradNorm', number('max-grad-norm', (x) => x >= 0, 'a number ≥ 0 (0: no clipping)'));
  set('scheduler', scheduler as 'constant' | 'linear' | undefined);
  set('warmupSteps', int('warmup-steps', 0));
  set('dropout', number('dropout', (x) => x >= 0 && x < 1, 'in [0, 1)'));
  set('seed', number('seed', (x) => Number.isSafeInteger(x) && x >= 0 && x < 2 ** 32, 'an integer in [0, 2³²)'));
  if (v['no-shuffle'] === true) options.shuffle = false;
  const freeze = str('freeze');
  if (freeze !== undefined) options.freeze = parseFreeze(freeze, usage);
  let labels: string[] | undefined;
  const l = str('labels');
  if (l !== undefined) {
    try {
      labels = checkLabelList(l.split(',').map((x) => x.trim()));
    } catch (e) {
      throw usage(`--labels: ${(e as Error).message}`);
    }
  }
  return { data: str('data')!, out: str('out')!, labels, options };
}

/** --freeze embeddings | layers:K | head, comma-separated to combine (embeddings,layers:2). */
function parseFreeze(s: string, usage: (m: string) => Error): FreezeOptions {
  const f: FreezeOptions = {};
  for (const part of s.split(',').map((p) => p.trim())) {
    const m = /^layers:(\d+)$/.exec(part);
    if (part === 'embeddings') f.embeddings = true;
    else if (part === 'head') f.headOnly = true;
    else if (m) f.layers = Number(m[1]);
    else throw usage(`--freeze must be embeddings, layers:K or head (comma-separated to combine), got '${part}'`);
  }
  return f;
}

function bar(step: TrainStep, total: number): string {
  const width = 30;
  const done = Math.round((width * step.step) / total);
  return `\rstep ${step.step}/${total} [${'#'.repeat(done)}${'.'.repeat(width - done)}] epoch ${step.epoch} loss ${step.loss.toFixed(4)}`;
}

export async function runTrain(o: CliOptions, t: TrainCli, out: Out): Promise<void> {
  // Refused before any GPU work: an --out that would scatter files over someone's directory.
  const entries = await readdir(t.out).catch(() => []);
  if (entries.length > 0 && !(await isBertgpuSave(t.out))) {
    throw new Error(`--out ${t.out} is not empty and is not a previous bertgpu save; choose an empty or new directory`);
  }
  const { config } = await openModel(provider(o));
  const id2label = t.labels ?? config.id2label;
  const problemType = t.labels ? (t.labels.length === 1 ? 'regression' : 'single_label_classification') : problemTypeOf(config);
  const content = await readFile(t.data, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`cannot read --data ${t.data}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  });
  const examples = parseTrainingData(content, { id2label, problemType }, { file: t.data })
    .map((e) => (e.textPair === undefined ? { text: e.text, label: e.label } : { text: e.text, textPair: e.textPair, label: e.label }));
  const clf = await pipeline('text-classification', o.model!, {
    dtype: o.dtype, endpoint: o.endpoint, cache: o.cache, ...(o.kernelProfile ? { kernelProfile: o.kernelProfile } : {}),
    ...(o.device ? { device: o.device } : {}), ...(t.labels ? { labels: t.labels } : {}),
  });
  try {
    const total = stepsPerRun(examples.length, t.options.batchSize ?? 8, t.options.epochs ?? 3);
    // Step lines are written in order as the steps end; stdout's back-pressure is awaited at the end.
    let written = Promise.resolve();
    await clf.train(examples, {
      ...t.options,
      onStep: (s) => {
        if (o.json) written = written.then(() => out([JSON.stringify({ step: s.step, epoch: s.epoch, loss: s.loss, lr: s.lr, gradNorm: s.gradNorm })]));
        else process.stderr.write(bar(s, total));
      },
    });
    await written;
    if (!o.json) process.stderr.write('\n');
    await clf.save({ dir: t.out });
    if (!o.json) process.stderr.write(`saved to ${t.out}\n`);
  } finally {
    await clf.dispose();
  }
}
