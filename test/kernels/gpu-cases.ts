// Checks of the GPU-shaped kernels (shaders/gpu/*.wgsl, registry src/gpu/gpu-kernels.ts) against the float64 CPU
// references, shared by the Node (Dawn/lavapipe: f32 and f16 storage, subgroups) and Chromium (SwiftShader: f32)
// suites. Grids and overrides come from gpuGrid() unless a case forces a tile, so the tests run what the runtime
// will run. Tolerances: f32Tol (f32-cases.ts) and f16Tol (f16-cases.ts), same reasoning: each kernel computes in
// f32 and rounds once, on the store (the split-K partials stay f32).
import * as ref from '../../src/cpu/reference.ts';
import { BufferRegistry, readBuffer } from '../../src/gpu/buffers.ts';
import { fromF16Bits, toF16Bits } from '../../src/gpu/f16.ts';
import { getGpuKernel, gpuGrid, transposeGrid, type GpuKernelName, type Storage } from '../../src/gpu/gpu-kernels.ts';
import { MatmulEpilogue, type MatmulEpilogueName } from '../../src/gpu/kernels.ts';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { packParams } from '../../src/gpu/wgsl-reflect.ts';
import { expectClose, randomArray } from '../helpers/validate.ts';
import { keyPaddingMask, output, upload, type KernelEnv, type Padding } from './env.ts';
import { f32Tol } from './f32-cases.ts';
import { f16Tol } from './f16-cases.ts';
import { nodeHalfCases } from './gpu-half-cases.ts';

export interface GpuKernelEnv extends KernelEnv {
  hasSubgroups: boolean;
}

/** A device with every feature these kernels can use (shader-f16, subgroups; timestamp-query for benchmarks) that the adapter has. */
export async function gpuKernelEnv(adapter: GPUAdapter, keepAlive?: unknown): Promise<GpuKernelEnv> {
  const requiredFeatures = (['shader-f16', 'subgroups', 'timestamp-query'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ label: 'gpu-kernels-test', requiredFeatures });
  // keepAlive: the GPU instance in Node (Dawn tears an unreferenced instance down); stored on the env.
  return Object.assign(
    { device, pipelines: new PipelineCache(device), buffers: new BufferRegistry(device), hasF16: device.features.has('shader-f16'),
      hasSubgroups: device.features.has('subgroups') },
    { keepAlive },
  );
}

export interface GpuCall {
  params: Readonly<Record<string, number>>;
  buffers: Readonly<Record<string, GPUBuffer>>;
  overrides: Readonly<Record<string, number>>;
  workgroups: readonly [number, number, number];
}

