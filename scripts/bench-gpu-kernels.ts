// GPU-shaped kernels (shaders/gpu) next to today's kernels for the same op, at BERT-base shapes (C 768, FFN 3072,
// 12 heads × 64), B × 128 tokens (BENCH_BATCH, default 1), f32 storage, on the Node adapter (lavapipe after set-up):
//   bash scripts/gpu-env.sh npx tsx --import ./scripts/wgsl-loader.mjs scripts/bench-gpu-kernels.ts
// Method as scripts/bench-kernels.ts: the variants of one op take turns (one warm-up round, then BENCH_RUNS rounds,
// default 7), each submit awaited; GPU timestamps (pass begin → end) where the adapter has them, else wall time;
// medians. The two dispatches of the split-K matmul + LayerNorm share one pass. Outputs are not checked here: the
// kernel tests (test/unit/kernels-gpu.test.ts) do that.
import { bindKernel } from '../src/gpu/dispatch.ts';
import { BufferRegistry } from '../src/gpu/buffers.ts';
import { gpuGrid, type GpuKernelName } from '../src/gpu/gpu-kernels.ts';
import { MatmulEpilogue, rowGrid, type KernelName } from '../src/gpu/kernels.ts';
import { requestNodeGpu } from '../src/gpu/node-gpu.ts';
import { PipelineCache, type Overrides } from '../src/gpu/pipelines.ts';
import { gpuKernelEnv, prepareGpuKernel } from '../test/kernels/gpu-cases.ts';
import { randomArray } from '../test/helpers/validate.ts';
import { passTimer, type Dispatch } from './bench-pass-timer.ts';


const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 7));
const B = Math.max(1, Number(process.env.BENCH_BATCH ?? 1));
const T = 128;
const M = B * T;
const C = 768;

const { gpu, adapter, driver } = await requestNodeGpu();
const env = await gpuKernelEnv(adapter, gpu);
const { device } = env;
const pipelines = new PipelineCache(device);
const buffers = new BufferRegistry(device);
const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const buf = (n: number, seed: number, scale = 1) => buffers.createWith('bench', randomArray(n, seed, scale), usage);
const out = (n: number) => buffers.create({ label: 'out', size: n * 4, usage });
const u32 = (a: Uint32Array) => buffers.createWith('mask', a, usage);

const timer = passTimer(device);



async function old(name: KernelName, params: Record<string, number>, bufs: Record<string, GPUBuffer>, grid: readonly number[], overrides: Overrides = {}): Promise<Dispatch> {
  const pipeline = await pipelines.get(name, overrides);
  const { bindGroup } = bindKernel(device, pipelines, name, { params, buffers: bufs });
  return { pipeline, bindGroup, grid: [grid[0], grid[1] ?? 1, grid[2] ?? 1] };
}

async function neu(name: GpuKernelName, params: Record<string, number>, bufs: Record<string, GPUBuffer>, shape: never, extra: Record<string, number> = {}): Promise<Dispatch> {
  const g = gpuGrid(name, shape);
  const { pipeline, bindGroup } = await prepareGpuKernel(env, name, 'f32', { params, buffers: bufs, overrides: { ...g.overrides, ...extra }, workgroups: g.workgroups });
  return { pipeline, bindGroup, grid: g.workgroups };
}

const timeOnce = (ds: Dispatch[]) => timer.time(ds);

async function compare(op: string, flop: number, variants: Array<[string, Dispatch[]]>): Promise<void> {
  const samples = variants.map(() => [] as number[]);
  for (let run = -1; run < RUNS; run++) {
    for (const [i, [, ds]] of variants.entries()) {
      const ms = await timeOnce(ds);
      if (run >= 0) samples[i].push(ms);
    }
  }
  for (const [i, [name]] of variants.entries()) {
    const med = samples[i].sort((a, b) => a - b)[Math.floor(RUNS / 2)];
    console.log(`${op.padEnd(34)} ${name.padEnd(44)} ${med.toFixed(2).padStart(8)} ms ${(flop / med / 1e6).toFixed(1).padStart(7)} GFLOP/s`);
  }
}

console.log(`adapter: ${driver}, ${timer.method === 'timestamps' ? 'GPU timestamps' : 'wall clock'}, median of ${RUNS}, BERT-base ${B} × ${T}, f32`);
const dummy = buf(4, 99);

for (const [what, N, K, epi] of [['QKV projection', 3 * C, C, 'none'], ['FFN1 + GELU', 4 * C, C, 'gelu']] as const) {
  const p = { M, N, K, xRowStep: 1 };
  const bufs = { x: buf(M * K, 1), w: buf(N * K, 2, 1 / Math.sqrt(K)), b: buf(N, 3), residual: dummy, y: out(M * N) };
  const EPILOGUE = MatmulEpilogue[epi];
  await compare(`${what} [${M}×${K}]·[${N}×${K}]ᵀ`, 2 * M * N * K, [
    ['matmulVec4 (today)', [await old('matmulVec4', { ...p, epilogue: EPILOGUE }, bufs, [Math.ceil(N / 32), Math.ceil(M / 32)])]],
    ['gemmTiled', [await neu('gemmTiled', { ...p, epilogue: EPILOGUE }, bufs, { M, N, K } as never)]],
  ]);
}

