// One descriptor per kernel: a family's WGSL compiled for one storage dtype (the prelude first, then the family's
// source, then the library files it declares), and the interface read from it. The executor and the tests dispatch
// kernels only through these descriptors; which kernel an op runs is chosen in src/graph/variants.ts.
import { readConstU32, reflectKernel, type KernelInterface } from './wgsl-reflect.ts';
import { shaderLibs, shaderPrelude, shaderSources, type ShaderFamily, type ShaderLib } from './shaders.ts';
import { getGpuKernel, type GpuKernelName } from './gpu-kernels.ts';

/** How floats are stored in a kernel's buffers; arithmetic is f32 either way. */
export type StorageDtype = 'f32' | 'f16';

export { shaderPrelude };

interface KernelSpec {
  family: ShaderFamily;
  dtype: StorageDtype;
}

/** A GPU-shaped kernel (shaders/gpu, src/gpu/gpu-kernels.ts) for one storage dtype. */
interface GpuKernelSpec {
  gpu: GpuKernelName;
  dtype: StorageDtype;
}

// Every kernel the library dispatches: (family, dtype). An f16 kernel has exactly its f32 sibling's bindings, Params
// and overrides (same source), so an executor on an adapter with `shader-f16` swaps the name and nothing else.
// Families registered for f32 only: matmulLayernormVec4 (parks pre-norm rows in y, which f16 would round),
// attentionVec4 (no f16 candidate yet), gatherRows (copies 32-bit words: serves f16 rows as is), matmulNaive (bench).
// Then the GPU-shaped kernels (the 'gpu' adapter profile's candidates), each for both storage dtypes; their modules
// are assembled by gpu-kernels.ts (same prelude, `enable` directives hoisted) and named as it names them.
const kernelSpecs = {
  matmul: { family: 'matmul', dtype: 'f32' },
  matmulF16: { family: 'matmul', dtype: 'f16' },
  matmulVec4: { family: 'matmulVec4', dtype: 'f32' },
  matmulVec4F16: { family: 'matmulVec4', dtype: 'f16' },
  matmulLayernorm: { family: 'matmulLayernorm', dtype: 'f32' },
  matmulLayernormF16: { family: 'matmulLayernorm', dtype: 'f16' },
  matmulLayernormVec4: { family: 'matmulLayernormVec4', dtype: 'f32' },
  layernorm: { family: 'layernorm', dtype: 'f32' },
  layernormF16: { family: 'layernorm', dtype: 'f16' },
  attention: { family: 'attention', dtype: 'f32' },
  attentionF16: { family: 'attention', dtype: 'f16' },
  attentionVec4: { family: 'attentionVec4', dtype: 'f32' },
  attentionProbs: { family: 'attentionProbs', dtype: 'f32' },
  attentionProbsF16: { family: 'attentionProbs', dtype: 'f16' },
  embedding: { family: 'embedding', dtype: 'f32' },
  embeddingF16: { family: 'embedding', dtype: 'f16' },
  gatherRows: { family: 'gatherRows', dtype: 'f32' },
  gatherBlockRows: { family: 'gatherBlockRows', dtype: 'f32' },
  matmulNaive: { family: 'matmulNaive', dtype: 'f32' },
  gemmTiled: { gpu: 'gemmTiled', dtype: 'f32' },
  gemmTiledF16: { gpu: 'gemmTiled', dtype: 'f16' },
  gemmTiledPartial: { gpu: 'gemmTiledPartial', dtype: 'f32' },
  gemmTiledPartialF16: { gpu: 'gemmTiledPartial', dtype: 'f16' },
  gemmNarrow: { gpu: 'gemmNarrow', dtype: 'f32' },
  gemmNarrowF16: { gpu: 'gemmNarrow', dtype: 'f16' },
  gemmNarrowSubgroup: { gpu: 'gemmNarrowSubgroup', dtype: 'f32' },
  gemmNarrowSubgroupF16: { gpu: 'gemmNarrowSubgroup', dtype: 'f16' },
  layernormRow: { gpu: 'layernormRow', dtype: 'f32' },
  layernormRowF16: { gpu: 'layernormRow', dtype: 'f16' },
  attentionFlash: { gpu: 'attentionFlash', dtype: 'f32' },
  attentionFlashF16: { gpu: 'attentionFlash', dtype: 'f16' },
  attentionFlashProj: { gpu: 'attentionFlashProj', dtype: 'f32' },
  attentionFlashProjF16: { gpu: 'attentionFlashProj', dtype: 'f16' },
  // f16 arithmetic (f16 storage only; gpu-kernels.ts): extra GPU-profile candidates the tuner can pick.
  gemmTiledHalfF16: { gpu: 'gemmTiledHalf', dtype: 'f16' },
  gemmTiledPartialHalfF16: { gpu: 'gemmTiledPartialHalf', dtype: 'f16' },
  gemmNarrowHalfF16: { gpu: 'gemmNarrowHalf', dtype: 'f16' },
  gemmNarrowSubgroupHalfF16: { gpu: 'gemmNarrowSubgroupHalf', dtype: 'f16' },
  attentionFlashHalfF16: { gpu: 'attentionFlashHalf', dtype: 'f16' },
  attentionFlashProjHalfF16: { gpu: 'attentionFlashProjHalf', dtype: 'f16' },
  transpose: { gpu: 'transpose', dtype: 'f32' },
  transposeF16: { gpu: 'transpose', dtype: 'f16' },
} as const satisfies Record<string, KernelSpec | GpuKernelSpec>;

