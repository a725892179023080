// matmul_layernorm: y = LayerNorm(x · wᵀ + b + residual) · gamma + beta   (one dispatch instead of two)
//   x: (M, K); w: (N, K) PyTorch [out, in]; b, gamma, beta: (N); residual, y: (M, N); eps from the config.
//   This is BERT's "output dense + dropout(off) + residual + LayerNorm" block, used twice per layer.
// Threads: one workgroup of WG threads owns 4 whole rows (so the row statistics never leave the workgroup):
//   workgroup_id.x + 65535·workgroup_id.y = row block; thread t computes 4 × 4 register blocks at columns
//   4t + 4·WG·j, j = 0, 1, … . Each thread normalises exactly the values it wrote, so no storage barrier is needed.
// Limits: any M, N, K ≥ 1.
// Numerics: f32 accumulation; two-pass mean / variance (biased, as PyTorch) over the full row.

override WG: u32 = 64u;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;         // (M, K)
@group(0) @binding(2) var<storage, read> w: array<f32>;         // (N, K)
@group(0) @binding(3) var<storage, read> b: array<f32>;         // (N)
@group(0) @binding(4) var<storage, read> residual: array<f32>;  // (M, N)
@group(0) @binding(5) var<storage, read> gamma: array<f32>;     // (N)
@group(0) @binding(6) var<storage, read> beta: array<f32>;      // (N)
@group(0) @binding(7) var<storage, read_write> y: array<f32>;   // (M, N)

// The reduction and its workgroup memory (`partial`) come from lib/workgroup_sum4.wgsl, appended by the descriptor.

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = params.M;
  let N = params.N;
  let K = params.K;
  let row0 = (wg.x + wg.y * 65535u) * 4u;
  if (row0 >= M) { return; }  // whole workgroup: uniform exit before any barrier
  let tid = lid.x;

  var xBase: array<u32, 4>;
  for (var i = 0u; i < 4u; i++) { xBase[i] = min(row0 + i, M - 1u) * K; }

  // Pass 1: pre-norm values y = x·wᵀ + b + residual, and their row sums.
  var rowSum = vec4<f32>(0.0);
  for (var col0 = tid * 4u; col0 < N; col0 += WG * 4u) {
    var wBase: array<u32, 4>;
    for (var j = 0u; j < 4u; j++) { wBase[j] = min(col0 + j, N - 1u) * K; }
    var acc = array<vec4<f32>, 4>();  // explicit zero: one accumulator block per column chunk
    for (var k = 0u; k < K; k++) {
      let wv = vec4<f32>(w[wBase[0] + k], w[wBase[1] + k], w[wBase[2] + k], w[wBase[3] + k]);
      acc[0] += x[xBase[0] + k] * wv;
      acc[1] += x[xBase[1] + k] * wv;
      acc[2] += x[xBase[2] + k] * wv;
      acc[3] += x[xBase[3] + k] * wv;
    }
    for (var i = 0u; i < 4u; i++) {
      let row = row0 + i;
      if (row >= M) { break; }
      for (var j = 0u; j < 4u; j++) {
        let col = col0 + j;
        if (col >= N) { break; }
        let idx = row * N + col;
        let v = acc[i][j] + b[col] + residual[idx];
        y[idx] = v;
        rowSum[i] += v;
      }
    }
  }
  let mean = workgroupSum4(rowSum, tid) / f32(N);

  // Pass 2: variance from this thread's own values.
  var rowSq = vec4<f32>(0.0);
  for (var col0 = tid * 4u; col0 < N; col0 += WG * 4u) {
    for (var i = 0u; i < 4u; i++) {
      let row = row0 + i;
      if (row >= M) { break; }
      for (var j = 0u; j < 4u; j++) {
        let col = col0 + j;
        if (col >= N) { break; }
        let d = y[row * N + col] - mean[i];
        rowSq[i] += d * d;
      }
    }
  }
  let rstd = inverseSqrt(workgroupSum4(rowSq, tid) / f32(N) + params.eps);

  // Pass 3: normalise in place.
  for (var col0 = tid * 4u; col0 < N; col0 += WG * 4u) {
    for (var i = 0u; i < 4u; i++) {
      let row = row0 + i;
      if (row >= M) { break; }
      for (var j = 0u; j < 4u; j++) {
        let col = col0 + j;
        if (col >= N) { break; }
        let idx = row * N + col;
        y[idx] = (y[idx] - mean[i]) * rstd[i] * gamma[col] + beta[col];
      }
    }
  }
}
