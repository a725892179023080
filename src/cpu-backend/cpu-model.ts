// A loaded BERT on the CPU: the same graph as the GPU model (buildBertGraph, software profile: attention and the
// output projection stay two ops), run by the WebAssembly kernels. Weights are placed in the kernels' memory once at
// load — matmul weights packed into the gemm's panels, Q|K|V fused — and the JS copies dropped. forward() has
// BertModel.forward's contract (EncodedBatch → BertOutputs); it runs each batch at its own (B, T): on a CPU a padded
// token costs as much as a real one, so there are no buckets, and plans (cheap: an arena layout and closures) are
// cached per shape.
import { buildBertGraph, embeddingIdInputs, qkvNames } from '../model/bert.ts';
import { layoutOf } from '../model/families/layouts.ts';
import { madeAtLoadTensors } from '../model/families/made-at-load.ts';
import { checkBatch, defaultOutputs, maskedLmRows } from '../model/batch-check.ts';
import { hasMaskedLmHead, type BertConfig, type BertHead } from '../model/config.ts';
import type { BertOutputName, BertOutputs, EncodedBatch } from '../model/forward-types.ts';
import type { TensorDecl } from '../graph/ops.ts';
import { createCpuPlan, type CpuPlan, type CpuWeightStore } from './executor.ts';
import type { CpuBertWeights } from './cpu-weights.ts';
import { packPanels, padBias } from './pack.ts';
import { KernelThreads, type ThreadOptions } from './threads.ts';
import { WasmKernels } from './wasm-kernels.ts';

export interface CpuBertModelOptions {
  /** Kernels to run on (default: a new instance, relaxed-SIMD FMA where the engine validates it). */
  kernels?: WasmKernels;
  /**
   * Kernel threads (threads.ts): how to start one and how many; the kernels then need a shared memory (made here
   * when `kernels` is not given). Absent or count ≤ 1: everything runs on the calling thread.
   */
  threads?: ThreadOptions;
  /** Plans kept per (B, T) shape (default 8). */
  maxPlans?: number;
}

export class CpuBertModel {
  readonly config: BertConfig;
  readonly head: BertHead;
  readonly hasPooler: boolean;
  private readonly plans = new Map<string, CpuPlan>();
  private disposed = false;
  /** Checkpoint data, until every weight is in the kernels' memory (then emptied). */
  private readonly source: Map<string, Float32Array>;
  private readonly resident = new Map<string, number>();
  /** Forwards run one at a time: they share the heap's activation arena. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(readonly kernels: WasmKernels, loaded: CpuBertWeights, private readonly options: CpuBertModelOptions,
    private readonly threads: KernelThreads | null) {
    this.config = loaded.config;
    this.head = loaded.head;
    this.source = loaded.tensors;
    const pooler = layoutOf(loaded.config).pooler;
    this.hasPooler = pooler !== null && loaded.tensors.has(`${pooler}.weight`);
    // Tables the family's graph reads that no checkpoint holds (DistilBERT's zero type row and sinusoids, RoBERTa's
    // type row by position), made as the GPU model makes them.
    for (const [name, t] of madeAtLoadTensors(this.config, (n) => this.source.has(n), (n) => this.data(n))) this.source.set(name, t.data);
  }

  /** Takes the loaded weights into the kernels' memory (the JS arrays are released). */
  static async create(loaded: CpuBertWeights, options: CpuBertModelOptions = {}): Promise<CpuBertModel> {
    const wanted = options.threads && options.threads.count > 1 ? options.threads : null;
    const kernels = options.kernels ?? await WasmKernels.create({ shared: wanted !== null });
    if (wanted && !kernels.build.shared) throw new Error('CpuBertModel: kernel threads need kernels over a shared memory (WasmKernels.create({ shared: true }))');
    const threads = wanted ? await KernelThreads.create(wanted.spawn, wanted.count, kernels.module, kernels.memory) : null;
    const model = new CpuBertModel(kernels, loaded, options, threads);
    // A one-token plan touches every weight any plan of this head reads: they become resident now, in order.
    model.plan(1, 1, undefined, hasMaskedLmHead(model.head) ? 1 : 0);
    model.source.clear();
    return model;
  }

  /** Threads running the kernels (1: the calling thread only). */
  get threadCount(): number {
    return this.threads?.count ?? 1;
  }

  /** Whether the kernels use relaxed-SIMD's fused multiply-add. */
  get relaxedSimd(): boolean {
    return this.kernels.build.relaxed;
  }

  private weightStore(): CpuWeightStore {
    const place = (key: string, make: () => Float32Array) => {
      let p = this.resident.get(key);
      if (p === undefined) {
        p = this.kernels.put(make());
        this.resident.set(key, p);
      }
      return p;
    };
    return {
      rows: (name: string, decl: TensorDecl) => place(`rows:${name}`, () => {
        const data = this.data(name);
        const n = decl.shape.reduce((a, b) => a * b, 1);
        if (data.length !== n) throw new Error(`weight ${name} has ${data.length} elements, the graph needs ${decl.shape.join('×')}`);
        return data;
      }),
      // A weight the GPU profile reads transposed (`…weight_t`) packs from its (out, in) original: the same panels.
      panels: (name: string, N: number, K: number) => place(`panels:${name.replace(/_t$/, '')}`, () => packPanels(this.data(name.replace(/_t$/, '')), N, K)),
      bias: (name: string, N: number) => place(`bias:${name}`, () => padBias(this.data(name), N)),
    };
  }

