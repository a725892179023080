// The variant table: for each op kind, the kernels that can run it, in priority order, each with what it needs
// (storage dtype, adapter features, shape conditions, the adapter profiles it suits) and its lowering (uniforms,
// buffers by WGSL binding name, overrides, grid). lowerOp takes the first candidate that applies; a tuner times all
// of them (applicableVariants). Adding a kernel for an op is one row here.
import { MatmulEpilogue, rowGrid, type KernelName, type StorageDtype } from '../gpu/kernels.ts';
import type { AdapterFacts } from '../gpu/device.ts';
import type { KernelCall } from '../gpu/dispatch.ts';
import type { Op, TensorId } from './ops.ts';

export type OpKind = Op['kind'];
export type OpOf<K extends OpKind> = Extract<Op, { kind: K }>;
export type AdapterFeature = 'shader-f16' | 'subgroups';

/**
 * What kind of adapter the kernels are chosen for. 'software': a CPU implementation (lavapipe, SwiftShader), where
 * workgroups run as CPU threads, so few large register-blocked workgroups win. 'gpu': a hardware adapter, which
 * needs many workgroups and workgroup-memory tiling.
 */
export interface AdapterProfile {
  kind: 'software' | 'gpu';
  features: readonly AdapterFeature[];
}

/** The adapter every choice was tuned on so far (lavapipe: software, with shader-f16 and subgroups): lowerOp's default. */
export const softwareProfile: AdapterProfile = { kind: 'software', features: ['shader-f16', 'subgroups'] };

/** The profile of an adapter from its facts (src/gpu/device.ts): software when it says so or is a known CPU driver. */
export function adapterProfile(facts: Pick<AdapterFacts, 'isFallbackAdapter' | 'description' | 'vendor' | 'architecture' | 'hasF16' | 'hasSubgroups'>): AdapterProfile {
  const cpuDriver = /swiftshader|lavapipe|llvmpipe|software|warp/i.test(`${facts.description} ${facts.vendor} ${facts.architecture}`);
  const features: AdapterFeature[] = [];
  if (facts.hasF16) features.push('shader-f16');
  if (facts.hasSubgroups) features.push('subgroups');
  return { kind: facts.isFallbackAdapter || cpuDriver ? 'software' : 'gpu', features };
}

export type BufferOf = (id: TensorId) => GPUBuffer;

export interface Candidate<K extends OpKind = OpKind> {
  kernel: KernelName;
  /** Storage dtype of the model's weights and activations this candidate serves. */
  dtype: StorageDtype;
  /** Adapter features the kernel needs beyond core WebGPU. */
  features: readonly AdapterFeature[];
  /** Shape condition, as text (for plan dumps and errors) and as a test on the op; absent: any shape. */
  shape?: { text: string; test: (op: OpOf<K>) => boolean };
  /** Adapter profiles this candidate is fit for (today's kernels serve both until GPU kernels precede them). */
  profiles: readonly AdapterProfile['kind'][];
  lower: (op: OpOf<K>, buf: BufferOf) => KernelCall;
}

export type VariantTable = { [K in OpKind]: readonly Candidate<K>[] };

// Workgroup shapes are set here and passed as overrides, so the grids below and the kernels cannot disagree.
// matmul*: TILE_ROWS_T × TILE_COLS_T threads, each 4 × 4 outputs → a 32 × 32 tile.
const MATMUL_THREADS = 8;
const MATMUL_TILE = 4 * MATMUL_THREADS;
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

function matmulCall(op: OpOf<'matmul'>, buf: BufferOf): KernelCall {
  return {
    params: { M: op.M, N: op.N, K: op.K, xRowStep: op.xRowStep },
    // Without a residual epilogue the binding is unused; the bias buffer stands in (read-only aliasing is legal).
    buffers: { x: buf(op.x), w: buf(op.w), b: buf(op.b), residual: buf(op.residual ?? op.b), y: buf(op.out) },
    overrides: { EPILOGUE: MatmulEpilogue[op.epilogue], TILE_ROWS_T: MATMUL_THREADS, TILE_COLS_T: MATMUL_THREADS },
    grid: [Math.ceil(op.N / MATMUL_TILE), Math.ceil(op.M / MATMUL_TILE)],
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

function attentionProbsCall(op: OpOf<'attentionProbs'>, buf: BufferOf): KernelCall {
  return {
    params: { T: op.T, NH: op.NH, HS: op.HS },
    buffers: { qkv: buf(op.qkv), mask: buf(op.mask), probs: buf(op.out) },
    overrides: { QB: ATTENTION_QB },
    grid: [Math.ceil(op.T / ATTENTION_QB), op.NH, op.B],
  };
}

// ---- the table: per op, candidates in priority order ----
// Software profile choices (measured on lavapipe): vec4 loads where K or HS is a multiple of 4 (1.2–3× faster);
// in f16, the vec4 matmul, and scalar kernels elsewhere (matmul_layernorm_vec4 would round its parked rows to f16;
// attention has no vec4 f16 kernel yet).
export const variantTable: VariantTable = {
  embedding: [
    { kernel: 'embedding', dtype: 'f32', features: [], profiles: both, lower: embeddingCall },
    { kernel: 'embeddingF16', dtype: 'f16', features: f16, profiles: both, lower: embeddingCall },
  ],
  matmul: [
    { kernel: 'matmulVec4', dtype: 'f32', features: [], shape: K4, profiles: both, lower: matmulCall },
    { kernel: 'matmul', dtype: 'f32', features: [], profiles: both, lower: matmulCall },
    { kernel: 'matmulVec4F16', dtype: 'f16', features: f16, shape: K4, profiles: both, lower: matmulCall },
    { kernel: 'matmulF16', dtype: 'f16', features: f16, profiles: both, lower: matmulCall },
  ],
  matmulLayernorm: [
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
    { kernel: 'gatherRows', dtype: 'f32', features: [], profiles: both, lower: gatherRowsCall },
    { kernel: 'gatherRows', dtype: 'f16', features: [], profiles: both, lower: gatherRowsCall },
  ],
  attention: [
    { kernel: 'attentionVec4', dtype: 'f32', features: [], shape: HS4, profiles: both, lower: attentionCall },
    { kernel: 'attention', dtype: 'f32', features: [], profiles: both, lower: attentionCall },
    { kernel: 'attentionF16', dtype: 'f16', features: f16, profiles: both, lower: attentionCall },
  ],
  attentionProbs: [
    { kernel: 'attentionProbs', dtype: 'f32', features: [], profiles: both, lower: attentionProbsCall },
    { kernel: 'attentionProbsF16', dtype: 'f16', features: f16, profiles: both, lower: attentionProbsCall },
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

/** The first applicable candidate: the kernel lowerOp runs for this op, dtype and adapter profile. */
export function chooseVariant<K extends OpKind>(op: OpOf<K>, dtype: StorageDtype, profile: AdapterProfile = softwareProfile): Candidate<K> {
  const [first] = applicableVariants(op, dtype, profile);
  if (!first) {
    throw new Error(`variant table: no kernel for op '${op.kind}' with ${dtype} storage on a ${profile.kind} adapter ` +
      `with features [${profile.features.join(', ')}]`);
  }
  return first;
}
