// The kernels a training plan dispatches, from three registries behind one reference: the inference kernels
// (src/gpu/kernels.ts: matmul, layernorm, attention, gatherRows), the backward/optimizer kernels (src/train/kernels.ts)
// and the few kernels only the training plan needs (shaders/train: the embedding sum, a stand-alone activation,
// dropout + residual, the [CLS] gradient scatter, attention from materialised probabilities and its dropout backward). All are `{ name, code, iface }` descriptors; this cache compiles
// each module once and each (kernel, overrides) pipeline once, with explicit bind group layouts, and binds buffer
// ranges (a parameter is a range of the flat weight buffer), which src/gpu/dispatch.ts's whole-buffer bindKernel
// cannot.
import { getKernel, type KernelName } from '../gpu/kernels.ts';
import { shaderPrelude } from '../gpu/shaders.ts';
import { packParams, reflectKernel, type KernelInterface } from '../gpu/wgsl-reflect.ts';
import { getTrainKernel, type TrainKernelName } from './kernels.ts';
import erfLib from '../../shaders/lib/erf.wgsl?raw';
import embeddingSum from '../../shaders/train/embedding_sum.wgsl?raw';
import activation from '../../shaders/train/activation.wgsl?raw';
import dropoutAdd from '../../shaders/train/dropout_add.wgsl?raw';
import clsScatter from '../../shaders/train/cls_scatter.wgsl?raw';
import attentionApply from '../../shaders/train/attention_apply.wgsl?raw';
import attentionBackwardScoresDropout from '../../shaders/train/attention_backward_scores_dropout.wgsl?raw';
import workgroupReduceLib from '../../shaders/lib/workgroup_reduce.wgsl?raw';
import dropoutMaskLib from '../../shaders/lib/dropout_mask.wgsl?raw';
import embeddingRowsLib from '../../shaders/lib/embedding_rows.wgsl?raw';

// The kernels only the training plan dispatches (its forward pieces, and the attention backward with dropout), and
// the token attributions' three (interpolated word rows, the one-hot objective, the per-token reduction), which
// src/train/attribution.ts registers when it loads: the Trainer imports it on demand, so a page that never explains
// does not ship them.
const forwardSources = { embeddingSum, activation, dropoutAdd, clsScatter, attentionApply, attentionBackwardScoresDropout } as const;
/** The library files each of them calls, appended after the kernel. */
const forwardLibs: Partial<Record<keyof typeof forwardSources, string[]>> = {
  embeddingSum: [embeddingRowsLib], activation: [erfLib], dropoutAdd: [dropoutMaskLib], attentionBackwardScoresDropout: [workgroupReduceLib, dropoutMaskLib],
};
export type AttributionKernelName = 'attributionEmbeddingSum' | 'logitSeed' | 'attributionReduce';
export type TrainForwardKernelName = keyof typeof forwardSources | AttributionKernelName;
const registered = new Map<AttributionKernelName, { main: string; libs: string[] }>();

type AttributionSource = { main: string; reduce?: boolean; embeddingRows?: boolean };

/**
 * Adds the attribution kernels' sources (attribution.ts); `reduce`: they call workgroupReduce; `embeddingRows`: they
 * read embedding rows as embedding_sum does (shaders/lib/embedding_rows.wgsl).
 */
export function registerAttributionKernels(sources: Record<AttributionKernelName, AttributionSource>): void {
  for (const [name, k] of Object.entries(sources) as Array<[AttributionKernelName, AttributionSource]>) {
    registered.set(name, { main: k.main, libs: [...(k.reduce ? [workgroupReduceLib] : []), ...(k.embeddingRows ? [embeddingRowsLib] : [])] });
  }
}

/** Which registry a kernel comes from: the inference set, the backward/optimizer set, or the training forwards. */
export type KernelRef = { set: 'infer'; name: KernelName } | { set: 'train'; name: TrainKernelName } | { set: 'fwd'; name: TrainForwardKernelName };

interface Descriptor {
  key: string;
  code: string;
  iface: KernelInterface;
}

const fwdCache = new Map<string, Descriptor>();

