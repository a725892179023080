// matmul: y = epilogue(x · wᵀ + b), f32 or f16 storage (one source: src/gpu/kernels.ts prepends the prelude that
//   defines `elem`, then appends lib/erf.wgsl and lib/epilogue.wgsl).
//   x: row m of the product is row m·xRowStep of x, rows of length K (xRowStep = 1: plain (M, K); xRowStep = T:
//      the [CLS] row of each sequence, for the pooler); w: (N, K) PyTorch Linear weight [out, in] (no transposed
//      copy); b: (N); epilogue: params.epilogue, codes in lib/epilogue.wgsl; y: (M, N).
// Threads: a workgroup of TILE_ROWS_T × TILE_COLS_T threads; each thread owns a 4 × 4 register block of y
//   (rows 4·ly .. 4·ly+3, cols 4·lx .. 4·lx+3 of the workgroup's tile). Register blocking without workgroup memory
//   was measured fastest on both software drivers (lavapipe, SwiftShader).
// Limits: any M, N, K ≥ 1 (edges are clamped on read and masked on write); M, N ≤ 65535 · tile; f16: |y| ≤ 65504.
// Numerics: every value is widened to f32 on load; products, the K-order sum, bias, residual and the epilogue are
//   f32; with f16 storage the only f16 rounding is the final store (relative error ≤ 2⁻¹¹).

override TILE_ROWS_T: u32 = 8u;   // threads along M; the tile covers 4·TILE_ROWS_T rows
override TILE_COLS_T: u32 = 8u;   // threads along N; the tile covers 4·TILE_COLS_T cols

struct Params {
  M: u32,
  N: u32,
  K: u32,
  xRowStep: u32,
  epilogue: u32,   // EPILOGUE_* of lib/epilogue.wgsl
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<elem>;         // ((M-1)·xRowStep + 1, K)
@group(0) @binding(2) var<storage, read> w: array<elem>;         // (N, K)
@group(0) @binding(3) var<storage, read> b: array<elem>;         // (N)
@group(0) @binding(4) var<storage, read> residual: array<elem>;  // (M, N) for the residual epilogue, else any 4 bytes
@group(0) @binding(5) var<storage, read_write> y: array<elem>;   // (M, N)

@compute @workgroup_size(TILE_COLS_T, TILE_ROWS_T, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = params.M;
  let N = params.N;
  let K = params.K;
  let row0 = wg.y * TILE_ROWS_T * 4u + lid.y * 4u;
  let col0 = wg.x * TILE_COLS_T * 4u + lid.x * 4u;
  if (row0 >= M || col0 >= N) { return; }

  // Clamped row/col bases: out-of-range lanes read a valid row and their results are never written.
  var xBase = array<u32, 4>();
  var wBase = array<u32, 4>();
  for (var i = 0u; i < 4u; i++) {
    xBase[i] = min(row0 + i, M - 1u) * params.xRowStep * K;
    wBase[i] = min(col0 + i, N - 1u) * K;
  }

  var acc = array<vec4<f32>, 4>();  // explicit zero: Dawn/lavapipe did not re-zero a bare `var acc: array<…>;` in a loop body
  for (var k = 0u; k < K; k++) {
    let wv = vec4<f32>(f32(w[wBase[0] + k]), f32(w[wBase[1] + k]), f32(w[wBase[2] + k]), f32(w[wBase[3] + k]));
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
      y[idx] = elem(applyEpilogue(acc[i][j] + f32(b[col]), idx));
    }
  }
}
