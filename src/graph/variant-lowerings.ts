// The lowerings of the variant table's candidates (src/graph/variants.ts): for an op and the buffers of its tensors,
// each gives the uniforms, buffers by WGSL binding name, overrides and grid of its dispatch(es). The table says which
// candidate applies where; these say how it runs. Workgroup shapes are set here and passed as overrides, so the grids
// and the kernels cannot disagree.
import { MatmulEpilogue, rowGrid, type KernelName } from '../gpu/kernels.ts';
import { gemmTilesHalf, gpuGrid } from '../gpu/gpu-kernels.ts';
import type { KernelCall } from '../gpu/dispatch.ts';
import type { TensorId } from './ops.ts';
import type { OpOf, Tile } from './adapter-profile.ts';
import { LAYERNORM_FLOPS, opFlops } from './dispatch-info.ts';

export type BufferOf = (id: TensorId) => GPUBuffer;

/** One dispatch of a lowered op. `flops`: its share of the op's FLOPs where the op takes several dispatches. */
export interface LoweredDispatch {
  kernel: KernelName;
  call: KernelCall;
  flops?: number;
}

// matmul*: TILE_ROWS_T × TILE_COLS_T threads, each 4 × 4 outputs → a 32 × 32 tile.
const MATMUL_THREADS = 8;
// The register-blocked matmuls' thread blocks the tuner tries: 32 × 32 (the default, measured best on lavapipe at
// BERT shapes), 16 × 32 (twice the workgroups, for small M·N) and 32 × 64 (half the workgroup launches).
const matmulTiles: readonly Tile[] = [
  { TILE_ROWS_T: MATMUL_THREADS, TILE_COLS_T: MATMUL_THREADS },
  { TILE_ROWS_T: 4, TILE_COLS_T: MATMUL_THREADS },
  { TILE_ROWS_T: MATMUL_THREADS, TILE_COLS_T: 16 },
];
export const MATMUL_TILES = () => matmulTiles;
// matmul_layernorm_vec4: TC × TR threads own 4 · TR rows; matmul_layernorm owns 4 rows whatever its WG.
const LN_VEC4_TC = 16;
const LN_VEC4_TR = 4;
const MATMUL_LN_VEC4_ROWS = 4 * LN_VEC4_TR;
const MATMUL_LN_ROWS = 4;
// attention*: QB queries per workgroup.
const ATTENTION_QB = 32;

// ---- lowerings shared by the candidates of an op (every candidate of an op has the same binding names) ----

export function embeddingCall(op: OpOf<'embedding'>, buf: BufferOf): KernelCall {
  return {
    params: { rows: op.B * op.T, T: op.T, C: op.C, vocabSize: op.vocabSize, maxPositions: op.maxPositions,
      typeVocabSize: op.typeVocabSize, positionOffset: op.positionOffset, eps: op.eps },
    buffers: { ids: buf(op.ids), typeIds: buf(op.typeIds), wordEmb: buf(op.wordEmb), posEmb: buf(op.posEmb),
      typeEmb: buf(op.typeEmb), gamma: buf(op.gamma), beta: buf(op.beta), y: buf(op.out) },
    grid: rowGrid(op.B * op.T),
  };
}

export function matmulCall(op: OpOf<'matmul'>, buf: BufferOf, _scratch?: unknown, tile: Tile = matmulTiles[0]): KernelCall {
  const rowsT = tile.TILE_ROWS_T;
  const colsT = tile.TILE_COLS_T;
  return {
    params: { M: op.M, N: op.N, K: op.K, xRowStep: op.xRowStep, epilogue: MatmulEpilogue[op.epilogue] },
    // Without a residual epilogue the binding is unused; the bias buffer stands in (read-only aliasing is legal).
    buffers: { x: buf(op.x), w: buf(op.w), b: buf(op.b), residual: buf(op.residual ?? op.b), y: buf(op.out) },
    overrides: { TILE_ROWS_T: rowsT, TILE_COLS_T: colsT },
    grid: [Math.ceil(op.N / (4 * colsT)), Math.ceil(op.M / (4 * rowsT))],
  };
}

