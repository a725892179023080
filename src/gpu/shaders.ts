// The WGSL sources, imported as strings: Vite's `?raw` in the browser build and in Vitest; in Node scripts the
// loader in scripts/wgsl-loader.mjs gives the same default export.
import erfLib from '../../shaders/lib/erf.wgsl?raw';
import matmul from '../../shaders/matmul.wgsl?raw';
import matmulLayernorm from '../../shaders/matmul_layernorm.wgsl?raw';
import layernorm from '../../shaders/layernorm.wgsl?raw';
import attention from '../../shaders/attention.wgsl?raw';
import embedding from '../../shaders/embedding.wgsl?raw';
import gelu from '../../shaders/gelu.wgsl?raw';
import softmax from '../../shaders/softmax.wgsl?raw';

export const shaderLibs = { erf: erfLib } as const;
export type ShaderLib = keyof typeof shaderLibs;

export const shaderSources = {
  matmul,
  matmulLayernorm,
  layernorm,
  attention,
  embedding,
  gelu,
  softmax,
} as const;
