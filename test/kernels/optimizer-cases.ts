// Optimizer kernel checks (shared by the Node and Chromium suites): the global gradient norm (grad_sumsq +
// grad_norm_finalize) and AdamW (adamw) on the GPU against the float64 references in src/cpu/optimizer.ts, over
// several steps so that the moments and the bias corrections are exercised, with decay ranges, a frozen gap,
// gradient accumulation's scale, clipping on and off, and ZERO_GRAD.
// Tolerance: f32 storage of weights/m/v rounds each element to 2⁻²⁴ relative per step; 1e-5 relative per element
// (with a floor of 1e-5·max|ref| for elements that cancel to ~0) is two orders above that and far below any slip
// (a wrong bias correction or decay order is ≥ 1e-3 relative on the update, ~1e-6 of a weight only after many
// steps — so the checks compare the *moments* too, where such slips are O(1)).
import * as opt from '../../src/cpu/optimizer.ts';
import { elementGrid } from '../../src/train/kernels.ts';
import { adamwParams, decayRanges, decaysWeight, type DecayRange, type FlatTensor } from '../../src/train/optimizer.ts';
import { expectClose, randomArray } from '../helpers/validate.ts';
import type { BackwardCase } from './backward-cases.ts';
import { runTrainKernel } from './backward-dispatch.ts';
import { download, output, upload, type KernelEnv } from './env.ts';
import { loadManifest, loadTensors, tensorOf, type ReadBytes } from './train-fixture.ts';

export const NORM_GROUPS = 64;

export interface OptimizerBuffers {
  grads: GPUBuffer;
  weights: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  normStats: GPUBuffer;
}

export interface StepOptions {
  ranges: readonly DecayRange[];
  lr: number;
  t: number;
  maxNorm: number;
  gradScale?: number;
  zeroGrad?: boolean;
  /** adamw's workgroup size (1 forces a 2-D grid past 65 535 workgroups on small buffers). */
  wg?: number;
}

/** One optimizer step as a training plan would record it: norm partials per range, finalize, AdamW per range. */
export async function optimizerStep(env: KernelEnv, b: OptimizerBuffers, o: StepOptions): Promise<void> {
  const gradScale = o.gradScale ?? 1;
  const partials = output(env, 'partials', o.ranges.length * NORM_GROUPS);
  for (const [i, r] of o.ranges.entries()) {
    await runTrainKernel(env.device, 'gradSumsq', {
      params: { offset: r.offset, n: r.n, partialBase: i * NORM_GROUPS }, buffers: { grads: b.grads, partials }, grid: [NORM_GROUPS],
    });
  }
  await runTrainKernel(env.device, 'gradNormFinalize', {
    params: { count: o.ranges.length * NORM_GROUPS, gradScale, maxNorm: o.maxNorm }, buffers: { partials, normStats: b.normStats }, grid: [1],
  });
  const wg = o.wg ?? 256;
  for (const r of o.ranges) {
    await runTrainKernel(env.device, 'adamw', {
      params: adamwParams({ lr: o.lr, weightDecay: r.weightDecay }, o.t, r, gradScale),
      buffers: { grads: b.grads, normStats: b.normStats, weights: b.weights, m: b.m, v: b.v },
      overrides: { ZERO_GRAD: o.zeroGrad ?? false, WG: wg }, grid: elementGrid(r.n, wg),
    });
  }
}

function expectRel(name: string, got: ArrayLike<number>, want: ArrayLike<number>, rtol = 1e-5): void {
  let maxAbs = 0;
  for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(want[i]));
  expectClose(name, got, want, { atol: Math.max(rtol * maxAbs * 1e-2, 1e-30), rtol });
}

/** The spacing of f32 values around x. */
function ulp(x: number): number {
  return 2 ** (Math.floor(Math.log2(Math.max(Math.abs(x), 2 ** -126))) - 23);
}

/**
 * The update w1 − w0 against the reference's, to 1e-3 of it plus 4 f32 ulps of the weight (the roundings of the GPU's
 * two stores and of the f32-stored reference). At lr 3e-4 the whole update is ~1e-3 of a weight, so a 1e-5 relative
 * check of the weights alone cannot see a missing weight decay (lr·wd = 3e-6 relative); this one can.
 */
