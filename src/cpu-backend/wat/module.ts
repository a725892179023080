// The CPU backend's one WebAssembly module, as WAT text: the kernels (gemm.ts, norm.ts, attention.ts) over the vector
// math (math.ts), reading and writing an imported memory (shared when threads run the kernels). Two builds: with
// relaxed-SIMD's fused multiply-add, and with multiply + add for engines that do not validate relaxed SIMD.
import { attentionWat } from './attention.ts';
import { gemmWat } from './gemm.ts';
import { mathWat } from './math.ts';
import { normWat } from './norm.ts';

export interface KernelBuild {
  /** f32x4.relaxed_madd instead of f32x4.mul + f32x4.add. */
  relaxed: boolean;
  /** Import a shared memory (Workers + SharedArrayBuffer); else a plain one. */
  shared: boolean;
}

/** Largest memory the module may grow to, in 64 KiB pages (4 GiB: wasm32's limit). */
export const MAX_PAGES = 65536;

export function kernelModuleWat(build: KernelBuild): string {
  return `(module
  (import "env" "memory" (memory 1 ${MAX_PAGES}${build.shared ? ' shared' : ''}))
${mathWat(build.relaxed)}
${normWat(build.relaxed)}
${gemmWat(build.relaxed)}
${attentionWat(build.relaxed)}
)
`;
}

/** The builds the package ships, by file stem. */
export const KERNEL_BUILDS: Record<string, KernelBuild> = {
  'simd': { relaxed: false, shared: false },
  'relaxed': { relaxed: true, shared: false },
  'simd-shared': { relaxed: false, shared: true },
  'relaxed-shared': { relaxed: true, shared: true },
};
