// dropout: y[i] = keep(seed, i) ? x[i] · scale : 0, with scale = 1/(1 − p). The same kernel is the forward (x = the
//   activation) and the backward (x = dy): the mask is a pure function of (seed, element index), so nothing is saved
//   between them and both see the same mask bit for bit. The keep decision (a keyed PCG hash, threshold = round(p·2³²))
//   comes from shaders/lib/dropout_mask.wgsl.
// Threads: one element per thread, 2-D grid as activation_backward.

override WG: u32 = 256u;

struct Params {
  n: u32,
  seed: u32,
  threshold: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<elem>;
@group(0) @binding(2) var<storage, read_write> y: array<elem>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wg.y * nwg.x + wg.x) * WG + lid.x;
  if (i >= params.n) { return; }
  let keep = dropoutKeeps(dropoutSeedHash(params.seed), i, params.threshold);
  y[i] = select(elem(0.0), elem(f32(x[i]) * params.scale), keep);
}
