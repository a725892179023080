enable f16;
// softmax_f16 over rows: y[r, j] = exp(x[r, j] − max_r) / Σ_j exp(x[r, j] − max_r), f16 storage — the twin of
//   softmax.wgsl (same bindings, Params, overrides). x, y: (rows, N) f16.
// Threads: one workgroup of WG threads per row (workgroup_id.x + 65535·workgroup_id.y), striding over N.
// Numerics: x widened to f32 (f16 −inf becomes f32 −inf); max, exp and the sum in f32; one f16 rounding of the
//   output. A row of all −inf yields zeros, not NaN.

override WG: u32 = 128u;

struct Params {
  rows: u32,
  N: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f16>;        // (rows, N)
@group(0) @binding(2) var<storage, read_write> y: array<f16>;  // (rows, N)

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wg.x + wg.y * 65535u;
  if (row >= params.rows) { return; }
  let N = params.N;
  let base = row * N;
  let tid = lid.x;

  var m = -3.4028234663852886e38;
  for (var j = tid; j < N; j += WG) { m = max(m, f32(x[base + j])); }
  partial[tid] = m;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (tid < stride) { partial[tid] = max(partial[tid], partial[tid + stride]); }
    workgroupBarrier();
  }
  let rowMax = partial[0];
  workgroupBarrier();

  var s = 0.0;
  for (var j = tid; j < N; j += WG) { s += exp(f32(x[base + j]) - rowMax); }
  partial[tid] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (tid < stride) { partial[tid] += partial[tid + stride]; }
    workgroupBarrier();
  }
  let total = partial[0];
  let inv = select(0.0, 1.0 / total, total > 0.0);
  for (var j = tid; j < N; j += WG) { y[base + j] = f16(exp(f32(x[base + j]) - rowMax) * inv); }
}
