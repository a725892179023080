enable f16;
// matmul_layernorm_f16: y = LayerNorm(x · wᵀ + b + residual) · gamma + beta, f16 storage — the twin of
//   matmul_layernorm.wgsl (same bindings, Params, overrides). x: (M, K); w: (N, K) PyTorch [out, in];
//   b, gamma, beta: (N); residual, y: (M, N); eps (f32) from the config. Every float buffer is f16.
// Threads: as matmul_layernorm.wgsl — one workgroup of WG threads owns 4 whole rows (workgroup_id.x +
//   65535·workgroup_id.y = row block); thread t computes 4 × 4 blocks at columns 4t + 4·WG·c, c = 0, 1, … .
// Limits: any M, N, K ≥ 1; |y| and the pre-norm values ≤ 65504 (f16 max).
// Numerics: f16 widened to f32 on load; f32 accumulation, two-pass mean / variance (biased, as PyTorch). The f32
//   twin parks the pre-norm row in y between passes; here that would add an f16 rounding of the un-normalised value
//   (amplified by rstd), so each thread keeps its first KEEP_CHUNKS column chunks in f32 registers: exact for
//   N ≤ 4·WG·KEEP_CHUNKS (1024 at WG = 64: BERT-base and -large). Wider rows park the remaining chunks in y as f16,
//   which adds |Δ| ≤ 2⁻¹¹·|pre-norm|·rstd·|gamma| on those columns.
//   Output: one f16 rounding (relative ≤ 2⁻¹¹). Accumulators are explicitly zeroed per chunk: on Dawn/lavapipe a
//   `var acc: array<…>;` declared in a loop body kept its value from the previous iteration.

override WG: u32 = 64u;
const KEEP_CHUNKS: u32 = 4u;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f16>;         // (M, K)
@group(0) @binding(2) var<storage, read> w: array<f16>;         // (N, K)
@group(0) @binding(3) var<storage, read> b: array<f16>;         // (N)
@group(0) @binding(4) var<storage, read> residual: array<f16>;  // (M, N)
@group(0) @binding(5) var<storage, read> gamma: array<f16>;     // (N)
@group(0) @binding(6) var<storage, read> beta: array<f16>;      // (N)
@group(0) @binding(7) var<storage, read_write> y: array<f16>;   // (M, N)

// The reduction and its workgroup memory (`partial`) come from lib/workgroup_sum4.wgsl, appended by the descriptor.

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = params.M;
  let N = params.N;
  let K = params.K;
  let row0 = (wg.x + wg.y * 65535u) * 4u;
  if (row0 >= M) { return; }  // whole workgroup: uniform exit before any barrier
  let tid = lid.x;

  var xBase = array<u32, 4>();
  for (var i = 0u; i < 4u; i++) { xBase[i] = min(row0 + i, M - 1u) * K; }

  // keep[4·c + i][j]: pre-norm value of row row0+i, column 4t + 4·WG·c + j (f32, never rounded to f16).
  var keep = array<vec4<f32>, 16>();  // 4 · KEEP_CHUNKS

  // Pass 1: pre-norm values v = x·wᵀ + b + residual, and their row sums (f32).
  var rowSum = vec4<f32>(0.0);
  var chunk = 0u;
  for (var col0 = tid * 4u; col0 < N; col0 += WG * 4u) {
    var wBase = array<u32, 4>();
    for (var j = 0u; j < 4u; j++) { wBase[j] = min(col0 + j, N - 1u) * K; }
    var acc = array<vec4<f32>, 4>();
    for (var k = 0u; k < K; k++) {
      let wv = vec4<f32>(vec4<f16>(w[wBase[0] + k], w[wBase[1] + k], w[wBase[2] + k], w[wBase[3] + k]));
      acc[0] += f32(x[xBase[0] + k]) * wv;
      acc[1] += f32(x[xBase[1] + k]) * wv;
      acc[2] += f32(x[xBase[2] + k]) * wv;
      acc[3] += f32(x[xBase[3] + k]) * wv;
    }
    for (var i = 0u; i < 4u; i++) {
      let row = row0 + i;
      if (row >= M) { break; }
      for (var j = 0u; j < 4u; j++) {
        let col = col0 + j;
        if (col >= N) { break; }
        let idx = row * N + col;
        var v = acc[i][j] + f32(b[col]) + f32(residual[idx]);
        // A parked value is summed as stored, so mean, variance and normalisation all see the same number.
        if (chunk < KEEP_CHUNKS) { keep[chunk * 4u + i][j] = v; } else { let h = f16(v); y[idx] = h; v = f32(h); }
        rowSum[i] += v;
      }
    }
    chunk++;
  }
  let mean = workgroupSum4(rowSum, tid) / f32(N);

  // Pass 2: variance from this thread's own values.
  var rowSq = vec4<f32>(0.0);
  chunk = 0u;
  for (var col0 = tid * 4u; col0 < N; col0 += WG * 4u) {
    for (var i = 0u; i < 4u; i++) {
      let row = row0 + i;
      if (row >= M) { break; }
      for (var j = 0u; j < 4u; j++) {
        let col = col0 + j;
        if (col >= N) { break; }
        var v: f32;
        if (chunk < KEEP_CHUNKS) { v = keep[chunk * 4u + i][j]; } else { v = f32(y[row * N + col]); }
        let d = v - mean[i];
        rowSq[i] += d * d;
      }
    }
    chunk++;
  }
  let rstd = inverseSqrt(workgroupSum4(rowSq, tid) / f32(N) + params.eps);

  // Pass 3: normalise, scale, shift; one f16 rounding per output.
  chunk = 0u;
  for (var col0 = tid * 4u; col0 < N; col0 += WG * 4u) {
    for (var i = 0u; i < 4u; i++) {
      let row = row0 + i;
      if (row >= M) { break; }
      for (var j = 0u; j < 4u; j++) {
        let col = col0 + j;
        if (col >= N) { break; }
        let idx = row * N + col;
        var v: f32;
        if (chunk < KEEP_CHUNKS) { v = keep[chunk * 4u + i][j]; } else { v = f32(y[idx]); }
        y[idx] = f16((v - mean[i]) * rstd[i] * f32(gamma[col]) + f32(beta[col]));
      }
    }
    chunk++;
  }
}
