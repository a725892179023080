// Kernel benchmark: `npm run bench:kernels`. Times each kernel alone on the Node adapter (lavapipe after set-up) at
// BERT-base sizes and prints one table: matmul GFLOP/s of the register-blocked kernels (f32 and, when the adapter
// has shader-f16, f16 storage; scalar and vec4 loads) next to the naive one-thread-per-output baseline, then
// attention, layernorm and the fused matmul+LayerNorm at T = 128 and 512 (B = 1, 12 heads × 64).
// Method: the variants of one shape take turns: one warm-up round (also compiles the pipelines), then RUNS rounds
// (default 7, env BENCH_RUNS), each dispatch its own submit awaited with onSubmittedWorkDone; medians are shown.
// With timestamp-query the time is the GPU's own (pass begin → end), else wall time around submit +
// onSubmittedWorkDone. Software adapters are noisy (shared/ENVIRONMENT.md), hence the turns and the medians.
// Before timing, each matmul shape's outputs are compared with the f32 register-blocked result, so the benchmark
// never compares a fast wrong kernel with a slow right one.
import { bindKernel } from '../src/gpu/dispatch.ts';
import { BufferRegistry, readBuffer } from '../src/gpu/buffers.ts';
import { requestDevice } from '../src/gpu/device.ts';
import { fromF16Bits, toF16Bits } from '../src/gpu/f16.ts';
import { rowGrid, type KernelName } from '../src/gpu/kernels.ts';
import { requestNodeGpu } from '../src/gpu/node-gpu.ts';
import { PipelineCache, type Overrides } from '../src/gpu/pipelines.ts';
import { randomArray } from '../test/helpers/validate.ts';
import { passTimer } from './bench-pass-timer.ts';


const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 7));
// BENCH_ONLY=attention,layernorm runs only those groups (matmul, attention, layernorm, matmulLayernorm).
const only = process.env.BENCH_ONLY?.split(',');
const want = (group: string) => !only || only.includes(group);

// Keep `gpu` referenced for the whole run (it is stored in the context): Dawn tears an unreferenced instance down.
const { gpu, adapter, driver } = await requestNodeGpu();
const ctx = await requestDevice(adapter, { label: 'bench-kernels', instance: gpu });
const { device, facts } = ctx;
const pipelines = new PipelineCache(device);
const buffers = new BufferRegistry(device);
const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

const timer = passTimer(device);

type Data = Float32Array | Uint32Array;
/** A storage buffer holding `data` as the kernel stores floats: f32, or f16 bits for the *F16 kernels. */
function buf(data: Data, f16: boolean): GPUBuffer {
  return buffers.createWith('bench', f16 && data instanceof Float32Array ? toF16Bits(data) : data, usage);
}
function out(elements: number, f16: boolean): GPUBuffer {
  return buffers.create({ label: 'out', size: Math.ceil((elements * (f16 ? 2 : 4)) / 4) * 4, usage });
}

interface Call {
  params: Record<string, number>;
  buffers: Record<string, GPUBuffer>;
  overrides?: Overrides;
  grid: [number, number?, number?];
}

/** One dispatch of a prepared kernel, timed (GPU timestamps when available, else wall clock). */
function dispatchOnce(pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, grid: Call['grid']): Promise<number> {
  return timer.time([{ pipeline, bindGroup, grid: [grid[0], grid[1] ?? 1, grid[2] ?? 1] }]);
}

/**
 * Median milliseconds of one dispatch of each kernel. The kernels take turns (round-robin, after one warm-up
 * round), so a burst of load from other processes on a shared machine hits all of them alike.
 */
async function timeAll(kernels: Array<[KernelName, Call]>): Promise<number[]> {
  const prepared = await Promise.all(kernels.map(async ([name, call]) => ({
    name, grid: call.grid, pipeline: await pipelines.get(name, call.overrides), ...bindKernel(device, pipelines, name, call),
  })));
  const samples: number[][] = prepared.map(() => []);
  device.pushErrorScope('validation');
  for (let run = -1; run < RUNS; run++) {
    for (const [i, k] of prepared.entries()) {
      const ms = await dispatchOnce(k.pipeline, k.bindGroup, k.grid);
      if (run >= 0) samples[i].push(ms);
    }
  }
  const err = await device.popErrorScope();
  for (const k of prepared) k.uniform.destroy();
  if (err) throw new Error(`bench ${prepared.map((k) => k.name).join(', ')}: ${err.message}`);
  return samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)]);
}

