// The PyTorch training references (test/fixtures/train/, made by scripts/fixtures/train_refs.py; docs/fixtures.md):
// the manifest's cases and their tensors, loaded from bytes so that Node (fs) and Chromium (fetch) share the checks.
import { readSafetensors } from '../../src/weights/cpu-reader.ts';
import { bytesSource } from '../../src/weights/source.ts';

export interface TrainRefCase {
  model: string;
  problemType: 'single_label_classification' | 'multi_label_classification' | 'regression';
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds: number[][];
  labels: (number | number[])[];
  loss: number;
  gradNorm: number;
  clipCoef: number;
  file: string;
  /** Every parameter, in PyTorch's named_parameters() order. */
  parameters: string[];
  /** tiny-bert only (the AdamW references): the parameters without weight decay. */
  noDecay?: string[];
}

export interface TrainRefManifest {
  format: string;
  adamw: { lr: number; weightDecay: number; betas: [number, number]; eps: number };
  maxGradNorm: number;
  cases: TrainRefCase[];
}

export type ReadBytes = (pathFromFixtures: string) => Promise<ArrayBuffer>;

export async function loadManifest(read: ReadBytes): Promise<TrainRefManifest> {
  const m = JSON.parse(new TextDecoder().decode(await read('train/manifest.json'))) as TrainRefManifest;
  if (m.format !== 'bertgpu-train-reference/1') throw new Error(`train/manifest.json: format '${m.format}', want bertgpu-train-reference/1`);
  return m;
}

/** name → f32 data of a safetensors file under test/fixtures. */
export async function loadTensors(read: ReadBytes, path: string): Promise<Map<string, Float32Array>> {
  const { tensors } = await readSafetensors(bytesSource(path, await read(path)));
  return new Map([...tensors].map(([n, t]) => [n, t.data]));
}

export function tensorOf(tensors: ReadonlyMap<string, Float32Array>, name: string, file: string): Float32Array {
  const t = tensors.get(name);
  if (!t) throw new Error(`${file}: no tensor '${name}'`);
  return t;
}
