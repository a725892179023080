// One descriptor per shader: its WGSL (plus the shared library files it declares) and the interface read from it.
// The executor and the tests dispatch kernels only through these descriptors.
import { readConstU32, reflectKernel, type KernelInterface } from './wgsl-reflect.ts';
import { shaderLibs, shaderSources, type ShaderLib } from './shaders.ts';

export type KernelName = keyof typeof shaderSources;

export interface Kernel {
  name: KernelName;
  /** Complete module: the kernel file, then its library files (WGSL declarations are order-independent). */
  code: string;
  iface: KernelInterface;
}

// Which library files each kernel calls into; every other kernel is self-contained.
const libsOf: Partial<Record<KernelName, ShaderLib[]>> = {
  matmul: ['erf'],
  gelu: ['erf'],
  matmulF16: ['erf'],
  geluF16: ['erf'],
  matmulVec4: ['erf'],
  matmulVec4F16: ['erf'],
  layernorm: ['workgroupSum'],
  layernormF16: ['workgroupSum'],
  embedding: ['workgroupSum'],
  embeddingF16: ['workgroupSum'],
  matmulLayernorm: ['workgroupSum4'],
  matmulLayernormF16: ['workgroupSum4'],
};

function makeKernel(name: KernelName): Kernel {
  const main = shaderSources[name];
  const code = [main, ...(libsOf[name] ?? []).map((lib) => shaderLibs[lib])].join('\n');
  return { name, code, iface: reflectKernel(name, main) };
}

const kernelCache = new Map<KernelName, Kernel>();

export function getKernel(name: KernelName): Kernel {
  let k = kernelCache.get(name);
  if (!k) {
    if (!(name in shaderSources)) throw new Error(`unknown kernel '${String(name)}'`);
    k = makeKernel(name);
    kernelCache.set(name, k);
  }
  return k;
}

export const kernelNames = Object.keys(shaderSources) as KernelName[];

/** Largest head size the attention kernels hold in registers (their MAX_HS). */
export const maxHeadSize = readConstU32('attention', shaderSources.attention, 'MAX_HS');

/**
 * Each f32 kernel's f16-storage twin. A twin has the same bindings (names, order), Params fields and override names;
 * every float storage buffer is f16 instead of f32, integer buffers (ids, mask) stay u32 and uniforms stay 32-bit.
 * So an executor on an adapter with `shader-f16` swaps the name and nothing else (buffers sized 2 bytes/element).
 */
const f16Twins = {
  matmul: 'matmulF16',
  matmulLayernorm: 'matmulLayernormF16',
  layernorm: 'layernormF16',
  attention: 'attentionF16',
  embedding: 'embeddingF16',
  gelu: 'geluF16',
  softmax: 'softmaxF16',
  matmulVec4: 'matmulVec4F16',
  attentionProbs: 'attentionProbsF16',
} as const satisfies Partial<Record<KernelName, KernelName>>;

/** The f16-storage twin of an f32 kernel, or null when it has none (then the f32 kernel is the only path). */
export function f16Variant(name: KernelName): KernelName | null {
  return (f16Twins as Partial<Record<KernelName, KernelName>>)[name] ?? null;
}

/** True for kernels that need the `shader-f16` feature (the twins above). */
export function needsF16(name: KernelName): boolean {
  return Object.values(f16Twins).includes(name as (typeof f16Twins)[keyof typeof f16Twins]);
}

/** Values of the `EPILOGUE` override of matmul.wgsl. */
export const MatmulEpilogue = { none: 0, gelu: 1, residual: 2, geluTanh: 3, relu: 4, tanh: 5 } as const;
export type MatmulEpilogueName = keyof typeof MatmulEpilogue;

/** Values of the `ACT` override of gelu.wgsl. */
export const Activation = { gelu: 0, geluTanh: 1, relu: 2 } as const;

/** Workgroup grid for kernels that take one workgroup per row (row = x + 65535·y). */
export function rowGrid(rows: number): [number, number, number] {
  if (rows <= 65535) return [Math.max(rows, 1), 1, 1];
  return [65535, Math.ceil(rows / 65535), 1];
}
