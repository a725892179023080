// adamw: one torch.optim.AdamW step (decoupled weight decay) on a range of a flat f32 parameter buffer, in the exact
//   order of torch's _single_tensor_adamw (1.13–2.x):
//     g  = grads[i] · gradScale · clip            (gradScale = 1/micro-batches; clip = grad_norm_finalize's coefficient)
//     w *= 1 − lr·weightDecay                     (decay first, on the old weight)
//     m  = β1·m + (1 − β1)·g
//     v  = β2·v + (1 − β2)·g²
//     w -= (lr / bc1) · m / (√v / bc2Sqrt + eps)  (bc1 = 1 − β1^t, bc2Sqrt = √(1 − β2^t), computed on the host in f64)
//   1 − β1 and 1 − β2 come from the host (f64, then rounded), not from f32 β's: 1 − f32(0.999) is 1.3e-5 off 0.001,
//   which would bias v by that much relative (torch passes 1 − beta2 as a Python float too).
//   The host dispatches once per contiguous range of tensors that share a weight decay (biases and LayerNorm weights
//   get 0: src/train/optimizer.ts decides by name), so one buffer serves every group; frozen tensors are left out.
// Storage: master weights, m, v and the gradients are always f32 (issue 14 §2), whatever the forward's storage type.
//   ZERO_GRAD clears each gradient after reading it, so the next accumulation window starts from zero without a
//   separate clear pass (the embedding backward writes only the table rows it touches and relies on that).
// Threads: one element per thread, WG per workgroup, 2-D grid: i = offset + (wg.y · nwg.x + wg.x) · WG + lid.x.
// Cost: 16 bytes read + 12 written per element (4 more with ZERO_GRAD): memory-bound, loads and stores coalesce.

override WG: u32 = 256u;
override ZERO_GRAD: bool = false;

struct Params {
  offset: u32,
  n: u32,
  lr: f32,
  weightDecay: f32,
  beta1: f32,
  beta2: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  eps: f32,
  bc1: f32,
  bc2Sqrt: f32,
  gradScale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> grads: array<f32>;
@group(0) @binding(2) var<storage, read> normStats: array<f32>;
@group(0) @binding(3) var<storage, read_write> weights: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let k = (wg.y * nwg.x + wg.x) * WG + lid.x;
  if (k >= params.n) { return; }
  let i = params.offset + k;
  let g = grads[i] * params.gradScale * normStats[1];
  if (ZERO_GRAD) { grads[i] = 0.0; }
  let w = weights[i] * (1.0 - params.lr * params.weightDecay);
  let m1 = params.beta1 * m[i] + params.oneMinusBeta1 * g;
  let v1 = params.beta2 * v[i] + params.oneMinusBeta2 * g * g;
  m[i] = m1;
  v[i] = v1;
  weights[i] = w - (params.lr / params.bc1) * m1 / (sqrt(v1) / params.bc2Sqrt + params.eps);
}
