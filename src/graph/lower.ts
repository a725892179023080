// Lowers one graph op to a kernel call: which kernel, its uniforms, its buffers by WGSL binding name, overrides and
// the workgroup grid. The only place that knows both the op fields and the kernels' binding names.
import { MatmulEpilogue, rowGrid, type KernelName } from '../gpu/kernels.ts';
import type { KernelCall } from '../gpu/dispatch.ts';
import { assertNever, type Op, type TensorId } from './ops.ts';

export interface LoweredOp {
  kernel: KernelName;
  call: KernelCall;
}

// Workgroup shapes are set here and passed as overrides, so the grids below and the kernels cannot disagree.
// matmul*: TILE_ROWS_T × TILE_COLS_T threads, each 4 × 4 outputs → a 32 × 32 tile.
const MATMUL_THREADS = 8;
const MATMUL_TILE = 4 * MATMUL_THREADS;
// matmul_layernorm_vec4: TC × TR threads own 4 · TR rows.
const LN_VEC4_TC = 16;
const LN_VEC4_TR = 4;
const MATMUL_LN_VEC4_ROWS = 4 * LN_VEC4_TR;
// attention*: QB queries per workgroup.
const ATTENTION_QB = 32;

/**
 * Kernel choice: the f16-storage twins when the model runs in f16, and vec4 variants where the shapes allow (K or HS
 * a multiple of 4; measured 1.2–3× faster on lavapipe). Every variant has the same Params and binding names.
 */
export function lowerOp(op: Op, buf: (id: TensorId) => GPUBuffer, dtype: 'f32' | 'f16' = 'f32'): LoweredOp {
  const f16 = dtype === 'f16';
  switch (op.kind) {
    case 'embedding':
      return {
        kernel: f16 ? 'embeddingF16' : 'embedding',
        call: {
          params: { rows: op.B * op.T, T: op.T, C: op.C, vocabSize: op.vocabSize, maxPositions: op.maxPositions,
            typeVocabSize: op.typeVocabSize, positionOffset: op.positionOffset, eps: op.eps },
          buffers: { ids: buf(op.ids), typeIds: buf(op.typeIds), wordEmb: buf(op.wordEmb), posEmb: buf(op.posEmb),
            typeEmb: buf(op.typeEmb), gamma: buf(op.gamma), beta: buf(op.beta), y: buf(op.out) },
          grid: rowGrid(op.B * op.T),
        },
      };
    case 'matmul':
      return {
        kernel: op.K % 4 === 0 ? (f16 ? 'matmulVec4F16' : 'matmulVec4') : (f16 ? 'matmulF16' : 'matmul'),
        call: {
          params: { M: op.M, N: op.N, K: op.K, xRowStep: op.xRowStep },
          // Without a residual epilogue the binding is unused; the bias buffer stands in (read-only aliasing is legal).
          buffers: { x: buf(op.x), w: buf(op.w), b: buf(op.b), residual: buf(op.residual ?? op.b), y: buf(op.out) },
          overrides: { EPILOGUE: MatmulEpilogue[op.epilogue], TILE_ROWS_T: MATMUL_THREADS, TILE_COLS_T: MATMUL_THREADS },
          grid: [Math.ceil(op.N / MATMUL_TILE), Math.ceil(op.M / MATMUL_TILE)],
        },
      };
    case 'matmulLayernorm': {
      const vec4 = !f16 && op.K % 4 === 0;
      return {
        kernel: vec4 ? 'matmulLayernormVec4' : f16 ? 'matmulLayernormF16' : 'matmulLayernorm',
        call: {
          params: { M: op.M, N: op.N, K: op.K, eps: op.eps },
          buffers: { x: buf(op.x), w: buf(op.w), b: buf(op.b), residual: buf(op.residual), gamma: buf(op.gamma),
            beta: buf(op.beta), y: buf(op.out) },
          // The scalar kernel owns 4 rows per workgroup whatever its WG.
          overrides: vec4 ? { TC: LN_VEC4_TC, TR: LN_VEC4_TR } : {},
          grid: rowGrid(Math.ceil(op.M / (vec4 ? MATMUL_LN_VEC4_ROWS : 4))),
        },
      };
    }
    case 'layernorm':
      return {
        kernel: f16 ? 'layernormF16' : 'layernorm',
        call: {
          params: { rows: op.rows, C: op.C, eps: op.eps },
          // No residual: the binding is unused, x stands in (read-only aliasing is legal).
          buffers: { x: buf(op.x), residual: buf(op.x), gamma: buf(op.gamma), beta: buf(op.beta), y: buf(op.out) },
          overrides: { HAS_RESIDUAL: false },
          grid: rowGrid(op.rows),
        },
      };
    case 'gatherRows':
      return {
        kernel: 'gatherRows',
        call: { params: { R: op.R, W: op.W, rowsIn: op.rowsIn }, buffers: { rows: buf(op.rows), x: buf(op.x), y: buf(op.out) }, grid: rowGrid(op.R) },
      };
    case 'attention':
      return {
        kernel: f16 ? 'attentionF16' : op.HS % 4 === 0 ? 'attentionVec4' : 'attention',
        call: {
          params: { T: op.T, NH: op.NH, HS: op.HS },
          buffers: { qkv: buf(op.qkv), mask: buf(op.mask), ctx: buf(op.out) },
          overrides: { QB: ATTENTION_QB },
          grid: [Math.ceil(op.T / ATTENTION_QB), op.NH, op.B],
        },
      };
    case 'attentionProbs':
      return {
        kernel: f16 ? 'attentionProbsF16' : 'attentionProbs',
        call: {
          params: { T: op.T, NH: op.NH, HS: op.HS },
          buffers: { qkv: buf(op.qkv), mask: buf(op.mask), probs: buf(op.out) },
          overrides: { QB: ATTENTION_QB },
          grid: [Math.ceil(op.T / ATTENTION_QB), op.NH, op.B],
        },
      };
    default:
      return assertNever(op);
  }
}

