// npm run bench:cpu — the CPU backend (WebAssembly SIMD kernels; --threads > 1: its kernel threads on worker_threads)
// against ONNX Runtime's native CPU build (onnxruntime-node) and onnxruntime-web's WASM build (transformers.js's WASM
// backend, here in Node on the same V8), the same thread count, on the random benchmark models (scripts/make-fixtures --bench):
// MiniLM- and BERT-base-shaped, 1 × 128 and 8 × 128 tokens, median of --runs after a warm-up. Not run in CI.
// Wall and CPU time both: on a shared machine the CPU time of the process is the steadier measure (with --threads > 1
// it sums every thread's time, so compare wall times there).
//   tsx scripts/bench-cpu.ts [--models minilm-random,base-random] [--runs 10] [--threads 1] [--shapes 1x128,8x128]
//     [--relaxed-simd]: turns on V8's relaxed SIMD in Node 20 (shipped from V8 11.4 / Node 22), as Chromium has it
//     [--browser-rounds 5] [--no-browser]
// Then the in-Chromium side (scripts/bench-browser.ts --device cpu: demo/bench.html's CPU mode): bertgpu's CPU backend
// vs transformers.js device 'wasm' in one page, alternating rounds, same weights (the ONNX export next to the
// safetensors), both single-threaded (the page is not crossOriginIsolated), and a last table with both sides per shape.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCpuBertWeights } from '../src/cpu-backend/cpu-weights.ts';
import { CpuBertModel } from '../src/cpu-backend/cpu-model.ts';
import { spawnNodeThread } from '../src/cpu-backend/node-threads.ts';
import { openModel } from '../src/hub/model.ts';
import { dirProvider } from '../src/hub/node-files.ts';
import type { BenchResult } from '../demo/src/bench-run.ts';
import { tablePrinter } from './bench-table.ts';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'minilm-random,base-random' },
    runs: { type: 'string', default: '10' },
    threads: { type: 'string', default: '1' },
    shapes: { type: 'string', default: '1x128,8x128' },
    'relaxed-simd': { type: 'boolean', default: false },
    'browser-rounds': { type: 'string', default: '5' },
    'no-browser': { type: 'boolean', default: false },
  },
});
if (values['relaxed-simd']) (await import('node:v8')).setFlagsFromString('--experimental-wasm-relaxed-simd');
const runs = Number(values.runs);
const threads = Number(values.threads);
const shapes = values.shapes.split(',').map((s) => s.split('x').map(Number) as [number, number]);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median wall and CPU (this process's user + system) milliseconds per run, after one warm-up run. */
async function timeIt(run: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  await run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/** Deterministic ids in [1000, 2000) with [CLS] … [SEP]; every token valid. */
function batch(B: number, T: number) {
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i % T === 0 ? 101 : i % T === T - 1 ? 102 : 1000 + ((i * 7919) % 1000)));
  return { B, T, inputIds: ids, tokenTypeIds: new Int32Array(B * T), attentionMask: new Int32Array(B * T).fill(1) };
}