export function matmulLayernormCall(op: OpOf<'matmulLayernorm'>, buf: BufferOf, vec4: boolean): KernelCall {
  return {
    params: { M: op.M, N: op.N, K: op.K, eps: op.eps },
    buffers: { x: buf(op.x), w: buf(op.w), b: buf(op.b), residual: buf(op.residual), gamma: buf(op.gamma),
      beta: buf(op.beta), y: buf(op.out) },
    overrides: vec4 ? { TC: LN_VEC4_TC, TR: LN_VEC4_TR } : {},
    grid: rowGrid(Math.ceil(op.M / (vec4 ? MATMUL_LN_VEC4_ROWS : MATMUL_LN_ROWS))),
  };
}

export function layernormCall(op: OpOf<'layernorm'>, buf: BufferOf): KernelCall {
  return {
    params: { rows: op.rows, C: op.C, eps: op.eps },
    // No residual: the binding is unused, x stands in (read-only aliasing is legal).
    buffers: { x: buf(op.x), residual: buf(op.x), gamma: buf(op.gamma), beta: buf(op.beta), y: buf(op.out) },
    overrides: { HAS_RESIDUAL: false },
    grid: rowGrid(op.rows),
  };
}

export function gatherBlockRowsCall(op: OpOf<'gatherRows'>, buf: BufferOf): KernelCall {
  // The first block has no earlier rows: x stands in for the unused binding (read-only aliasing is legal).
  return {
    params: { R: op.R, W: op.W, rowsIn: op.rowsIn, rowStart: op.rowStart! },
    buffers: { ids: buf(op.rows), x: buf(op.x), prev: buf(op.previous ?? op.x), y: buf(op.out) },
    overrides: { HAS_PREV: op.previous != null },
    grid: rowGrid(op.R),
  };
}

export function gatherRowsCall(op: OpOf<'gatherRows'>, buf: BufferOf): KernelCall {
  return { params: { R: op.R, W: op.W, rowsIn: op.rowsIn }, buffers: { rows: buf(op.rows), x: buf(op.x), y: buf(op.out) }, grid: rowGrid(op.R) };
}

/** One workgroup of QB threads per QB·QPT queries (QPT: attention_vec4 only), per head and sequence. */
export function attentionCall(op: OpOf<'attention'>, buf: BufferOf, _scratch?: unknown, tile: Tile = { QB: ATTENTION_QB }): KernelCall {
  return {
    params: { T: op.T, NH: op.NH, HS: op.HS },
    buffers: { qkv: buf(op.qkv), mask: buf(op.mask), ctx: buf(op.out) },
    overrides: tile,
    grid: [Math.ceil(op.T / (tile.QB * (tile.QPT ?? 1))), op.NH, op.B],
  };
}

// attentionVec4's thread shapes: QPT queries per thread share each K/V row load (shaders/attention_vec4.wgsl: what
// costs on software adapters is the per-lane loads). The default takes QPT = 4 from 4096 query rows (B·NH·T) up —
// on lavapipe 1.5× faster attention at 8 × 128 — and QPT = 1 below, where the call is short and the bigger
// pipeline's compile (~1 s on lavapipe, at its first dispatch) would cost a first call more than it saves.
const attentionVec4Tiles: readonly Tile[] = [{ QB: 32, QPT: 1 }, { QB: 16, QPT: 2 }, { QB: 16, QPT: 4 }];
const ATTENTION_QPT_FROM_ROWS = 4096;
export function attentionVec4TilesFor(op: OpOf<'attention'>): readonly Tile[] {
  const [one, two, four] = attentionVec4Tiles;
  return op.B * op.NH * op.T >= ATTENTION_QPT_FROM_ROWS ? [four, one, two] : [one, two, four];
}

export function attentionVec4Call(op: OpOf<'attention'>, buf: BufferOf, scratch?: unknown, tile: Tile = attentionVec4TilesFor(op)[0]): KernelCall {
  return attentionCall(op, buf, scratch, tile);
}

export function attentionProbsCall(op: OpOf<'attentionProbs'>, buf: BufferOf): KernelCall {
  return {
    params: { T: op.T, NH: op.NH, HS: op.HS },
    buffers: { qkv: buf(op.qkv), mask: buf(op.mask), probs: buf(op.out) },
    overrides: { QB: ATTENTION_QB },
    grid: [Math.ceil(op.T / ATTENTION_QB), op.NH, op.B],
  };
}

