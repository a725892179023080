// Float64 references of the optimizer kernels (shaders/train/adamw.wgsl, grad_sumsq.wgsl, grad_norm_finalize.wgsl),
// written from torch's own code (torch.optim.AdamW's _single_tensor_adamw, torch.nn.utils.clip_grad_norm_), not from
// the WGSL. test/unit/optimizer-pytorch.test.ts checks them against PyTorch's results on the tiny fixture.

type Arr = ArrayLike<number>;

export interface AdamWState {
  weights: Float64Array;
  m: Float64Array;
  v: Float64Array;
}

export interface AdamWHyper {
  lr: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/**
 * One AdamW update (t = 1-based step count) of `state` in place with gradients g, torch's order: decay the old weight
 * by (1 − lr·wd), update the moments, then w −= lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps).
 */
export function adamwStep(state: AdamWState, g: Arr, h: AdamWHyper, t: number): void {
  const bc1 = 1 - h.beta1 ** t;
  const bc2Sqrt = Math.sqrt(1 - h.beta2 ** t);
  const stepSize = h.lr / bc1;
  const { weights, m, v } = state;
  if (g.length !== weights.length || m.length !== weights.length || v.length !== weights.length) {
    throw new Error(`adamwStep: lengths differ (weights ${weights.length}, grads ${g.length}, m ${m.length}, v ${v.length})`);
  }
  for (let i = 0; i < weights.length; i++) {
    weights[i] *= 1 - h.lr * h.weightDecay;
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * g[i];
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * g[i] * g[i];
    weights[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / bc2Sqrt + h.eps);
  }
}

/**
 * torch.nn.utils.clip_grad_norm_ (L2): the total norm over every tensor, the coefficient min(1, maxNorm/(norm + 1e-6))
 * and the gradients scaled by it. maxNorm ≤ 0 means no clipping (coefficient 1), as HF Trainer skips the call.
 */
export function clipGradNorm(grads: readonly Arr[], maxNorm: number): { norm: number; coef: number; clipped: Float64Array[] } {
  let sumsq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sumsq += g[i] * g[i];
  const norm = Math.sqrt(sumsq);
  const coef = maxNorm > 0 ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
  return { norm, coef, clipped: grads.map((g) => Float64Array.from(g, (x) => x * coef)) };
}
