// The closed set of graph ops. Each maps to one kernel dispatch or a few (src/graph/variants.ts); the executor switches over `kind` exhaustively.
// Shapes are concrete: a graph is built for one (batch, sequence bucket), which is cheap (a few dozen objects).
import type { MatmulEpilogueName } from '../gpu/kernels.ts';

export type TensorId = number;
export type ElementType = 'f32' | 'f16' | 'u32';
export type TensorRole = 'input' | 'weight' | 'activation';

export interface TensorDecl {
  id: TensorId;
  /** HF weight name for weights; a descriptive name (`layer.3.qkv`) for activations. */
  name: string;
  shape: readonly number[];
  type: ElementType;
  role: TensorRole;
}

/** word + position + token-type embedding gather, then LayerNorm. ids/typeIds: (B·T) → out: (B·T, C). */
export interface EmbeddingOp {
  kind: 'embedding';
  ids: TensorId; typeIds: TensorId; wordEmb: TensorId; posEmb: TensorId; typeEmb: TensorId;
  gamma: TensorId; beta: TensorId; out: TensorId;
  B: number; T: number; C: number; vocabSize: number; maxPositions: number; typeVocabSize: number;
  positionOffset: number; eps: number;
}

/** out = epilogue(x·wᵀ + b): x rows m·xRowStep, (M, K) → (M, N). */
export interface MatmulOp {
  kind: 'matmul';
  x: TensorId; w: TensorId; b: TensorId; residual: TensorId | null; out: TensorId;
  M: number; N: number; K: number; xRowStep: number; epilogue: MatmulEpilogueName;
}

/** out = LayerNorm(x·wᵀ + b + residual)·gamma + beta, (M, K) → (M, N). */
export interface MatmulLayernormOp {
  kind: 'matmulLayernorm';
  x: TensorId; w: TensorId; b: TensorId; residual: TensorId; gamma: TensorId; beta: TensorId; out: TensorId;
  M: number; N: number; K: number; eps: number;
}

/** out = LayerNorm(x)·gamma + beta, (rows, C) → (rows, C) (the masked-LM head's transform; encoder LayerNorms are fused). */
export interface LayernormOp {
  kind: 'layernorm';
  x: TensorId; gamma: TensorId; beta: TensorId; out: TensorId;
  rows: number; C: number; eps: number;
}

/**
 * out[r] = x[rows[r]]: R rows of (rowsIn, W) → (R, W), W in 32-bit words (dtype-agnostic copy).
 * With `rowStart` (block mode): x is one row block, rows [rowStart, rowStart + rowsIn), of a table split at load
 * (src/weights/row-blocks.ts); out[r] = x[rows[r] − rowStart] where rows[r] falls in the block, else previous[r]
 * (the chain of earlier blocks' gathers), or 0 when `previous` is null (the first block).
 */
export interface GatherRowsOp {
  kind: 'gatherRows';
  x: TensorId; rows: TensorId; out: TensorId;
  R: number; W: number; rowsIn: number;
  rowStart?: number;
  previous?: TensorId | null;
}

/** Multi-head attention over packed QKV (B·T, 3C) with key-padding mask (B·T) → (B·T, C). */
export interface AttentionOp {
  kind: 'attention';
  qkv: TensorId; mask: TensorId; out: TensorId;
  B: number; T: number; NH: number; HS: number;
}

/** Attention probabilities of one layer (B, NH, T, T), a debug output for inspect(); always f32. */
export interface AttentionProbsOp {
  kind: 'attentionProbs';
  qkv: TensorId; mask: TensorId; out: TensorId;
  B: number; T: number; NH: number; HS: number;
}

/**
 * Attention, its output projection, bias, residual and LayerNorm in one op: out = LayerNorm(attention(qkv, mask)·Woᵀ
 * + bo + residual)·gamma + beta, (B·T, 3C) → (B·T, C). The graph has it instead of attention + matmulLayernorm where
 * the adapter profile has a kernel for it (the GPU profile: attentionFlashProj + layernormRow). `woT` is the
 * attention-output weight transposed to (in, out) = (C, C) at load.
 */
export interface AttentionOutputOp {
  kind: 'attentionOutput';
  qkv: TensorId; mask: TensorId; woT: TensorId; b: TensorId; residual: TensorId; gamma: TensorId; beta: TensorId; out: TensorId;
  B: number; T: number; NH: number; HS: number; eps: number;
}

export type Op = EmbeddingOp | MatmulOp | MatmulLayernormOp | LayernormOp | GatherRowsOp | AttentionOp | AttentionProbsOp | AttentionOutputOp;

/** Tensors an op reads, in binding order (null slots omitted). */
export function opInputs(op: Op): TensorId[] {
  switch (op.kind) {
    case 'embedding': return [op.ids, op.typeIds, op.wordEmb, op.posEmb, op.typeEmb, op.gamma, op.beta];
    case 'matmul': return op.residual === null ? [op.x, op.w, op.b] : [op.x, op.w, op.b, op.residual];
    case 'matmulLayernorm': return [op.x, op.w, op.b, op.residual, op.gamma, op.beta];
    case 'layernorm': return [op.x, op.gamma, op.beta];
    case 'gatherRows': return op.previous == null ? [op.rows, op.x] : [op.rows, op.x, op.previous];
    case 'attention':
    case 'attentionProbs': return [op.qkv, op.mask];
    case 'attentionOutput': return [op.qkv, op.mask, op.woT, op.b, op.residual, op.gamma, op.beta];
    default: return assertNever(op);
  }
}

export function assertNever(x: never): never {
  throw new Error(`unhandled op ${JSON.stringify(x)}`);
}

export interface Graph {
  tensors: TensorDecl[];
  ops: Op[];
  /** Named graph inputs (written per call) and outputs (read back per call). */
  inputs: Record<string, TensorId>;
  outputs: Record<string, TensorId>;
}
