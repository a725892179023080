// The WGSL sources, imported as strings: Vite's `?raw` in the browser build and in Vitest; in Node scripts the
// loader in scripts/wgsl-loader.mjs gives the same default export. One source per kernel family: the storage type
// (`elem`, `elem4`) comes from the prelude src/gpu/kernels.ts prepends, so f32 and f16 kernels share their text.
import epilogueLib from '../../shaders/lib/epilogue.wgsl?raw';
import erfLib from '../../shaders/lib/erf.wgsl?raw';
import workgroupSumLib from '../../shaders/lib/workgroup_sum.wgsl?raw';
import workgroupSum4Lib from '../../shaders/lib/workgroup_sum4.wgsl?raw';
import matmul from '../../shaders/matmul.wgsl?raw';
import matmulVec4 from '../../shaders/matmul_vec4.wgsl?raw';
import matmulLayernorm from '../../shaders/matmul_layernorm.wgsl?raw';
import matmulLayernormVec4 from '../../shaders/matmul_layernorm_vec4.wgsl?raw';
import layernorm from '../../shaders/layernorm.wgsl?raw';
import attention from '../../shaders/attention.wgsl?raw';
import attentionVec4 from '../../shaders/attention_vec4.wgsl?raw';
import attentionProbs from '../../shaders/attention_probs.wgsl?raw';
import embedding from '../../shaders/embedding.wgsl?raw';
import gatherRows from '../../shaders/gather_rows.wgsl?raw';
import gatherBlockRows from '../../shaders/gather_block_rows.wgsl?raw';
import matmulNaive from '../../shaders/matmul_naive.wgsl?raw';

/**
 * The WGSL that makes a source a kernel of one storage dtype: `elem`/`elem4` are what the buffers hold. It goes first:
 * `enable f16;` must be the module's first directive. The one prelude of every kernel (src/gpu/kernels.ts and the
 * GPU-shaped kernels of src/gpu/gpu-kernels.ts).
 */
export function shaderPrelude(dtype: 'f32' | 'f16'): string {
  return dtype === 'f16'
    ? 'enable f16;\nalias elem = f16;\nalias elem4 = vec4<f16>;'
    : 'alias elem = f32;\nalias elem4 = vec4<f32>;';
}

export const shaderLibs = { erf: erfLib, epilogue: epilogueLib, workgroupSum: workgroupSumLib, workgroupSum4: workgroupSum4Lib } as const;
export type ShaderLib = keyof typeof shaderLibs;

/** Kernel families by name: each is compiled once per storage dtype it is registered for (src/gpu/kernels.ts). */
export const shaderSources = {
  matmul,
  // matmul reading x and w as vec4 (K % 4 == 0): same interface as matmul.
  matmulVec4,
  matmulLayernorm,
  // K % 4 == 0, 16 rows per workgroup: same Params and binding names as matmulLayernorm.
  matmulLayernormVec4,
  layernorm,
  attention,
  // HS % 4 == 0: same Params and binding names as attention.
  attentionVec4,
  // Attention probabilities of one layer, a debug output (inspect()); reads elem qkv, writes f32.
  attentionProbs,
  embedding,
  // Row gather (the masked-LM head's rows); copies 32-bit words, so it serves f32 and f16 storage alike.
  gatherRows,
  // One row block's share of a gather from a table split into row blocks (the embeddings of a large vocabulary).
  gatherBlockRows,
  // Benchmark baseline only (scripts/bench-kernels.ts).
  matmulNaive,
} as const;
export type ShaderFamily = keyof typeof shaderSources;
