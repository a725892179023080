// sum_reduce: out[0] = Σ values[i] in one workgroup — a loss's row shares into the scalar loss. One workgroup keeps
//   the order fixed (deterministic, no atomics); n is a few thousand at most (rows of a batch), so one pass suffices.

override WG: u32 = 256u;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let tid = lid.x;
  var s = 0.0;
  for (var i = tid; i < params.n; i += WG) { s += values[i]; }
  red[tid] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (tid < stride) { red[tid] += red[tid + stride]; }
    workgroupBarrier();
  }
  if (tid == 0u) { out[0] = red[0]; }
}
