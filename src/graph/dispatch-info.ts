// What one dispatch of a plan is, independent of any device: the op, the kernel lowerOp chose, its grid, its
// workgroup size (read from the kernel's WGSL with the call's overrides) and the FLOPs its op does. The plan dump
// (`bertgpu plan`), the executor's plans and the profiler all describe dispatches with this one function, so what the
// dump prints is what the runtime records.
import { getKernel, type KernelName } from '../gpu/kernels.ts';
import type { Overrides } from '../gpu/pipelines.ts';
import { assertNever, type Op } from './ops.ts';

/** x, y, z. */
export type Triple = [number, number, number];

/** One dispatch of a forward as the runtime runs it: the op, the kernel chosen for it, its grid and its FLOPs. */
export interface DispatchInfo {
  /** The graph op (`matmul`, `attention`, …). */
  op: Op['kind'];
  /** The kernel that runs it. */
  kernel: KernelName;
  /** Workgroups dispatched, [x, y, z]. */
  workgroups: Triple;
  /** Threads per workgroup, [x, y, z], as compiled (overrides applied). */
  workgroupSize: Triple;
  /** Floating-point operations of the op (multiply and add count one each), from its shapes. */
  flops: number;
}

const workgroupSizeRe = /@compute\s+@workgroup_size\(([^)]*)\)/;

/** The value of one `@workgroup_size` argument: a literal, an override (the call's value or its default) or a const. */
function evaluate(kernel: KernelName, code: string, expr: string, overrides: Overrides): number {
  const factors = expr.split('*').map((f) => f.trim());
  return factors.reduce((product, f) => {
    const literal = /^(\d+)[ui]?$/.exec(f);
    if (literal) return product * Number(literal[1]);
    if (/^\w+$/.test(f)) {
      if (f in overrides) return product * Number(overrides[f]);
      const declared = new RegExp(`(?:override|const)\\s+${f}\\s*(?::\\s*[iu]32)?\\s*=\\s*(\\d+)[ui]?\\s*;`).exec(code);
      if (declared) return product * Number(declared[1]);
    }
    throw new Error(`kernel ${kernel}: cannot read its workgroup size ('${expr}' in @workgroup_size)`);
  }, 1);
}

/** Threads per workgroup of `kernel` compiled with `overrides`, from its `@compute @workgroup_size(…)`. */
export function workgroupSizeOf(kernel: KernelName, overrides: Overrides = {}): Triple {
  const { code } = getKernel(kernel);
  const m = workgroupSizeRe.exec(code);
  if (!m) throw new Error(`kernel ${kernel}: no @compute @workgroup_size(…) entry point`);
  const args = m[1].split(',').map((a) => a.trim()).filter((a) => a !== '');
  const [x, y = 1, z = 1] = args.map((a) => evaluate(kernel, code, a, overrides));
  return [x, y, z];
}

// Per-element costs of the small stages (counted once, not per instruction the kernel happens to use):
// a LayerNorm is mean (1) + variance (3) + normalise, scale and shift (4) = 8 per element; softmax is max, subtract,
// exp, sum, divide = 5 per score.
export const LAYERNORM_FLOPS = 8;
const SOFTMAX_FLOPS = 5;

/** FLOPs of an op from its shapes: 2·M·N·K per matmul plus its epilogue, attention 4·B·NH·T²·HS plus softmax. */
export function opFlops(op: Op): number {
  switch (op.kind) {
    case 'embedding':
      // word + position + type embeddings (2 adds), then LayerNorm.
      return op.B * op.T * op.C * (2 + LAYERNORM_FLOPS);
    case 'matmul':
      // + bias, + residual where there is one (activations are not counted: a few per element, and not FLOPs on GPUs).
      return 2 * op.M * op.N * op.K + op.M * op.N * (op.residual === null ? 1 : 2);
    case 'matmulLayernorm':
      // + bias + residual, then LayerNorm.
      return 2 * op.M * op.N * op.K + op.M * op.N * (2 + LAYERNORM_FLOPS);
    case 'layernorm':
      return op.rows * op.C * LAYERNORM_FLOPS;
    case 'gatherRows':
      return 0;
    case 'attention':
      // QKᵀ and PV (2·T·T·HS each per head), the scale and mask add (2 per score) and the softmax.
      return op.B * op.NH * op.T * op.T * (4 * op.HS + 2 + SOFTMAX_FLOPS);
    case 'attentionProbs':
      return op.B * op.NH * op.T * op.T * (2 * op.HS + 2 + SOFTMAX_FLOPS);
    case 'attentionOutput': {
      // The attention, then the output projection with bias + residual + LayerNorm (as matmulLayernorm counts it).
      const M = op.B * op.T;
      const C = op.NH * op.HS;
      return op.B * op.NH * op.T * op.T * (4 * op.HS + 2 + SOFTMAX_FLOPS) + 2 * M * C * C + M * C * (2 + LAYERNORM_FLOPS);
    }
    default:
      return assertNever(op);
  }
}

/**
 * The description of one dispatch of a lowered op. `flops`: this dispatch's share where the op runs as several
 * dispatches (the lowering says how the op's FLOPs divide); default: the whole op's.
 */
export function describeDispatch(op: Op, kernel: KernelName, grid: readonly [number, number?, number?], overrides: Overrides = {}, flops = opFlops(op)): DispatchInfo {
  const [x, y = 1, z = 1] = grid;
  return { op: op.kind, kernel, workgroups: [x, y, z], workgroupSize: workgroupSizeOf(kernel, overrides), flops };
}
