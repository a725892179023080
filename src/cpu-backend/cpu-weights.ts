// A model folder's weights as Float32Arrays by canonical HF name, for the CPU backend: the same header checks and
// name resolution as the GPU loader (planWeightNames: `bert.` prefix or not, gamma/beta, tied copies), f16 and bf16
// widened to f32 as they stream in (readSafetensors).
import type { ModelFiles } from '../hub/model.ts';
import { expectedWeights, headOf, type BertConfig, type BertHead } from '../model/config.ts';
import { readSafetensors } from '../weights/cpu-reader.ts';
import { WeightsError, abortError } from '../weights/errors.ts';
import { planWeightNames, type AvailableTensor } from '../weights/names.ts';
import { readSafetensorsHeader, type LoadProgress } from '../weights/stream.ts';

export interface CpuBertWeights {
  config: BertConfig;
  head: BertHead;
  /** Canonical name → data (row-major, the checkpoint's shape). */
  tensors: Map<string, Float32Array>;
  /** Checkpoint tensors the model does not use (not read). */
  unused: string[];
}

export interface CpuLoadOptions {
  head?: BertHead;
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
}

export async function loadCpuBertWeights(files: ModelFiles, options: CpuLoadOptions = {}): Promise<CpuBertWeights> {
  if (!files || !Array.isArray(files.weightFiles)) throw new WeightsError('bad-argument', 'loadCpuBertWeights: expected the result of openModel()');
  const { signal } = options;
  const head = options.head ?? headOf(files.config);
  // Every header first (small reads), so a missing or mis-shaped tensor in any shard fails before data moves.
  const available = new Map<string, AvailableTensor>();
  const sizes: number[] = [];
  for (const f of files.weightFiles) {
    const h = await readSafetensorsHeader(f.source, signal);
    sizes.push(h.dataStart + h.dataLength);
    for (const t of h.tensors) {
      if (available.has(t.name)) throw new WeightsError('index', `${h.file}: tensor "${t.name}" also appears in ${available.get(t.name)!.file}`, h.file, t.name);
      available.set(t.name, { shape: t.shape, file: h.file });
    }
  }
  const plan = planWeightNames(available, expectedWeights(files.config, head), files.label);
  const wanted = new Set(plan.map.values());
  const byFileName = new Map<string, Float32Array>();
  const total = sizes.reduce((a, b) => a + b, 0);
  let done = 0;
  for (let i = 0; i < files.weightFiles.length; i++) {
    if (signal?.aborted) throw abortError(signal);
    const base = done;
    const { tensors } = await readSafetensors(files.weightFiles[i].source, {
      include: (info) => wanted.has(info.name), signal,
      onProgress: options.onProgress && ((p) => options.onProgress!({ ...p, loadedBytes: base + p.loadedBytes, totalBytes: total })),
    });
    for (const [name, t] of tensors) byFileName.set(name, t.data);
    done += sizes[i];
  }
  const tensors = new Map<string, Float32Array>();
  for (const [canonical, fileName] of plan.map) {
    const data = byFileName.get(fileName);
    if (!data) throw new WeightsError('missing-tensor', `${files.label}: tensor "${fileName}" was not read`, files.label, fileName);
    tensors.set(canonical, data);
  }
  return { config: files.config, head, tensors, unused: plan.unused };
}