async function readFloats(b: GPUBuffer, n: number, f16: boolean): Promise<Float32Array> {
  const bytes = await readBuffer(device, b, n * (f16 ? 2 : 4));
  return f16 ? fromF16Bits(new Uint16Array(bytes)) : new Float32Array(bytes);
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

const rows: string[][] = [];
const row = (...cells: (string | number)[]) => rows.push(cells.map(String));
const f16Kinds = facts.hasF16 ? [false, true] : [false];
const ms = (t: number) => t.toFixed(t < 10 ? 2 : 1);

// ---- matmul: y = x·wᵀ + b at BERT-base shapes ----
const matmulShapes: Array<[M: number, N: number, K: number, what: string]> = [
  [128, 768, 768, 'attn out / Q,K,V'],
  [128, 3072, 768, 'FFN1'],
  [128, 768, 3072, 'FFN2'],
];
for (const [M, N, K, what] of want('matmul') ? matmulShapes : []) {
  const x = randomArray(M * K, 1, 1);
  const w = randomArray(N * K, 2, 1 / Math.sqrt(K));
  const b = randomArray(N, 3, 0.5);
  const flop = 2 * M * N * K;
  const shape = `[${M}×${K}]·[${N}×${K}]ᵀ ${what}`;
  const variants: Array<[KernelName, boolean, string]> = [
    ['matmulNaive', false, 'naive f32 (baseline)'],
    ['matmul', false, 'register-blocked f32'],
    ['matmulVec4', false, 'reg-blocked vec4 f32'],
    ...(facts.hasF16 ? [
      ['matmulF16', true, 'register-blocked f16'],
      ['matmulVec4F16', true, 'reg-blocked vec4 f16'],
    ] as Array<[KernelName, boolean, string]> : []),
  ];
  const calls = variants.map(([name, f16]): [KernelName, Call] => {
    const y = out(M * N, f16);
    return [name, name === 'matmulNaive'
      ? { params: { M, N, K }, buffers: { x: buf(x, f16), w: buf(w, f16), b: buf(b, f16), y }, grid: [Math.ceil(N / 16), Math.ceil(M / 16)] }
      : { params: { M, N, K, xRowStep: 1, epilogue: 0 }, buffers: { x: buf(x, f16), w: buf(w, f16), b: buf(b, f16), residual: buf(new Float32Array(1), f16), y },
        grid: [Math.ceil(N / 32), Math.ceil(M / 32)] }];
  });
  const times = await timeAll(calls);
  const results = await Promise.all(variants.map(async ([, f16, label], i) => ({
    label, t: times[i], y: await readFloats(calls[i][1].buffers.y, M * N, f16),
  })));
  const [naive, blocked] = results;
  for (const { label, t, y } of results) {
    const diff = y === blocked.y ? '(reference)' : maxRelDiff(y, blocked.y).toExponential(1);
    row('matmul', shape, label, ms(t), (flop / t / 1e6).toFixed(2), `${(naive.t / t).toFixed(2)}×`, diff);
  }
  buffers.destroyAll();
}

// ---- attention, layernorm, matmul+LayerNorm at T = 128, 512 (B = 1, NH = 12, HS = 64, C = 768) ----
const NH = 12;
const HS = 64;
const C = NH * HS;
for (const T of [128, 512]) {
  const qkv = randomArray(T * 3 * C, 4, 1.5);
  const mask = new Uint32Array(T).fill(1);
  const attnFlop = 4 * NH * T * T * HS; // QKᵀ and P·V
  const kinds = (group: string) => (want(group) ? f16Kinds : []);
  const dt = (f16: boolean) => (f16 ? 'f16' : 'f32');
  const attn = await timeAll(kinds('attention').map((f16): [KernelName, Call] => [f16 ? 'attentionF16' : 'attention', {
    params: { T, NH, HS }, buffers: { qkv: buf(qkv, f16), mask: buf(mask, false), ctx: out(T * C, f16) }, grid: [Math.ceil(T / 32), NH, 1],
  }]));
  kinds('attention').forEach((f16, i) => row('attention', `B=1 T=${T} 12×64`, dt(f16), ms(attn[i]), (attnFlop / attn[i] / 1e6).toFixed(2), '', ''));
  buffers.destroyAll();
  const x = randomArray(T * C, 5, 2);
  const r = randomArray(T * C, 6, 1);
  const g = randomArray(C, 7, 0.2).map((v) => 1 + v);
  const be = randomArray(C, 8, 0.1);
  const ln = await timeAll(kinds('layernorm').map((f16): [KernelName, Call] => [f16 ? 'layernormF16' : 'layernorm', {
    params: { rows: T, C, eps: 1e-12 }, overrides: { HAS_RESIDUAL: true }, grid: rowGrid(T),
    buffers: { x: buf(x, f16), residual: buf(r, f16), gamma: buf(g, f16), beta: buf(be, f16), y: out(T * C, f16) },
  }]));
  kinds('layernorm').forEach((f16, i) => row('layernorm +residual', `rows=${T} C=768`, dt(f16), ms(ln[i]), '', '', ''));
  for (const K of want('matmulLayernorm') ? [768, 3072] : []) {
    const xk = randomArray(T * K, 9, 1);
    const w = randomArray(C * K, 10, 1 / Math.sqrt(K));
    const mln = await timeAll(f16Kinds.map((f16): [KernelName, Call] => [f16 ? 'matmulLayernormF16' : 'matmulLayernorm', {
      params: { M: T, N: C, K, eps: 1e-12 }, grid: rowGrid(Math.ceil(T / 4)),
      buffers: { x: buf(xk, f16), w: buf(w, f16), b: buf(be, f16), residual: buf(r, f16), gamma: buf(g, f16), beta: buf(be, f16), y: out(T * C, f16) },
    }]));
    f16Kinds.forEach((f16, i) => row('matmulLayernorm', `[${T}×${K}]·[768×${K}]ᵀ`, dt(f16), ms(mln[i]), (2 * T * C * K / mln[i] / 1e6).toFixed(2), '', ''));
  }
  buffers.destroyAll();
}

const header = ['kernel', 'shape', 'variant', 'median ms', 'GFLOP/s', 'vs naive', 'max rel Δ vs f32'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
console.log(`adapter: ${facts.description || facts.vendor} (${driver}${facts.isFallbackAdapter ? ', software' : ''}); ` +
  `shader-f16 ${facts.hasF16 ? 'yes' : 'no'}; timing: ${timer.method === 'timestamps' ? 'GPU timestamps' : 'wall clock around submit'}; ` +
  `median of ${RUNS} runs after 1 warm-up`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
// The context (and with it the GPU instance) stays referenced until here; every GPU promise above was awaited.
void ctx;
