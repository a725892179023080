// activation: y = f(x) elementwise, the training forward's activation as a kernel of its own: the backward
//   (activation_backward.wgsl) needs the pre-activation x, which the inference matmuls' fused epilogue never stores.
//   ACT as activation_backward: 0 GELU (erf), 1 GELU (tanh), 2 ReLU, 3 tanh (the pooler); the same functions as the
//   forward epilogues (shaders/lib/erf.wgsl), so training and inference agree bit for bit on f(x).
// Threads: one element per thread, 2-D grid: i = (wg.y · nwg.x + wg.x) · WG + lid.x.

override ACT: u32 = 0u;
override WG: u32 = 256u;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<elem>;
@group(0) @binding(2) var<storage, read_write> y: array<elem>;

fn activate(v: f32) -> f32 {
  switch ACT {
    case 0u: { return geluErf(v); }
    case 1u: { return geluTanh(v); }
    case 2u: { return max(v, 0.0); }
    default: { return tanhStable(v); }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wg.y * nwg.x + wg.x) * WG + lid.x;
  if (i >= params.n) { return; }
  y[i] = elem(activate(f32(x[i])));
}
