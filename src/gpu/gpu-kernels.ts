// Kernels shaped for hardware GPUs (shaders/gpu/*.wgsl): workgroup-memory tiles, many workgroups at batch 1, head
// size a pipeline constant. Each source serves f32 and f16 storage through a prelude (the agreed convention:
// `alias elem = f32; alias elem4 = vec4<f32>;` or `enable f16; alias elem = f16; …`), arithmetic is f32 — except in
// the `…Half` kernels (f16 storage only): the same sources with `mathElem = f16`, vec4<f16> products summed in f16 for
// 8 products at most, then added to f32 accumulators (docs/kernels.md, "f16 arithmetic").
// Descriptors have the shape of src/gpu/kernels.ts's Kernel ({ name, code, iface }); gpuGrid() is the one place
// that maps an op shape to tile overrides and a workgroup grid (the runtime, the tests, the plan dump and
// docs/kernels.md all read it).
import { reflectKernel, type KernelInterface } from './wgsl-reflect.ts';
import { shaderLibs, shaderPrelude } from './shaders.ts';
import gemmTiled from '../../shaders/gpu/gemm_tiled.wgsl?raw';
import gemmNarrow from '../../shaders/gpu/gemm_narrow.wgsl?raw';
import narrowReduceShared from '../../shaders/gpu/lib/narrow_reduce_shared.wgsl?raw';
import narrowReduceSubgroup from '../../shaders/gpu/lib/narrow_reduce_subgroup.wgsl?raw';
import layernormRow from '../../shaders/gpu/layernorm_row.wgsl?raw';
import attentionFlash from '../../shaders/gpu/attention_flash.wgsl?raw';
import attentionStoreCtx from '../../shaders/gpu/lib/attention_store_ctx.wgsl?raw';
import attentionStoreProj from '../../shaders/gpu/lib/attention_store_proj.wgsl?raw';
import transpose from '../../shaders/gpu/transpose.wgsl?raw';

export type Storage = 'f32' | 'f16';

interface Spec {
  source: string;
  /** Library sources appended after the kernel. */
  libs: string[];
  /** Declarations the source expects besides elem / elem4. */
  extra: string;
  /** Adapter features the module needs beyond `shader-f16` for f16 storage. */
  features: GPUFeatureName[];
  /** f16 arithmetic: compiled for f16 storage only (its tiles are f16; f32 storage would round the inputs). */
  f16Only?: true;
}

// The arithmetic declarations (prelude): products in mathElem; FLUSH4 vec4 dots (4·FLUSH4 products) are summed in
// mathElem before they join an f32 accumulator; PV_FLUSH keys likewise in attention's P·V. f32: every dot joins the
// f32 sum at once (FLUSH 1: the numerics of the f32-arithmetic kernels). f16: 8 products per f16 partial sum, so a
// partial sum carries at most 8 roundings of 2⁻¹¹ (test/unit/kernels-gpu-half.test.ts derives its tolerance from it).
const f32Math = 'alias mathElem = f32;\nconst FLUSH4 = 1u;\nconst PV_FLUSH = 1u;';
const f16Math = 'alias mathElem = f16;\nconst FLUSH4 = 2u;\nconst PV_FLUSH = 8u;';
/** Products summed in f16 before an f32 add, in every …Half kernel (FLUSH4 = 2 vec4 dots; PV_FLUSH = 8 keys). */
export const HALF_FLUSH_PRODUCTS = 8;

const gemmPlain = 'alias yElem = elem;\nconst PARTIAL = false;';
const gemmPartial = 'alias yElem = f32;\nconst PARTIAL = true;';

