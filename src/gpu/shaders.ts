// The WGSL sources, imported as strings: Vite's `?raw` in the browser build and in Vitest; in Node scripts the
// loader in scripts/wgsl-loader.mjs gives the same default export.
import erfLib from '../../shaders/lib/erf.wgsl?raw';
import workgroupSumLib from '../../shaders/lib/workgroup_sum.wgsl?raw';
import workgroupSum4Lib from '../../shaders/lib/workgroup_sum4.wgsl?raw';
import matmul from '../../shaders/matmul.wgsl?raw';
import matmulLayernorm from '../../shaders/matmul_layernorm.wgsl?raw';
import layernorm from '../../shaders/layernorm.wgsl?raw';
import attention from '../../shaders/attention.wgsl?raw';
import embedding from '../../shaders/embedding.wgsl?raw';
import gelu from '../../shaders/gelu.wgsl?raw';
import softmax from '../../shaders/softmax.wgsl?raw';
import matmulF16 from '../../shaders/matmul_f16.wgsl?raw';
import matmulLayernormF16 from '../../shaders/matmul_layernorm_f16.wgsl?raw';
import layernormF16 from '../../shaders/layernorm_f16.wgsl?raw';
import attentionF16 from '../../shaders/attention_f16.wgsl?raw';
import embeddingF16 from '../../shaders/embedding_f16.wgsl?raw';
import geluF16 from '../../shaders/gelu_f16.wgsl?raw';
import softmaxF16 from '../../shaders/softmax_f16.wgsl?raw';
import matmulVec4 from '../../shaders/matmul_vec4.wgsl?raw';
import matmulVec4F16 from '../../shaders/matmul_vec4_f16.wgsl?raw';
import matmulNaive from '../../shaders/matmul_naive.wgsl?raw';
import attentionVec4 from '../../shaders/attention_vec4.wgsl?raw';
import matmulLayernormVec4 from '../../shaders/matmul_layernorm_vec4.wgsl?raw';
import attentionProbs from '../../shaders/attention_probs.wgsl?raw';
import attentionProbsF16 from '../../shaders/attention_probs_f16.wgsl?raw';
import gatherRows from '../../shaders/gather_rows.wgsl?raw';

export const shaderLibs = { erf: erfLib, workgroupSum: workgroupSumLib, workgroupSum4: workgroupSum4Lib } as const;
export type ShaderLib = keyof typeof shaderLibs;

export const shaderSources = {
  matmul,
  matmulLayernorm,
  layernorm,
  attention,
  embedding,
  gelu,
  softmax,
  // f16-storage twins (need the adapter's shader-f16): same bindings, Params and overrides as the f32 kernel.
  matmulF16,
  matmulLayernormF16,
  layernormF16,
  attentionF16,
  embeddingF16,
  geluF16,
  softmaxF16,
  // matmul reading x and w as vec4 (K % 4 == 0): same interface as matmul.
  matmulVec4,
  matmulVec4F16,
  // vec4 variants for HS % 4 == 0 / K % 4 == 0 (f32 storage): same Params and binding names.
  attentionVec4,
  matmulLayernormVec4,
  // Attention probabilities of one layer, a debug output (inspect()); the f16 twin reads f16 qkv, writes f32.
  attentionProbs,
  attentionProbsF16,
  // Row gather (the masked-LM head's rows); copies 32-bit words, so it serves f32 and f16 storage alike.
  gatherRows,
  // Benchmark baseline only (scripts/bench-kernels.ts).
  matmulNaive,
} as const;
