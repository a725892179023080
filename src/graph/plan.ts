// Build → plan → run. A Plan fixes everything for one graph (one batch size and sequence bucket): execution order,
// activation buffers from a pooled arena sized by liveness, every pipeline (compiled together, asynchronously) and
// every bind group and uniform buffer. Running a plan then only writes the inputs and records one compute pass.
import type { BufferRegistry } from '../gpu/buffers.ts';
import type { AdapterFacts } from '../gpu/device.ts';
import { bindKernel } from '../gpu/dispatch.ts';
import type { KernelName } from '../gpu/kernels.ts';
import type { Overrides, PipelineCache } from '../gpu/pipelines.ts';
import { describeDispatch, type DispatchInfo } from './dispatch-info.ts';
import { opLowering, type LoweredOp } from './lower.ts';
import { opInputs, type Graph, type TensorDecl, type TensorId } from './ops.ts';
import { adapterProfile, softwareProfile, type AdapterProfile } from './variants.ts';

export interface PlanContext {
  device: GPUDevice;
  pipelines: PipelineCache;
  registry: BufferRegistry;
  /** GPU buffer of a weight, by the name the graph declared. */
  weight(name: string, decl: TensorDecl): GPUBuffer;
  /** Storage of weights and activations: picks the kernels (f16 twins) in lowerOp. */
  dtype?: 'f32' | 'f16';
  /** The adapter the kernels are chosen for (its profile is passed on to lowerOp; default: software). */
  adapter?: AdapterFacts;
  /** The kernel profile, where the caller forces one (BertModel's kernelProfile); default: the adapter's. */
  profile?: AdapterProfile;
}

export interface PlanStep {
  kernel: KernelName;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  grid: readonly [number, number, number];
  /** The dispatch as `bertgpu plan` prints it (op, kernel, workgroups, workgroup size, FLOPs). */
  info: DispatchInfo;
}

/** One dispatch of a lowered graph: the op it belongs to (an op may take several dispatches). */
export interface LoweredStep extends LoweredOp {
  opIndex: number;
}

/**
 * Lowers every op of a graph, in order: the one place plans (real or dumped) choose their kernels. `scratchOf(i)`:
 * the scratch buffer of op i, for ops whose lowering needs one.
 */
export function lowerGraph(graph: Graph, bufferOf: (id: TensorId) => GPUBuffer, dtype: 'f32' | 'f16' = 'f32', profile: AdapterProfile = softwareProfile,
  scratchOf: (opIndex: number) => GPUBuffer = (i) => bufferOf(-1 - i)): LoweredStep[] {
  return graph.ops.flatMap((op, i) => opLowering(op, dtype, profile).lower(bufferOf, () => scratchOf(i)).map((l) => ({ ...l, opIndex: i })));
}

/** The distinct (kernel, overrides) pipelines a plan of this graph compiles, without a device. */
export function graphKernels(graph: Graph, dtype: 'f32' | 'f16' = 'f32', profile: AdapterProfile = softwareProfile): Array<Pick<LoweredOp, 'kernel'> & { overrides: Overrides }> {
  const seen = new Map<string, { kernel: KernelName; overrides: Overrides }>();
  for (const l of lowerGraph(graph, standInBuffers(graph), dtype, profile)) {
    const overrides = l.call.overrides ?? {};
    seen.set(`${l.kernel}|${JSON.stringify(Object.entries(overrides).sort())}`, { kernel: l.kernel, overrides });
  }
  return [...seen.values()];
}

/** Buffers for lowering without a device: lowerOp only passes them through; reading one throws, naming the tensor. */
function standInBuffers(graph: Graph): (id: TensorId) => GPUBuffer {
  // Negative ids: the scratch of op -1 - id (see lowerGraph).
  return (id) => new Proxy({}, {
    get(_, key) {
      const what = id >= 0 ? graph.tensors[id].name : `the scratch of op ${-1 - id}`;
      throw new Error(`plan dump: lowering read GPUBuffer.${String(key)} of ${what}; there is no device here`);
    },
  }) as GPUBuffer;
}

/**
 * The dispatches a plan of this graph would record, without a device: ops are lowered with stand-in buffers (lowerOp
 * only passes buffers through to the bind group; a stand-in that is read throws, naming the tensor).
 */
export function describeGraph(graph: Graph, dtype: 'f32' | 'f16' = 'f32', profile: AdapterProfile = softwareProfile): DispatchInfo[] {
  checkOrder(graph);
  return lowerGraph(graph, standInBuffers(graph), dtype, profile).map((l) => describeDispatch(graph.ops[l.opIndex], l.kernel, l.call.grid, l.call.overrides, l.flops));
}

export interface Plan {
  graph: Graph;
  steps: PlanStep[];
  /** Buffer of every non-weight tensor (inputs and activations). */
  buffers: Map<TensorId, GPUBuffer>;
  /** Bytes of the pooled activation arena (its peak: buffers are reused across ops once dead). */
  arenaBytes: number;
  /** Activation tensors vs arena buffers: how much the pool saved. */
  activationCount: number;
  arenaBufferCount: number;
  /** MAP_READ buffer per graph output, reused by every run of this plan (runs are serialised). */
  staging: Map<string, GPUBuffer>;
  /** GPU buffers this plan owns (arena, inputs, uniforms, readback); 0 once disposed. */
  readonly bufferCount: number;
  dispose(): void;
}

