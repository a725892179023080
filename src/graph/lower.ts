// Lowers one graph op to a kernel call: which kernel, its uniforms, its buffers by WGSL binding name, overrides and
// the workgroup grid. The only place that knows both the op fields and the kernels' binding names.
import { MatmulEpilogue, rowGrid, type KernelName } from '../gpu/kernels.ts';
import type { KernelCall } from '../gpu/dispatch.ts';
import { assertNever, type Op, type TensorId } from './ops.ts';

export interface LoweredOp {
  kernel: KernelName;
  call: KernelCall;
}

// Tile of matmul.wgsl with its default overrides: 8 × 8 threads, each 4 × 4 outputs.
const MATMUL_TILE = 32;
// Queries per attention workgroup (attention.wgsl's QB default).
const ATTENTION_QB = 32;

export function lowerOp(op: Op, buf: (id: TensorId) => GPUBuffer): LoweredOp {
  switch (op.kind) {
    case 'embedding':
      return {
        kernel: 'embedding',
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
        // vec4 loads when rows are 16-byte aligned (K % 4 == 0): same interface, measured 1.2–2× faster on lavapipe.
        kernel: op.K % 4 === 0 ? 'matmulVec4' : 'matmul',
        call: {
          params: { M: op.M, N: op.N, K: op.K, xRowStep: op.xRowStep },
          // Without a residual epilogue the binding is unused; the bias buffer stands in (read-only aliasing is legal).
          buffers: { x: buf(op.x), w: buf(op.w), b: buf(op.b), residual: buf(op.residual ?? op.b), y: buf(op.out) },
          overrides: { EPILOGUE: MatmulEpilogue[op.epilogue] },
          grid: [Math.ceil(op.N / MATMUL_TILE), Math.ceil(op.M / MATMUL_TILE)],
        },
      };
    case 'matmulLayernorm':
      return {
        kernel: 'matmulLayernorm',
        call: {
          params: { M: op.M, N: op.N, K: op.K, eps: op.eps },
          buffers: { x: buf(op.x), w: buf(op.w), b: buf(op.b), residual: buf(op.residual), gamma: buf(op.gamma),
            beta: buf(op.beta), y: buf(op.out) },
          grid: rowGrid(Math.ceil(op.M / 4)),
        },
      };
    case 'attention':
      return {
        kernel: 'attention',
        call: {
          params: { T: op.T, NH: op.NH, HS: op.HS },
          buffers: { qkv: buf(op.qkv), mask: buf(op.mask), ctx: buf(op.out) },
          grid: [Math.ceil(op.T / ATTENTION_QB), op.NH, op.B],
        },
      };
    case 'attentionProbs':
      return {
        kernel: 'attentionProbs',
        call: {
          params: { T: op.T, NH: op.NH, HS: op.HS },
          buffers: { qkv: buf(op.qkv), mask: buf(op.mask), probs: buf(op.out) },
          grid: [Math.ceil(op.T / ATTENTION_QB), op.NH, op.B],
        },
      };
    default:
      return assertNever(op);
  }
}

/** The tensor an op writes. */
export function opOutput(op: Op): TensorId {
  return op.out;
}
