// npm run bench — what users pay, through the public API on both sides: bertgpu's `pipeline(task, dir, { device:
// 'gpu' })` against transformers.js's `pipeline(task, dir, { device: 'webgpu', dtype: 'fp32' })` on the same weights
// (model.safetensors / its fp32 ONNX export onnx/model.onnx) and the same adapter, called with texts that tokenize to
// exactly T tokens (tokenizing, forward, read-back and post-processing all timed). Then cold start: pipeline() → first
// result in fresh processes with empty shader caches (scripts/bench-cold.ts). `--forward` adds the older forward-only
// rows (scripts/bench-forward-direct.ts). Models: random MiniLM-shaped (384×6) and BERT-base-shaped (768×12) HF
// checkpoints made by scripts/make-fixtures --bench-only into .cache/models (made here when missing; needs
// python3-torch), and the tiny fixture. Sides run alternately, round after round, so machine noise hits both.
//
// usage: npm run bench [-- --models minilm,base,tiny --batches 1,8 --tokens 128 --rounds N --task text-classification
//                        --dtype f32|auto|f16 --tune auto|on|off --cold-runs 3 --no-cold --no-warm --forward
//                        --tjs-cpu --json FILE]
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findLavapipeIcd } from '../src/gpu/node-gpu.ts';
import { pipeline } from '../src/node.ts';
import { benchCold, type ColdResult } from './bench-cold.ts';
import { benchDirect } from './bench-forward-direct.ts';
import { tablePrinter } from './bench-table.ts';
import { benchTexts, fmtMs, median } from './bench-texts.ts';

const root = resolve(import.meta.dirname, '..');
const modelDirs: Record<string, string> = {
  tiny: join(root, 'test/fixtures/tiny-bert'),
  minilm: join(root, '.cache/models/minilm-random'),
  base: join(root, '.cache/models/base-random'),
};
const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'minilm,base' },
    batches: { type: 'string', default: '1,8' },
    tokens: { type: 'string', default: '128' },
    rounds: { type: 'string' },
    task: { type: 'string', default: 'text-classification' },
    dtype: { type: 'string', default: 'f32' },
    tune: { type: 'string', default: 'auto' },
    'cold-runs': { type: 'string', default: '3' },
    'no-cold': { type: 'boolean', default: false },
    'no-warm': { type: 'boolean', default: false },
    forward: { type: 'boolean', default: false },
    'tjs-cpu': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

// transformers.js's WebGPU EP (its own Dawn inside onnxruntime-node) finds the adapter through VK_DRIVER_FILES; point
// both sides at the same software driver when there is no real GPU (bertgpu then takes the adapter that names).
const icd = findLavapipeIcd();
if (!process.env.VK_DRIVER_FILES && icd) process.env.VK_DRIVER_FILES = icd;

type Call = (texts: string[]) => Promise<unknown>;

interface WarmRow {
  model: string;
  B: number;
  T: number;
  rounds: number;
  bertgpu: number[];
  tjsWebgpu: number[];
  tjsCpu: number[];
  /** One profile() of the shape: dispatches, their GPU time, the forward's FLOPs. */
  profile: { dispatches: number; gpuMs: number; flops: number } | { error: string };
}

const rowsOut: WarmRow[] = [];
const coldOut: Record<string, ColdResult> = {};
const infoOut: Record<string, unknown> = {};

function ensureModels(wanted: string[]): void {
  for (const m of wanted) if (!modelDirs[m]) throw new Error(`bench: unknown model '${m}' (tiny, minilm, base)`);
  if (wanted.every((m) => m === 'tiny' || existsSync(join(modelDirs[m], 'onnx/model.onnx')))) return;
  console.log('making the benchmark models (scripts/make-fixtures --bench-only, with Debian python3-torch) …');
  // Set-up installs python3-torch only when asked (the tests never need it): ask now.
  execFileSync('bash', [join(root, 'scripts/setup.sh')], { stdio: 'inherit', env: { ...process.env, BERTGPU_SETUP_TORCH: '1' } });
  execFileSync(join(root, 'scripts/make-fixtures'), ['--bench-only'], { stdio: 'inherit' });
}

