// A TrainGraph made concrete for one (B, T) bucket: activation buffers from a pooled arena sized by liveness (the
// idea of src/graph/plan.ts: a tensor takes the smallest free buffer that fits at its first use and gives it back
// after its last reader ran — saved activations live until their backward step, transient ones like the attention
// probabilities share one buffer across layers), batch input buffers, every pipeline (compiled together) and every
// bind group and uniform buffer, made once. A run then only rewrites the uniforms that change per step (dropout
// seeds, embedding segment counts) and records the steps of the phases it needs into the caller's compute pass.
import type { BufferRegistry } from '../gpu/buffers.ts';
import { dropoutParams } from './kernels.ts';
import type { ParamLayout } from './param-layout.ts';
import type { Bind, GraphStep, InputName, Phase, Table, TrainGraph } from './train-graph.ts';
import type { BufferSlice, TrainPipelines } from './train-pipelines.ts';

export interface TrainPlanContext {
  device: GPUDevice;
  pipelines: TrainPipelines;
  registry: BufferRegistry;
  layout: ParamLayout;
  /** The flat f32 master weights and gradients (layout's offsets). */
  weights: GPUBuffer;
  grads: GPUBuffer;
}

interface PlanStep {
  graph: GraphStep;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  uniform: GPUBuffer;
}

export interface RunUniforms {
  /** Per dropout site the seed; the hidden and attention drop probabilities (0 at evaluation: keep all, scale 1). */
  dropout: { hidden: number; attention: number; seeds: readonly number[] };
  /** Segment counts of the three embedding tables for this batch. */
  segments: Readonly<Record<Table, number>>;
}

