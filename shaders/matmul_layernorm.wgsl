// matmul_layernorm: y = LayerNorm(x · wᵀ + b + residual) · gamma + beta   (one dispatch instead of two), f32 or f16
//   storage (prelude from src/gpu/kernels.ts; lib/workgroup_sum4.wgsl appended).
//   x: (M, K); w: (N, K) PyTorch [out, in]; b, gamma, beta: (N); residual, y: (M, N); eps (f32) from the config.
//   This is BERT's "output dense + dropout(off) + residual + LayerNorm" block, used twice per layer.
// Threads: one workgroup of WG threads owns 4 whole rows (so the row statistics never leave the workgroup):
//   workgroup_id.x + 65535·workgroup_id.y = row block; thread t computes 4 × 4 register blocks at columns
//   4t + 4·WG·c, c = 0, 1, … (column chunk c). Each thread normalises exactly the values it wrote, so no storage
//   barrier is needed.
// Limits: any M, N, K ≥ 1; f16: |y| and the pre-norm values ≤ 65504.
// Numerics: widened to f32 on load; f32 accumulation, two-pass mean / variance (biased, as PyTorch) over the full
//   row. The pre-norm values of the first KEEP_CHUNKS chunks stay in f32 registers (`keep`, indexed only by the
//   constant-bounded chunk loop, so it can live in registers): exact for N ≤ 4·WG·KEEP_CHUNKS (1024 at WG = 64:
//   BERT-base and -large). Wider rows park the remaining chunks in y as `elem` — exact in f32; in f16 that adds
//   |Δ| ≤ 2⁻¹¹·|pre-norm|·rstd·|gamma| on those columns. Output: one rounding to `elem`.

override WG: u32 = 64u;
const KEEP_CHUNKS: u32 = 4u;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<elem>;         // (M, K)
@group(0) @binding(2) var<storage, read> w: array<elem>;         // (N, K)
@group(0) @binding(3) var<storage, read> b: array<elem>;         // (N)
@group(0) @binding(4) var<storage, read> residual: array<elem>;  // (M, N)
@group(0) @binding(5) var<storage, read> gamma: array<elem>;     // (N)
@group(0) @binding(6) var<storage, read> beta: array<elem>;      // (N)
@group(0) @binding(7) var<storage, read_write> y: array<elem>;   // (M, N)

// The reduction and its workgroup memory (`partial`) come from lib/workgroup_sum4.wgsl, appended by the descriptor.

// Pre-norm values x·wᵀ + b + residual of rows row0 .. row0+3, columns col0 .. col0+3 (f32). Rows and columns past
// the edge read clamped (valid) memory; callers never use those lanes.
fn preNormBlock(row0: u32, col0: u32) -> array<vec4<f32>, 4> {
  let M = params.M;
  let N = params.N;
  let K = params.K;
  var xBase = array<u32, 4>();
  var wBase = array<u32, 4>();
  for (var i = 0u; i < 4u; i++) {
    xBase[i] = min(row0 + i, M - 1u) * K;
    wBase[i] = min(col0 + i, N - 1u) * K;
  }
  var acc = array<vec4<f32>, 4>();  // explicit zero: Dawn/lavapipe did not re-zero a bare `var acc: array<…>;`
  for (var k = 0u; k < K; k++) {
    let wv = vec4<f32>(f32(w[wBase[0] + k]), f32(w[wBase[1] + k]), f32(w[wBase[2] + k]), f32(w[wBase[3] + k]));
    acc[0] += f32(x[xBase[0] + k]) * wv;
    acc[1] += f32(x[xBase[1] + k]) * wv;
    acc[2] += f32(x[xBase[2] + k]) * wv;
    acc[3] += f32(x[xBase[3] + k]) * wv;
  }
  for (var i = 0u; i < 4u; i++) {
    let row = min(row0 + i, M - 1u);
    for (var j = 0u; j < 4u; j++) {
      let col = min(col0 + j, N - 1u);
      acc[i][j] += f32(b[col]) + f32(residual[row * N + col]);
    }
  }
  return acc;
}

