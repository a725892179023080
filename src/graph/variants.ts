// The variant table: for each op kind, the kernels that can run it, in priority order, each with what it needs
// (storage dtype, adapter features, shape conditions, the adapter profiles it suits) and its lowering (uniforms,
// buffers by WGSL binding name, overrides, grid). lowerOp takes the first candidate that applies; a tuner times all
// of them (applicableVariants). Adding a kernel for an op is one row here (its lowering in variant-lowerings.ts).
import type { KernelName, StorageDtype } from '../gpu/kernels.ts';
import { NARROW_MAX_M } from '../gpu/gpu-kernels.ts';
import type { KernelCall } from '../gpu/dispatch.ts';
import type { AdapterFeature, AdapterProfile, OpKind, OpOf, Tile, VariantChoice } from './adapter-profile.ts';
import { opKey, softwareProfile } from './adapter-profile.ts';
import {
  attentionCall, attentionProbsCall, attentionVec4Call, attentionVec4TilesFor, embeddingCall, flashAttentionCall, flashAttentionOutput,
  gatherBlockRowsCall, gatherRowsCall, GEMM_TILES, GEMM_TILES_HALF, gpuMatmulCall, headPartialBytes, layernormCall, matmulCall,
  matmulLayernormCall, MATMUL_TILES, splitKBytes, splitKBytesOf, splitMatmulLayernorm, unfusedMatmulLayernorm,
  type BufferOf, type LoweredDispatch,
} from './variant-lowerings.ts';

export { adapterProfile, choiceLabel, opKey, softwareProfile } from './adapter-profile.ts';
export type { AdapterFeature, AdapterProfile, ChoiceMap, OpKind, OpOf, Tile, VariantChoice } from './adapter-profile.ts';
export type { BufferOf, LoweredDispatch } from './variant-lowerings.ts';

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

const both = ['software', 'gpu'] as const;
const f16 = ['shader-f16'] as const;
const K4 = { text: 'K % 4 == 0', test: (op: { K: number }) => op.K % 4 === 0 };
const HS4 = { text: 'HS % 4 == 0', test: (op: { HS: number }) => op.HS % 4 === 0 };
const WHOLE_TABLE = { text: 'whole table', test: (op: { rowStart?: number }) => op.rowStart === undefined };
const ROW_BLOCK = { text: 'one row block', test: (op: { rowStart?: number }) => op.rowStart !== undefined };

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
