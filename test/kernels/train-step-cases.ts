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

const norm = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
};
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

/**
 * Two optimizer steps on tiny-bert's batch (AdamW 3e-4, weight decay 0.01, clipping 1.0, constant lr): after step 1
 * the parameters vs torch.optim.AdamW (the fixture's adamw1), after step 2 vs the float64 chain (src/cpu/bert-backward.ts,
 * which matches PyTorch's gradients to 5.6e-8) re-run at the step-1 weights, then clip_grad_norm_ and AdamW at t = 2.
 * Both as parameters (1e-6 relative: f32 weights) and as updates w − w0 (the update is ~1e-3 of a weight, so only this
 * second check sees a missing weight decay or a wrong bias correction).
 */
export async function adamwCheck(gpu: GpuContext, read: ReadBytes, refStep2: (w1: Map<string, Float64Array>, m: Map<string, Float64Array>, v: Map<string, Float64Array>) => Map<string, Float64Array>,
  refStep1: () => { w1: Map<string, Float64Array>; m: Map<string, Float64Array>; v: Map<string, Float64Array> }): Promise<{ update1: number; update2: number }> {
  const manifest = await loadManifest(read);
  const c = manifest.cases[0];
  const model = await loadModel(read, c.model);
  const ref = await loadTensors(read, `train/${c.file}`);
  const trainer = await Trainer.create(gpu, model, {
    lr: manifest.adamw.lr, weightDecay: manifest.adamw.weightDecay, beta1: manifest.adamw.betas[0], beta2: manifest.adamw.betas[1], eps: manifest.adamw.eps,
    maxGradNorm: manifest.maxGradNorm, scheduler: 'constant',
  });
  try {
    const worst = { update1: 0, update2: 0 };
    const compare = (w: Map<string, Float32Array>, want: (n: string) => ArrayLike<number>, key: 'update1' | 'update2') => {
      for (const name of c.parameters) {
        const w0 = model.weights.get(name)!;
        const got = w.get(name)!;
        const exp = want(name);
        worst[key] = Math.max(worst[key], expectUpdate(`${key}: ${name}`, got, w0, exp, tensorOf(ref, `grad.${name}`, c.file), c.clipCoef, manifest.adamw.lr));
      }
    };
    const r1 = await trainer.step(batchOf(c));
    expect(Math.abs(r1.loss - c.loss) / c.loss).toBeLessThanOrEqual(1e-5);
    compare(await trainer.readWeights(), (n) => tensorOf(ref, `adamw1.${n}`, c.file), 'update1');
    const s1 = refStep1();
    const w2 = refStep2(s1.w1, s1.m, s1.v);
    const r2 = await trainer.step(batchOf(c));
    expect(r2.loss).toBeLessThan(r1.loss);
    compare(await trainer.readWeights(), (n) => w2.get(n)!, 'update2');
    expect(trainer.updateCount).toBe(2);
    return worst;
  } finally {
    trainer.dispose();
  }
}

/**
 * Parameters after AdamW vs a reference: 1e-5 relative as values, and the update w − w0 to 1e-3 (returned) where it
 * is well-conditioned. Adam's step is −lr·m/(√v + eps): insensitive to the gradient where |g| ≫ eps, but where the
 * clipped gradient is within ~100·eps of 0 an f32 gradient error of 1e-9 moves the step by a visible fraction of lr
 * (seen: 4.5e-3 of layer 0's value-weight update, from a few such elements; and the attention key bias, whose true
 * gradient is exactly 0, holds only rounding noise on both sides). Those elements are held to Adam's bound instead
 * (≤ lr per step, two steps here).
 */
export function expectUpdate(what: string, got: ArrayLike<number>, w0: ArrayLike<number>, exp: ArrayLike<number>, g: ArrayLike<number>, clipCoef: number, lr: number): number {
  if (norm(g) >= 1e-8) expect(relErr(got, exp), what).toBeLessThanOrEqual(1e-5);
  const du: number[] = [];
  const dr: number[] = [];
  for (let i = 0; i < got.length; i++) {
    if (Math.abs(g[i] * clipCoef) > 1e-6) {
      du.push(got[i] - w0[i]);
      dr.push(exp[i] - w0[i]);
    } else expect(Math.abs(got[i] - w0[i]), `${what}[${i}] moved more than Adam can`).toBeLessThanOrEqual(2.01 * lr);
  }
  if (du.length === 0) return 0;
  const e = relErr(du, dr);
  expect(e, `${what} (w − w0)`).toBeLessThanOrEqual(1e-3);
  return e;
}
