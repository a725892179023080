// activation_backward: dx = dy · f'(x) elementwise, from the pre-activation x (GELU cannot be inverted from its output).
//   ACT 0: GELU (erf, HF "gelu"):  f' = Φ(x) + x·φ(x) = 0.5·(1 + erf(x/√2)) + x·exp(−x²/2)/√(2π)
//   ACT 1: GELU (tanh, "gelu_new"): u = k·(x + a·x³), t = tanh u, f' = 0.5·(1 + t) + 0.5·x·(1 − t²)·k·(1 + 3a·x²)
//   ACT 2: ReLU:                    f' = 1 for x > 0 else 0 (PyTorch's choice at 0)
//   ACT 3: tanh (the pooler):       f' = 1 − tanh²(x)
// erf32 and tanhStable come from shaders/lib/erf.wgsl (the forward's approximations).
// Threads: one element per thread, WG per workgroup, 2-D grid: i = (wg.y · nwg.x + wg.x) · WG + lid.x.

override ACT: u32 = 0u;
override WG: u32 = 256u;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<elem>;
@group(0) @binding(2) var<storage, read> dy: array<elem>;
@group(0) @binding(3) var<storage, read_write> dx: array<elem>;

fn derivative(v: f32) -> f32 {
  switch ACT {
    case 0u: {
      return 0.5 * (1.0 + erf32(v * 0.7071067811865476)) + v * exp(-0.5 * v * v) * 0.3989422804014327;
    }
    case 1u: {
      let k = 0.7978845608028654;
      let t = tanhStable(k * (v + 0.044715 * v * v * v));
      return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * k * (1.0 + 3.0 * 0.044715 * v * v);
    }
    case 2u: { return select(0.0, 1.0, v > 0.0); }
    default: {
      let t = tanhStable(v);
      return 1.0 - t * t;
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wg.y * nwg.x + wg.x) * WG + lid.x;
  if (i >= params.n) { return; }
  dx[i] = elem(f32(dy[i]) * derivative(f32(x[i])));
}