const specs = {
  /** Tiled GEMM with the matmul epilogues. */
  gemmTiled: { source: gemmTiled, libs: [shaderLibs.erf, shaderLibs.epilogue], extra: `${gemmPlain}\n${f32Math}`, features: [] },
  /** The same GEMM writing raw f32 split-K partial sums for layernormRow. */
  gemmTiledPartial: { source: gemmTiled, libs: [shaderLibs.erf, shaderLibs.epilogue], extra: `${gemmPartial}\n${f32Math}`, features: [] },
  /** Few-row GEMM (M ≤ 8), workgroup-memory reduction. */
  gemmNarrow: { source: gemmNarrow, libs: [narrowReduceShared, shaderLibs.erf, shaderLibs.epilogue], extra: f32Math, features: [] },
  /** Few-row GEMM, subgroupAdd reduction. */
  gemmNarrowSubgroup: { source: gemmNarrow, libs: [narrowReduceSubgroup, shaderLibs.erf, shaderLibs.epilogue], extra: f32Math, features: ['subgroups'] },
  /** Split-K sum + bias + residual + LayerNorm, one workgroup per row. */
  layernormRow: { source: layernormRow, libs: [shaderLibs.workgroupSum], extra: '', features: [] },
  /** Flash-style attention over the fused QKV, head size an override. */
  attentionFlash: { source: attentionFlash, libs: [attentionStoreCtx], extra: f32Math, features: [] },
  /**
   * The same attention times its head's slice of the attention-output weight (transposed): f32 split-K partials, one
   * slice per head, for layernormRow — attention and the attention-output GEMM in one dispatch.
   */
  attentionFlashProj: { source: attentionFlash, libs: [attentionStoreProj], extra: f32Math, features: [] },
  // f16 arithmetic (f16 storage only): the same sources and libraries, f16 tiles and products (f16Math above).
  /** gemmTiled with vec4<f16> tiles (twice the K tile) and products. */
  gemmTiledHalf: { source: gemmTiled, libs: [shaderLibs.erf, shaderLibs.epilogue], extra: `${gemmPlain}\n${f16Math}`, features: [], f16Only: true },
  /** gemmTiledPartial with f16 tiles and products (the partials stay f32). */
  gemmTiledPartialHalf: { source: gemmTiled, libs: [shaderLibs.erf, shaderLibs.epilogue], extra: `${gemmPartial}\n${f16Math}`, features: [], f16Only: true },
  /** gemmNarrow with f16 products (the reduction stays f32). */
  gemmNarrowHalf: { source: gemmNarrow, libs: [narrowReduceShared, shaderLibs.erf, shaderLibs.epilogue], extra: f16Math, features: [], f16Only: true },
  /** gemmNarrowSubgroup with f16 products. */
  gemmNarrowSubgroupHalf: { source: gemmNarrow, libs: [narrowReduceSubgroup, shaderLibs.erf, shaderLibs.epilogue], extra: f16Math, features: ['subgroups'], f16Only: true },
  /** attentionFlash with f16 Q/K/V tiles, score dots and P·V products (softmax f32). */
  attentionFlashHalf: { source: attentionFlash, libs: [attentionStoreCtx], extra: f16Math, features: [], f16Only: true },
  /** attentionFlashProj likewise; the projection's products f16 too (the partials stay f32). */
  attentionFlashProjHalf: { source: attentionFlash, libs: [attentionStoreProj], extra: f16Math, features: [], f16Only: true },
  /** y = xᵀ: the load-time re-layout of attentionFlashProj's woT (not an op of a forward; see transposeGrid). */
  transpose: { source: transpose, libs: [], extra: '', features: [] },
} satisfies Record<string, Spec>;

export type GpuKernelName = keyof typeof specs;
export const gpuKernelNames = Object.keys(specs) as GpuKernelName[];

export interface GpuKernel {
  /** Unique per storage type: the f16 module is `<name>F16` (pipeline caches key on it). */
  name: string;
  code: string;
  iface: KernelInterface;
  /** Features the device must have been created with. */
  features: GPUFeatureName[];
}

const enableRe = /^\s*enable\s+[\w,\s]+;\s*$/gm;

/** Concatenates module parts with every `enable` directive moved to the top (WGSL wants directives first). */
function assemble(parts: string[]): string {
  const enables = new Set<string>();
  const bodies = parts.map((p) => p.replace(enableRe, (m) => (enables.add(m.trim()), '')));
  return [...enables, ...bodies].join('\n');
}

const cache = new Map<string, GpuKernel>();

