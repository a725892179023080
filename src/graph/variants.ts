// The variant table: for each op kind, the kernels that can run it, in priority order, each with what it needs
// (storage dtype, adapter features, shape conditions, the adapter profiles it suits) and its lowering (uniforms,
// buffers by WGSL binding name, overrides, grid). lowerOp takes the first candidate that applies; a tuner times all
// of them (applicableVariants). Adding a kernel for an op is one row here.
import { MatmulEpilogue, rowGrid, type KernelName, type StorageDtype } from '../gpu/kernels.ts';
import { gemmTilesHalf, gpuGrid, NARROW_MAX_M } from '../gpu/gpu-kernels.ts';
import type { KernelCall } from '../gpu/dispatch.ts';
import type { TensorId } from './ops.ts';
import type { AdapterFeature, AdapterProfile, OpKind, OpOf, Tile, VariantChoice } from './adapter-profile.ts';
import { opKey, softwareProfile } from './adapter-profile.ts';
import { LAYERNORM_FLOPS, opFlops } from './dispatch-info.ts';

export { adapterProfile, choiceLabel, opKey, softwareProfile } from './adapter-profile.ts';
export type { AdapterFeature, AdapterProfile, ChoiceMap, OpKind, OpOf, Tile, VariantChoice } from './adapter-profile.ts';

export type BufferOf = (id: TensorId) => GPUBuffer;

/** One dispatch of a lowered op. `flops`: its share of the op's FLOPs where the op takes several dispatches. */
export interface LoweredDispatch {
  kernel: KernelName;
  call: KernelCall;
  flops?: number;
}

export interface Candidate<K extends OpKind = OpKind> {
  /** The kernel (the first one, where the candidate dispatches several). */
  kernel: KernelName;
  /** Every kernel the candidate dispatches, in order, where it is more than `kernel`. */
  kernels?: readonly KernelName[];
  /** Storage dtype of the model's weights and activations this candidate serves. */
  dtype: StorageDtype;
  /** Adapter features the kernel needs beyond core WebGPU. */
  features: readonly AdapterFeature[];
  /** Shape condition, as text (for plan dumps and errors) and as a test on the op; absent: any shape. */
  shape?: { text: string; test: (op: OpOf<K>) => boolean };
  /** Adapter profiles this candidate is fit for (today's kernels serve both until GPU kernels precede them). */
  profiles: readonly AdapterProfile['kind'][];
  /**
   * Bytes of f32 scratch the dispatches pass between them (split-K partials), if any: the plan's arena provides a
   * buffer that lives for this op only (shared with other ops' scratch and activations by liveness).
   */
  scratchBytes?: (op: OpOf<K>) => number;
  /**
   * Tile shapes (pipeline overrides) the kernel takes at this op's shape, default first: the tuner times each; the
   * lowering uses the first unless a choice names another. Absent: one shape, chosen by the lowering.
   */
  tiles?: (op: OpOf<K>) => readonly Tile[];
  /** One call, or several dispatches in order (`scratch` is the buffer of scratchBytes; `tile` one of `tiles`). */
  lower: (op: OpOf<K>, buf: BufferOf, scratch: () => GPUBuffer, tile?: Tile) => KernelCall | LoweredDispatch[];
}

export type VariantTable = { [K in OpKind]: readonly Candidate<K>[] };

// Workgroup shapes are set here and passed as overrides, so the grids below and the kernels cannot disagree.
// matmul*: TILE_ROWS_T × TILE_COLS_T threads, each 4 × 4 outputs → a 32 × 32 tile.
const MATMUL_THREADS = 8;
// The register-blocked matmuls' thread blocks the tuner tries: 32 × 32 (the default, measured best on lavapipe at
// BERT shapes), 16 × 32 (twice the workgroups, for small M·N) and 32 × 64 (half the workgroup launches).
const matmulTiles: readonly Tile[] = [
  { TILE_ROWS_T: MATMUL_THREADS, TILE_COLS_T: MATMUL_THREADS },
  { TILE_ROWS_T: 4, TILE_COLS_T: MATMUL_THREADS },
  { TILE_ROWS_T: MATMUL_THREADS, TILE_COLS_T: 16 },
];
const MATMUL_TILES = () => matmulTiles;
// matmul_layernorm_vec4: TC × TR threads own 4 · TR rows; matmul_layernorm owns 4 rows whatever its WG.
const LN_VEC4_TC = 16;
const LN_VEC4_TR = 4;
const MATMUL_LN_VEC4_ROWS = 4 * LN_VEC4_TR;
const MATMUL_LN_ROWS = 4;
// attention*: QB queries per workgroup.
const ATTENTION_QB = 32;

