// The optimizer's dispatches over the flat buffers, made once per Trainer: the global gradient norm (grad_sumsq per
// trainable range into partials, grad_norm_finalize → normStats = [norm, clip coefficient]) and one adamw dispatch per
// range of equal weight decay (decayRanges: frozen units are left out, so they neither move nor count in the norm).
// Only the uniforms change per update (lr from the schedule, the bias corrections of step t); they are rewritten with
// queued writes before the step's single submit. Each dispatch binds its own slice of the flat buffers, and ranges are
// cut into chunks of at most maxStorageBufferBindingSize: BERT-base's 440 MB of f32 weights exceed the 128 MiB every
// adapter guarantees for one binding.
import type { BufferRegistry } from '../gpu/buffers.ts';
import { elementGrid } from './kernels.ts';
import { adamwParams, decayRanges, type AdamWOptions, type DecayRange } from './optimizer.ts';
import type { ParamLayout } from './param-layout.ts';
import type { BufferSlice, KernelRef, TrainPipelines } from './train-pipelines.ts';

/** Workgroups of each grad_sumsq dispatch. */
const NORM_GROUPS = 64;

interface Dispatch {
  ref: KernelRef;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  uniform: GPUBuffer;
  grid: [number, number, number];
}

export interface OptimizerBuffers {
  weights: GPUBuffer;
  grads: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  normStats: GPUBuffer;
}

export class OptimizerPlan {
  private constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: TrainPipelines,
    readonly ranges: DecayRange[],
    private readonly norm: Dispatch[],
    private readonly finalize: Dispatch,
    private readonly updates: Dispatch[],
  ) {}

  static async create(device: GPUDevice, pipelines: TrainPipelines, registry: BufferRegistry, owned: GPUBuffer[], layout: ParamLayout,
    buffers: OptimizerBuffers, weightDecay: number, maxBindingBytes = device.limits.maxStorageBufferBindingSize): Promise<OptimizerPlan> {
    const groups = decayRanges(layout.flatTensors(), weightDecay, layout.frozenNames());
    if (groups.length === 0) throw new Error('Trainer: every parameter is frozen, nothing to train');
    // Chunks start at 256-byte offsets (units are aligned) and stay within one binding's limit.
    const maxElems = Math.floor(maxBindingBytes / 4 / 64) * 64;
    if (maxElems < 64) throw new Error(`optimizer plan: maxBindingBytes ${maxBindingBytes} is below 256`);
    const ranges: DecayRange[] = groups.flatMap((r) => {
      const parts: DecayRange[] = [];
      for (let o = 0; o < r.n; o += maxElems) parts.push({ offset: r.offset + o, n: Math.min(maxElems, r.n - o), weightDecay: r.weightDecay });
      return parts;
    });
    const make = (label: string, size: number, usage: number) => {
      const b = registry.create({ label, size: Math.max(16, Math.ceil(size / 4) * 4), usage });
      owned.push(b);
      return b;
    };
    const partials = make('train.normPartials', ranges.length * NORM_GROUPS * 4, GPUBufferUsage.STORAGE);
    const dispatch = async (ref: KernelRef, grid: [number, number, number], bind: Record<string, BufferSlice>): Promise<Dispatch> => {
      const uniform = make(`train.${ref.name}.params`, pipelines.iface(ref).paramsSize, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
      const pipeline = await pipelines.pipeline(ref);
      return { ref, pipeline, bindGroup: pipelines.bindGroup(ref, uniform, bind), uniform, grid };
    };
    const slice = (buffer: GPUBuffer, r: DecayRange): BufferSlice => ({ buffer, offset: r.offset * 4, size: r.n * 4 });
    const norm = await Promise.all(ranges.map(async (r, i) => {
      const d = await dispatch({ set: 'train', name: 'gradSumsq' }, [NORM_GROUPS, 1, 1], { grads: slice(buffers.grads, r), partials: { buffer: partials } });
      device.queue.writeBuffer(d.uniform, 0, pipelines.pack(d.ref, { offset: 0, n: r.n, partialBase: i * NORM_GROUPS }));
      return d;
    }));
    const finalize = await dispatch({ set: 'train', name: 'gradNormFinalize' }, [1, 1, 1], { partials: { buffer: partials }, normStats: { buffer: buffers.normStats } });
    const updates = await Promise.all(ranges.map((r) => dispatch({ set: 'train', name: 'adamw' }, elementGrid(r.n), {
      grads: slice(buffers.grads, r), normStats: { buffer: buffers.normStats }, weights: slice(buffers.weights, r), m: slice(buffers.m, r), v: slice(buffers.v, r),
    })));
    return new OptimizerPlan(device, pipelines, ranges, norm, finalize, updates);
  }

  /** Queues the uniforms of update number t (1-based) with this lr; gradScale = 1/micro-batches of the window. */
  writeUniforms(opts: AdamWOptions, t: number, gradScale: number, maxGradNorm: number): void {
    this.device.queue.writeBuffer(this.finalize.uniform, 0, this.pipelines.pack(this.finalize.ref, { count: this.ranges.length * NORM_GROUPS, gradScale, maxNorm: maxGradNorm }));
    this.ranges.forEach((r, i) => {
      const u = this.updates[i];
      this.device.queue.writeBuffer(u.uniform, 0, this.pipelines.pack(u.ref, adamwParams({ ...opts, weightDecay: r.weightDecay }, t, { offset: 0, n: r.n }, gradScale)));
    });
  }

  /** Records norm, clip coefficient and the AdamW updates (after the backward, in the same pass). */
  record(pass: GPUComputePassEncoder): void {
    for (const d of [...this.norm, this.finalize, ...this.updates]) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.grid[0], d.grid[1], d.grid[2]);
    }
  }
}