function describe(ref: KernelRef): Descriptor {
  if (ref.set === 'infer') {
    const k = getKernel(ref.name);
    return { key: `infer:${k.name}`, code: k.code, iface: k.iface };
  }
  if (ref.set === 'train') {
    const k = getTrainKernel(ref.name, 'f32');
    return { key: `train:${k.name}`, code: k.code, iface: k.iface };
  }
  let d = fwdCache.get(ref.name);
  if (!d) {
    const extra = registered.get(ref.name as AttributionKernelName);
    const main = extra?.main ?? forwardSources[ref.name as keyof typeof forwardSources];
    if (!main) throw new Error(`unknown training forward kernel '${String(ref.name)}' (the attribution kernels register when src/train/attribution.ts loads)`);
    const libs = extra?.libs ?? forwardLibs[ref.name as keyof typeof forwardSources] ?? [];
    d = { key: `fwd:${ref.name}`, code: [shaderPrelude('f32'), main, ...libs].join('\n'), iface: reflectKernel(ref.name, main) };
    fwdCache.set(ref.name, d);
  }
  return d;
}

export const refLabel = (ref: KernelRef): string => `${ref.set}:${ref.name}`;

/** A buffer range bound to one binding; size omitted = to the end of the buffer. */
export interface BufferSlice {
  buffer: GPUBuffer;
  offset?: number;
  size?: number;
}

export type Overrides = Readonly<Record<string, number | boolean>>;

export class TrainPipelines {
  private readonly modules = new Map<string, Promise<GPUShaderModule>>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(readonly device: GPUDevice) {}

  iface(ref: KernelRef): KernelInterface {
    return describe(ref).iface;
  }

  private layout(d: Descriptor): GPUBindGroupLayout {
    let l = this.layouts.get(d.key);
    if (!l) {
      l = this.device.createBindGroupLayout({
        label: d.key,
        entries: d.iface.bindings.map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.kind } })),
      });
      this.layouts.set(d.key, l);
    }
    return l;
  }

  private module(d: Descriptor): Promise<GPUShaderModule> {
    let m = this.modules.get(d.key);
    if (!m) {
      m = (async () => {
        const mod = this.device.createShaderModule({ label: d.key, code: d.code });
        const errors = (await mod.getCompilationInfo()).messages.filter((x) => x.type === 'error');
        if (errors.length > 0) {
          throw new Error(`WGSL compilation failed for kernel '${d.key}':\n${errors.map((x) => `  line ${x.lineNum}:${x.linePos} ${x.message}`).join('\n')}`);
        }
        return mod;
      })();
      this.modules.set(d.key, m);
      m.catch(() => this.modules.delete(d.key));
    }
    return m;
  }

  pipeline(ref: KernelRef, overrides: Overrides = {}): Promise<GPUComputePipeline> {
    const d = describe(ref);
    const key = `${d.key}|${Object.keys(overrides).sort().map((k) => `${k}=${Number(overrides[k])}`).join(',')}`;
    let p = this.pipelines.get(key);
    if (!p) {
      p = (async () => {
        const module = await this.module(d);
        const constants: Record<string, number> = {};
        for (const [k, v] of Object.entries(overrides)) constants[k] = Number(v);
        const layout = this.device.createPipelineLayout({ bindGroupLayouts: [this.layout(d)] });
        try {
          return await this.device.createComputePipelineAsync({ label: key, layout, compute: { module, entryPoint: 'main', constants } });
        } catch (e) {
          throw new Error(`pipeline creation failed for kernel '${d.key}' ${JSON.stringify(overrides)}: ${(e as Error).message}`);
        }
      })();
      this.pipelines.set(key, p);
      p.catch(() => this.pipelines.delete(key));
    }
    return p;
  }

  /** Uniform bytes of one call (packParams checks every field is given and none is unknown). */
  pack(ref: KernelRef, params: Readonly<Record<string, number>>): ArrayBuffer {
    return packParams(refLabel(ref), describe(ref).iface, params);
  }

  /** The bind group of one call: `uniform` serves the kernel's `params`, `buffers` every storage binding by name. */
  bindGroup(ref: KernelRef, uniform: GPUBuffer, buffers: Readonly<Record<string, BufferSlice>>): GPUBindGroup {
    const d = describe(ref);
    for (const name of Object.keys(buffers)) {
      if (!d.iface.bindings.some((b) => b.name === name)) throw new Error(`kernel ${d.key}: unknown binding '${name}'`);
    }
    const entries: GPUBindGroupEntry[] = d.iface.bindings.map((b) => {
      if (b.kind === 'uniform') return { binding: b.binding, resource: { buffer: uniform } };
      const s = buffers[b.name];
      if (!s) throw new Error(`kernel ${d.key}: no buffer given for binding '${b.name}'`);
      return { binding: b.binding, resource: { buffer: s.buffer, offset: s.offset ?? 0, size: s.size } };
    });
    return this.device.createBindGroup({ label: d.key, layout: this.layout(d), entries });
  }
}