const ort = await import('onnxruntime-node');
// transformers.js's WASM backend is onnxruntime-web: its SIMD build runs in Node too, on the same V8 as ours.
const ortWeb = await import('onnxruntime-web');
ortWeb.env.wasm.numThreads = threads;
const print = tablePrinter();
const nodeRows = new Map<string, { ours: number; ort: number }>();
const rows = [['model', 'B×T', 'threads', 'relaxed SIMD', 'bertgpu wall ms', 'ORT wall ms', 'bertgpu CPU-time ms', 'ORT CPU-time ms', 'ORT-web WASM CPU-time ms', 'ORT-web / bertgpu (CPU time)', 'max |Δ| logits']];
for (const name of values.models.split(',')) {
  const dir = join(root, '.cache/models', name);
  if (!existsSync(join(dir, 'model.safetensors'))) {
    console.log(`${name}: not found under .cache/models (scripts/make-fixtures --bench makes it); skipped`);
    continue;
  }
  const files = await openModel(dirProvider(dir));
  const cpu = await CpuBertModel.create(await loadCpuBertWeights(files), threads > 1 ? { threads: { count: threads, spawn: spawnNodeThread } } : {});
  const session = await ort.InferenceSession.create(join(dir, 'onnx/model.onnx'), { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' });
  const webSession = await ortWeb.InferenceSession.create(join(dir, 'onnx/model.onnx'), { executionProviders: ['wasm'] });
  for (const [B, T] of shapes) {
    const b = batch(B, T);
    const i64 = (a: Int32Array) => new ort.Tensor('int64', BigInt64Array.from(a, BigInt), [B, T]);
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = { input_ids: i64(b.inputIds), attention_mask: i64(b.attentionMask), token_type_ids: i64(b.tokenTypeIds) };
    for (const k of Object.keys(feeds)) if (!session.inputNames.includes(k)) delete feeds[k];
    const ours = await cpu.forward(b, ['logits']);
    const theirs = (await session.run(feeds)).logits.data as Float32Array;
    const diff = Math.max(...Array.from(ours.logits!, (v, i) => Math.abs(v - theirs[i])));
    const ours_ = await timeIt(() => cpu.forward(b, ['logits']));
    const theirs_ = await timeIt(() => session.run(feeds));
    const i64web = (a: Int32Array) => new ortWeb.Tensor('int64', BigInt64Array.from(a, BigInt), [B, T]);
    const webFeeds: Record<string, InstanceType<typeof ortWeb.Tensor>> = { input_ids: i64web(b.inputIds), attention_mask: i64web(b.attentionMask), token_type_ids: i64web(b.tokenTypeIds) };
    for (const k of Object.keys(webFeeds)) if (!webSession.inputNames.includes(k)) delete webFeeds[k];
    const web_ = await timeIt(() => webSession.run(webFeeds));
    nodeRows.set(`${name} ${B}×${T}`, { ours: ours_.cpu, ort: theirs_.cpu });
    rows.push([name, `${B}×${T}`, String(threads), String(cpu.relaxedSimd), ours_.wall.toFixed(1), theirs_.wall.toFixed(1), ours_.cpu.toFixed(1), theirs_.cpu.toFixed(1),
      web_.cpu.toFixed(1), (web_.cpu / ours_.cpu).toFixed(2), diff.toExponential(1)]);
    print(rows);
  }
  await session.release();
  await webSession.release();
  await cpu.dispose();
}
print(rows);

// The Chromium side: a child process (it builds the demo with Vite and drives Chromium), its JSON read back.
if (!values['no-browser']) {
  const short: Record<string, string> = { 'minilm-random': 'minilm', 'base-random': 'base' };
  const models = values.models.split(',').map((m) => short[m]).filter(Boolean);
  const out = mkdtempSync(join(tmpdir(), 'bertgpu-bench-cpu-'));
  try {
    const json = join(out, 'browser.json');
    execFileSync(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'scripts/bench-browser.ts'), '--device', 'cpu', '--models', models.join(','),
      '--shapes', values.shapes, '--rounds', values['browser-rounds'], '--json', json], { stdio: ['ignore', 'ignore', 'inherit'] });
    const parsed = JSON.parse(readFileSync(json, 'utf8')) as BenchResult | BenchResult[];
    const results = Array.isArray(parsed) ? parsed : [parsed];
    const both = [['model', 'B×T', 'Node: bertgpu CPU-time ms', 'Node: ORT native CPU-time ms', 'ORT native / bertgpu', 'Chromium: bertgpu CPU backend wall ms', 'Chromium: tjs wasm wall ms', 'tjs wasm / bertgpu', 'Chromium rounds', 'isolated']];
    for (const r of results) {
      for (const side of [r.bertgpu, r.transformersJs]) if ('error' in side) console.log(`${r.model.name}: ${side.error}`);
      const full = Object.entries(short).find(([, v]) => v === r.model.name)?.[0] ?? r.model.name;
      for (const sh of r.shapes) {
        const n = nodeRows.get(`${full} ${sh.B}×${sh.T}`);
        const f = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(1));
        both.push([full, `${sh.B}×${sh.T}`, f(n?.ours), f(n?.ort), n ? (n.ort / n.ours).toFixed(2) : 'n/a', f(sh.bertgpu?.medianMs), f(sh.transformersJs?.medianMs),
          sh.speedup === null ? 'n/a' : sh.speedup.toFixed(2), String(r.settings.rounds), String(r.crossOriginIsolated ?? false)]);
      }
    }
    console.log(`\nChromium (${results[0]?.userAgent ?? '?'}): bertgpu device 'cpu' vs transformers.js device 'wasm', one thread each; medians (Node: CPU time, steadier on a shared machine; Chromium: wall, alternating rounds)`);
    tablePrinter()(both);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