export function getGpuKernel(name: GpuKernelName, storage: Storage = 'f32'): GpuKernel {
  const spec: Spec | undefined = (specs as Record<string, Spec>)[name];
  if (!spec) throw new Error(`unknown GPU kernel '${String(name)}'`);
  if (storage !== 'f32' && storage !== 'f16') throw new Error(`GPU kernel ${name}: storage must be 'f32' or 'f16', got '${String(storage)}'`);
  if (spec.f16Only && storage !== 'f16') throw new Error(`GPU kernel ${name}: f16 arithmetic needs f16 storage, got '${storage}'`);
  const key = storage === 'f16' ? `${name}F16` : name;
  let k = cache.get(key);
  if (!k) {
    const code = assemble([shaderPrelude(storage), spec.extra, spec.source, ...spec.libs]);
    const features: GPUFeatureName[] = [...(storage === 'f16' ? ['shader-f16' as const] : []), ...spec.features];
    // Bindings may live in a library (the attention output variants), so the interface is read from all of them.
    k = { name: key, code, iface: reflectKernel(key, [spec.source, ...spec.libs].join('\n')), features };
    cache.set(key, k);
  }
  return k;
}

// ---- grids ----

/** The transpose kernel's grid for an (R, C) matrix: one 16 × 16 workgroup per tile. */
export function transposeGrid(R: number, C: number): [number, number, number] {
  return [Math.ceil(C / 16), Math.ceil(R / 16), 1];
}

/** The occupancy target: every matmul and attention dispatch launches at least this many workgroups. */
export const MIN_WORKGROUPS = 96;
/** Largest M gemmNarrow takes (its MAX_M). */
export const NARROW_MAX_M = 8;
/** Columns of LayerNorm a layernormRow thread keeps in registers (its KEEP). */
const ROW_KEEP = 8;

/** `residual` (gpuCost only): the epilogue reads an (M, N) residual. */
export interface GemmShape { M: number; N: number; K: number; residual?: boolean }
export interface RowShape { M: number; N: number; splits: number }
export interface AttentionShape { B: number; T: number; NH: number; HS: number }

export interface GpuGrid {
  workgroups: [number, number, number];
  workgroupSize: [number, number, number];
  /** Pipeline overrides the kernel needs for this shape (tile sizes, head size). */
  overrides: Record<string, number>;
}

type AttentionKernel = 'attentionFlash' | 'attentionFlashProj' | 'attentionFlashHalf' | 'attentionFlashProjHalf';
type ShapeOf<K extends GpuKernelName> = K extends 'transpose' ? never : K extends 'layernormRow' ? RowShape : K extends AttentionKernel ? AttentionShape : GemmShape;

/** Whether a GPU kernel does f16 arithmetic (the …Half kernels: f16 storage only). */
export function isHalfMath(name: GpuKernelName): boolean {
  return (specs as Record<string, Spec>)[name]?.f16Only === true;
}

// Tiled GEMM candidates, largest first: a 64 × 64 tile reuses each loaded element 16 times per thread; smaller
// tiles give more workgroups when M·N is small. BK4 keeps workgroup memory ≤ 10 KB (WebGPU guarantees 16 KB).
const gemmTiles = [
  { TM: 16, TN: 16, BK4: 4 },  // 64 × 64, 256 threads
  { TM: 8, TN: 16, BK4: 4 },   // 32 × 64, 128 threads
  { TM: 8, TN: 8, BK4: 8 },    // 32 × 32, 64 threads
] as const;
// The f16-arithmetic GEMM's tiles: the same output tiles with vec4<f16> workgroup tiles, so twice the K tile in about
// the same workgroup memory (9.2, 6.9 and 8.7 KB): half the barriers and loop overhead per FLOP. Halving the memory
// instead would only matter where workgroup memory limits residency, and at ≤ 10 KB per 64–256 threads the thread and
// register limits of an SM / CU bind first.
export const gemmTilesHalf = [
  { TM: 16, TN: 16, BK4: 8 },
  { TM: 8, TN: 16, BK4: 8 },
  { TM: 8, TN: 8, BK4: 16 },
] as const;

function positiveInts(kernel: string, shape: object, names: string[]): void {
  for (const n of names) {
    const v = (shape as Record<string, unknown>)[n];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`gpuGrid(${kernel}): shape.${n} must be a positive integer, got ${String(v)}`);
  }
}

/** 1-D count of workgroups as an (x, y) grid within the 65535 per-dimension limit (index = x + 65535·y). */
function split2d(n: number): [number, number] {
  return n <= 65535 ? [n, 1] : [65535, Math.ceil(n / 65535)];
}

