// The training kernels (shaders/train/*.wgsl): one descriptor per kernel and storage type, shaped like src/gpu/kernels.ts's
// Kernel, plus the host-side inputs some of them need (dropout threshold, embedding-gradient segments).
// Each source leaves its storage type open (`elem`); the prelude picked here declares it — f32, or f16 with
// `enable f16;` first. Arithmetic inside the kernels is f32 either way.
import { reflectKernel, type KernelInterface } from '../gpu/wgsl-reflect.ts';
import erfLib from '../../shaders/lib/erf.wgsl?raw';
import workgroupReduceLib from '../../shaders/lib/workgroup_reduce.wgsl?raw';
import dropoutMaskLib from '../../shaders/lib/dropout_mask.wgsl?raw';
import { shaderPrelude } from '../gpu/shaders.ts';
import matmulGrad from '../../shaders/train/matmul_grad.wgsl?raw';
import columnSum from '../../shaders/train/column_sum.wgsl?raw';
import layernormBackward from '../../shaders/train/layernorm_backward.wgsl?raw';
import layernormParamGrad from '../../shaders/train/layernorm_param_grad.wgsl?raw';
import activationBackward from '../../shaders/train/activation_backward.wgsl?raw';
import attentionBackwardScores from '../../shaders/train/attention_backward_scores.wgsl?raw';
import attentionBackwardGrads from '../../shaders/train/attention_backward_grads.wgsl?raw';
import embeddingBackward from '../../shaders/train/embedding_backward.wgsl?raw';
import dropout from '../../shaders/train/dropout.wgsl?raw';
import crossEntropy from '../../shaders/train/cross_entropy.wgsl?raw';
import elementwiseLoss from '../../shaders/train/elementwise_loss.wgsl?raw';
import sumReduce from '../../shaders/train/sum_reduce.wgsl?raw';
import adamw from '../../shaders/train/adamw.wgsl?raw';
import gradSumsq from '../../shaders/train/grad_sumsq.wgsl?raw';
import gradNormFinalize from '../../shaders/train/grad_norm_finalize.wgsl?raw';

export const trainShaderSources = {
  matmulGrad,
  columnSum,
  layernormBackward,
  layernormParamGrad,
  activationBackward,
  attentionBackwardScores,
  attentionBackwardGrads,
  embeddingBackward,
  dropout,
  crossEntropy,
  elementwiseLoss,
  sumReduce,
  // The optimizer (f32 only: master weights, m, v and parameter gradients are f32; the prelude is unused).
  adamw,
  gradSumsq,
  gradNormFinalize,
} as const;

export type TrainKernelName = keyof typeof trainShaderSources;
export type StorageType = 'f32' | 'f16';

export interface TrainKernel {
  /** Unique per storage type ('matmulGrad', 'matmulGrad.f16'): the key pipeline caches use. */
  name: string;
  kernel: TrainKernelName;
  storage: StorageType;
  /** Complete module: prelude, kernel, then the library files it calls. */
  code: string;
  iface: KernelInterface;
}


const libsOf: Partial<Record<TrainKernelName, string[]>> = {
  activationBackward: [erfLib], crossEntropy: [workgroupReduceLib], attentionBackwardScores: [workgroupReduceLib], dropout: [dropoutMaskLib],
};

/** Values of activation_backward's `ACT` override. */
export const ActivationGrad = { gelu: 0, geluTanh: 1, relu: 2, tanh: 3 } as const;
/** Values of elementwise_loss's `LOSS` override. */
export const ElementwiseLoss = { bceWithLogits: 0, mse: 1 } as const;
/** HF's ignore_index: label rows the cross-entropy skips (MLM's unmasked tokens). */
export const IGNORE_INDEX = -100;

const cache = new Map<string, TrainKernel>();

export function getTrainKernel(kernel: TrainKernelName, storage: StorageType = 'f32'): TrainKernel {
  if (!(kernel in trainShaderSources)) throw new Error(`unknown training kernel '${String(kernel)}'`);
  if (storage !== 'f32' && storage !== 'f16') throw new Error(`training kernel ${kernel}: storage must be 'f32' or 'f16', got '${String(storage)}'`);
  const name = storage === 'f32' ? kernel : `${kernel}.f16`;
  let k = cache.get(name);
  if (!k) {
    const main = trainShaderSources[kernel];
    const code = [shaderPrelude(storage), main, ...(libsOf[kernel] ?? [])].join('\n');
    k = { name, kernel, storage, code, iface: reflectKernel(name, main) };
    cache.set(name, k);
  }
  return k;
}

export const trainKernelNames = Object.keys(trainShaderSources) as TrainKernelName[];

/** Workgroups for one-element-per-thread kernels (activation_backward, dropout): a 2-D grid past 65535 groups. */
export function elementGrid(n: number, workgroupSize = 256): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / workgroupSize));
  if (groups <= 65535) return [groups, 1, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y, 1];
}

/** dropout.wgsl's uniforms for drop probability p: keep when the hash ≥ threshold = round(p·2³²). */
export function dropoutParams(p: number): { threshold: number; scale: number } {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: probability must be in [0, 1), got ${p}`);
  return { threshold: Math.min(0xffffffff, Math.round(p * 4294967296)), scale: 1 / (1 - p) };
}

/** embedding_backward's inputs: the batch's rows grouped by the table row they read (a counting sort of the keys). */
export interface RowSegments {
  /** Table row of each segment, ascending. */
  targets: Uint32Array;
  /** Segment s covers sortedRows[starts[s] .. starts[s + 1]); length segments + 1. */
  starts: Uint32Array;
  /** Batch rows, grouped by segment, ascending within each. */
  sortedRows: Uint32Array;
}

/** Groups rows by key (token id, position, or type id); every key must be an integer in [0, tableRows). */
export function segmentRows(what: string, keys: ArrayLike<number>, tableRows: number): RowSegments {
  const counts = new Uint32Array(tableRows);
  for (let r = 0; r < keys.length; r++) {
    const k = keys[r];
    if (!Number.isInteger(k) || k < 0 || k >= tableRows) throw new Error(`${what}: row ${r} reads table row ${k}, outside [0, ${tableRows})`);
    counts[k]++;
  }
  const targets: number[] = [];
  const starts: number[] = [0];
  const offset = new Uint32Array(tableRows);
  for (let k = 0; k < tableRows; k++) {
    if (counts[k] === 0) continue;
    offset[k] = starts[starts.length - 1];
    targets.push(k);
    starts.push(offset[k] + counts[k]);
  }
  const sortedRows = new Uint32Array(keys.length);
  for (let r = 0; r < keys.length; r++) sortedRows[offset[keys[r]]++] = r;
  return { targets: Uint32Array.from(targets), starts: Uint32Array.from(starts), sortedRows };
}