const both = ['software', 'gpu'] as const;
const f16 = ['shader-f16'] as const;
const K4 = { text: 'K % 4 == 0', test: (op: { K: number }) => op.K % 4 === 0 };
const HS4 = { text: 'HS % 4 == 0', test: (op: { HS: number }) => op.HS % 4 === 0 };
const WHOLE_TABLE = { text: 'whole table', test: (op: { rowStart?: number }) => op.rowStart === undefined };
const ROW_BLOCK = { text: 'one row block', test: (op: { rowStart?: number }) => op.rowStart !== undefined };

// ---- lowerings shared by the candidates of an op (every candidate of an op has the same binding names) ----

function embeddingCall(op: OpOf<'embedding'>, buf: BufferOf): KernelCall {
  return {
    params: { rows: op.B * op.T, T: op.T, C: op.C, vocabSize: op.vocabSize, maxPositions: op.maxPositions,
      typeVocabSize: op.typeVocabSize, positionOffset: op.positionOffset, eps: op.eps },
    buffers: { ids: buf(op.ids), typeIds: buf(op.typeIds), wordEmb: buf(op.wordEmb), posEmb: buf(op.posEmb),
      typeEmb: buf(op.typeEmb), gamma: buf(op.gamma), beta: buf(op.beta), y: buf(op.out) },
    grid: rowGrid(op.B * op.T),
  };
}

