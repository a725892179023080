// npm run bench:train — training throughput at B × T (default 8 × 128) on the MiniLM-shaped model: bertgpu's Trainer
// (forward with saved activations, cross-entropy, backward, clipping and AdamW in one submit) on the WebGPU adapter,
// next to PyTorch CPU (scripts/bench_train_torch.py, same shapes, float32, dropout 0, AdamW, clipping 1.0,
// torch.set_num_threads = this machine's cores) in the same run. The two alternate round by round (--rounds), so a
// change in the machine's load hits both; per side: --warmup steps once, then the median of every timed step.
// Weights: .cache/models/minilm-random (scripts/make-fixtures --bench-only) when present, else MiniLM-shaped random
// ones made here (hidden 384, 6 layers, 12 heads, intermediate 1536, vocab 30522); speed does not depend on values.
//   tsx --import ./scripts/wgsl-loader.mjs scripts/bench-train.ts [--batch 8] [--seq 128] [--warmup 2] [--steps 5]
//     [--rounds 2] [--threads N] [--model DIR] [--python /usr/bin/python3] [--json]
// --model: a MiniLM-shaped BERT folder (PyTorch always builds the MiniLM shape; another shape is not compared fairly).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { requestDevice } from '../src/gpu/device.ts';
import { findLavapipeIcd, requestNodeGpu } from '../src/gpu/node-gpu.ts';
import { dirProvider } from '../src/hub/node-files.ts';
import { parseBertConfig } from '../src/model/config.ts';
import { readTrainable } from '../src/tasks/train-checkpoint.ts';
import { ParamLayout } from '../src/train/param-layout.ts';
import { Trainer, type TrainBatch } from '../src/train/trainer.ts';
import { tablePrinter } from './bench-table.ts';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '8' },
    seq: { type: 'string', default: '128' },
    warmup: { type: 'string', default: '2' },
    steps: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    threads: { type: 'string', default: String(availableParallelism()) },
    model: { type: 'string', default: join(root, '.cache/models/minilm-random') },
    python: { type: 'string', default: '/usr/bin/python3' },
    json: { type: 'boolean', default: false },
  },
});
const int = (name: keyof typeof values, min: number): number => {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < min) {
    console.error(`bench-train: --${name} must be an integer ≥ ${min}, got ${values[name]}`);
    process.exit(1);
  }
  return v;
};
const [B, T, warmup, steps, rounds, threads] = [int('batch', 1), int('seq', 2), int('warmup', 0), int('steps', 1), int('rounds', 1), int('threads', 1)];
const stepsPerRound = Math.ceil(steps / rounds);
const log = (s: string) => (values.json ? console.error(s) : console.log(s));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

const MINILM = { hidden_size: 384, num_hidden_layers: 6, num_attention_heads: 12, intermediate_size: 1536, vocab_size: 30522,
  max_position_embeddings: 512, type_vocab_size: 2, hidden_act: 'gelu', layer_norm_eps: 1e-12, model_type: 'bert',
  architectures: ['BertForSequenceClassification'], id2label: { 0: 'LABEL_0', 1: 'LABEL_1' }, label2id: { LABEL_0: 0, LABEL_1: 1 } };