const pipelineCache = new WeakMap<GPUDevice, Map<string, Promise<{ pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>>>();

/** Compiles (once per device, kernel and overrides) a GPU kernel and binds a call; the caller owns `uniform`. */
export async function prepareGpuKernel(env: KernelEnv, name: GpuKernelName, storage: Storage, call: GpuCall):
  Promise<{ pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; uniform: GPUBuffer }> {
  const { device } = env;
  const kernel = getGpuKernel(name, storage);
  for (const f of kernel.features) if (!device.features.has(f)) throw new Error(`kernel ${kernel.name} needs the device feature '${f}'`);
  let perDevice = pipelineCache.get(device);
  if (!perDevice) pipelineCache.set(device, (perDevice = new Map()));
  const key = `${kernel.name}|${JSON.stringify(Object.entries(call.overrides).sort())}`;
  let entry = perDevice.get(key);
  if (!entry) {
    entry = (async () => {
      const module = device.createShaderModule({ label: kernel.name, code: kernel.code });
      const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
      if (errors.length) throw new Error(`WGSL compilation failed for ${kernel.name}:\n${errors.map((m) => `  line ${m.lineNum}:${m.linePos} ${m.message}`).join('\n')}`);
      const layout = device.createBindGroupLayout({
        label: kernel.name,
        entries: kernel.iface.bindings.map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.kind } })),
      });
      const pipeline = await device.createComputePipelineAsync({
        label: key, layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: 'main', constants: { ...call.overrides } },
      });
      return { pipeline, layout };
    })();
    const map = perDevice;
    map.set(key, entry);
    entry.catch(() => map.delete(key));
  }
  const { pipeline, layout } = await entry;
  const uniform = device.createBuffer({ size: kernel.iface.paramsSize, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  try {
    device.queue.writeBuffer(uniform, 0, packParams(kernel.name, kernel.iface, call.params));
    const entries = kernel.iface.bindings.map((b) => {
      if (b.kind === 'uniform') return { binding: b.binding, resource: { buffer: uniform } };
      const buffer = call.buffers[b.name];
      if (!buffer) throw new Error(`kernel ${kernel.name}: no buffer given for binding '${b.name}'`);
      return { binding: b.binding, resource: { buffer } };
    });
    return { pipeline, bindGroup: device.createBindGroup({ layout, entries }), uniform };
  } catch (e) {
    uniform.destroy();
    throw e;
  }
}

/** Dispatches a GPU kernel and waits for the queue; validation errors become exceptions naming the kernel. */
export async function runGpuKernel(env: KernelEnv, name: GpuKernelName, storage: Storage, call: GpuCall): Promise<void> {
  const { device } = env;
  device.pushErrorScope('validation');
  let uniform: GPUBuffer | undefined;
  try {
    const prepared = await prepareGpuKernel(env, name, storage, call);
    uniform = prepared.uniform;
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(prepared.pipeline);
    pass.setBindGroup(0, prepared.bindGroup);
    pass.dispatchWorkgroups(...call.workgroups);
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  } finally {
    const err = await device.popErrorScope();
    uniform?.destroy();
    if (err) throw new Error(`kernel ${getGpuKernel(name, storage).name}: ${err.message}`);
  }
}

export interface GpuKernelCase {
  name: string;
  kernel: GpuKernelName;
  storage: Storage;
  run(env: GpuKernelEnv): Promise<void>;
}

/** Storage-typed data: the values as the GPU holds them (rounded to f16 for f16 storage) and the bytes to upload. */
function stored(storage: Storage, data: Float32Array): { v: Float32Array; raw: Float32Array | Uint16Array } {
  if (storage === 'f32') return { v: data, raw: data };
  const bits = toF16Bits(data);
  return { v: fromF16Bits(bits), raw: bits };
}
const bytesOf = (s: Storage) => (s === 'f16' ? 2 : 4);
async function downloadAs(env: KernelEnv, storage: Storage, b: GPUBuffer, n: number): Promise<Float32Array> {
  const bytes = await readBuffer(env.device, b, n * bytesOf(storage));
  return storage === 'f16' ? fromF16Bits(new Uint16Array(bytes)) : new Float32Array(bytes);
}
const tolOf = (s: Storage) => (s === 'f16' ? f16Tol : f32Tol);

const cpuEpilogue: Record<MatmulEpilogueName, ((v: number) => number) | null> = {
  none: (v) => v, gelu: ref.geluErf, geluTanh: ref.geluTanh, relu: ref.relu, tanh: Math.tanh, residual: null,
};

type Tile = { TM: number; TN: number; BK4: number };
export type GemmShape = [M: number, N: number, K: number, epilogue: MatmulEpilogueName, xRowStep?: number];

/** gemmTiled / gemmNarrow(Subgroup): y = epilogue(x·wᵀ + b), optionally with a forced tile (the tuner's candidates). */
export function gemmCase(kernel: 'gemmTiled' | 'gemmNarrow' | 'gemmNarrowSubgroup', storage: Storage, [M, N, K, epi, xRowStep = 1]: GemmShape, tile?: Tile): GpuKernelCase {
  const tileName = tile ? ` tile=${4 * tile.TM}x${4 * tile.TN}/${4 * tile.BK4}` : '';
  return {
    name: `${kernel} ${storage} M=${M} N=${N} K=${K} epilogue=${epi} xRowStep=${xRowStep}${tileName}`,
    kernel, storage,
    async run(env) {
      const xAll = stored(storage, randomArray(((M - 1) * xRowStep + 1) * K, M * 7 + K, 1));
      const x = new Float32Array(M * K);
      for (let m = 0; m < M; m++) x.set(xAll.v.subarray(m * xRowStep * K, (m * xRowStep + 1) * K), m * K);
      const w = stored(storage, randomArray(N * K, N * 13 + K, 1 / Math.sqrt(K)));
      const b = stored(storage, randomArray(N, N + 3, 0.5));
      const r = stored(storage, randomArray(M * N, M + N, 1));
      const y = output(env, 'y', M * N, bytesOf(storage));
      const grid = gpuGrid(kernel, { M, N, K });
      const workgroups = tile ? [Math.ceil(N / (4 * tile.TN)), Math.ceil(M / (4 * tile.TM)), 1] as const : grid.workgroups;
      await runGpuKernel(env, kernel, storage, {
        params: { M, N, K, xRowStep, epilogue: MatmulEpilogue[epi] },
        buffers: { x: upload(env, 'x', xAll.raw), w: upload(env, 'w', w.raw), b: upload(env, 'b', b.raw), residual: upload(env, 'r', r.raw), y },
        overrides: tile ?? grid.overrides,
        workgroups,
      });
      const pre = ref.matmul(x, w.v, b.v, M, N, K);
      const f = cpuEpilogue[epi];
      expectClose(this.name, await downloadAs(env, storage, y, M * N), f ? pre.map(f) : ref.add(pre, r.v), tolOf(storage));
    },
  };
}

export type MatmulLnShape = [M: number, N: number, K: number, splits?: number];

/**
 * gemmTiledPartial then layernormRow: y = LayerNorm(x·wᵀ + b + residual)·gamma + beta, the two-dispatch GPU form of
 * matmulLayernorm. splits defaults to gpuGrid's split-K count; a forced count checks uneven K slices.
 */
export function matmulLnCase(storage: Storage, [M, N, K, forcedSplits]: MatmulLnShape): GpuKernelCase {
  return {
    name: `gemmTiledPartial+layernormRow ${storage} M=${M} N=${N} K=${K}${forcedSplits ? ` splits=${forcedSplits}` : ''}`,
    kernel: 'layernormRow', storage,
    async run(env) {
      const eps = 1e-12;
      const x = stored(storage, randomArray(M * K, K + 1, 1));
      const w = stored(storage, randomArray(N * K, N + 2, 1 / Math.sqrt(K)));
      const b = stored(storage, randomArray(N, 5, 0.5));
      const r = stored(storage, randomArray(M * N, 6, 1));
      const g = stored(storage, randomArray(N, 7, 0.2).map((v) => 1 + v));
      const be = stored(storage, randomArray(N, 8, 0.1));
      const gemm = gpuGrid('gemmTiledPartial', { M, N, K });
      const splits = forcedSplits ?? gemm.workgroups[2];
      const partials = output(env, 'partials', splits * M * N, 4);
      await runGpuKernel(env, 'gemmTiledPartial', storage, {
        params: { M, N, K, xRowStep: 1, epilogue: 0 },
        buffers: { x: upload(env, 'x', x.raw), w: upload(env, 'w', w.raw), b: upload(env, 'b', b.raw), residual: upload(env, 'r0', new Float32Array(1)), y: partials },
        overrides: gemm.overrides,
        workgroups: [gemm.workgroups[0], gemm.workgroups[1], splits],
      });
      const y = output(env, 'y', M * N, bytesOf(storage));
      const row = gpuGrid('layernormRow', { M, N, splits });
      await runGpuKernel(env, 'layernormRow', storage, {
        params: { M, N, splits, eps },
        buffers: { partials, b: upload(env, 'b', b.raw), residual: upload(env, 'r', r.raw), gamma: upload(env, 'g', g.raw), beta: upload(env, 'be', be.raw), y },
        overrides: row.overrides,
        workgroups: row.workgroups,
      });
      const want = ref.layerNorm(ref.add(ref.matmul(x.v, w.v, b.v, M, N, K), r.v), g.v, be.v, M, N, eps);
      expectClose(this.name, await downloadAs(env, storage, y, M * N), want, tolOf(storage));
    },
  };
}

export type AttentionShape = [B: number, T: number, NH: number, HS: number, padding: Padding];

export function attentionCase(storage: Storage, [B, T, NH, HS, padding]: AttentionShape): GpuKernelCase {
  return {
    name: `attentionFlash ${storage} B=${B} T=${T} NH=${NH} HS=${HS} padding=${padding}`,
    kernel: 'attentionFlash', storage,
    async run(env) {
      const C = NH * HS;
      const qkv = stored(storage, randomArray(B * T * 3 * C, B * T + C, 1.5));
      const mask = keyPaddingMask(B, T, padding);
      const ctx = output(env, 'ctx', B * T * C, bytesOf(storage));
      const grid = gpuGrid('attentionFlash', { B, T, NH, HS });
      await runGpuKernel(env, 'attentionFlash', storage, {
        params: { T, NH, HS },
        buffers: { qkv: upload(env, 'qkv', qkv.raw), mask: upload(env, 'mask', mask), ctx },
        overrides: grid.overrides,
        workgroups: grid.workgroups,
      });
      const got = await downloadAs(env, storage, ctx, B * T * C);
      if (got.some((v) => Number.isNaN(v))) throw new Error(`${this.name}: NaN in the output`);
      expectClose(this.name, got, ref.attention(qkv.v, mask, B, T, NH, HS), tolOf(storage));
    },
  };
}

/**
 * attentionFlashProj then layernormRow: y = LayerNorm(attention(qkv)·Woᵀ + bo + residual)·gamma + beta — attention,
 * the attention-output GEMM (split-K over heads) and its LayerNorm in two dispatches. Wo is (C, C) PyTorch
 * [out, in]; the kernel takes it transposed, as the loader would re-lay it out.
 */
export function attentionProjCase(storage: Storage, [B, T, NH, HS, padding]: AttentionShape): GpuKernelCase {
  return {
    name: `attentionFlashProj+layernormRow ${storage} B=${B} T=${T} NH=${NH} HS=${HS} padding=${padding}`,
    kernel: 'attentionFlashProj', storage,
    async run(env) {
      const C = NH * HS;
      const M = B * T;
      const eps = 1e-12;
      const qkv = stored(storage, randomArray(M * 3 * C, M + C, 1.5));
      const mask = keyPaddingMask(B, T, padding);
      const wo = stored(storage, randomArray(C * C, C + 1, 1 / Math.sqrt(C)));
      const woT = new Float32Array(C * C);
      for (let n = 0; n < C; n++) for (let k = 0; k < C; k++) woT[k * C + n] = wo.v[n * C + k];
      const bo = stored(storage, randomArray(C, C + 2, 0.5));
      const r = stored(storage, randomArray(M * C, C + 3, 1));
      const g = stored(storage, randomArray(C, C + 4, 0.2).map((v) => 1 + v));
      const be = stored(storage, randomArray(C, C + 5, 0.1));
      const partials = output(env, 'partials', NH * M * C, 4);
      const grid = gpuGrid('attentionFlashProj', { B, T, NH, HS });
      await runGpuKernel(env, 'attentionFlashProj', storage, {
        params: { T, NH, HS },
        buffers: { qkv: upload(env, 'qkv', qkv.raw), mask: upload(env, 'mask', mask), woT: upload(env, 'woT', stored(storage, woT).raw), partials },
        overrides: grid.overrides,
        workgroups: grid.workgroups,
      });
      const y = output(env, 'y', M * C, bytesOf(storage));
      const row = gpuGrid('layernormRow', { M, N: C, splits: NH });
      await runGpuKernel(env, 'layernormRow', storage, {
        params: { M, N: C, splits: NH, eps },
        buffers: { partials, b: upload(env, 'b', bo.raw), residual: upload(env, 'r', r.raw), gamma: upload(env, 'g', g.raw), beta: upload(env, 'be', be.raw), y },
        overrides: row.overrides,
        workgroups: row.workgroups,
      });
      const ctx = ref.attention(qkv.v, mask, B, T, NH, HS);
      const want = ref.layerNorm(ref.add(ref.matmul(ctx, wo.v, bo.v, M, C, C), r.v), g.v, be.v, M, C, eps);
      const got = await downloadAs(env, storage, y, M * C);
      if (got.some((v) => Number.isNaN(v))) throw new Error(`${this.name}: NaN in the output`);
      expectClose(this.name, got, want, tolOf(storage));
    },
  };
}

// ---- the case lists ----

export const gemmShapes: GemmShape[] = [
  [1, 1, 4, 'none'], [7, 13, 8, 'gelu'], [33, 65, 132, 'residual'], [129, 30, 20, 'geluTanh'], [3, 10, 12, 'relu'],
  [5, 7, 12, 'tanh', 3], [65, 129, 36, 'none'], [128, 768, 768, 'none'], [128, 3072, 768, 'gelu'], [128, 768, 3072, 'residual'],
];
export const tileCandidates: Tile[] = [{ TM: 16, TN: 16, BK4: 4 }, { TM: 8, TN: 16, BK4: 4 }, { TM: 8, TN: 8, BK4: 8 }];
export const narrowShapes: GemmShape[] = [
  [1, 1, 4, 'none'], [8, 13, 8, 'gelu'], [3, 768, 768, 'tanh', 128], [5, 30, 132, 'residual'], [2, 7, 20, 'relu'],
  [8, 770, 36, 'geluTanh'], [4, 1000, 768, 'none'],
];
// [128, 768, 768] / [128, 768, 3072]: BERT-base attention output and FFN2 at 1 × 128 (split-K 4); [3, 1100, 20]:
// a 256-thread row; [6, 30, 132, 3]: three uneven K slices (9 K tiles of 16 → 3, 3, 3; 132 / 4 = 33 vec4 → last short).
export const matmulLnShapes: MatmulLnShape[] = [
  [1, 1, 4], [1, 768, 768], [5, 13, 8], [129, 64, 36], [6, 30, 132, 3], [3, 1100, 20], [128, 768, 768], [128, 768, 3072],
];
export const attentionShapes: AttentionShape[] = [
  [1, 1, 1, 4, 'none'], [2, 5, 2, 8, 'tail'], [1, 129, 2, 16, 'none'], [3, 17, 3, 12, 'allMaskedRow'], [1, 9, 2, 32, 'tail'],
  [2, 128, 12, 64, 'tail'], [2, 33, 2, 64, 'allMaskedRow'], [1, 40, 1, 128, 'none'],
];
export const attentionProjShapes: AttentionShape[] = [
  [1, 1, 1, 4, 'none'], [2, 5, 2, 8, 'tail'], [3, 17, 3, 12, 'allMaskedRow'], [1, 33, 2, 64, 'none'], [2, 128, 12, 64, 'tail'],
  [1, 40, 1, 128, 'none'],
];

/** transpose: a pure re-layout, so the result must equal xᵀ exactly (values pass through unchanged). */
export function transposeCase(storage: Storage, [R, C]: [number, number]): GpuKernelCase {
  return {
    name: `transpose ${storage} R=${R} C=${C}`,
    kernel: 'transpose', storage,
    async run(env) {
      const x = stored(storage, randomArray(R * C, R + 7 * C, 1));
      const y = output(env, 'y', R * C, bytesOf(storage));
      await runGpuKernel(env, 'transpose', storage, { params: { R, C }, buffers: { x: upload(env, 'x', x.raw), y }, overrides: {}, workgroups: transposeGrid(R, C) });
      const got = await downloadAs(env, storage, y, R * C);
      for (let r = 0; r < R; r++) {
        for (let c = 0; c < C; c++) {
          if (got[c * R + r] !== x.v[r * C + c]) throw new Error(`${this.name}: y[${c}, ${r}] = ${got[c * R + r]}, expected x[${r}, ${c}] = ${x.v[r * C + c]}`);
        }
      }
    },
  };
}
export const transposeShapes: Array<[number, number]> = [[1, 1], [5, 33], [17, 16], [64, 768]];

/**
 * Dawn/lavapipe: every kernel in f32 (all shapes, every tile candidate) and f16 storage (a subset: the same source
 * behind a different prelude, so the f16 cases check loads, stores and tolerances, not the indexing again), and the
 * subgroup variant, and the f16-arithmetic kernels (gpu-half-cases.ts). Each distinct override set is a pipeline lavapipe compiles (~0.5–2 s), hence the subset.
 */
export function nodeGpuCases(): GpuKernelCase[] {
  const f16Gemm = gemmShapes.filter(([M, N, K]) => [33 * 65 * 132, 5 * 7 * 12, 128 * 768 * 3072, 1 * 1 * 4].includes(M * N * K));
  const f16Narrow = narrowShapes.filter(([M]) => M === 3 || M === 8);
  const f16Ln = matmulLnShapes.filter(([M, N]) => N === 30 || N === 1100 || (M === 128 && N === 768));
  const f16Attn = attentionShapes.filter(([, T, , HS]) => T === 17 || HS === 64 || HS === 128);
  return [
    ...gemmShapes.map((sh) => gemmCase('gemmTiled', 'f32', sh)),
    ...tileCandidates.flatMap((t) => [[65, 129, 36, 'gelu'], [33, 65, 132, 'residual']].map((sh) => gemmCase('gemmTiled', 'f32', sh as GemmShape, t))),
    ...narrowShapes.map((sh) => gemmCase('gemmNarrow', 'f32', sh)),
    ...narrowShapes.map((sh) => gemmCase('gemmNarrowSubgroup', 'f32', sh)),
    ...matmulLnShapes.map((sh) => matmulLnCase('f32', sh)),
    ...attentionShapes.map((sh) => attentionCase('f32', sh)),
    ...attentionProjShapes.map((sh) => attentionProjCase('f32', sh)),
    ...transposeShapes.map((sh) => transposeCase('f32', sh)),
    ...transposeShapes.slice(1, 3).map((sh) => transposeCase('f16', sh)),
    ...f16Gemm.map((sh) => gemmCase('gemmTiled', 'f16', sh)),
    ...f16Narrow.map((sh) => gemmCase('gemmNarrow', 'f16', sh)),
    ...f16Narrow.map((sh) => gemmCase('gemmNarrowSubgroup', 'f16', sh)),
    ...f16Ln.map((sh) => matmulLnCase('f16', sh)),
    ...f16Attn.map((sh) => attentionCase('f16', sh)),
    ...attentionProjShapes.filter(([, T]) => T === 17).map((sh) => attentionProjCase('f16', sh)),
    // f16 arithmetic (the …Half kernels), per-element bounds derived in gpu-half-cases.ts.
    ...nodeHalfCases(),
  ];
}

/** SwiftShader (~0.5 GFLOP/s, no shader-f16): f32, small shapes, every kernel and tile candidate. */
export function browserGpuCases(): GpuKernelCase[] {
  const small = <T extends [number, number, number, ...unknown[]]>(sh: T) => sh[0] * sh[1] * sh[2] <= 200_000;
  return [
    ...gemmShapes.filter(small).map((sh) => gemmCase('gemmTiled', 'f32', sh)),
    ...tileCandidates.map((t) => gemmCase('gemmTiled', 'f32', [65, 129, 36, 'gelu'], t)),
    ...narrowShapes.filter(small).map((sh) => gemmCase('gemmNarrow', 'f32', sh)),
    ...narrowShapes.filter(small).map((sh) => gemmCase('gemmNarrowSubgroup', 'f32', sh)),
    ...matmulLnShapes.filter(small).map((sh) => matmulLnCase('f32', sh)),
    ...attentionShapes.filter(([B, T, NH, HS]) => B * T * T * NH * HS <= 500_000).map((sh) => attentionCase('f32', sh)),
    ...attentionProjShapes.filter(([B, T, NH, HS]) => B * T * NH * HS * (T + NH * HS) <= 500_000).map((sh) => attentionProjCase('f32', sh)),
  ];
}
