// `bertgpu train`'s flags → train() options (no GPU, no model): each flag's value, combinations of --freeze, and every
// bad value a usage error naming the flag.
import { describe, expect, it } from 'vitest';
import { parseCli, UsageError, type CliOptions } from '../../src/cli/args.ts';

const base = ['train', '--model', 'm', '--data', 'd.tsv', '--out', 'o'];
const parse = (...more: string[]) => parseCli([...base, ...more]) as CliOptions;

describe('bertgpu train flags', () => {
  it('maps every flag to its train() option; defaults are left to train()', () => {
    expect(parse().train).toEqual({ data: 'd.tsv', out: 'o', labels: undefined, options: {} });
    const o = parse('--epochs', '4', '--batch-size', '4', '--lr', '3e-4', '--weight-decay', '0.01', '--max-grad-norm', '1', '--scheduler', 'constant',
      '--warmup-steps', '2', '--dropout', '0', '--no-shuffle', '--seed', '7', '--freeze', 'embeddings,layers:1', '--labels', 'neg, pos', '--json');
    expect(o.json).toBe(true);
    expect(o.train).toEqual({
      data: 'd.tsv', out: 'o', labels: ['neg', 'pos'],
      options: { epochs: 4, batchSize: 4, lr: 3e-4, weightDecay: 0.01, maxGradNorm: 1, scheduler: 'constant', warmupSteps: 2, dropout: 0, shuffle: false, seed: 7, freeze: { embeddings: true, layers: 1 } },
    });
    expect(parse('--freeze', 'head').train!.options.freeze).toEqual({ headOnly: true });
  });

  it('bad values are usage errors naming the flag', () => {
    const bad: Array<[string[], RegExp]> = [
      [['train', '--model', 'm', '--out', 'o'], /train needs --data FILE/],
      [['train', '--model', 'm', '--data', 'd'], /train needs --out DIR/],
      [[...base, '--epochs', '0'], /--epochs must be an integer ≥ 1, got '0'/],
      [[...base, '--lr', 'fast'], /--lr must be a number ≥ 0, got 'fast'/],
      [[...base, '--dropout', '1'], /--dropout must be in \[0, 1\), got '1'/],
      [[...base, '--scheduler', 'cosine'], /--scheduler must be constant or linear, got 'cosine'/],
      [[...base, '--freeze', 'layers'], /--freeze must be embeddings, layers:K or head .*got 'layers'/],
      [[...base, '--labels', 'a,a'], /--labels: label "a" is listed twice/],
      [[...base, '--device', 'cpu'], /train runs on the GPU; --device cpu cannot train/],
      [[...base, 'some text'], /train reads its examples from --data FILE/],
      [['classify', '--model', 'm', '--epochs', '2', 'x'], /--epochs applies to train only, not classify/],
    ];
    for (const [argv, message] of bad) expect(() => parseCli(argv), argv.join(' ')).toThrow(message);
    expect(() => parseCli([...base, '--lr', 'x'])).toThrow(UsageError);
  });
});
