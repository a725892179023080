// Token attributions (Trainer.attributions) against the float64 reference (src/cpu/attribution.ts): shared by the
// Node (Dawn) and Chromium tests, which differ only in how they read fixture bytes and get a device.
import { expect } from 'vitest';
import type { GpuContext } from '../../src/gpu/device.ts';
import { bertShapeFromConfig, type BertShape } from '../../src/cpu/bert-backward.ts';
import { cpuAttributions, type SequenceInput } from '../../src/cpu/attribution.ts';
import type { AttributionOptions } from '../../src/train/attribution-options.ts';
import { Trainer, type TrainBatch } from '../../src/train/trainer.ts';
import { loadModel, type LoadedModel } from './train-step-cases.ts';
import type { ReadBytes } from './train-fixture.ts';

export const CLS = 2;
export const SEP = 3;

export interface AttributionModel extends LoadedModel {
  shape: BertShape;
}

export async function loadAttributionModel(read: ReadBytes, name = 'tiny-bert'): Promise<AttributionModel> {
  const model = await loadModel(read, name);
  const json = JSON.parse(new TextDecoder().decode(await read(`${name}/config.json`))) as Record<string, unknown>;
  return { ...model, shape: bertShapeFromConfig(json) };
}

/** [CLS] a [SEP] (b [SEP]), right-padded to T; b's tokens have type 1. */
export function sequence(a: number[], b: number[] = [], T = a.length + b.length + 2 + (b.length ? 1 : 0)): SequenceInput & { batch: TrainBatch } {
  const ids = [CLS, ...a, SEP, ...(b.length ? [...b, SEP] : [])];
  const types = ids.map((_, i) => (i < a.length + 2 ? 0 : 1));
  if (ids.length > T) throw new Error('sequence longer than T');
  const pad = T - ids.length;
  const inputIds = [...ids, ...new Array(pad).fill(0)];
  const tokenTypeIds = [...types, ...new Array(pad).fill(0)];
  const attentionMask = [...ids.map(() => 1), ...new Array(pad).fill(0)];
  return { inputIds, tokenTypeIds, attentionMask, batch: { B: 1, T, inputIds, tokenTypeIds, attentionMask } };
}

const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
/** ‖gpu − ref‖ / ‖ref‖ over the token vector. */
export function vectorErr(gpu: ArrayLike<number>, ref: ArrayLike<number>): number {
  expect(gpu.length).toBe(ref.length);
  return norm(Array.from(gpu, (v, i) => v - ref[i])) / norm(ref);
}

/** GPU vs float64 reference for one sequence and options; returns the relative error (checked ≤ 1e-3). */
export async function attributionCheck(trainer: Trainer, model: AttributionModel, seq: SequenceInput & { batch: TrainBatch }, options: AttributionOptions, what: string): Promise<number> {
  const gpu = await trainer.attributionDetails(seq.batch, options);
  const ref = cpuAttributions(model.shape, model.weights, seq, options, model.config.padTokenId);
  const err = vectorErr(gpu.scores, ref.scores);
  expect(err, `${what}: GPU ${Array.from(gpu.scores).map((v) => v.toFixed(5))} vs float64 ${Array.from(ref.scores).map((v) => v.toFixed(5))}`).toBeLessThanOrEqual(1e-3);
  expect(Math.abs(gpu.inputLogit - ref.inputLogit), `${what}: logit at the input`).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(ref.inputLogit)));
  if (options.method === 'integrated-gradients') expect(Math.abs(gpu.baselineLogit - ref.baselineLogit), `${what}: logit at the baseline`).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(ref.baselineLogit)));
  return err;
}

export async function withTrainer<R>(gpu: GpuContext, model: LoadedModel, run: (t: Trainer) => Promise<R>): Promise<R> {
  const trainer = await Trainer.create(gpu, model, {});
  try {
    return await run(trainer);
  } finally {
    trainer.dispose();
  }
}
