// layernorm_row: y = LayerNorm(Σ_s partials[s] + b + residual) · gamma + beta — the second half of matmul + residual
//   + LayerNorm on hardware GPUs (the op of matmul_layernorm_vec4.wgsl: same b, residual, gamma, beta, y bindings and
//   eps). The first half is gemm_tiled.wgsl in PARTIAL mode, which leaves `splits` f32 partial products of x · wᵀ
//   (split-K slices; splits = 1 when the tiles alone fill the GPU); the bias is added here, once.
//   partials: (splits, M, N) f32 always (the pre-norm values never round to f16); b, gamma, beta: (N);
//   residual, y: (M, N) in the storage type (prelude: elem).
// Threads: one workgroup of WG threads per row (row = workgroup_id.x + 65535·workgroup_id.y); thread t owns columns
//   t + WG·c (c < KEEP: coalesced, and kept in registers between the passes, so partials are read once); mean and
//   variance are workgroup sums (shaders/lib/workgroup_sum.wgsl).
// Workgroup memory: WG · 4 bytes.
// Limits: N ≤ KEEP · WG (2048 at WG = 256; the caller picks WG ≥ N / KEEP); any M ≥ 1, splits ≥ 1.
// Numerics: f32; two-pass mean / variance (biased, as PyTorch) over the full row; the only f16 rounding is y's store.

override WG: u32 = 128u;   // threads; a power of two, ≥ N / KEEP
const KEEP: u32 = 8u;

struct Params {
  M: u32,
  N: u32,
  splits: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;   // (splits, M, N)
@group(0) @binding(2) var<storage, read> b: array<elem>;         // (N)
@group(0) @binding(3) var<storage, read> residual: array<elem>;  // (M, N)
@group(0) @binding(4) var<storage, read> gamma: array<elem>;     // (N)
@group(0) @binding(5) var<storage, read> beta: array<elem>;      // (N)
@group(0) @binding(6) var<storage, read_write> y: array<elem>;   // (M, N)

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let M = params.M;
  let N = params.N;
  let row = wg.x + wg.y * 65535u;
  if (row >= M) { return; }  // whole workgroup: uniform exit before any barrier
  let MN = M * N;

  var v = array<f32, KEEP>();
  var sum = 0.0;
  for (var c = 0u; c < KEEP; c++) {
    let col = tid + c * WG;
    if (col < N) {
      let idx = row * N + col;
      var s = f32(b[col]) + f32(residual[idx]);
      for (var k = 0u; k < params.splits; k++) { s += partials[k * MN + idx]; }
      v[c] = s;
      sum += s;
    }
  }
  let mean = workgroupSum(sum, tid) / f32(N);

  var sq = 0.0;
  for (var c = 0u; c < KEEP; c++) {
    if (tid + c * WG < N) {
      let d = v[c] - mean;
      sq += d * d;
    }
  }
  let rstd = inverseSqrt(workgroupSum(sq, tid) / f32(N) + params.eps);

  for (var c = 0u; c < KEEP; c++) {
    let col = tid + c * WG;
    if (col < N) {
      y[row * N + col] = elem((v[c] - mean) * rstd * f32(gamma[col]) + f32(beta[col]));
    }
  }
}