for (const [what, K] of [['attn out + LN', C], ['FFN2 + LN', 4 * C]] as const) {
  const N = C;
  const x = buf(M * K, 4);
  const w = buf(N * K, 5, 1 / Math.sqrt(K));
  const b = buf(N, 6);
  const r = buf(M * N, 7);
  const g = buf(N, 8);
  const be = buf(N, 9);
  const y = out(M * N);
  const split = gpuGrid('gemmTiledPartial', { M, N, K });
  const splits = split.workgroups[2];
  const partials = out(splits * M * N);
  await compare(`${what} [${M}×${K}]·[${N}×${K}]ᵀ`, 2 * M * N * K, [
    ['matmulLayernormVec4 (today)', [await old('matmulLayernormVec4', { M, N, K, eps: 1e-12 }, { x, w, b, residual: r, gamma: g, beta: be, y }, rowGrid(Math.ceil(M / 16)))]],
    [`gemmTiledPartial (${splits} splits) + layernormRow`, [
      await neu('gemmTiledPartial', { M, N, K, xRowStep: 1, epilogue: 0 }, { x, w, b, residual: dummy, y: partials }, { M, N, K } as never),
      await neu('layernormRow', { M, N, splits, eps: 1e-12 }, { partials, b, residual: r, gamma: g, beta: be, y }, { M, N, splits } as never),
    ]],
  ]);
}

{
  const NH = 12;
  const HS = 64;
  const qkv = buf(M * 3 * C, 10, 1.5);
  const mask = u32(new Uint32Array(M).fill(1));
  const ctx = out(M * C);
  const p = { T, NH, HS };
  await compare(`attention B=${B} T=${T} 12×64`, 4 * B * NH * T * T * HS, [
    ['attentionVec4 (today)', [await old('attentionVec4', p, { qkv, mask, ctx }, [Math.ceil(T / 32), NH, B])]],
    ['attentionFlash', [await neu('attentionFlash', p, { qkv, mask, ctx }, { B, T, NH, HS } as never)]],
  ]);
}

{
  // Attention then the attention-output GEMM + residual + LayerNorm: today two dispatches, the GPU profile two as well
  // (the GEMM split over heads inside the attention kernel, then the row kernel).
  const NH = 12;
  const HS = 64;
  const qkv = buf(M * 3 * C, 14, 1.5);
  const mask = u32(new Uint32Array(M).fill(1));
  const ctx = out(M * C);
  const wo = buf(C * C, 15, 1 / Math.sqrt(C));
  const b = buf(C, 16);
  const r = buf(M * C, 17);
  const g = buf(C, 18);
  const be = buf(C, 19);
  const y = out(M * C);
  const partials = out(NH * M * C);
  await compare(`attention + out + LN B=${B} T=${T}`, 4 * B * NH * T * T * HS + 2 * M * C * C, [
    ['attentionVec4 + matmulLayernormVec4 (today)', [
      await old('attentionVec4', { T, NH, HS }, { qkv, mask, ctx }, [Math.ceil(T / 32), NH, B]),
      await old('matmulLayernormVec4', { M, N: C, K: C, eps: 1e-12 }, { x: ctx, w: wo, b, residual: r, gamma: g, beta: be, y }, rowGrid(Math.ceil(M / 16))),
    ]],
    ['attentionFlashProj + layernormRow', [
      await neu('attentionFlashProj', { T, NH, HS }, { qkv, mask, woT: wo, partials }, { B, T, NH, HS } as never),
      await neu('layernormRow', { M, N: C, splits: NH, eps: 1e-12 }, { partials, b, residual: r, gamma: g, beta: be, y }, { M, N: C, splits: NH } as never),
    ]],
  ]);
}

{
  const N = C;
  const K = C;
  const p = { M: B, N, K, xRowStep: T };
  const bufs = { x: buf(M * K, 11), w: buf(N * K, 12, 1 / Math.sqrt(K)), b: buf(N, 13), residual: dummy, y: out(B * N) };
  const EPILOGUE = MatmulEpilogue.tanh;
  const variants: Array<[string, Dispatch[]]> = [
    ['matmulVec4 (today)', [await old('matmulVec4', { ...p, epilogue: EPILOGUE }, bufs, [Math.ceil(N / 32), Math.ceil(B / 32)])]],
    ['gemmNarrow', [await neu('gemmNarrow', { ...p, epilogue: EPILOGUE }, bufs, { M: B, N, K } as never)]],
  ];
  if (env.hasSubgroups) variants.push(['gemmNarrowSubgroup', [await neu('gemmNarrowSubgroup', { ...p, epilogue: EPILOGUE }, bufs, { M: B, N, K } as never)]]);
  await compare(`pooler [${B}×${K}]·[${N}×${K}]ᵀ + tanh`, 2 * B * N * K, variants);
}

buffers.destroyAll();
process.exit(0);
