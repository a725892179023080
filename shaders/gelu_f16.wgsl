enable f16;
// gelu_f16: y[i] = GELU(x[i]) elementwise, f16 storage — the twin of gelu.wgsl (same bindings, Params, overrides).
//   ACT: 0 erf (HF "gelu"), 1 tanh (HF "gelu_new"), 2 ReLU. x, y: (n) f16.
// Threads: one element per thread, WG threads per workgroup, workgroups laid out 2-D (x + 65535·y) for large n.
// Numerics: x widened to f32, GELU in f32 (lib/erf.wgsl, appended by the kernel descriptor), one f16 rounding.

override WG: u32 = 256u;
override ACT: u32 = 0u;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f16>;        // (n)
@group(0) @binding(2) var<storage, read_write> y: array<f16>;  // (n)

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wg.x + wg.y * 65535u) * WG + lid.x;
  if (i >= params.n) { return; }
  let v = f32(x[i]);
  switch ACT {
    case 1u: { y[i] = f16(geluTanh(v)); }
    case 2u: { y[i] = f16(max(v, 0.0)); }
    default: { y[i] = f16(geluErf(v)); }
  }
}
