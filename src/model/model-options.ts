// BertModel's options and how the kernel profile and autotuning are resolved from them and the adapter.
import type { GpuContext } from '../gpu/device.ts';
import type { PipelineCache } from '../gpu/pipelines.ts';
import type { TuneResult } from '../gpu/tuner.ts';
import type { TuningStore } from '../gpu/tuner-cache.ts';
import { adapterProfile, type AdapterProfile } from '../graph/variants.ts';

export interface BertModelOptions {
  /** Storage of weights and activations (accumulation is always f32). f16 needs the adapter's shader-f16. */
  dtype?: 'f32' | 'f16';
  /** Most plans kept (least recently used ones are disposed). */
  maxPlans?: number;
  /** A pipeline cache on this device that is already compiling the model's kernels (see load.ts); else a new one. */
  pipelines?: PipelineCache;
  /** Settles when those compiles have ended; dispose() waits for it (a device must not go with compiles in flight). */
  compiling?: Promise<void>;
  /**
   * Which kernels run the ops: 'gpu' (the workgroup-memory tiled kernels of shaders/gpu, shaped for hardware GPUs),
   * 'software' (the register-blocked kernels measured on lavapipe / SwiftShader) or 'auto' (default: from the
   * adapter, see adapterProfile). Forcing 'gpu' on a software adapter runs the GPU kernels there (tests do).
   */
  kernelProfile?: KernelProfileOption;
  /**
   * Autotuning (src/gpu/tuner.ts): 'auto' (default) times the applicable kernels of each op shape on this device when
   * it is a hardware adapter (adapterProfile 'gpu'), ≤ 300 ms per (batch, sequence) bucket, and remembers the choices
   * (tuningStore); 'off': the variant table's order; 'on': tune whatever the adapter (a software adapter's table order
   * is what was measured on it, so 'auto' leaves it; tests force tuning there).
   */
  tune?: TuneOption;
  /** Where tuned choices persist (default: IndexedDB in browsers, memory in Node; Node callers pass nodeTuningStore()). */
  tuningStore?: TuningStore | null;
  /** The default bucket's tuning, already under way (load.ts starts it with the download). */
  tuning?: Promise<TuneResult | undefined>;
}

/** Autotuning: 'auto' (on hardware adapters), 'off' (the variant table's order) or 'on' (forced, any adapter). */
export type TuneOption = 'auto' | 'off' | 'on';

/** Whether a model with this option tunes on this adapter. */
export function resolveTune(option: TuneOption | undefined, facts: GpuContext['facts']): boolean {
  if (option !== undefined && option !== 'auto' && option !== 'off' && option !== 'on') {
    throw new Error(`tune must be 'auto', 'off' or 'on', got ${JSON.stringify(option)}`);
  }
  return option === 'on' || (option !== 'off' && adapterProfile(facts).kind === 'gpu');
}

/** Wall-time budget of one bucket's tuning (issue 12: ≤ 300 ms; the first overlaps the download). */
export const TUNE_BUDGET_MS = 300;

/** Which kernels run: 'gpu' (tiled, workgroup-memory kernels for hardware GPUs), 'software' (register-blocked kernels for CPU-backed adapters), 'auto' (by the adapter). */
export type KernelProfileOption = 'gpu' | 'software' | 'auto';

/** The kernel profile a model runs with: the adapter's (its features either way) unless forced. */
export function resolveKernelProfile(option: KernelProfileOption | undefined, facts: GpuContext['facts']): AdapterProfile {
  const own = adapterProfile(facts);
  if (option === undefined || option === 'auto') return own;
  if (option !== 'gpu' && option !== 'software') throw new Error(`kernelProfile must be 'gpu', 'software' or 'auto', got ${JSON.stringify(option)}`);
  return { kind: option, features: own.features };
}