// ---- GPU-profile lowerings: grids and tile overrides from gpuGrid (src/gpu/gpu-kernels.ts), the one place that
// maps a shape to them (the plan dump, docs/kernels.md and the kernel tests read it too) ----

/** The tiled or narrow GEMM with matmul_vec4's interface (same uniforms and bindings as matmulCall). */
type GpuMatmulKernel = 'gemmTiled' | 'gemmNarrow' | 'gemmNarrowSubgroup' | 'gemmTiledHalf' | 'gemmNarrowHalf' | 'gemmNarrowSubgroupHalf';
export function gpuMatmulCall(kernel: GpuMatmulKernel) {
  return (op: OpOf<'matmul'>, buf: BufferOf, _scratch?: unknown, tile?: Tile): KernelCall => {
    const g = gpuGrid(kernel, { M: op.M, N: op.N, K: op.K });
    // A tuned tile of the tiled GEMM: its grid as gpuGrid computes it for that tile (one workgroup per output tile).
    const grid = tile ? [Math.ceil(op.N / (4 * tile.TN)), Math.ceil(op.M / (4 * tile.TM)), 1] as const : g.workgroups;
    return { ...matmulCall(op, buf), overrides: tile ?? g.overrides, grid };
  };
}

// The tiled GEMM's tiles (the same three gpuGrid chooses among; test/unit/kernels-gpu.test.ts runs each), the one
// gpuGrid picks for this shape first.
const gemmTiles: readonly Tile[] = [{ TM: 16, TN: 16, BK4: 4 }, { TM: 8, TN: 16, BK4: 4 }, { TM: 8, TN: 8, BK4: 8 }];
function tilesFor(kernel: 'gemmTiled' | 'gemmTiledHalf', list: readonly Tile[]) {
  return (op: OpOf<'matmul'>): readonly Tile[] => {
    const chosen = gpuGrid(kernel, { M: op.M, N: op.N, K: op.K }).overrides;
    const same = (t: Tile) => t.TM === chosen.TM && t.TN === chosen.TN && t.BK4 === chosen.BK4;
    return [...list.filter(same), ...list.filter((t) => !same(t))];
  };
}
export const GEMM_TILES = tilesFor('gemmTiled', gemmTiles);
// The f16-arithmetic GEMM's tiles: the same output tiles, twice the K tile (gpu-kernels.ts: gemmTilesHalf).
export const GEMM_TILES_HALF = tilesFor('gemmTiledHalf', gemmTilesHalf);

/** x·wᵀ as split-K f32 partials into scratch, then bias + residual + LayerNorm per row: two dispatches. */
export type PartialKernel = 'gemmTiledPartial' | 'gemmTiledPartialHalf';
export function splitMatmulLayernorm(partialKernel: KernelName, rowKernel: KernelName, gpuKernel: PartialKernel = 'gemmTiledPartial') {
  return (op: OpOf<'matmulLayernorm'>, buf: BufferOf, scratch: () => GPUBuffer): LoweredDispatch[] => {
    const { M, N, K } = op;
    const gemm = gpuGrid(gpuKernel, { M, N, K });
    const splits = gemm.workgroups[2];
    const row = gpuGrid('layernormRow', { M, N, splits });
    const partials = scratch();
    return [
      { kernel: partialKernel, flops: 2 * M * N * K, call: {
        params: { M, N, K, xRowStep: 1, epilogue: MatmulEpilogue.none },
        // PARTIAL mode reads neither bias nor residual; the bias stands in for both (read-only aliasing is legal).
        buffers: { x: buf(op.x), w: buf(op.w), b: buf(op.b), residual: buf(op.b), y: partials },
        overrides: gemm.overrides, grid: gemm.workgroups } },
      { kernel: rowKernel, flops: M * N * (2 + LAYERNORM_FLOPS), call: {
        params: { M, N, splits, eps: op.eps },
        buffers: { partials, b: buf(op.b), residual: buf(op.residual), gamma: buf(op.gamma), beta: buf(op.beta), y: buf(op.out) },
        overrides: row.overrides, grid: row.workgroups } },
    ];
  };
}

