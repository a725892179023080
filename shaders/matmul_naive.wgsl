// matmul_naive: y = x · wᵀ + b — the BENCHMARK BASELINE for matmul.wgsl (scripts/bench-kernels.ts), not used by the
//   model. x: (M, K); w: (N, K) PyTorch [out, in]; b: (N); y: (M, N).
// Threads: one thread per output element: global_invocation_id.x = column n, .y = row m, in WG_X × WG_Y workgroups.
//   Each thread reads a full row of x and of w (no reuse across threads beyond what the caches give), which is the
//   "obvious" kernel the register-blocked one has to beat.
// Limits: any M, N, K ≥ 1; M, N ≤ 65535 · WG.
// Numerics: f32 accumulation in K order (the same order as matmul.wgsl). Registered for f32 storage only (the
//   prelude's `elem` is f32).

override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;

struct Params {
  M: u32,
  N: u32,
  K: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<elem>;        // (M, K)
@group(0) @binding(2) var<storage, read> w: array<elem>;        // (N, K)
@group(0) @binding(3) var<storage, read> b: array<elem>;        // (N)
@group(0) @binding(4) var<storage, read_write> y: array<elem>;  // (M, N)

@compute @workgroup_size(WG_X, WG_Y, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  let m = gid.y;
  if (m >= params.M || n >= params.N) { return; }
  let K = params.K;
  var s = 0.0;
  for (var k = 0u; k < K; k++) { s += f32(x[m * K + k]) * f32(w[n * K + k]); }
  y[m * params.N + n] = elem(s + f32(b[n]));
}
