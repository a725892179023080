// matmul_vec4: y = epilogue(x · wᵀ + b) reading x and w as vec4 — the K % 4 == 0 variant of matmul.wgsl (same
//   binding names and order, Params fields and overrides; x and w are the same bytes viewed as elem4), f32 or f16
//   storage (prelude from src/gpu/kernels.ts; lib/erf.wgsl and lib/epilogue.wgsl appended).
//   x: row m of the product is row m·xRowStep of x, rows of length K; w: (N, K) PyTorch [out, in]; b: (N);
//   epilogue: params.epilogue, codes in lib/epilogue.wgsl; y: (M, N).
// Threads: as matmul.wgsl — TILE_ROWS_T × TILE_COLS_T threads, each owning a 4 × 4 register block of y; per step
//   a thread loads 4 vec4 of x and 4 vec4 of w (16 B loads in f32, 8 B in f16) and does 16 vec4 dot products.
// Limits: K % 4 == 0 (the variant table picks this kernel only then; BERT's K = 768, 3072 are); any M, N ≥ 1;
//   f16: |y| ≤ 65504.
// Numerics: widened to f32 on load; each dot sums 4 consecutive products in f32, then adds to the running sum in K
//   order (a different association than matmul.wgsl, same error bound); bias, residual, epilogue in f32; with f16
//   storage one rounding on the store (relative ≤ 2⁻¹¹).

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
@group(0) @binding(1) var<storage, read> x: array<elem4>;        // ((M-1)·xRowStep + 1, K/4)
@group(0) @binding(2) var<storage, read> w: array<elem4>;        // (N, K/4)
@group(0) @binding(3) var<storage, read> b: array<elem>;         // (N)
@group(0) @binding(4) var<storage, read> residual: array<elem>;  // (M, N) for the residual epilogue, else any 4 bytes
@group(0) @binding(5) var<storage, read_write> y: array<elem>;   // (M, N)

@compute @workgroup_size(TILE_COLS_T, TILE_ROWS_T, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = params.M;
  let N = params.N;
  let K4 = params.K / 4u;
  let row0 = wg.y * TILE_ROWS_T * 4u + lid.y * 4u;
  let col0 = wg.x * TILE_COLS_T * 4u + lid.x * 4u;
  if (row0 >= M || col0 >= N) { return; }

  // Clamped row/col bases (in vec4 units): out-of-range lanes read a valid row and are never written.
  var xBase = array<u32, 4>();
  var wBase = array<u32, 4>();
  for (var i = 0u; i < 4u; i++) {
    xBase[i] = min(row0 + i, M - 1u) * params.xRowStep * K4;
    wBase[i] = min(col0 + i, N - 1u) * K4;
  }

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
      y[idx] = elem(applyEpilogue(acc[i][j] + f32(b[col]), idx));
    }
  }
}
