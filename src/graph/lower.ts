// Lowers one graph op to kernel dispatches: which kernels (the first applicable candidate of the variant table,
// src/graph/variants.ts), their uniforms, their buffers by WGSL binding name, overrides and workgroup grids. Most
// ops are one dispatch; under the GPU profile matmul + LayerNorm and attention + output projection + LayerNorm are two
// (a parallel GEMM writing f32 partials into scratch, then a row kernel).
import type { AdapterFacts } from '../gpu/device.ts';
import type { Op, TensorId } from './ops.ts';
import { adapterProfile, resolveVariant, softwareProfile, type AdapterProfile, type BufferOf, type LoweredDispatch, type OpKind, type OpOf } from './variants.ts';

export type LoweredOp = LoweredDispatch;

/** How an op runs here: the scratch it needs (bytes, 0 for none) and its dispatches once buffers exist. */
export interface OpLowering {
  scratchBytes: number;
  /** The kernels it dispatches, in order (known before any buffer). */
  kernels: readonly LoweredDispatch['kernel'][];
  lower(buf: BufferOf, scratch: () => GPUBuffer): LoweredDispatch[];
}

const profileOf = (adapter: AdapterProfile | AdapterFacts): AdapterProfile => ('kind' in adapter ? adapter : adapterProfile(adapter));

/**
 * Kernel choice for one op: the model's storage dtype picks the f32 or f16 kernels, the adapter (its profile, or its
 * facts as src/gpu/device.ts reads them; default: the software profile every choice so far was measured on) and the
 * op's shape pick among the rest — the profile's tuned choice for the op's shape first (AdapterProfile.choices, from
 * src/gpu/tuner.ts), else the table's priority order.
 */
export function opLowering(op: Op, dtype: 'f32' | 'f16' = 'f32', adapter: AdapterProfile | AdapterFacts = softwareProfile): OpLowering {
  const { candidate, tile } = resolveVariant(op as OpOf<OpKind>, dtype, profileOf(adapter));
  return {
    scratchBytes: candidate.scratchBytes?.(op as never) ?? 0,
    kernels: candidate.kernels ?? [candidate.kernel],
    lower(buf, scratch) {
      const out = candidate.lower(op as never, buf, scratch, tile);
      return Array.isArray(out) ? out : [{ kernel: candidate.kernel, call: out }];
    },
  };
}

const noScratch = (op: Op) => (): GPUBuffer => {
  throw new Error(`lowering: op '${op.kind}' needs a scratch buffer here; lower it through opLowering (plans do)`);
};

/** Every dispatch of one op (with `scratch` where the op needs one). */
export function lowerOpDispatches(op: Op, buf: (id: TensorId) => GPUBuffer, dtype: 'f32' | 'f16' = 'f32',
  adapter: AdapterProfile | AdapterFacts = softwareProfile, scratch: () => GPUBuffer = noScratch(op)): LoweredDispatch[] {
  return opLowering(op, dtype, adapter).lower(buf, scratch);
}

/** The one dispatch of an op that lowers to one (every op under the software profile); throws for a multi-dispatch op. */
export function lowerOp(op: Op, buf: (id: TensorId) => GPUBuffer, dtype: 'f32' | 'f16' = 'f32',
  adapter: AdapterProfile | AdapterFacts = softwareProfile): LoweredOp {
  const all = lowerOpDispatches(op, buf, dtype, adapter);
  if (all.length !== 1) throw new Error(`lowerOp: op '${op.kind}' runs as ${all.length} dispatches here; use lowerOpDispatches`);
  return all[0];
}