function matmulCall(op: OpOf<'matmul'>, buf: BufferOf, _scratch?: unknown, tile: Tile = matmulTiles[0]): KernelCall {
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

function matmulLayernormCall(op: OpOf<'matmulLayernorm'>, buf: BufferOf, vec4: boolean): KernelCall {
  return {
    params: { M: op.M, N: op.N, K: op.K, eps: op.eps },
    buffers: { x: buf(op.x), w: buf(op.w), b: buf(op.b), residual: buf(op.residual), gamma: buf(op.gamma),
      beta: buf(op.beta), y: buf(op.out) },
    overrides: vec4 ? { TC: LN_VEC4_TC, TR: LN_VEC4_TR } : {},
    grid: rowGrid(Math.ceil(op.M / (vec4 ? MATMUL_LN_VEC4_ROWS : MATMUL_LN_ROWS))),
  };
}

function layernormCall(op: OpOf<'layernorm'>, buf: BufferOf): KernelCall {
  return {
    params: { rows: op.rows, C: op.C, eps: op.eps },
    // No residual: the binding is unused, x stands in (read-only aliasing is legal).
    buffers: { x: buf(op.x), residual: buf(op.x), gamma: buf(op.gamma), beta: buf(op.beta), y: buf(op.out) },
    overrides: { HAS_RESIDUAL: false },
    grid: rowGrid(op.rows),
  };
}

function gatherBlockRowsCall(op: OpOf<'gatherRows'>, buf: BufferOf): KernelCall {
  // The first block has no earlier rows: x stands in for the unused binding (read-only aliasing is legal).
  return {
    params: { R: op.R, W: op.W, rowsIn: op.rowsIn, rowStart: op.rowStart! },
    buffers: { ids: buf(op.rows), x: buf(op.x), prev: buf(op.previous ?? op.x), y: buf(op.out) },
    overrides: { HAS_PREV: op.previous != null },
    grid: rowGrid(op.R),
  };
}

function gatherRowsCall(op: OpOf<'gatherRows'>, buf: BufferOf): KernelCall {
  return { params: { R: op.R, W: op.W, rowsIn: op.rowsIn }, buffers: { rows: buf(op.rows), x: buf(op.x), y: buf(op.out) }, grid: rowGrid(op.R) };
}

function attentionCall(op: OpOf<'attention'>, buf: BufferOf): KernelCall {
  return {
    params: { T: op.T, NH: op.NH, HS: op.HS },
    buffers: { qkv: buf(op.qkv), mask: buf(op.mask), ctx: buf(op.out) },
    overrides: { QB: ATTENTION_QB },
    grid: [Math.ceil(op.T / ATTENTION_QB), op.NH, op.B],
  };
}

// attentionVec4's thread shapes: QPT queries per thread share each K/V row load (shaders/attention_vec4.wgsl: what
// costs on software adapters is the per-lane loads). The default takes QPT = 4 from 4096 query rows (B·NH·T) up —
// on lavapipe 1.5× faster attention at 8 × 128 — and QPT = 1 below, where the call is short and the bigger
// pipeline's compile (~1 s on lavapipe, at its first dispatch) would cost a first call more than it saves.
const attentionVec4Tiles: readonly Tile[] = [{ QB: 32, QPT: 1 }, { QB: 16, QPT: 2 }, { QB: 16, QPT: 4 }];
const ATTENTION_QPT_FROM_ROWS = 4096;
function attentionVec4TilesFor(op: OpOf<'attention'>): readonly Tile[] {
  const [one, two, four] = attentionVec4Tiles;
  return op.B * op.NH * op.T >= ATTENTION_QPT_FROM_ROWS ? [four, one, two] : [one, two, four];
}

function attentionVec4Call(op: OpOf<'attention'>, buf: BufferOf, _scratch?: unknown, tile: Tile = attentionVec4TilesFor(op)[0]): KernelCall {
  return {
    params: { T: op.T, NH: op.NH, HS: op.HS },
    buffers: { qkv: buf(op.qkv), mask: buf(op.mask), ctx: buf(op.out) },
    overrides: { QB: tile.QB, QPT: tile.QPT },
    grid: [Math.ceil(op.T / (tile.QB * tile.QPT)), op.NH, op.B],
  };
}

function attentionProbsCall(op: OpOf<'attentionProbs'>, buf: BufferOf): KernelCall {
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
function gpuMatmulCall(kernel: GpuMatmulKernel) {
  return (op: OpOf<'matmul'>, buf: BufferOf, _scratch?: unknown, tile?: Tile): KernelCall => {
    const g = gpuGrid(kernel, { M: op.M, N: op.N, K: op.K });
    // A tuned tile of the tiled GEMM: its grid as gpuGrid computes it for that tile (one workgroup per output tile).
    const grid = tile ? [Math.ceil(op.N / (4 * tile.TN)), Math.ceil(op.M / (4 * tile.TM)), 1] as const : g.workgroups;
    // The GEMMs take the epilogue as an override (their Params have no `epilogue`).
    const { epilogue: _runtime, ...params } = matmulCall(op, buf).params;
    return { ...matmulCall(op, buf), params, overrides: { ...(tile ?? g.overrides), EPILOGUE: MatmulEpilogue[op.epilogue] }, grid };
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
const GEMM_TILES = tilesFor('gemmTiled', gemmTiles);
// The f16-arithmetic GEMM's tiles: the same output tiles, twice the K tile (gpu-kernels.ts: gemmTilesHalf).
const GEMM_TILES_HALF = tilesFor('gemmTiledHalf', gemmTilesHalf);

/** x·wᵀ as split-K f32 partials into scratch, then bias + residual + LayerNorm per row: two dispatches. */
type PartialKernel = 'gemmTiledPartial' | 'gemmTiledPartialHalf';
function splitMatmulLayernorm(partialKernel: KernelName, rowKernel: KernelName, gpuKernel: PartialKernel = 'gemmTiledPartial') {
  return (op: OpOf<'matmulLayernorm'>, buf: BufferOf, scratch: () => GPUBuffer): LoweredDispatch[] => {
    const { M, N, K } = op;
    const gemm = gpuGrid(gpuKernel, { M, N, K });
    const splits = gemm.workgroups[2];
    const row = gpuGrid('layernormRow', { M, N, splits });
    const partials = scratch();
    return [
      { kernel: partialKernel, flops: 2 * M * N * K, call: {
        params: { M, N, K, xRowStep: 1 },
        // PARTIAL mode reads neither bias nor residual; the bias stands in for both (read-only aliasing is legal).
        buffers: { x: buf(op.x), w: buf(op.w), b: buf(op.b), residual: buf(op.b), y: partials },
        overrides: { ...gemm.overrides, EPILOGUE: MatmulEpilogue.none }, grid: gemm.workgroups } },
      { kernel: rowKernel, flops: M * N * (2 + LAYERNORM_FLOPS), call: {
        params: { M, N, splits, eps: op.eps },
        buffers: { partials, b: buf(op.b), residual: buf(op.residual), gamma: buf(op.gamma), beta: buf(op.beta), y: buf(op.out) },
        overrides: row.overrides, grid: row.workgroups } },
    ];
  };
}

function flashAttentionCall(gpuKernel: 'attentionFlash' | 'attentionFlashHalf') {
  return (op: OpOf<'attention'>, buf: BufferOf): KernelCall => flashAttention(gpuKernel, op, buf);
}

function flashAttention(gpuKernel: 'attentionFlash' | 'attentionFlashHalf', op: OpOf<'attention'>, buf: BufferOf): KernelCall {
  const g = gpuGrid(gpuKernel, { B: op.B, T: op.T, NH: op.NH, HS: op.HS });
  return { params: { T: op.T, NH: op.NH, HS: op.HS }, buffers: { qkv: buf(op.qkv), mask: buf(op.mask), ctx: buf(op.out) }, overrides: g.overrides, grid: g.workgroups };
}

/** Attention × its head's slice of woT → per-head f32 partials (the heads are the split-K slices), then the row kernel. */
function flashAttentionOutput(projKernel: KernelName, rowKernel: KernelName, gpuKernel: 'attentionFlashProj' | 'attentionFlashProjHalf' = 'attentionFlashProj') {
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
function unfusedMatmulLayernorm(op: OpOf<'matmulLayernorm'>, buf: BufferOf, scratch: () => GPUBuffer): LoweredDispatch[] {
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

const splitKBytesOf = (gpuKernel: PartialKernel) => (op: OpOf<'matmulLayernorm'>) => gpuGrid(gpuKernel, { M: op.M, N: op.N, K: op.K }).workgroups[2] * op.M * op.N * 4;
const splitKBytes = splitKBytesOf('gemmTiledPartial');
const headPartialBytes = (op: OpOf<'attentionOutput'>) => op.NH * op.B * op.T * op.NH * op.HS * 4;

// GPU-profile shape conditions: what each kernel takes (gpuGrid throws outside them).
const gpuOnly = ['gpu'] as const;
const softwareOnly = ['software'] as const;
const f16Subgroups = ['shader-f16', 'subgroups'] as const;
const NARROW = { text: `K % 4 == 0, M ≤ ${NARROW_MAX_M}`, test: (op: { K: number; M: number }) => op.K % 4 === 0 && op.M <= NARROW_MAX_M };
const ROW_N = 2048;
const SPLIT_LN = { text: `K % 4 == 0, N ≤ ${ROW_N}`, test: (op: { K: number; N: number }) => op.K % 4 === 0 && op.N <= ROW_N };
const FLASH = { text: 'HS % 4 == 0, HS ≤ 128', test: (op: { HS: number }) => op.HS % 4 === 0 && op.HS <= 128 };
const FLASH_PROJ = { text: `HS % 4 == 0, HS ≤ 128, NH·HS ≤ ${ROW_N}`, test: (op: { HS: number; NH: number }) => FLASH.test(op) && op.NH * op.HS <= ROW_N };

// ---- the table: per op, candidates in priority order ----
// GPU profile (hardware adapters; docs/kernels.md): the shaders/gpu kernels first, gated to profile 'gpu', so a
// software adapter never reaches them; where their conditions fail, today's kernels serve both profiles.
// Software profile choices (measured on lavapipe): vec4 loads where K or HS is a multiple of 4 (1.2–3× faster);
// matmul + LayerNorm in f32 as matmulVec4 (residual epilogue) + layernorm — two small compiles instead of the fused
// kernel's large one (lavapipe compiles at first dispatch: cold start), same warm speed; in f16, the vec4 matmul, and
// scalar kernels elsewhere (matmul_layernorm_vec4 would round its parked rows to f16; attention has no vec4 f16
// kernel yet).
export const variantTable: VariantTable = {
  embedding: [
    { kernel: 'embedding', dtype: 'f32', features: [], profiles: both, lower: embeddingCall },
    { kernel: 'embeddingF16', dtype: 'f16', features: f16, profiles: both, lower: embeddingCall },
  ],
  matmul: [
    { kernel: 'gemmNarrowSubgroup', dtype: 'f32', features: ['subgroups'], shape: NARROW, profiles: gpuOnly, lower: gpuMatmulCall('gemmNarrowSubgroup') },
    { kernel: 'gemmNarrow', dtype: 'f32', features: [], shape: NARROW, profiles: gpuOnly, lower: gpuMatmulCall('gemmNarrow') },
    { kernel: 'gemmTiled', dtype: 'f32', features: [], shape: K4, profiles: gpuOnly, tiles: GEMM_TILES, lower: gpuMatmulCall('gemmTiled') },
    { kernel: 'gemmNarrowSubgroupF16', dtype: 'f16', features: f16Subgroups, shape: NARROW, profiles: gpuOnly, lower: gpuMatmulCall('gemmNarrowSubgroup') },
    { kernel: 'gemmNarrowF16', dtype: 'f16', features: f16, shape: NARROW, profiles: gpuOnly, lower: gpuMatmulCall('gemmNarrow') },
    { kernel: 'gemmTiledF16', dtype: 'f16', features: f16, shape: K4, profiles: gpuOnly, tiles: GEMM_TILES, lower: gpuMatmulCall('gemmTiled') },
    // f16 arithmetic: after the f32-arithmetic kernels of the same storage, so the table's (untuned) choice stays those;
    // the tuner times both (docs/kernels.md: why the default stays f32 arithmetic).
    { kernel: 'gemmNarrowSubgroupHalfF16', dtype: 'f16', features: f16Subgroups, shape: NARROW, profiles: gpuOnly, lower: gpuMatmulCall('gemmNarrowSubgroupHalf') },
    { kernel: 'gemmNarrowHalfF16', dtype: 'f16', features: f16, shape: NARROW, profiles: gpuOnly, lower: gpuMatmulCall('gemmNarrowHalf') },
    { kernel: 'gemmTiledHalfF16', dtype: 'f16', features: f16, shape: K4, profiles: gpuOnly, tiles: GEMM_TILES_HALF, lower: gpuMatmulCall('gemmTiledHalf') },
    { kernel: 'matmulVec4', dtype: 'f32', features: [], shape: K4, profiles: both, tiles: MATMUL_TILES, lower: matmulCall },
    { kernel: 'matmul', dtype: 'f32', features: [], profiles: both, lower: matmulCall },
    { kernel: 'matmulVec4F16', dtype: 'f16', features: f16, shape: K4, profiles: both, tiles: MATMUL_TILES, lower: matmulCall },
    { kernel: 'matmulF16', dtype: 'f16', features: f16, profiles: both, lower: matmulCall },
  ],
  matmulLayernorm: [
    { kernel: 'gemmTiledPartial', kernels: ['gemmTiledPartial', 'layernormRow'], dtype: 'f32', features: [], shape: SPLIT_LN, profiles: gpuOnly,
      scratchBytes: splitKBytes, lower: splitMatmulLayernorm('gemmTiledPartial', 'layernormRow') },
    { kernel: 'gemmTiledPartialF16', kernels: ['gemmTiledPartialF16', 'layernormRowF16'], dtype: 'f16', features: f16, shape: SPLIT_LN, profiles: gpuOnly,
      scratchBytes: splitKBytes, lower: splitMatmulLayernorm('gemmTiledPartialF16', 'layernormRowF16') },
    { kernel: 'gemmTiledPartialHalfF16', kernels: ['gemmTiledPartialHalfF16', 'layernormRowF16'], dtype: 'f16', features: f16, shape: SPLIT_LN, profiles: gpuOnly,
      scratchBytes: splitKBytesOf('gemmTiledPartialHalf'), lower: splitMatmulLayernorm('gemmTiledPartialHalfF16', 'layernormRowF16', 'gemmTiledPartialHalf') },
    { kernel: 'matmulVec4', kernels: ['matmulVec4', 'layernorm'], dtype: 'f32', features: [], shape: K4, profiles: softwareOnly,
      scratchBytes: (op) => op.M * op.N * 4, lower: unfusedMatmulLayernorm },
    { kernel: 'matmulLayernormVec4', dtype: 'f32', features: [], shape: K4, profiles: both, lower: (op, buf) => matmulLayernormCall(op, buf, true) },
    { kernel: 'matmulLayernorm', dtype: 'f32', features: [], profiles: both, lower: (op, buf) => matmulLayernormCall(op, buf, false) },
    { kernel: 'matmulLayernormF16', dtype: 'f16', features: f16, profiles: both, lower: (op, buf) => matmulLayernormCall(op, buf, false) },
  ],
  layernorm: [
    { kernel: 'layernorm', dtype: 'f32', features: [], profiles: both, lower: layernormCall },
    { kernel: 'layernormF16', dtype: 'f16', features: f16, profiles: both, lower: layernormCall },
  ],
  // gather_rows copies 32-bit words: one kernel for both storage dtypes (W counts words), needing no f16 feature.
  gatherRows: [
    { kernel: 'gatherRows', dtype: 'f32', features: [], shape: WHOLE_TABLE, profiles: both, lower: gatherRowsCall },
    { kernel: 'gatherRows', dtype: 'f16', features: [], shape: WHOLE_TABLE, profiles: both, lower: gatherRowsCall },
    // Block mode: the gather from a table held in row blocks (ops.ts GatherRowsOp.rowStart), one dispatch per block.
    { kernel: 'gatherBlockRows', dtype: 'f32', features: [], shape: ROW_BLOCK, profiles: both, lower: gatherBlockRowsCall },
    { kernel: 'gatherBlockRows', dtype: 'f16', features: [], shape: ROW_BLOCK, profiles: both, lower: gatherBlockRowsCall },
  ],
  attention: [
    { kernel: 'attentionFlash', dtype: 'f32', features: [], shape: FLASH, profiles: gpuOnly, lower: flashAttentionCall('attentionFlash') },
    { kernel: 'attentionFlashF16', dtype: 'f16', features: f16, shape: FLASH, profiles: gpuOnly, lower: flashAttentionCall('attentionFlash') },
    { kernel: 'attentionFlashHalfF16', dtype: 'f16', features: f16, shape: FLASH, profiles: gpuOnly, lower: flashAttentionCall('attentionFlashHalf') },
    { kernel: 'attentionVec4', dtype: 'f32', features: [], shape: HS4, profiles: both, tiles: attentionVec4TilesFor, lower: attentionVec4Call },
    { kernel: 'attention', dtype: 'f32', features: [], profiles: both, lower: attentionCall },
    { kernel: 'attentionF16', dtype: 'f16', features: f16, profiles: both, lower: attentionCall },
  ],
  attentionProbs: [
    { kernel: 'attentionProbs', dtype: 'f32', features: [], profiles: both, lower: attentionProbsCall },
    { kernel: 'attentionProbsF16', dtype: 'f16', features: f16, profiles: both, lower: attentionProbsCall },
  ],
  // Only in graphs built for a profile that has a candidate (buildBertGraph asks hasVariant); else the graph has
  // attention + matmulLayernorm.
  attentionOutput: [
    { kernel: 'attentionFlashProj', kernels: ['attentionFlashProj', 'layernormRow'], dtype: 'f32', features: [], shape: FLASH_PROJ, profiles: gpuOnly,
      scratchBytes: headPartialBytes, lower: flashAttentionOutput('attentionFlashProj', 'layernormRow') },
    { kernel: 'attentionFlashProjF16', kernels: ['attentionFlashProjF16', 'layernormRowF16'], dtype: 'f16', features: f16, shape: FLASH_PROJ, profiles: gpuOnly,
      scratchBytes: headPartialBytes, lower: flashAttentionOutput('attentionFlashProjF16', 'layernormRowF16') },
    { kernel: 'attentionFlashProjHalfF16', kernels: ['attentionFlashProjHalfF16', 'layernormRowF16'], dtype: 'f16', features: f16, shape: FLASH_PROJ, profiles: gpuOnly,
      scratchBytes: headPartialBytes, lower: flashAttentionOutput('attentionFlashProjHalfF16', 'layernormRowF16', 'attentionFlashProjHalf') },
  ],
};

function applies<K extends OpKind>(c: Candidate<K>, op: OpOf<K>, dtype: StorageDtype, profile: AdapterProfile): boolean {
  return c.dtype === dtype && c.profiles.includes(profile.kind) && c.features.every((f) => profile.features.includes(f))
    && (!c.shape || c.shape.test(op));
}

/** Every candidate that can run this op here, in priority order (what a tuner times). */
export function applicableVariants<K extends OpKind>(op: OpOf<K>, dtype: StorageDtype, profile: AdapterProfile = softwareProfile): Candidate<K>[] {
  const rows = variantTable[op.kind as K] as readonly Candidate<K>[] | undefined;
  if (!rows) throw new Error(`variant table: unknown op kind '${String(op.kind)}'`);
  return rows.filter((c) => applies(c, op, dtype, profile));
}

/** Whether some kernel can run this op here (buildBertGraph asks before it emits a fused op). */
export function hasVariant<K extends OpKind>(op: OpOf<K>, dtype: StorageDtype, profile: AdapterProfile): boolean {
  return applicableVariants(op, dtype, profile).length > 0;
}

/** The first applicable candidate: the kernel lowerOp runs for this op, dtype and adapter profile before tuning. */
export function chooseVariant<K extends OpKind>(op: OpOf<K>, dtype: StorageDtype, profile: AdapterProfile = softwareProfile): Candidate<K> {
  const [first] = applicableVariants(op, dtype, profile);
  if (!first) {
    throw new Error(`variant table: no kernel for op '${op.kind}' with ${dtype} storage on a ${profile.kind} adapter ` +
      `with features [${profile.features.join(', ')}]`);
  }
  return first;
}

/** Every (candidate, tile) the tuner may time for this op: each applicable candidate with each of its tiles. */
export function tunableVariants<K extends OpKind>(op: OpOf<K>, dtype: StorageDtype, profile: AdapterProfile = softwareProfile): Array<{ candidate: Candidate<K>; choice: VariantChoice }> {
  return applicableVariants(op, dtype, profile).flatMap((candidate) => {
    const tiles = candidate.tiles?.(op) ?? [undefined];
    return tiles.map((tile) => ({ candidate, choice: tile ? { kernel: candidate.kernel, tile } : { kernel: candidate.kernel } }));
  });
}

const sameTile = (a: Tile, b: Tile) => Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/**
 * The candidate and tile that run this op: the profile's tuned choice for its opKey where that choice applies (its
 * kernel is applicable, its tile one of the candidate's), else the table's first applicable candidate and its default
 * tile.
 */
export function resolveVariant<K extends OpKind>(op: OpOf<K>, dtype: StorageDtype, profile: AdapterProfile = softwareProfile): { candidate: Candidate<K>; tile?: Tile } {
  const choice = profile.choices?.get(opKey(op));
  if (choice) {
    const candidate = applicableVariants(op, dtype, profile).find((c) => c.kernel === choice.kernel);
    const tiles = candidate?.tiles?.(op);
    if (candidate && !choice.tile && !tiles) return { candidate };
    const tile = choice.tile && tiles?.find((t) => sameTile(t, choice.tile!));
    if (candidate && tile) return { candidate, tile };
  }
  const candidate = chooseVariant(op, dtype, profile);
  return { candidate, tile: candidate.tiles?.(op)[0] };
}