  /** A weight's checkpoint data by canonical name; Q|K|V fused on demand (each block's, as relayout.ts fuses them). */
  private data(name: string): Float32Array {
    const t = this.source.get(name);
    if (t) return t;
    for (const block of layoutOf(this.config).blocks) {
      const names = qkvNames(block);
      const suffix = name === names.weight ? 'weight' : name === names.bias ? 'bias' : null;
      if (suffix === null) continue;
      const parts = [block.query, block.key, block.value].map((p) => this.data(`${p}.${suffix}`));
      const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
      parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
      return out;
    }
    throw new Error(`weights: no tensor "${name}" in this model${this.source.size === 0 ? ' (weights are placed at load; this graph needs one no one-token plan read)' : ''}`);
  }

  private plan(B: number, T: number, attentionLayer: number | undefined, mlmRows: number): CpuPlan {
    const key = `${B}x${T}${attentionLayer === undefined ? '' : `@${attentionLayer}`}${mlmRows ? `r${mlmRows}` : ''}`;
    let p = this.plans.get(key);
    if (p) {
      this.plans.delete(key);
      this.plans.set(key, p);
      return p;
    }
    const graph = buildBertGraph(this.config, {
      B, T, dtype: 'f32', head: this.head, hasPooler: this.hasPooler, attentionLayer, mlmRows, untiedDecoder: !this.config.tieWordEmbeddings,
    });
    p = createCpuPlan(this.kernels, this.weightStore(), graph, this.threads);
    this.plans.set(key, p);
    while (this.plans.size > (this.options.maxPlans ?? 8)) this.plans.delete(this.plans.keys().next().value!);
    return p;
  }

  /** As BertModel.forward: the requested outputs of a batch ('attentions' needs `attentionLayer`). */
  async forward(batch: EncodedBatch, outputs: readonly BertOutputName[] = defaultOutputs(this.head), attentionLayer?: number): Promise<BertOutputs> {
    if (this.disposed) throw new Error('CpuBertModel: forward() after dispose()');
    checkBatch(this.config, batch, outputs, attentionLayer);
    const { B, T } = batch;
    const inputIds = Uint32Array.from(batch.inputIds);
    const inputs: Record<string, Uint32Array> = {
      inputIds, attentionMask: Uint32Array.from(batch.attentionMask, (m) => (m ? 1 : 0)),
      // Token types, or RoBERTa's position ids (through the swapped embedding channels), as the GPU model feeds them.
      ...embeddingIdInputs(this.config, inputIds, batch.tokenTypeIds, B, T),
    };
    let mlmRows = 0;
    if (outputs.includes('mlmLogits')) {
      inputs.mlmRows = Uint32Array.from(maskedLmRows(this.head, batch));
      mlmRows = inputs.mlmRows.length;
    }
    const plan = this.plan(B, T, attentionLayer, mlmRows);
    for (const name of outputs) {
      if (plan.graph.outputs[name] === undefined) throw new Error(`forward: this ${this.head} model has no '${name}' output`);
    }
    const run = this.queue.then(() => plan.run(inputs, outputs));
    this.queue = run.catch(() => undefined);
    const result = await run;
    const out: BertOutputs = { B, T };
    for (const name of outputs) out[name] = result[name];
    return out;
  }

  /**
   * The kernels each op kind runs on, in `info.kernels`' form (op kind → kernel names), from the (1, 128) graph:
   * the module's exports, with the SIMD flavour.
   */
  kernelChoices(): Partial<Record<string, string[]>> {
    const flavour = this.relaxedSimd ? 'wasm-relaxed-simd' : 'wasm-simd128';
    const names: Record<string, string[]> = {
      embedding: ['embedding'], matmul: ['gemm'], matmulLayernorm: ['gemm', 'layernorm'], layernorm: ['layernorm'], gatherRows: ['copy'],
      attention: ['attention'], attentionProbs: ['attention'], attentionOutput: ['attention', 'gemm', 'layernorm'],
    };
    const graph = buildBertGraph(this.config, {
      B: 1, T: Math.min(128, this.config.maxPositionEmbeddings), dtype: 'f32', head: this.head, hasPooler: this.hasPooler,
      mlmRows: hasMaskedLmHead(this.head) ? 1 : 0, untiedDecoder: !this.config.tieWordEmbeddings,
    });
    const out: Partial<Record<string, string[]>> = {};
    for (const op of graph.ops) out[op.kind] ??= names[op.kind].map((n) => `${flavour}.${n}`);
    return out;
  }

  /** Plans cached (one per batch shape seen lately). */
  get planStats(): { plans: number; planBuffers: number } {
    return { plans: this.plans.size, planBuffers: 0 };
  }

  /** Drops the plans and weights; the kernels' memory is freed with the model (WebAssembly memory cannot shrink). */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.queue;
    this.threads?.close();
    this.plans.clear();
    this.resident.clear();
    this.source.clear();
  }
}
