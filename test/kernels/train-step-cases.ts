// The GPU training step against PyTorch (test/fixtures/train/, made by scripts/fixtures/train_refs.py): shared by the
// Node (Dawn) and Chromium tests, which differ only in how they read fixture bytes and get a device.
import { expect } from 'vitest';
import type { GpuContext } from '../../src/gpu/device.ts';
import { parseBertConfig, type BertConfig } from '../../src/model/config.ts';
import { Trainer, type TrainBatch, type TrainerOptions } from '../../src/train/trainer.ts';
import { loadManifest, loadTensors, tensorOf, type ReadBytes, type TrainRefCase } from './train-fixture.ts';

export interface LoadedModel {
  config: BertConfig;
  weights: Map<string, Float32Array>;
}

export async function loadModel(read: ReadBytes, model: string): Promise<LoadedModel> {
  const config = parseBertConfig(new TextDecoder().decode(await read(`${model}/config.json`)), `${model}/config.json`);
  return { config, weights: await loadTensors(read, `${model}/model.safetensors`) };
}

export function batchOf(c: Pick<TrainRefCase, 'inputIds' | 'tokenTypeIds' | 'attentionMask' | 'labels'>): TrainBatch {
  return {
    B: c.inputIds.length, T: c.inputIds[0].length,
    inputIds: c.inputIds.flat(), tokenTypeIds: c.tokenTypeIds.flat(), attentionMask: c.attentionMask.flat(),
    labels: c.labels as number[] | number[][],
  };
}

const norm = (a: ArrayLike<number>) => Math.sqrt(Array.prototype.reduce.call(a, (s: number, v: number) => s + v * v, 0) as number);
/** ‖a − b‖ / ‖b‖ (absolute ‖a − b‖ when b is 0: the attention key bias's gradient is exactly 0). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d += (a[i] - b[i]) ** 2;
  const nb = norm(b);
  return nb > 1e-6 ? Math.sqrt(d) / nb : Math.sqrt(d);
}

/** Every parameter's GPU gradient vs PyTorch float64 (≤ 1e-3 relative per tensor), then one step's loss and norm. */
export async function gradientCheck(gpu: GpuContext, read: ReadBytes, index: number): Promise<Record<string, number>> {
  const manifest = await loadManifest(read);
  const c = manifest.cases[index];
  const model = await loadModel(read, c.model);
  const ref = await loadTensors(read, `train/${c.file}`);
  const trainer = await Trainer.create(gpu, model, { problemType: c.problemType, lr: manifest.adamw.lr, weightDecay: manifest.adamw.weightDecay, maxGradNorm: manifest.maxGradNorm });
  try {
    const grads = await trainer.gradients(batchOf(c));
    expect([...grads.keys()].sort()).toEqual([...c.parameters].sort());
    const errors: Record<string, number> = {};
    for (const name of c.parameters) {
      errors[name] = relErr(grads.get(name)!, tensorOf(ref, `grad.${name}`, c.file));
      expect(errors[name], `${c.model} gradient of ${name}`).toBeLessThanOrEqual(1e-3);
    }
    const r = await trainer.step(batchOf(c));
    expect(Math.abs(r.loss - c.loss) / Math.abs(c.loss), `${c.model} loss ${r.loss} vs ${c.loss}`).toBeLessThanOrEqual(1e-5);
    expect(Math.abs(r.gradNorm - c.gradNorm) / c.gradNorm, `${c.model} grad norm ${r.gradNorm} vs ${c.gradNorm}`).toBeLessThanOrEqual(1e-4);
    expect(r.updated).toBe(true);
    return errors;
  } finally {
    trainer.dispose();
  }
}

export const trainerOptionsOf = (o: TrainerOptions) => o;
