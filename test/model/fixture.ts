// Loads a committed tiny-bert fixture folder onto the GPU and reads its fp64 reference.json (made by PyTorch).
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { BufferRegistry } from '../../src/gpu/buffers.ts';
import type { GpuContext } from '../../src/gpu/device.ts';
import { loadBertWeights, openModel } from '../../src/hub/model.ts';
import { dirProvider } from '../../src/hub/node-files.ts';
import { BertModel, type BertModelOptions, type EncodedBatch } from '../../src/model/bert-model.ts';

export const fixturesDir = join(import.meta.dirname, '..', 'fixtures');

interface RefTensor { dims: number[]; data: number[] }
export interface RefCase {
  name: string;
  text: string[];
  textPair?: string[];
  truncated: boolean;
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds: number[][];
  lastHiddenState: RefTensor;
  poolerOutput: RefTensor;
  logits: RefTensor;
  labels?: unknown;
  loss?: number;
}
export interface Reference { problemType: string; numLabels: number; cases: RefCase[] }

export function readReference(model: string): Reference {
  return JSON.parse(readFileSync(join(fixturesDir, model, 'reference.json'), 'utf8')) as Reference;
}

export function batchOf(c: Pick<RefCase, 'inputIds' | 'tokenTypeIds' | 'attentionMask'>): EncodedBatch {
  const B = c.inputIds.length;
  const T = c.inputIds[0].length;
  return {
    B, T,
    inputIds: Int32Array.from(c.inputIds.flat()),
    tokenTypeIds: Int32Array.from(c.tokenTypeIds.flat()),
    attentionMask: Int32Array.from(c.attentionMask.flat()),
  };
}

/** `model`: a folder name under test/fixtures, or an absolute path. */
export async function loadFixtureModel(gpu: GpuContext, model: string, options: BertModelOptions = {}): Promise<BertModel> {
  const files = await openModel(dirProvider(isAbsolute(model) ? model : join(fixturesDir, model)));
  const loaded = await loadBertWeights(files, new BufferRegistry(gpu.device), { storage: options.dtype ?? 'f32' });
  return BertModel.create(gpu, loaded, options);
}

/** Hidden states at valid positions only (padding rows are not meaningful), flattened. */
export function validRows(hidden: ArrayLike<number>, mask: number[][], C: number): number[] {
  const out: number[] = [];
  const T = mask[0].length;
  mask.forEach((row, b) => row.forEach((m, t) => {
    if (m) for (let c = 0; c < C; c++) out.push(hidden[(b * T + t) * C + c]);
  }));
  return out;
}
