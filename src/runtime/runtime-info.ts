// What a Runtime reports about itself — info (adapter, dtype, kernels, tuning) and stats (buffers, plans) — read from
// the loaded model on either backend. Kept apart from runtime.ts, whose job is the model's lifecycle (load, batch,
// recover, dispose), so neither grows past one concern.
import type { GpuContext } from '../gpu/device.ts';
import { choiceLabel } from '../graph/variants.ts';
import type { LoadedBert } from '../model/load.ts';
import { planDump } from '../model/plan-dump.ts';
import type { BatcherStats } from './batcher.ts';
import type { LoadedCpuBert } from './cpu-load.ts';
import type { DeviceChoice } from './device-choice.ts';
import type { DtypeChoice } from './dtype.ts';
import type { Task } from '../tasks/registry.ts';
import type { PipelineInfo, RuntimeStats } from './runtime-types.ts';

/** A runtime's loaded state: its model on the GPU (`gpu` set) or on the CPU (`gpu` null), and how they were chosen. */
export interface LoadedState {
  task: Task;
  loaded: LoadedBert | LoadedCpuBert;
  gpu: GpuContext | null;
  deviceChoice: DeviceChoice;
  dtypeChoice: DtypeChoice;
  kernels: Partial<Record<string, string[]>>;
}

/**
 * The kernels of each op kind in a forward of one sequence of up to 128 tokens, as the model's kernel profile lowers
 * it. Read from the plan dump (the same lowering as a real plan: plan-dump.test.ts holds them equal) rather than
 * BertModel.kernelChoices(), which would build and keep a GPU plan of that shape just to answer.
 */
export function kernelsOf({ model }: LoadedBert, dtype: 'f32' | 'f16'): Partial<Record<string, string[]>> {
  const T = Math.min(128, model.config.maxPositionEmbeddings);
  const out: Partial<Record<string, string[]>> = {};
  const dump = planDump(model.config, { B: 1, T, dtype, adapter: model.kernelProfile, head: model.head, hasPooler: model.hasPooler, mlmRows: 1 });
  for (const d of dump.dispatches) {
    const list = (out[d.op] ??= []);
    if (!list.includes(d.kernel)) list.push(d.kernel);
  }
  return out;
}

/** Runtime.info: the pipeline's task, model, dtype, device and kernels. */
export function pipelineInfo(s: LoadedState): PipelineInfo {
  const { files, maxLength } = s.loaded;
  const { config } = s.loaded.model;
  const common = {
    task: s.task, model: files.label, dtype: s.dtypeChoice.dtype, dtypeReason: s.dtypeChoice.reason,
    device: { ...s.deviceChoice }, maxLength, labels: [...config.id2label], hiddenSize: config.hiddenSize, kernels: structuredClone(s.kernels),
  };
  if (!s.gpu) {
    const cpu = s.loaded as LoadedCpuBert;
    // No adapter: the WebAssembly engine stands in its place.
    const simd = cpu.model.relaxedSimd ? 'relaxed-simd' : 'simd128';
    return { ...common, adapter: { vendor: 'cpu', architecture: `wasm-${simd}`, description: `bertgpu CPU backend (WebAssembly ${simd}, ${cpu.model.threadCount} thread${cpu.model.threadCount === 1 ? '' : 's'})`, isFallbackAdapter: false, hasF16: false },
      kernelProfile: 'cpu', tuning: [] };
  }
  const model = (s.loaded as LoadedBert).model;
  const f = s.gpu.facts;
  return {
    ...common,
    adapter: { vendor: f.vendor, architecture: f.architecture, description: f.description, isFallbackAdapter: f.isFallbackAdapter, hasF16: f.hasF16 },
    kernelProfile: model.kernelProfile.kind,
    tuning: model.tuning.map((t) => ({ op: t.op, shape: t.key, choice: choiceLabel(t.choice), source: t.source })),
  };
}

/** Runtime.stats: the batcher's counts with the model's buffers and plans (no GPU buffers on the CPU backend). */
export function runtimeStats(loaded: LoadedBert | LoadedCpuBert, gpu: GpuContext | null, batcher: BatcherStats, deviceRestarts: number): RuntimeStats {
  const { model } = loaded;
  if (!gpu) {
    return { ...batcher, liveBuffers: 0, liveBytes: 0, weightBuffers: 0, ...model.planStats, deviceRestarts: 0 };
  }
  const gpuModel = (loaded as LoadedBert).model;
  const r = gpuModel.registry;
  return {
    ...batcher, liveBuffers: r.liveCount, liveBytes: r.liveBytes, weightBuffers: gpuModel.weights.tensors.size,
    ...model.planStats, deviceRestarts,
  };
}