/** --model's folder (the cached random MiniLM by default) when it has weights; else normal(0, 0.02), LayerNorm γ 1, bias 0. */
async function miniLm() {
  const dir = resolve(values.model);
  if (existsSync(join(dir, 'model.safetensors'))) return { source: dir, model: await readTrainable(dirProvider(dir)) };
  const config = parseBertConfig(JSON.stringify(MINILM), 'MiniLM-shaped config');
  const layout = new ParamLayout(config, { frozenLevels: new Set() });
  let s = 12345;
  const normal = () => { // Box–Muller on a small LCG: deterministic, fast enough for 22 M values
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0; const u = (s + 1) / 4294967297;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0; const v = s / 4294967296;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const weights = new Map<string, Float32Array>();
  for (const name of layout.names) {
    const w = new Float32Array(layout.tensors.get(name)!.size);
    if (/LayerNorm\.weight$/.test(name)) w.fill(1);
    else if (!/bias$/.test(name)) for (let i = 0; i < w.length; i++) w[i] = 0.02 * normal();
    weights.set(name, w);
  }
  return { source: 'random weights made here', model: { config, weights } };
}

/** Deterministic ids in [1000, 2000) with [CLS] … [SEP], every token valid (the Python side uses the same shape). */
function batch(): TrainBatch {
  const ids = Array.from({ length: B * T }, (_, i) => (i % T === 0 ? 101 : i % T === T - 1 ? 102 : 1000 + ((i * 7919) % 1000)));
  return { B, T, inputIds: ids, tokenTypeIds: new Array(B * T).fill(0), attentionMask: new Array(B * T).fill(1), labels: Array.from({ length: B }, (_, b) => b % 2) };
}

/** PyTorch in a child process that stays up between rounds (its start-up and model build are not timed). */
async function startTorch() {
  const child = spawn(values.python, [join(root, 'scripts/bench_train_torch.py'), '--threads', String(threads), '--batch', String(B), '--seq', String(T)],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error(`bench-train: ${values.python} scripts/bench_train_torch.py exited (code ${child.exitCode}); it needs Debian's python3-torch`);
    return JSON.parse(r.value);
  };
  const ready = await next();
  return {
    info: ready as { threads: number; params: number; torch: string },
    run: async (n: number): Promise<number[]> => { child.stdin.write(`${n}\n`); return (await next()).ms; },
    close: () => child.stdin.end(),
  };
}

const icd = findLavapipeIcd();
if (!process.env.VK_DRIVER_FILES && icd) process.env.VK_DRIVER_FILES = icd;
const { source, model } = await miniLm();
const { gpu, adapter, driver } = await requestNodeGpu();
const ctx = await requestDevice(adapter, { label: 'bench-train', instance: gpu });
const trainer = await Trainer.create(ctx, model, { lr: 5e-5, weightDecay: 0.01, maxGradNorm: 1, hiddenDropout: 0, attentionDropout: 0 });
const torch = await startTorch();
log(`training steps at ${B} × ${T} on the MiniLM-shaped model (${source}); ${ctx.facts.description} (${driver}) vs PyTorch ${torch.info.torch} CPU, ${torch.info.threads} threads; ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const b = batch();
const gpuStep = async () => {
  const t0 = performance.now();
  const r = await trainer.step(b); // resolves when the step's loss is read back: the whole step, not just its submit
  if (!Number.isFinite(r.loss)) throw new Error(`bench-train: bertgpu loss ${r.loss}`);
  return performance.now() - t0;
};
const times = { bertgpu: [] as number[], pytorch: [] as number[] };
for (let i = 0; i < warmup; i++) await gpuStep();
if (warmup) await torch.run(warmup);
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < stepsPerRound; i++) times.bertgpu.push(await gpuStep());
  times.pytorch.push(...(await torch.run(stepsPerRound)));
  log(`round ${r + 1}/${rounds}: bertgpu ${times.bertgpu.slice(-stepsPerRound).map((t) => t.toFixed(0)).join(' ')} ms, PyTorch ${times.pytorch.slice(-stepsPerRound).map((t) => t.toFixed(0)).join(' ')} ms`);
}
torch.close();
trainer.dispose();
const ms = { bertgpu: median(times.bertgpu), pytorch: median(times.pytorch) };
const result = {
  B, T, warmup, steps: times.bertgpu.length, rounds, threads: torch.info.threads, cores: availableParallelism(), loadavg: loadavg(),
  adapter: ctx.facts.description, driver, weights: source,
  bertgpu: { msPerStep: ms.bertgpu, tokensPerSecond: (B * T * 1000) / ms.bertgpu, stepsMs: times.bertgpu },
  pytorch: { msPerStep: ms.pytorch, tokensPerSecond: (B * T * 1000) / ms.pytorch, stepsMs: times.pytorch, version: torch.info.torch },
  ratio: ms.pytorch / ms.bertgpu,
};
if (values.json) console.log(JSON.stringify(result));
else {
  const print = tablePrinter();
  print([
    ['', 'tokens/s', 'ms/step (median)', 'vs PyTorch'],
    ['bertgpu (WebGPU)', result.bertgpu.tokensPerSecond.toFixed(1), ms.bertgpu.toFixed(1), `${result.ratio.toFixed(2)}×`],
    [`PyTorch CPU (${result.threads} threads)`, result.pytorch.tokensPerSecond.toFixed(1), ms.pytorch.toFixed(1), '1.00×'],
  ]);
}
process.exit(0);