const bytesOf = (t: TensorDecl) => t.shape.reduce((a, b) => a * b, 1) * (t.type === 'f16' ? 2 : 4);
const storageUsage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Last op index reading each activation; graph outputs live to the end. */
function lastUses(graph: Graph): Map<TensorId, number> {
  const last = new Map<TensorId, number>();
  graph.ops.forEach((op, i) => {
    for (const id of opInputs(op)) last.set(id, i);
  });
  for (const id of Object.values(graph.outputs)) last.set(id, graph.ops.length);
  return last;
}

/** Checks that every op reads only tensors that are inputs, weights or written by an earlier op. */
function checkOrder(graph: Graph): void {
  const ready = new Set<TensorId>(graph.tensors.filter((t) => t.role !== 'activation').map((t) => t.id));
  graph.ops.forEach((op, i) => {
    for (const id of opInputs(op)) {
      if (!ready.has(id)) throw new Error(`graph: op ${i} (${op.kind}) reads ${graph.tensors[id].name} before it is written`);
    }
    if (ready.has(op.out) && graph.tensors[op.out].role !== 'activation') {
      throw new Error(`graph: op ${i} (${op.kind}) writes ${graph.tensors[op.out].name}, which is not an activation`);
    }
    ready.add(op.out);
  });
}

export async function createPlan(ctx: PlanContext, graph: Graph): Promise<Plan> {
  checkOrder(graph);
  const { registry } = ctx;
  const owned: GPUBuffer[] = [];
  const make = (label: string, size: number, usage = storageUsage()) => {
    const b = registry.create({ label, size: Math.max(4, Math.ceil(size / 4) * 4), usage });
    owned.push(b);
    return b;
  };
  try {
    const buffers = new Map<TensorId, GPUBuffer>();
    for (const t of graph.tensors) if (t.role === 'input') buffers.set(t.id, make(t.name, bytesOf(t)));

    // Greedy pooled assignment in execution order: an op's output takes the smallest free buffer that fits (or a new
    // one), and only then are the buffers of inputs that die at this op released, so no op writes a buffer it reads.
    // An op's scratch (split-K partials under the GPU profile) is taken after its output and freed with its dying
    // inputs: it lives for that op only, and ops share scratch and activation buffers alike.
    const profile = ctx.profile ?? (ctx.adapter ? adapterProfile(ctx.adapter) : softwareProfile);
    const lowerings = graph.ops.map((op) => opLowering(op, ctx.dtype, profile));
    const scratch = new Map<number, GPUBuffer>();
    const last = lastUses(graph);
    const free: GPUBuffer[] = [];
    const holder = new Map<GPUBuffer, TensorId>();
    let arenaBytes = 0;
    let arenaBufferCount = 0;
    const take = (need: number): GPUBuffer => {
      free.sort((a, b) => a.size - b.size);
      const k = free.findIndex((b) => b.size >= need);
      if (k >= 0) return free.splice(k, 1)[0];
      const buf = make(`arena.${arenaBufferCount++}`, need);
      arenaBytes += buf.size;
      return buf;
    };
    graph.ops.forEach((op, i) => {
      const out = graph.tensors[op.out];
      const buf = take(bytesOf(out));
      buffers.set(out.id, buf);
      holder.set(buf, out.id);
      if (lowerings[i].scratchBytes > 0) {
        const s = take(lowerings[i].scratchBytes);
        scratch.set(i, s);
        free.push(s);
      }
      for (const id of new Set([...opInputs(op), op.out])) {
        if (graph.tensors[id].role !== 'activation') continue;
        if ((last.get(id) ?? -1) <= i && holder.get(buffers.get(id)!) === id) {
          free.push(buffers.get(id)!);
          holder.delete(buffers.get(id)!);
        }
      }
    });

    const bufferOf = (id: TensorId): GPUBuffer => {
      const t = graph.tensors[id];
      if (t.role === 'weight') return ctx.weight(t.name, t);
      const b = buffers.get(id);
      if (!b) throw new Error(`plan: no buffer for ${t.name}`);
      return b;
    };
    const lowered: LoweredStep[] = lowerings.flatMap((l, i) => l.lower(bufferOf, () => scratch.get(i)!).map((d) => ({ ...d, opIndex: i })));
    // Every pipeline of the plan at once: compilation overlaps instead of running kernel after kernel.
    const pipelines = await Promise.all(lowered.map((l) => ctx.pipelines.get(l.kernel, l.call.overrides)));
    const steps: PlanStep[] = lowered.map((l, i) => {
      const kernel = l.kernel;
      const { bindGroup, uniform } = bindKernel(ctx.device, ctx.pipelines, kernel, l.call, (d) => registry.create(d));
      owned.push(uniform);
      const [x, y = 1, z = 1] = l.call.grid;
      const info = describeDispatch(graph.ops[l.opIndex], kernel, l.call.grid, l.call.overrides, l.flops);
      return { kernel, pipeline: pipelines[i], bindGroup, grid: [x, y, z] as const, info };
    });

    const staging = new Map<string, GPUBuffer>();
    for (const [name, id] of Object.entries(graph.outputs)) {
      staging.set(name, make(`${name}.readback`, bytesOf(graph.tensors[id]), GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST));
    }

    let disposed = false;
    return {
      graph, steps, buffers, arenaBytes, staging,
      activationCount: graph.tensors.filter((t) => t.role === 'activation').length,
      arenaBufferCount,
      get bufferCount() {
        return disposed ? 0 : owned.length;
      },
      dispose() {
        if (disposed) return;
        disposed = true;
        for (const b of owned) registry.destroy(b);
      },
    };
  } catch (e) {
    for (const b of owned) registry.destroy(b);
    throw e;
  }
}
