// Kernels shaped for hardware GPUs (shaders/gpu/*.wgsl): workgroup-memory tiles, many workgroups at batch 1, head
// size a pipeline constant. Each source serves f32 and f16 storage through a prelude (the agreed convention:
// `alias elem = f32; alias elem4 = vec4<f32>;` or `enable f16; alias elem = f16; …`), arithmetic is f32.
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
}

const specs = {
  /** Tiled GEMM with the matmul epilogues. */
  gemmTiled: { source: gemmTiled, libs: [shaderLibs.erf], extra: 'alias yElem = elem;\nconst PARTIAL = false;', features: [] },
  /** The same GEMM writing raw f32 split-K partial sums for layernormRow. */
  gemmTiledPartial: { source: gemmTiled, libs: [shaderLibs.erf], extra: 'alias yElem = f32;\nconst PARTIAL = true;', features: [] },
  /** Few-row GEMM (M ≤ 8), workgroup-memory reduction. */
  gemmNarrow: { source: gemmNarrow, libs: [narrowReduceShared, shaderLibs.erf], extra: '', features: [] },
  /** Few-row GEMM, subgroupAdd reduction. */
  gemmNarrowSubgroup: { source: gemmNarrow, libs: [narrowReduceSubgroup, shaderLibs.erf], extra: '', features: ['subgroups'] },
  /** Split-K sum + bias + residual + LayerNorm, one workgroup per row. */
  layernormRow: { source: layernormRow, libs: [shaderLibs.workgroupSum], extra: '', features: [] },
  /** Flash-style attention over the fused QKV, head size an override. */
  attentionFlash: { source: attentionFlash, libs: [attentionStoreCtx], extra: '', features: [] },
  /**
   * The same attention times its head's slice of the attention-output weight (transposed): f32 split-K partials, one
   * slice per head, for layernormRow — attention and the attention-output GEMM in one dispatch.
   */
  attentionFlashProj: { source: attentionFlash, libs: [attentionStoreProj], extra: '', features: [] },
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

type ShapeOf<K extends GpuKernelName> = K extends 'transpose' ? never : K extends 'layernormRow' ? RowShape : K extends 'attentionFlash' | 'attentionFlashProj' ? AttentionShape : GemmShape;

// Tiled GEMM candidates, largest first: a 64 × 64 tile reuses each loaded element 16 times per thread; smaller
// tiles give more workgroups when M·N is small. BK4 keeps workgroup memory ≤ 10 KB (WebGPU guarantees 16 KB).
const gemmTiles = [
  { TM: 16, TN: 16, BK4: 4 },  // 64 × 64, 256 threads
  { TM: 8, TN: 16, BK4: 4 },   // 32 × 64, 128 threads
  { TM: 8, TN: 8, BK4: 8 },    // 32 × 32, 64 threads
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
    case 'gemmTiledPartial': {
      const { M, N, K } = shape as GemmShape;
      positiveInts(kernel, shape, ['M', 'N', 'K']);
      if (K % 4 !== 0) throw new Error(`gpuGrid(${kernel}): K must be a multiple of 4, got ${K}`);
      const tilesOf = (t: (typeof gemmTiles)[number]) => Math.ceil(M / (4 * t.TM)) * Math.ceil(N / (4 * t.TN));
      // Plain GEMM: the largest tile that still fills MIN_WORKGROUPS. Partial (split-K): the largest tile, with K
      // split until MIN_WORKGROUPS are reached (never into empty slices).
      const tile = kernel === 'gemmTiled' ? gemmTiles.find((t) => tilesOf(t) >= MIN_WORKGROUPS) ?? gemmTiles[gemmTiles.length - 1] : gemmTiles[0];
      let splits = 1;
      if (kernel === 'gemmTiledPartial') {
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
    case 'gemmNarrowSubgroup': {
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
    case 'attentionFlashProj': {
      const { B, T, NH, HS } = shape as AttentionShape;
      positiveInts(kernel, shape, ['B', 'T', 'NH', 'HS']);
      if (HS % 4 !== 0 || HS > 128) throw new Error(`gpuGrid(${kernel}): HS must be a multiple of 4 and ≤ 128, got ${HS}`);
      if (B > 65535 || NH > 65535) throw new Error(`gpuGrid(${kernel}): B and NH must be ≤ 65535, got ${B}, ${NH}`);
      // 4 threads per query own ≤ 16 accumulators each up to HS 64; HS 128 takes 8 (and a smaller key tile, to
      // stay within 16 KB of workgroup memory).
      const TPQ = HS > 64 ? 8 : 4;
      const BKV = HS > 64 ? 8 : 16;
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
  const e = storage === 'f16' ? 2 : 4;
  const g = gpuGrid(kernel, shape);
  const [gx, gy, gz] = g.workgroups;
  switch (kernel) {
    case 'gemmTiled':
    case 'gemmTiledPartial': {
      const { M, N, K } = shape as GemmShape;
      const { TM, TN, BK4 } = g.overrides;
      const kPadded = Math.ceil(K / 4 / BK4) * BK4 * 4;
      const tiles = gx * gy * (4 * TM + 4 * TN) * kPadded * e;  // every split of every tile, over all of K
      const { residual = false } = shape as GemmShape;
      // bias (+ residual) + store, or the f32 partials
      const epilogue = kernel === 'gemmTiled' ? M * N * (residual ? 3 : 2) * e : gz * M * N * 4;
      return { flops: 2 * M * N * K, globalBytes: tiles + epilogue };
    }
    case 'gemmNarrow':
    case 'gemmNarrowSubgroup': {
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
    case 'attentionFlashProj': {
      const { B, T, NH, HS } = shape as AttentionShape;
      const { BQ } = g.overrides;
      const C = NH * HS;
      const attention = 2 * T * HS * e + BQ * T * 4 + BQ * HS * e;  // K and V, the mask per score, Q in
      if (kernel === 'attentionFlash') {
        return { flops: 4 * B * NH * T * T * HS, globalBytes: gx * gy * gz * (attention + BQ * HS * e) };  // + ctx out
      }
      // + the head's HS rows of woT, and BQ rows of f32 partials out
      return { flops: 4 * B * NH * T * T * HS + 2 * B * T * C * C, globalBytes: gx * gy * gz * (attention + HS * C * e + BQ * C * 4) };
    }
    default:
      throw new Error(`gpuCost: unknown GPU kernel '${String(kernel)}'`);
  }
}
