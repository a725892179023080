// npm run bench:fill-mask — fill-mask latency on a BERT-base-shaped BertForPreTraining (random weights, made by
// scripts/make-fixtures --only base-mlm-random into .cache/models when missing; needs python3-torch): ours vs
// transformers.js (ONNX Runtime, CPU and WebGPU) on the same weights, one [MASK] per sequence, in one process run.
// Ours runs the masked-LM head on the [MASK] rows only (a gather before the 30522-wide decoder); "ours, every row"
// runs it on all B·T rows as transformers.js's ONNX graph does, to show what that choice is worth. Sides alternate
// round after round; medians.
//
// usage: npm run bench:fill-mask [-- --batches 1,4 --tokens 128 --rounds N --no-webgpu]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { requestDevice } from '../src/gpu/device.ts';
import { findLavapipeIcd, requestNodeGpu } from '../src/gpu/node-gpu.ts';
import { dirProvider } from '../src/hub/node-files.ts';
import { loadBert } from '../src/model/load.ts';
import { tablePrinter } from './bench-table.ts';

const root = resolve(import.meta.dirname, '..');
const dir = join(root, '.cache/models/base-mlm-random');
const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '1,4' },
    tokens: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '3' },
    'no-webgpu': { type: 'boolean', default: false },
  },
});

// transformers.js's WebGPU EP finds the adapter through VK_DRIVER_FILES: the same software driver as ours.
const icd = findLavapipeIcd();
if (!process.env.VK_DRIVER_FILES && icd) process.env.VK_DRIVER_FILES = icd;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms: number) => (Number.isNaN(ms) ? 'n/a' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

async function main(): Promise<void> {
  if (!existsSync(join(dir, 'onnx/model.onnx'))) {
    console.log('making the benchmark model (scripts/make-fixtures --only base-mlm-random, with Debian python3-torch) …');
    execFileSync('bash', [join(root, 'scripts/setup.sh')], { stdio: 'inherit', env: { ...process.env, BERTGPU_SETUP_TORCH: '1' } });
    execFileSync(join(root, 'scripts/make-fixtures'), ['--only', 'base-mlm-random'], { stdio: 'inherit' });
  }
  const { gpu, adapter, driver } = await requestNodeGpu();
  const ctx = await requestDevice(adapter, { label: 'bench-fill-mask', instance: gpu });
  const ours = await loadBert(ctx, dirProvider(dir), { dtype: 'f32' });
  const tjs = await import('@huggingface/transformers');
  tjs.env.allowRemoteModels = false;
  tjs.env.localModelPath = `${resolve(dir, '..')}/`;
  const folder = dir.split('/').pop()!;
  const cpu = await tjs.AutoModelForMaskedLM.from_pretrained(folder, { dtype: 'fp32', device: 'cpu' });
  let webgpu: typeof cpu | null = null;
  if (!args['no-webgpu']) {
    try {
      webgpu = await tjs.AutoModelForMaskedLM.from_pretrained(folder, { dtype: 'fp32', device: 'webgpu' });
    } catch (e) {
      console.log(`transformers.js webgpu unavailable: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const { config } = ours.model;
  const maskId = ours.tokenizer.maskTokenId!;
  console.log(`bench:fill-mask — BERT-base-shaped BertForPreTraining (768 × 12, vocab ${config.vocabSize}), one [MASK] per sequence; ` +
    `adapter: ${ctx.facts.description} (${driver}); medians of ${args.rounds} alternating rounds`);
  const header = ['batch × tokens', 'ours ([MASK] rows)', 'ours (every row)', 'tjs webgpu', 'ours vs tjs webgpu', 'tjs cpu'];
  const rows: string[][] = [header];
  const T = Math.min(Number(args.tokens), config.maxPositionEmbeddings);
  for (const B of args.batches!.split(',').map(Number)) {
    const V = config.vocabSize;
    // [CLS] words… with the [MASK] a third of the way in, [SEP] last.
    const maskAt = Math.floor(T / 3);
    const ids = Int32Array.from({ length: B * T }, (_, i) => {
      const t = i % T;
      if (t === 0) return 101;
      if (t === T - 1) return 102;
      return t === maskAt ? maskId : 1000 + ((i * 7919) % (V - 1000));
    });
    const batch = { B, T, inputIds: ids, tokenTypeIds: new Int32Array(B * T), attentionMask: new Int32Array(B * T).fill(1) };
    const mlmRows = Array.from({ length: B }, (_, b) => b * T + maskAt);
    const t64 = (a: Int32Array) => new tjs.Tensor('int64', BigInt64Array.from(a, BigInt), [B, T]);
    const feeds = { input_ids: t64(ids), attention_mask: t64(batch.attentionMask), token_type_ids: t64(batch.tokenTypeIds) };
    const sides: Array<[string, () => Promise<unknown>]> = [
      ['ours rows', () => ours.model.forward({ ...batch, mlmRows }, ['mlmLogits'])],
      ['ours all', () => ours.model.forward(batch, ['mlmLogits'])],
      ...(webgpu ? [['tjs webgpu', () => webgpu!(feeds)] as [string, () => Promise<unknown>]] : []),
      ['tjs cpu', () => cpu(feeds)],
    ];
    const times = new Map<string, number[]>(sides.map(([n]) => [n, []]));
    for (const [, f] of sides) await f(); // warm-up: plans, pipelines, ORT sessions
    for (let r = 0; r < Number(args.rounds); r++) {
      for (const [n, f] of sides) {
        const t0 = performance.now();
        await f();
        times.get(n)!.push(performance.now() - t0);
      }
    }
    const med = (n: string) => (times.has(n) ? median(times.get(n)!) : NaN);
    rows.push([`${B} × ${T}`, fmt(med('ours rows')), fmt(med('ours all')), fmt(med('tjs webgpu')),
      webgpu ? `${(med('tjs webgpu') / med('ours rows')).toFixed(2)}× faster` : 'n/a', fmt(med('tjs cpu'))]);
    printTable(rows);
  }
  await ours.model.dispose();
  await cpu.dispose();
  await webgpu?.dispose();
}

const printTable = tablePrinter();

await main();