export function flashAttentionCall(gpuKernel: 'attentionFlash' | 'attentionFlashHalf') {
  return (op: OpOf<'attention'>, buf: BufferOf): KernelCall => flashAttention(gpuKernel, op, buf);
}

function flashAttention(gpuKernel: 'attentionFlash' | 'attentionFlashHalf', op: OpOf<'attention'>, buf: BufferOf): KernelCall {
  const g = gpuGrid(gpuKernel, { B: op.B, T: op.T, NH: op.NH, HS: op.HS });
  return { params: { T: op.T, NH: op.NH, HS: op.HS }, buffers: { qkv: buf(op.qkv), mask: buf(op.mask), ctx: buf(op.out) }, overrides: g.overrides, grid: g.workgroups };
}

/** Attention × its head's slice of woT → per-head f32 partials (the heads are the split-K slices), then the row kernel. */
export function flashAttentionOutput(projKernel: KernelName, rowKernel: KernelName, gpuKernel: 'attentionFlashProj' | 'attentionFlashProjHalf' = 'attentionFlashProj') {
  return (op: OpOf<'attentionOutput'>, buf: BufferOf, scratch: () => GPUBuffer): LoweredDispatch[] => {
    const { B, T, NH, HS } = op;
    const M = B * T;
    const C = NH * HS;
    const g = gpuGrid(gpuKernel, { B, T, NH, HS });
    const row = gpuGrid('layernormRow', { M, N: C, splits: NH });
    const partials = scratch();
    const rowFlops = M * C * (2 + LAYERNORM_FLOPS);
    return [
      { kernel: projKernel, flops: opFlops(op) - rowFlops, call: {
        params: { T, NH, HS }, buffers: { qkv: buf(op.qkv), mask: buf(op.mask), woT: buf(op.woT), partials },
        overrides: g.overrides, grid: g.workgroups } },
      { kernel: rowKernel, flops: rowFlops, call: {
        params: { M, N: C, splits: NH, eps: op.eps },
        buffers: { partials, b: buf(op.b), residual: buf(op.residual), gamma: buf(op.gamma), beta: buf(op.beta), y: buf(op.out) },
        overrides: row.overrides, grid: row.workgroups } },
    ];
  };
}

/**
 * Software profile: matmulVec4 with the residual epilogue (x·wᵀ + b + residual) into f32 scratch, then layernorm.
 * The matmul is the pipeline every other matmul of the model uses (the epilogue is a uniform), and layernorm is a
 * small kernel: on lavapipe, which compiles at first dispatch, the pair compiles in ~0.5 s where the fused
 * matmul_layernorm_vec4 took ~2 s (its cross-thread row statistics in workgroup memory), at the same warm speed.
 */
export function unfusedMatmulLayernorm(op: OpOf<'matmulLayernorm'>, buf: BufferOf, scratch: () => GPUBuffer): LoweredDispatch[] {
  const { M, N, K } = op;
  const preNorm = scratch();
  const matmul: OpOf<'matmul'> = { kind: 'matmul', x: op.x, w: op.w, b: op.b, residual: op.residual, out: op.out, M, N, K, xRowStep: 1, epilogue: 'residual' };
  return [
    { kernel: 'matmulVec4', flops: 2 * M * N * K + 2 * M * N, call: matmulCall(matmul, (id) => (id === op.out ? preNorm : buf(id))) },
    { kernel: 'layernorm', flops: M * N * LAYERNORM_FLOPS, call: {
      params: { rows: M, C: N, eps: op.eps },
      // No residual here (the matmul added it): the binding is unused, x stands in (read-only aliasing is legal).
      buffers: { x: preNorm, residual: preNorm, gamma: buf(op.gamma), beta: buf(op.beta), y: buf(op.out) },
      overrides: { HAS_RESIDUAL: false }, grid: rowGrid(M) } },
  ];
}

export const splitKBytesOf = (gpuKernel: PartialKernel) => (op: OpOf<'matmulLayernorm'>) => gpuGrid(gpuKernel, { M: op.M, N: op.N, K: op.K }).workgroups[2] * op.M * op.N * 4;
export const splitKBytes = splitKBytesOf('gemmTiledPartial');
export const headPartialBytes = (op: OpOf<'attentionOutput'>) => op.NH * op.B * op.T * op.NH * op.HS * 4;