export type KernelName = keyof typeof kernelSpecs;

export interface Kernel {
  name: KernelName;
  /** The shader family (src/gpu/shaders.ts) or GPU kernel (src/gpu/gpu-kernels.ts) it is compiled from. */
  family: ShaderFamily | GpuKernelName;
  dtype: StorageDtype;
  /** Complete module: prelude, the family source, then its library files (WGSL declarations are order-independent). */
  code: string;
  iface: KernelInterface;
  /** Adapter features the device must have been created with (shader-f16 for f16 storage, subgroups, …). */
  features: readonly GPUFeatureName[];
}

// Which library files each family calls into; every other family is self-contained.
const libsOf: Partial<Record<ShaderFamily, ShaderLib[]>> = {
  matmul: ['erf', 'epilogue'],
  matmulVec4: ['erf', 'epilogue'],
  layernorm: ['workgroupSum'],
  embedding: ['workgroupSum'],
  matmulLayernorm: ['workgroupSum4'],
};

const specOf = (name: KernelName): KernelSpec | GpuKernelSpec => kernelSpecs[name];

function makeKernel(name: KernelName): Kernel {
  const spec = specOf(name);
  const { dtype } = spec;
  if ('gpu' in spec) {
    const g = getGpuKernel(spec.gpu, dtype);
    if (g.name !== name) throw new Error(`kernel registry: ${name} is registered as ${g.name} by gpu-kernels.ts`);
    return { name, family: spec.gpu, dtype, code: g.code, iface: g.iface, features: g.features };
  }
  const { family } = spec;
  const main = shaderSources[family];
  const code = [shaderPrelude(dtype), main, ...(libsOf[family] ?? []).map((lib) => shaderLibs[lib])].join('\n');
  return { name, family, dtype, code, iface: reflectKernel(name, code), features: dtype === 'f16' ? ['shader-f16'] : [] };
}

const kernelCache = new Map<KernelName, Kernel>();

export function getKernel(name: KernelName): Kernel {
  let k = kernelCache.get(name);
  if (!k) {
    if (!Object.hasOwn(kernelSpecs, name)) throw new Error(`unknown kernel '${String(name)}'`);
    k = makeKernel(name);
    kernelCache.set(name, k);
  }
  return k;
}

/** True for the GPU-shaped kernels of shaders/gpu (the 'gpu' adapter profile's candidates). */
export function isGpuKernel(name: KernelName): boolean {
  return 'gpu' in specOf(name);
}

export const kernelNames = Object.keys(kernelSpecs) as KernelName[];

/** The kernel of a family for a storage dtype, or null when the family is not registered for it. */
export function kernelFor(family: ShaderFamily | GpuKernelName, dtype: StorageDtype): KernelName | null {
  return kernelNames.find((n) => familyOf(n) === family && specOf(n).dtype === dtype) ?? null;
}

function familyOf(name: KernelName): ShaderFamily | GpuKernelName {
  const spec = specOf(name);
  return 'gpu' in spec ? spec.gpu : spec.family;
}

/** The f16-storage sibling of an f32 kernel (same family), or null when it has none (then f32 is the only path). */
export function f16Variant(name: KernelName): KernelName | null {
  return specOf(name).dtype === 'f32' ? kernelFor(familyOf(name), 'f16') : null;
}

/** True for kernels compiled with f16 storage (they need the `shader-f16` feature). */
export function needsF16(name: KernelName): boolean {
  return specOf(name).dtype === 'f16';
}

/** Largest head size the attention kernels hold in registers (their MAX_HS). */
export const maxHeadSize = readConstU32('attention', shaderSources.attention, 'MAX_HS');

// Values of the `EPILOGUE` override of the matmul families, read from lib/epilogue.wgsl (defined there once).
const epilogueConsts = {
  none: 'EPILOGUE_NONE', gelu: 'EPILOGUE_GELU', residual: 'EPILOGUE_RESIDUAL', geluTanh: 'EPILOGUE_GELU_TANH',
  relu: 'EPILOGUE_RELU', tanh: 'EPILOGUE_TANH',
} as const;
export type MatmulEpilogueName = keyof typeof epilogueConsts;
export const MatmulEpilogue = Object.fromEntries(
  Object.entries(epilogueConsts).map(([name, wgsl]) => [name, readConstU32('lib/epilogue', shaderLibs.epilogue, wgsl)]),
) as Readonly<Record<MatmulEpilogueName, number>>;

/** Workgroup grid for kernels that take one workgroup per row (row = x + 65535·y). */
export function rowGrid(rows: number): [number, number, number] {
  if (rows <= 65535) return [Math.max(rows, 1), 1, 1];
  return [65535, Math.ceil(rows / 65535), 1];
}
