// Lowers one graph op to a kernel call: which kernel (the first applicable candidate of the variant table,
// src/graph/variants.ts), its uniforms, its buffers by WGSL binding name, overrides and the workgroup grid.
import type { KernelName } from '../gpu/kernels.ts';
import type { KernelCall } from '../gpu/dispatch.ts';
import type { Op, TensorId } from './ops.ts';
import type { AdapterFacts } from '../gpu/device.ts';
import { adapterProfile, chooseVariant, softwareProfile, type AdapterProfile, type OpKind, type OpOf } from './variants.ts';

export interface LoweredOp {
  kernel: KernelName;
  call: KernelCall;
}

/**
 * Kernel choice and call for one op: the model's storage dtype picks the f32 or f16 kernels, the adapter (its
 * profile, or its facts as src/gpu/device.ts reads them; default: the software profile every choice so far was
 * measured on) and the op's shape pick among the rest.
 */
export function lowerOp(op: Op, buf: (id: TensorId) => GPUBuffer, dtype: 'f32' | 'f16' = 'f32',
  adapter: AdapterProfile | AdapterFacts = softwareProfile): LoweredOp {
  const profile = 'kind' in adapter ? adapter : adapterProfile(adapter);
  const candidate = chooseVariant(op as OpOf<OpKind>, dtype, profile);
  return { kernel: candidate.kernel, call: candidate.lower(op as never, buf) };
}
