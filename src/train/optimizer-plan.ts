// The optimizer's dispatches over the flat buffers, made once per Trainer: the global gradient norm (grad_sumsq per
// trainable range into partials, grad_norm_finalize → normStats = [norm, clip coefficient]) and one adamw dispatch per
// range of equal weight decay (decayRanges: frozen units are left out, so they neither move nor count in the norm).
// Only the uniforms change per update (lr from the schedule, the bias corrections of step t); they are rewritten with
// queued writes before the step's single submit.
import type { BufferRegistry } from '../gpu/buffers.ts';
import { elementGrid } from './kernels.ts';
import { adamwParams, decayRanges, type AdamWOptions, type DecayRange } from './optimizer.ts';
import type { ParamLayout } from './param-layout.ts';
import type { KernelRef, TrainPipelines } from './train-pipelines.ts';

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
    buffers: OptimizerBuffers, weightDecay: number): Promise<OptimizerPlan> {
    const ranges = decayRanges(layout.flatTensors(), weightDecay, layout.frozenNames());
    if (ranges.length === 0) throw new Error('Trainer: every parameter is frozen, nothing to train');
    const make = (label: string, size: number, usage: number) => {
      const b = registry.create({ label, size: Math.max(16, Math.ceil(size / 4) * 4), usage });
      owned.push(b);
      return b;
    };
    const partials = make('train.normPartials', ranges.length * NORM_GROUPS * 4, GPUBufferUsage.STORAGE);
    const dispatch = async (ref: KernelRef, overrides: Record<string, boolean>, grid: [number, number, number], bind: Record<string, GPUBuffer>): Promise<Dispatch> => {
      const uniform = make(`train.${ref.name}.params`, pipelines.iface(ref).paramsSize, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
      const pipeline = await pipelines.pipeline(ref, overrides);
      const bindGroup = pipelines.bindGroup(ref, uniform, Object.fromEntries(Object.entries(bind).map(([k, b]) => [k, { buffer: b }])));
      return { ref, pipeline, bindGroup, uniform, grid };
    };
    const norm = await Promise.all(ranges.map(async (r, i) => {
      const d = await dispatch({ set: 'train', name: 'gradSumsq' }, {}, [NORM_GROUPS, 1, 1], { grads: buffers.grads, partials });
      device.queue.writeBuffer(d.uniform, 0, pipelines.pack(d.ref, { offset: r.offset, n: r.n, partialBase: i * NORM_GROUPS }));
      return d;
    }));
    const finalize = await dispatch({ set: 'train', name: 'gradNormFinalize' }, {}, [1, 1, 1], { partials, normStats: buffers.normStats });
    const updates = await Promise.all(ranges.map((r) => dispatch({ set: 'train', name: 'adamw' }, {}, elementGrid(r.n),
      { grads: buffers.grads, normStats: buffers.normStats, weights: buffers.weights, m: buffers.m, v: buffers.v })));
    return new OptimizerPlan(device, pipelines, ranges, norm, finalize, updates);
  }

  /** Queues the uniforms of update number t (1-based) with this lr; gradScale = 1/micro-batches of the window. */
  writeUniforms(opts: AdamWOptions, t: number, gradScale: number, maxGradNorm: number): void {
    this.device.queue.writeBuffer(this.finalize.uniform, 0, this.pipelines.pack(this.finalize.ref, { count: this.ranges.length * NORM_GROUPS, gradScale, maxNorm: maxGradNorm }));
    this.ranges.forEach((r, i) => {
      const u = this.updates[i];
      this.device.queue.writeBuffer(u.uniform, 0, this.pipelines.pack(u.ref, adamwParams({ ...opts, weightDecay: r.weightDecay }, t, r, gradScale)));
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