/**
 * The workgroup grid, workgroup size and overrides of one dispatch of `kernel` at `shape`. gemmTiledPartial's
 * workgroups[2] is the split-K count: the partials buffer holds workgroups[2]·M·N f32 and layernormRow takes it as
 * `splits`. Throws for shapes the kernel does not take (K % 4, M > 8 for the narrow GEMM, head sizes).
 */
export function gpuGrid<K extends GpuKernelName>(kernel: K, shape: ShapeOf<K>): GpuGrid {
  switch (kernel) {
    case 'gemmTiled':
    case 'gemmTiledPartial':
    case 'gemmTiledHalf':
    case 'gemmTiledPartialHalf': {
      const { M, N, K } = shape as GemmShape;
      positiveInts(kernel, shape, ['M', 'N', 'K']);
      if (K % 4 !== 0) throw new Error(`gpuGrid(${kernel}): K must be a multiple of 4, got ${K}`);
      const partial = kernel === 'gemmTiledPartial' || kernel === 'gemmTiledPartialHalf';
      const tiles: ReadonlyArray<{ TM: number; TN: number; BK4: number }> = isHalfMath(kernel) ? gemmTilesHalf : gemmTiles;
      const tilesOf = (t: (typeof tiles)[number]) => Math.ceil(M / (4 * t.TM)) * Math.ceil(N / (4 * t.TN));
      // Plain GEMM: the largest tile that still fills MIN_WORKGROUPS. Partial (split-K): the largest tile, with K
      // split until MIN_WORKGROUPS are reached (never into empty slices).
      const tile = !partial ? tiles.find((t) => tilesOf(t) >= MIN_WORKGROUPS) ?? tiles[tiles.length - 1] : tiles[0];
      let splits = 1;
      if (partial) {
        const kTiles = Math.ceil(K / 4 / tile.BK4);
        const want = Math.min(Math.ceil(MIN_WORKGROUPS / tilesOf(tile)), kTiles);
        splits = Math.ceil(kTiles / Math.ceil(kTiles / want));
      }
      const gx = Math.ceil(N / (4 * tile.TN));
      const gy = Math.ceil(M / (4 * tile.TM));
      if (gx > 65535 || gy > 65535) throw new Error(`gpuGrid(${kernel}): M=${M}, N=${N} need more than 65535 tiles along one axis`);
      return { workgroups: [gx, gy, splits], workgroupSize: [tile.TN, tile.TM, 1], overrides: { ...tile } };
    }
    case 'gemmNarrow':
    case 'gemmNarrowSubgroup':
    case 'gemmNarrowHalf':
    case 'gemmNarrowSubgroupHalf': {
      const { M, N, K } = shape as GemmShape;
      positiveInts(kernel, shape, ['M', 'N', 'K']);
      if (K % 4 !== 0) throw new Error(`gpuGrid(${kernel}): K must be a multiple of 4, got ${K}`);
      if (M > NARROW_MAX_M) throw new Error(`gpuGrid(${kernel}): M must be ≤ ${NARROW_MAX_M}, got ${M}`);
      const WG = 64;
      return { workgroups: [...split2d(Math.ceil(N / 4)), 1], workgroupSize: [WG, 1, 1], overrides: { WG } };
    }
    case 'layernormRow': {
      const { M, N } = shape as RowShape;
      positiveInts(kernel, shape, ['M', 'N', 'splits']);
      let WG = 64;
      while (WG * ROW_KEEP < N) WG *= 2;
      if (WG > 256) throw new Error(`gpuGrid(layernormRow): N must be ≤ ${256 * ROW_KEEP}, got ${N}`);
      // Wide rows get a wider workgroup (more loads in flight), up to the registers' N ≤ WG·KEEP.
      if (N >= 512 && WG < 128) WG = 128;
      return { workgroups: [...split2d(M), 1], workgroupSize: [WG, 1, 1], overrides: { WG } };
    }
    case 'attentionFlash':
    case 'attentionFlashProj':
    case 'attentionFlashHalf':
    case 'attentionFlashProjHalf': {
      const { B, T, NH, HS } = shape as AttentionShape;
      positiveInts(kernel, shape, ['B', 'T', 'NH', 'HS']);
      if (HS % 4 !== 0 || HS > 128) throw new Error(`gpuGrid(${kernel}): HS must be a multiple of 4 and ≤ 128, got ${HS}`);
      if (B > 65535 || NH > 65535) throw new Error(`gpuGrid(${kernel}): B and NH must be ≤ 65535, got ${B}, ${NH}`);
      // 4 threads per query own ≤ 16 accumulators each up to HS 64; HS 128 takes 8 (and a smaller key tile, to
      // stay within 16 KB of workgroup memory).
      // f16 tiles take half the bytes: twice the keys per tile (a multiple of PV_FLUSH, 8) in ≤ 9.5 KB.
      const TPQ = HS > 64 ? 8 : 4;
      const BKV = (HS > 64 ? 8 : 16) * (isHalfMath(kernel) ? 2 : 1);
      const BQ = 16;
      return { workgroups: [Math.ceil(T / BQ), NH, B], workgroupSize: [BQ * TPQ, 1, 1], overrides: { HS, BQ, TPQ, BKV } };
    }
    default:
      throw new Error(`gpuGrid: unknown GPU kernel '${String(kernel)}'`);
  }
}