function expectUpdate(name: string, w0: Float32Array, got: Float32Array, want: Float32Array): void {
  let bad = 0;
  let first = '';
  for (let i = 0; i < w0.length; i++) {
    const du = Math.abs(got[i] - w0[i] - (want[i] - w0[i]));
    if (!(du <= 1e-3 * Math.abs(want[i] - w0[i]) + 4 * ulp(w0[i]))) {
      if (bad++ === 0) first = `[${i}] w0 ${w0[i]}, got ${got[i]}, want ${want[i]}`;
    }
  }
  if (bad > 0) throw new Error(`${name}: ${bad}/${w0.length} updates differ; first ${first}`);
}

/** Tensors laid out back to back; names pick the decay rule (a bias, a LayerNorm weight, a frozen matrix). */
function layout(sizes: readonly number[]): FlatTensor[] {
  const names = ['encoder.layer.0.dense.weight', 'encoder.layer.0.dense.bias', 'encoder.layer.0.LayerNorm.weight', 'frozen.weight', 'classifier.weight'];
  let offset = 0;
  return sizes.map((size, i) => {
    const t = { name: names[i % names.length] + (i >= names.length ? String(i) : ''), offset, size };
    offset += size;
    return t;
  });
}

/**
 * `steps` AdamW steps with fresh random gradients each, maxNorm chosen to clip ('clip'), not to ('none'), or 0
 * (off). Checks norm and coefficient, weights, m and v after every step, and that the frozen tensor never moves.
 */