async function benchWarm(wanted: string[], batches: number[], T0: number): Promise<void> {
  const tjs = await import('@huggingface/transformers');
  tjs.env.allowRemoteModels = false;
  const header = ['model', 'batch', 'bertgpu', 'tjs webgpu', 'speed-up', ...(args['tjs-cpu'] ? ['tjs cpu'] : []), 'bertgpu GFLOP/s', 'profile GPU ms', 'dispatches', 'N'];
  const table: string[][] = [header];
  const printTable = tablePrinter();
  let printedAdapter = false;
  for (const name of wanted) {
    const dir = modelDirs[name];
    const task = args.task as 'text-classification';
    const ours = await pipeline(task, dir, { device: 'gpu', dtype: args.dtype as 'f32', tune: args.tune as 'auto' });
    if (!printedAdapter) {
      const a = ours.info.adapter;
      console.log(`adapter: ${a.description || a.vendor} (${a.vendor}/${a.architecture}${a.isFallbackAdapter ? ', software' : ''}); f16: ${a.hasF16}`);
      console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (1, 5, 15 min)`);
      console.log(`pipeline latency through the public API (${task}), median of N alternating rounds; batch is texts × tokens\n`);
      printedAdapter = true;
    }
    tjs.env.localModelPath = `${dirname(dir)}/`;
    const theirs = await tjs.pipeline(task, basename(dir), { device: 'webgpu', dtype: 'fp32' });
    const theirsCpu = args['tjs-cpu'] ? await tjs.pipeline(task, basename(dir), { device: 'cpu', dtype: 'fp32' }) : null;
    const T = Math.min(T0, ours.info.maxLength);
    for (const B of batches) {
      const texts = benchTexts(B, T);
      const tjsTokens = (theirs.tokenizer(texts, { padding: true, truncation: true }) as { input_ids: { dims: number[] } }).input_ids.dims;
      if (tjsTokens[1] !== T) throw new Error(`bench: transformers.js tokenized the texts to ${tjsTokens[1]} tokens, not ${T}`);
      const sides: Array<[keyof Pick<WarmRow, 'bertgpu' | 'tjsWebgpu' | 'tjsCpu'>, Call]> = [
        ['bertgpu', (t) => ours(t)],
        ['tjsWebgpu', (t) => (theirs as unknown as Call)(t)],
        ...(theirsCpu ? [['tjsCpu', (t: string[]) => (theirsCpu as unknown as Call)(t)] as [ 'tjsCpu', Call]] : []),
      ];
      const row: WarmRow = { model: name, B, T, rounds: 0, bertgpu: [], tjsWebgpu: [], tjsCpu: [], profile: { error: 'not run' } };
      // profile() first: it checks bertgpu's token count and gives the FLOPs that size the round count.
      try {
        const p = await ours.profile(texts);
        if (p.T !== T) throw new Error(`bench: bertgpu tokenized the texts to ${p.T} tokens, not ${T}`);
        row.profile = { dispatches: p.totals.dispatches, gpuMs: p.totals.gpuMs, flops: p.totals.flops };
      } catch (e) {
        if ((e as Error).message.startsWith('bench:')) throw e;
        row.profile = { error: (e as Error).message };
      }
      const flops = 'flops' in row.profile ? row.profile.flops : 0;
      row.rounds = args.rounds ? Number(args.rounds) : flops > 5e10 ? 3 : flops > 5e9 ? 5 : 15;
      for (const [, f] of sides) await f(texts); // warm-up: plans, pipelines, ORT sessions
      for (let r = 0; r < row.rounds; r++) {
        // Alternate which side goes first, so neither always runs right after the other's GPU work.
        for (const [n, f] of r % 2 ? [...sides].reverse() : sides) {
          const t0 = performance.now();
          await f(texts);
          row[n].push(performance.now() - t0);
        }
      }
      rowsOut.push(row);
      const m = median(row.bertgpu);
      const w = median(row.tjsWebgpu);
      table.push([
        name, `${B}×${T}`, fmtMs(m), fmtMs(w), `${(w / m).toFixed(2)}×`, ...(theirsCpu ? [fmtMs(median(row.tjsCpu))] : []),
        'flops' in row.profile ? (row.profile.flops / m / 1e6).toFixed(2) : 'n/a',
        'gpuMs' in row.profile ? row.profile.gpuMs.toFixed(1) : 'n/a',
        'dispatches' in row.profile ? String(row.profile.dispatches) : 'n/a', String(row.rounds),
      ]);
      printTable(table);
    }
    infoOut[name] = { kernelProfile: ours.info.kernelProfile, dtype: ours.info.dtype, kernels: ours.info.kernels, tuning: ours.info.tuning, adapter: ours.info.adapter, device: ours.info.device };
    await ours.dispose();
    await theirs.dispose();
    await theirsCpu?.dispose();
  }
  for (const [name, info] of Object.entries(infoOut)) {
    const i = info as { kernelProfile: string; tuning: Array<{ op: string; choice: string; source: string }>; kernels: Record<string, string[]> };
    const tuned = i.tuning.length ? i.tuning.map((t) => `${t.op}=${t.choice} (${t.source})`).join(', ') : 'nothing tuned (tune auto: software adapter keeps the table)';
    console.log(`\n${name}: kernel profile ${i.kernelProfile}; tuner: ${tuned}`);
    console.log(`  kernels: ${Object.entries(i.kernels).map(([op, ks]) => `${op}: ${[...new Set(ks)].join('/')}`).join('; ')}`);
  }
}

async function main(): Promise<void> {
  const wanted = args.models!.split(',').map((s) => s.trim()).filter(Boolean);
  const batches = args.batches!.split(',').map(Number);
  const T = Number(args.tokens);
  ensureModels(wanted);
  if (!args['no-warm']) await benchWarm(wanted, batches, T);
  if (!args['no-cold']) {
    const runs = Number(args['cold-runs']);
    console.log(`\ncold start: pipeline() → first result (1 × ${T}), fresh process, empty shader caches; median of ${runs} alternating runs`);
    console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const table: string[][] = [['model', 'bertgpu cold', 'tjs webgpu cold', 'ratio', 'target ≤ 0.5', 'N']];
    const printTable = tablePrinter();
    for (const name of wanted) {
      const c = await benchCold(modelDirs[name], args.task!, T, args.dtype!, runs, (s) => console.log(s));
      coldOut[name] = c;
      table.push([name, fmtMs(c.bertgpuMs), fmtMs(c.tjsMs), `${c.ratio.toFixed(2)}×`, c.ratio <= 0.5 ? 'met' : 'not met', String(runs)]);
      printTable(table);
    }
  }
  if (args.forward) await benchDirect({ models: wanted, batches, tokens: T, rounds: args.rounds ? Number(args.rounds) : undefined, webgpu: true, f16: false });
  if (args.json) {
    writeFileSync(args.json, `${JSON.stringify({ tool: 'bertgpu-bench-node', date: new Date().toISOString(), cpus: cpus().length, loadavgAtEnd: loadavg(), settings: args, warm: rowsOut, info: infoOut, cold: coldOut }, null, 1)}\n`);
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
