// matmul_layernorm_vec4: y = LayerNorm(x · wᵀ + b + residual) · gamma + beta, as matmul_layernorm.wgsl, with x and w
//   read as vec4 along K (K % 4 == 0) and 4·TR rows per workgroup instead of 4: each row block reads w once, so w
//   traffic drops TR-fold, and one vec4 load feeds four lanes. Measured ~2–3× faster than matmul_layernorm on lavapipe.
//   x: (M, K/4) vec4; w: (N, K/4) vec4 (PyTorch [out, in]); b, gamma, beta: (N); residual, y: (M, N); eps from config.
// Threads: workgroup (TC, TR); workgroup w.x + 65535·w.y owns rows 4·TR·block .. +4·TR; thread (lx, ly) computes rows
//   4·ly .. 4·ly+3 of that block at columns 4·lx + 4·TC·j (4 × 4 register blocks). Row statistics are reduced over
//   the TC threads of a row group in workgroup memory; each thread normalises exactly the values it wrote.
// Limits: K % 4 == 0; any M, N ≥ 1. Written against the prelude's `elem` (src/gpu/kernels.ts) but registered for f32
//   storage only: it parks the pre-norm row in y between passes, which f16 storage would round (amplified by rstd);
//   the f16 path uses matmul_layernorm.wgsl, which keeps those values in f32 registers.
// Numerics: f32 accumulation; two-pass mean / variance (biased, as PyTorch) over the full row.

override TC: u32 = 16u;
override TR: u32 = 4u;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<elem4>;        // (M, K/4)
@group(0) @binding(2) var<storage, read> w: array<elem4>;        // (N, K/4)
@group(0) @binding(3) var<storage, read> b: array<elem>;         // (N)
@group(0) @binding(4) var<storage, read> residual: array<elem>;  // (M, N)
@group(0) @binding(5) var<storage, read> gamma: array<elem>;     // (N)
@group(0) @binding(6) var<storage, read> beta: array<elem>;      // (N)
@group(0) @binding(7) var<storage, read_write> y: array<elem>;   // (M, N)

var<workgroup> partial: array<vec4<f32>, TC * TR>;

// Per-row sums (4 rows) over the TC threads of row group ly; every thread of the group gets the result.
fn rowGroupSum(v: vec4<f32>, lx: u32, ly: u32) -> vec4<f32> {
  partial[ly * TC + lx] = v;
  workgroupBarrier();
  for (var stride = TC / 2u; stride > 0u; stride >>= 1u) {
    if (lx < stride) { partial[ly * TC + lx] += partial[ly * TC + lx + stride]; }
    workgroupBarrier();
  }
  let total = partial[ly * TC];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(TC, TR, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = params.M;
  let N = params.N;
  let K4 = params.K / 4u;
  let blockRow0 = (wg.x + wg.y * 65535u) * 4u * TR;
  if (blockRow0 >= M) { return; }  // whole workgroup: uniform exit before any barrier
  let lx = lid.x;
  let ly = lid.y;
  let row0 = blockRow0 + ly * 4u;

  // Rows past M read row M−1 (valid memory) and are never written; their sums stay within their own row group.
  var xBase = array<u32, 4>();
  for (var i = 0u; i < 4u; i++) { xBase[i] = min(row0 + i, M - 1u) * K4; }

  var rowSum = vec4<f32>(0.0);
  for (var col0 = lx * 4u; col0 < N; col0 += TC * 4u) {
    var wBase = array<u32, 4>();
    for (var j = 0u; j < 4u; j++) { wBase[j] = min(col0 + j, N - 1u) * K4; }
    var acc = array<vec4<f32>, 4>();
    for (var k = 0u; k < K4; k++) {
      let w0 = vec4<f32>(w[wBase[0] + k]);
      let w1 = vec4<f32>(w[wBase[1] + k]);
      let w2 = vec4<f32>(w[wBase[2] + k]);
      let w3 = vec4<f32>(w[wBase[3] + k]);
      for (var i = 0u; i < 4u; i++) {
        let xv = vec4<f32>(x[xBase[i] + k]);
        acc[i] += vec4<f32>(dot(xv, w0), dot(xv, w1), dot(xv, w2), dot(xv, w3));
      }
    }
    for (var i = 0u; i < 4u; i++) {
      let row = row0 + i;
      if (row >= M) { break; }
      for (var j = 0u; j < 4u; j++) {
        let col = col0 + j;
        if (col >= N) { break; }
        let idx = row * N + col;
        let v = acc[i][j] + f32(b[col]) + f32(residual[idx]);
        y[idx] = elem(v);
        rowSum[i] += v;
      }
    }
  }
  let mean = rowGroupSum(rowSum, lx, ly) / f32(N);

  var rowSq = vec4<f32>(0.0);
  for (var col0 = lx * 4u; col0 < N; col0 += TC * 4u) {
    for (var i = 0u; i < 4u; i++) {
      let row = row0 + i;
      if (row >= M) { break; }
      for (var j = 0u; j < 4u; j++) {
        let col = col0 + j;
        if (col >= N) { break; }
        let d = f32(y[row * N + col]) - mean[i];
        rowSq[i] += d * d;
      }
    }
  }
  let rstd = inverseSqrt(rowGroupSum(rowSq, lx, ly) / f32(N) + params.eps);

  for (var col0 = lx * 4u; col0 < N; col0 += TC * 4u) {
    for (var i = 0u; i < 4u; i++) {
      let row = row0 + i;
      if (row >= M) { break; }
      for (var j = 0u; j < 4u; j++) {
        let col = col0 + j;
        if (col >= N) { break; }
        let idx = row * N + col;
        y[idx] = elem((f32(y[idx]) - mean[i]) * rstd[i] * f32(gamma[col]) + f32(beta[col]));
      }
    }
  }
}