export function adamwCase(sizes: readonly number[], clip: 'clip' | 'none' | 'off', opts: { steps?: number; gradScale?: number; zeroGrad?: boolean; wg?: number; lr?: number; weightDecay?: number } = {}): BackwardCase {
  const steps = opts.steps ?? 3;
  const gradScale = opts.gradScale ?? 1;
  return {
    name: `adamw sizes=${sizes.join(',')} clip=${clip} steps=${steps}${gradScale !== 1 ? ` gradScale=${gradScale}` : ''}${opts.zeroGrad ? ' ZERO_GRAD' : ''}${opts.wg ? ` WG=${opts.wg}` : ''}${opts.lr ? ` lr=${opts.lr} wd=${opts.weightDecay}` : ''}`,
    async run(env) {
      const tensors = layout(sizes);
      const total = sizes.reduce((a, s) => a + s, 0);
      const frozen = new Set(tensors.filter((t) => t.name.startsWith('frozen')).map((t) => t.name));
      const wd = opts.weightDecay ?? 0.01;
      const ranges = decayRanges(tensors, wd, frozen);
      const w0 = randomArray(total, total + 1, 0.5);
      const state = { weights: Float64Array.from(w0), m: new Float64Array(total), v: new Float64Array(total) };
      const buffers: OptimizerBuffers = {
        grads: output(env, 'grads', total), weights: upload(env, 'weights', w0),
        m: output(env, 'm', total), v: output(env, 'v', total), normStats: output(env, 'normStats', 2),
      };
      const lr = opts.lr ?? 3e-4;
      for (let t = 1; t <= steps; t++) {
        const g = randomArray(total, total * 7 + t, 2);
        env.device.queue.writeBuffer(buffers.grads, 0, g as Float32Array<ArrayBuffer>);
        // The reference: the averaged gradient gradScale·G over the trainable ranges, clipped, then AdamW per range.
        const trainable = ranges.map((r) => Float64Array.from(g.subarray(r.offset, r.offset + r.n), (x) => x * gradScale));
        const norm0 = opt.clipGradNorm(trainable, 0).norm;
        const maxNorm = clip === 'off' ? 0 : clip === 'clip' ? norm0 / 3 : norm0 * 3;
        const clipped = opt.clipGradNorm(trainable, maxNorm);
        await optimizerStep(env, buffers, { ranges, lr, t, maxNorm, gradScale, zeroGrad: opts.zeroGrad, wg: opts.wg });
        const stats = await download(env, buffers.normStats, 2);
        expectRel(`${this.name} step ${t} norm`, [stats[0]], [clipped.norm], 1e-5);
        expectRel(`${this.name} step ${t} clip coefficient`, [stats[1]], [clipped.coef], 1e-5);
        if (clip !== 'clip' && stats[1] !== 1) throw new Error(`${this.name}: coefficient ${stats[1]}, want exactly 1 without clipping`);
        for (const [i, r] of ranges.entries()) {
          const sub = {
            weights: state.weights.subarray(r.offset, r.offset + r.n), m: state.m.subarray(r.offset, r.offset + r.n), v: state.v.subarray(r.offset, r.offset + r.n),
          };
          opt.adamwStep(sub, clipped.clipped[i], { lr, weightDecay: r.weightDecay, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, t);
        }
        expectRel(`${this.name} step ${t} m`, await download(env, buffers.m, total), state.m);
        expectRel(`${this.name} step ${t} v`, await download(env, buffers.v, total), state.v);
        const w = await download(env, buffers.weights, total);
        expectRel(`${this.name} step ${t} weights`, w, state.weights);
        for (const f of tensors.filter((x) => frozen.has(x.name))) {
          for (let i = f.offset; i < f.offset + f.size; i++) if (w[i] !== w0[i]) throw new Error(`${this.name}: frozen '${f.name}' element ${i - f.offset} moved`);
        }
        const gAfter = await download(env, buffers.grads, total);
        for (const r of ranges) {
          for (let i = r.offset; i < r.offset + r.n; i++) {
            const want = opts.zeroGrad ? 0 : g[i];
            if (gAfter[i] !== want) throw new Error(`${this.name}: grads[${i}] = ${gAfter[i]} after the step, want ${want}`);
          }
        }
      }
    },
  };
}

/**
 * The AdamW step and the clipping against PyTorch (train_refs.py, tiny-bert): PyTorch's float32 parameters and
 * float64 gradients (stored as f32) go into flat buffers in named_parameters() order; grad_sumsq + grad_norm_finalize
 * give the norm and clip_grad_norm_'s coefficient, adamw steps twice on the clipped gradients. The parameters after
 * each step must match torch.optim.AdamW's to 1e-5 relative (the decay groups come from decaysWeight, checked equal
 * to the script's own rule).
 */
export function adamwPytorchCase(read: ReadBytes): BackwardCase {
  return {
    name: 'adamw + clip_grad_norm_ vs PyTorch (tiny-bert, 2 steps)',
    async run(env) {
      const manifest = await loadManifest(read);
      const c = manifest.cases.find((x) => x.model === 'tiny-bert');
      if (!c?.noDecay) throw new Error('train/manifest.json: no tiny-bert case with AdamW references');
      const model = await loadTensors(read, 'tiny-bert/model.safetensors');
      const ref = await loadTensors(read, `train/${c.file}`);
      let offset = 0;
      const tensors: FlatTensor[] = c.parameters.map((name) => {
        const t = { name, offset, size: tensorOf(model, name, 'tiny-bert/model.safetensors').length };
        offset += t.size;
        return t;
      });
      const noDecay = tensors.filter((t) => !decaysWeight(t.name)).map((t) => t.name);
      if (noDecay.join() !== c.noDecay.join()) throw new Error(`decay rule differs from train_refs.py: ours ${noDecay.join()}, theirs ${c.noDecay.join()}`);
      const flat = (get: (name: string) => Float32Array) => {
        const out = new Float32Array(offset);
        for (const t of tensors) out.set(get(t.name), t.offset);
        return out;
      };
      const weights = flat((n) => tensorOf(model, n, 'model.safetensors'));
      const buffers: OptimizerBuffers = {
        grads: upload(env, 'grads', flat((n) => tensorOf(ref, `grad.${n}`, c.file))), weights: upload(env, 'weights', weights),
        m: output(env, 'm', offset), v: output(env, 'v', offset), normStats: output(env, 'normStats', 2),
      };
      const ranges = decayRanges(tensors, manifest.adamw.weightDecay);
      for (const t of [1, 2]) {
        await optimizerStep(env, buffers, { ranges, lr: manifest.adamw.lr, t, maxNorm: manifest.maxGradNorm });
        const stats = await download(env, buffers.normStats, 2);
        expectRel(`${this.name} step ${t} norm`, [stats[0]], [c.gradNorm], 1e-5);
        expectRel(`${this.name} step ${t} clip coefficient`, [stats[1]], [c.clipCoef], 1e-5);
        const got = await download(env, buffers.weights, offset);
        for (const x of tensors) {
          const want = tensorOf(ref, `adamw${t}.${x.name}`, c.file);
          const gotX = got.subarray(x.offset, x.offset + x.size);
          expectClose(`${this.name} step ${t} ${x.name}`, gotX, want, { atol: 1e-7, rtol: 1e-5 });
          expectUpdate(`${this.name} step ${t} ${x.name} update`, weights.subarray(x.offset, x.offset + x.size), gotX, want);
        }
      }
    },
  };
}
