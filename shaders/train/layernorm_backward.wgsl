// layernorm_backward: the input gradient of y = LN(h)·γ + β per row, recomputing the row statistics from h:
//   x̂ = (h − μ)·rstd,  g = dy·γ,  dh = rstd · (g − mean(g) − x̂ · mean(g·x̂)).
//   Also writes stats (rows, 2) = (μ, rstd) for layernorm_param_grad. In the fused forward y = LN(x·Wᵀ + b + r), dh
//   is the gradient of the residual r as it is, and the dY of that matmul's backward (matmul_grad, column_sum).
// Threads: one workgroup of WG per row (row = wg.x + 65535·wg.y); each thread strides over C; three reductions (Σh,
//   Σ(h − μ)², then Σg and Σg·x̂ together) through workgroup memory.
// Limits: any C ≥ 1, rows ≤ 65535².
// Numerics: f32, two-pass variance (as the forward kernels), biased variance as PyTorch.

override WG: u32 = 128u;

struct Params {
  rows: u32,
  C: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<elem>;
@group(0) @binding(2) var<storage, read> h: array<elem>;
@group(0) @binding(3) var<storage, read> gamma: array<elem>;
@group(0) @binding(4) var<storage, read_write> dh: array<elem>;
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;  // (rows, 2): mean, rstd

var<workgroup> red: array<vec2<f32>, WG>;

fn workgroupSum2(v: vec2<f32>, tid: u32) -> vec2<f32> {
  red[tid] = v;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (tid < stride) { red[tid] += red[tid + stride]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wg.x + 65535u * wg.y;
  if (row >= params.rows) { return; }  // uniform per workgroup: the barriers below stay in uniform control flow
  let C = params.C;
  let base = row * C;
  let tid = lid.x;
  let invC = 1.0 / f32(C);

  var s = 0.0;
  for (var c = tid; c < C; c += WG) { s += f32(h[base + c]); }
  let mean = workgroupSum2(vec2<f32>(s, 0.0), tid).x * invC;
  var v = 0.0;
  for (var c = tid; c < C; c += WG) { let d = f32(h[base + c]) - mean; v += d * d; }
  let rstd = inverseSqrt(workgroupSum2(vec2<f32>(v, 0.0), tid).x * invC + params.eps);

  var sums = vec2<f32>(0.0);  // Σg, Σg·x̂
  for (var c = tid; c < C; c += WG) {
    let g = f32(dy[base + c]) * f32(gamma[c]);
    let xhat = (f32(h[base + c]) - mean) * rstd;
    sums += vec2<f32>(g, g * xhat);
  }
  let means = workgroupSum2(sums, tid) * invC;
  for (var c = tid; c < C; c += WG) {
    let g = f32(dy[base + c]) * f32(gamma[c]);
    let xhat = (f32(h[base + c]) - mean) * rstd;
    dh[base + c] = elem(rstd * (g - means.x - xhat * means.y));
  }
  if (tid == 0u) {
    stats[row * 2u] = mean;
    stats[row * 2u + 1u] = rstd;
  }
}