export interface GpuCost {
  /** Arithmetic of the dispatch (multiply-adds count 2; the row kernel's element-wise work counted per element). */
  flops: number;
  /**
   * Bytes all workgroups request from global memory (loads + stores, as the kernel issues them: a tile loaded by
   * 12 workgroups counts 12 times). Caches serve part of it; DRAM traffic is at most this.
   */
  globalBytes: number;
}

/** The traffic model of one dispatch at `shape` (grid from gpuGrid), for the plan dump and docs/kernels.md. */
export function gpuCost<K extends GpuKernelName>(kernel: K, shape: ShapeOf<K>, storage: Storage = 'f32'): GpuCost {
  const e = storage === 'f16' || isHalfMath(kernel) ? 2 : 4;
  const g = gpuGrid(kernel, shape);
  const [gx, gy, gz] = g.workgroups;
  switch (kernel) {
    case 'gemmTiled':
    case 'gemmTiledPartial':
    case 'gemmTiledHalf':
    case 'gemmTiledPartialHalf': {
      const { M, N, K } = shape as GemmShape;
      const { TM, TN, BK4 } = g.overrides;
      const kPadded = Math.ceil(K / 4 / BK4) * BK4 * 4;
      const tiles = gx * gy * (4 * TM + 4 * TN) * kPadded * e;  // every split of every tile, over all of K
      const { residual = false } = shape as GemmShape;
      // bias (+ residual) + store, or the f32 partials
      const epilogue = kernel === 'gemmTiled' || kernel === 'gemmTiledHalf' ? M * N * (residual ? 3 : 2) * e : gz * M * N * 4;
      return { flops: 2 * M * N * K, globalBytes: tiles + epilogue };
    }
    case 'gemmNarrow':
    case 'gemmNarrowSubgroup':
    case 'gemmNarrowHalf':
    case 'gemmNarrowSubgroupHalf': {
      const { M, N, K } = shape as GemmShape;
      const blocks = Math.ceil(N / 4);
      const { residual = false } = shape as GemmShape;
      return { flops: 2 * M * N * K, globalBytes: blocks * (4 + M) * K * e + M * N * (residual ? 3 : 2) * e };
    }
    case 'layernormRow': {
      const { M, N, splits } = shape as RowShape;
      return { flops: (splits + 9) * M * N, globalBytes: M * N * (splits * 4 + 5 * e) };
    }
    case 'attentionFlash':
    case 'attentionFlashProj':
    case 'attentionFlashHalf':
    case 'attentionFlashProjHalf': {
      const { B, T, NH, HS } = shape as AttentionShape;
      const { BQ } = g.overrides;
      const C = NH * HS;
      const attention = 2 * T * HS * e + BQ * T * 4 + BQ * HS * e;  // K and V, the mask per score, Q in
      if (kernel === 'attentionFlash' || kernel === 'attentionFlashHalf') {
        return { flops: 4 * B * NH * T * T * HS, globalBytes: gx * gy * gz * (attention + BQ * HS * e) };  // + ctx out
      }
      // + the head's HS rows of woT, and BQ rows of f32 partials out
      return { flops: 4 * B * NH * T * T * HS + 2 * B * T * C * C, globalBytes: gx * gy * gz * (attention + HS * C * e + BQ * C * 4) };
    }
    default:
      throw new Error(`gpuCost: unknown GPU kernel '${String(kernel)}'`);
  }
}