fn inside(row: u32, col: u32) -> bool {
  return row < params.M && col < params.N;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = params.M;
  let N = params.N;
  let row0 = (wg.x + wg.y * 65535u) * 4u;
  if (row0 >= M) { return; }  // whole workgroup: uniform exit before any barrier
  let tid = lid.x;
  let parkedCol0 = (tid + KEEP_CHUNKS * WG) * 4u;  // this thread's first column past the registers

  // keep[c][i][j]: pre-norm value of row row0+i, column 4·(tid + WG·c) + j (f32, never rounded).
  var keep = array<array<vec4<f32>, 4>, KEEP_CHUNKS>();

  // Pass 1: pre-norm values and their row sums (a parked value is summed as stored, so mean, variance and
  // normalisation all see the same number).
  var rowSum = vec4<f32>(0.0);
  for (var c = 0u; c < KEEP_CHUNKS; c++) {
    let col0 = (tid + c * WG) * 4u;
    if (col0 >= N) { break; }
    keep[c] = preNormBlock(row0, col0);
    for (var i = 0u; i < 4u; i++) {
      for (var j = 0u; j < 4u; j++) {
        if (inside(row0 + i, col0 + j)) { rowSum[i] += keep[c][i][j]; }
      }
    }
  }
  for (var col0 = parkedCol0; col0 < N; col0 += WG * 4u) {
    let v = preNormBlock(row0, col0);
    for (var i = 0u; i < 4u; i++) {
      for (var j = 0u; j < 4u; j++) {
        if (inside(row0 + i, col0 + j)) {
          let h = elem(v[i][j]);
          y[(row0 + i) * N + col0 + j] = h;
          rowSum[i] += f32(h);
        }
      }
    }
  }
  let mean = workgroupSum4(rowSum, tid) / f32(N);

  // Pass 2: variance from this thread's own values.
  var rowSq = vec4<f32>(0.0);
  for (var c = 0u; c < KEEP_CHUNKS; c++) {
    let col0 = (tid + c * WG) * 4u;
    if (col0 >= N) { break; }
    for (var i = 0u; i < 4u; i++) {
      for (var j = 0u; j < 4u; j++) {
        if (inside(row0 + i, col0 + j)) {
          let d = keep[c][i][j] - mean[i];
          rowSq[i] += d * d;
        }
      }
    }
  }
  for (var col0 = parkedCol0; col0 < N; col0 += WG * 4u) {
    for (var i = 0u; i < 4u; i++) {
      for (var j = 0u; j < 4u; j++) {
        if (inside(row0 + i, col0 + j)) {
          let d = f32(y[(row0 + i) * N + col0 + j]) - mean[i];
          rowSq[i] += d * d;
        }
      }
    }
  }
  let rstd = inverseSqrt(workgroupSum4(rowSq, tid) / f32(N) + params.eps);

  // Pass 3: normalise, scale, shift; one rounding per output.
  for (var c = 0u; c < KEEP_CHUNKS; c++) {
    let col0 = (tid + c * WG) * 4u;
    if (col0 >= N) { break; }
    for (var i = 0u; i < 4u; i++) {
      for (var j = 0u; j < 4u; j++) {
        let col = col0 + j;
        if (inside(row0 + i, col)) {
          y[(row0 + i) * N + col] = elem((keep[c][i][j] - mean[i]) * rstd[i] * f32(gamma[col]) + f32(beta[col]));
        }
      }
    }
  }
  for (var col0 = parkedCol0; col0 < N; col0 += WG * 4u) {
    for (var i = 0u; i < 4u; i++) {
      for (var j = 0u; j < 4u; j++) {
        let col = col0 + j;
        if (inside(row0 + i, col)) {
          let idx = (row0 + i) * N + col;
          y[idx] = elem((f32(y[idx]) - mean[i]) * rstd[i] * f32(gamma[col]) + f32(beta[col]));
        }
      }
    }
  }
}