const storage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class TrainPlan {
  private disposed = false;

  private constructor(
    readonly graph: TrainGraph,
    private readonly ctx: TrainPlanContext,
    private readonly steps: PlanStep[],
    readonly inputs: ReadonlyMap<InputName, GPUBuffer>,
    private readonly tensorBuffers: readonly GPUBuffer[],
    private readonly owned: GPUBuffer[],
    /** Peak bytes of the activation arena, and how many buffers it took for how many tensors. */
    readonly arena: { bytes: number; buffers: number; tensors: number },
  ) {}

  static async create(ctx: TrainPlanContext, graph: TrainGraph): Promise<TrainPlan> {
    const owned: GPUBuffer[] = [];
    const make = (label: string, bytes: number, usage = storage()) => {
      const b = ctx.registry.create({ label, size: Math.max(4, Math.ceil(bytes / 4) * 4), usage });
      owned.push(b);
      return b;
    };
    // Every pipeline first (compiled together); then everything else is created synchronously inside error scopes
    // (no await between push and pop: the device's scope stack is shared with concurrent work), so a bucket too large
    // for the device (a binding past maxStorageBufferBindingSize, out of memory) is an error naming it.
    const pipelines = await Promise.all(graph.steps.map((s) => ctx.pipelines.pipeline(s.ref, s.overrides)));
    ctx.device.pushErrorScope('out-of-memory');
    ctx.device.pushErrorScope('validation');
    let scopes: Array<Promise<GPUError | null>> = [];
    try {
      const inputs = new Map<InputName, GPUBuffer>();
      for (const [name, bytes] of Object.entries(graph.inputBytes) as Array<[InputName, number]>) inputs.set(name, make(`train.${name}`, bytes));

      // Liveness: first and last step that binds each tensor; the first use must write it.
      const first = new Array<number>(graph.tensors.length).fill(-1);
      const last = new Array<number>(graph.tensors.length).fill(-1);
      graph.steps.forEach((s, i) => {
        const iface = ctx.pipelines.iface(s.ref);
        for (const [binding, b] of Object.entries(s.bind)) {
          if (!('tensor' in b)) continue;
          if (first[b.tensor] < 0) {
            const kind = iface.bindings.find((x) => x.name === binding)?.kind;
            if (kind !== 'storage') throw new Error(`training graph: step ${i} (${s.ref.name}) reads ${graph.tensors[b.tensor].name} before any step wrote it`);
            first[b.tensor] = i;
          }
          last[b.tensor] = i;
        }
      });
      last[graph.logits] = graph.steps.length;  // read back after the forward
      const free: GPUBuffer[] = [];
      const assigned: GPUBuffer[] = new Array(graph.tensors.length);
      let arenaBytes = 0;
      let arenaBuffers = 0;
      const byFirst = new Map<number, number[]>();
      const byLast = new Map<number, number[]>();
      graph.tensors.forEach((_, id) => {
        if (first[id] < 0) throw new Error(`training graph: tensor ${graph.tensors[id].name} is never used`);
        byFirst.set(first[id], [...(byFirst.get(first[id]) ?? []), id]);
        byLast.set(last[id], [...(byLast.get(last[id]) ?? []), id]);
      });
      for (let i = 0; i < graph.steps.length; i++) {
        for (const id of byFirst.get(i) ?? []) {
          const need = Math.max(4, graph.tensors[id].bytes);
          free.sort((a, b) => a.size - b.size);
          const k = free.findIndex((b) => b.size >= need);
          if (k >= 0) assigned[id] = free.splice(k, 1)[0];
          else {
            assigned[id] = make(`train.arena.${arenaBuffers++}`, need);
            arenaBytes += assigned[id].size;
          }
        }
        for (const id of byLast.get(i) ?? []) free.push(assigned[id]);
      }

      const slice = (b: Bind): BufferSlice => {
        if ('tensor' in b) return { buffer: assigned[b.tensor], size: Math.max(4, graph.tensors[b.tensor].bytes) };
        if ('param' in b) return ctx.layout.slice(ctx.weights, b.param);
        if ('grad' in b) return ctx.layout.slice(ctx.grads, b.grad);
        return { buffer: inputs.get(b.input)! };
      };
      const steps = graph.steps.map((s, i): PlanStep => {
        const uniform = make(`train.${s.ref.name}.params`, ctx.pipelines.iface(s.ref).paramsSize, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
        const params = s.dropoutSite !== undefined ? { ...s.params, seed: 0, threshold: 0, scale: 1 } : s.params;
        ctx.device.queue.writeBuffer(uniform, 0, ctx.pipelines.pack(s.ref, params));
        const bind = Object.fromEntries(Object.entries(s.bind).map(([k, b]) => [k, slice(b)]));
        return { graph: s, pipeline: pipelines[i], bindGroup: ctx.pipelines.bindGroup(s.ref, uniform, bind), uniform };
      });
      scopes = [ctx.device.popErrorScope(), ctx.device.popErrorScope()];
      const [validation, oom] = await Promise.all(scopes);
      if (validation || oom) throw new Error(`training plan for batch ${graph.B} × ${graph.T}: ${(validation ?? oom)!.message}`);
      return new TrainPlan(graph, ctx, steps, inputs, assigned, owned, { bytes: arenaBytes, buffers: arenaBuffers, tensors: graph.tensors.length });
    } catch (e) {
      if (scopes.length === 0) await Promise.all([ctx.device.popErrorScope(), ctx.device.popErrorScope()]);
      for (const b of owned) ctx.registry.destroy(b);
      throw e;
    }
  }

  /** The logits' buffer (B, numLabels), valid after a run that recorded the forward. */
  get logits(): GPUBuffer {
    return this.tensorBuffers[this.graph.logits];
  }

  /** Rewrites the per-run uniforms (queued writes: they land before the next submit). */
  writeUniforms(run: RunUniforms): void {
    const hidden = dropoutParams(run.dropout.hidden);
    const attention = dropoutParams(run.dropout.attention);
    for (const s of this.steps) {
      const g = s.graph;
      if (g.dropoutSite !== undefined) {
        const seed = run.dropout.seeds[g.dropoutSite];
        if (seed === undefined) throw new Error(`train plan: no seed for dropout site ${g.dropoutSite}`);
        const { threshold, scale } = g.dropoutKind === 'attention' ? attention : hidden;
        this.ctx.device.queue.writeBuffer(s.uniform, 0, this.ctx.pipelines.pack(g.ref, { ...g.params, seed, threshold, scale }));
      } else if (g.segmentsOf) {
        this.ctx.device.queue.writeBuffer(s.uniform, 0, this.ctx.pipelines.pack(g.ref, { ...g.params, segments: run.segments[g.segmentsOf] }));
      }
    }
  }

  /** Records the steps of the given phases, in order, into one compute pass. */
  record(pass: GPUComputePassEncoder, phases: ReadonlySet<Phase>): void {
    if (this.disposed) throw new Error('train plan: used after dispose()');
    for (const s of this.steps) {
      if (!phases.has(s.graph.phase)) continue;
      pass.setPipeline(s.pipeline);
      pass.setBindGroup(0, s.bindGroup);
      pass.dispatchWorkgroups(s.graph.grid[0], s.graph.grid[1], s.graph.grid[2]);
    }
  }

  get stepCount(): number {
    return this.steps.length;
  }

  get bufferCount(): number {
    return this.disposed ? 0 : this.owned.length;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.owned) this.ctx.registry.destroy(b);
  }
}
