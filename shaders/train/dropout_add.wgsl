// dropout_add: h[i] = (keep(seed, i) ? x[i] · scale : 0) + r[i] — BERT's "dense → dropout → + residual" before each
//   LayerNorm, keeping the sum h that layernorm_backward reads. The keep decision is exactly dropout.wgsl's
//   (shaders/lib/dropout_mask.wgsl: keyed PCG hash of (seed, element index), same threshold), so the backward runs dropout.wgsl on dh with the same
//   seed and sees the same mask; test/unit/train-step.test.ts checks the pair against the float64 chain with masks.
// Threads: one element per thread, 2-D grid as dropout.wgsl.

override WG: u32 = 256u;

struct Params {
  n: u32,
  seed: u32,
  threshold: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<elem>;
@group(0) @binding(2) var<storage, read> r: array<elem>;
@group(0) @binding(3) var<storage, read_write> h: array<elem>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wg.y * nwg.x + wg.x) * WG + lid.x;
  if (i >= params.n) { return; }
  let keep = dropoutKeeps(dropoutSeedHash(params.seed), i, params.threshold);
  let kept = select(0.0, f32(x[i]) * params.scale, keep);
  h[i] = elem(kept + f32(r[i]));
}
