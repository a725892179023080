// grad_norm_finalize: pass 2 of the global gradient norm, one workgroup (fixed order, no atomics):
//   normStats[0] = norm = gradScale · √(Σ partials)     (the norm of the averaged gradient gradScale·G)
//   normStats[1] = clip = min(1, maxNorm / (norm + 1e-6)), or 1 when maxNorm ≤ 0 (no clipping)
//   exactly torch.nn.utils.clip_grad_norm_: clip_coef = max_norm / (total_norm + 1e-6), clamped to ≤ 1, and the
//   grads multiplied by it (adamw.wgsl does the multiply as it reads them). A non-finite norm gives a NaN or 0
//   coefficient, as torch with error_if_nonfinite=False: the host reads the norm back and can stop the run.
//   normStats[0] is what onStep reports as gradNorm (HF logs the norm before clipping too).

override WG: u32 = 256u;

struct Params {
  count: u32,
  gradScale: f32,
  maxNorm: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> normStats: array<f32>;

var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  var s = 0.0;
  for (var i = lid.x; i < params.count; i += WG) { s += partials[i]; }
  red[lid.x] = s;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width >>= 1u) {
    if (lid.x < width) { red[lid.x] += red[lid.x + width]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    let norm = params.gradScale * sqrt(red[0]);
    normStats[0] = norm;
    normStats[1] = select(1.0, min(1.0, params.maxNorm / (norm + 1e-6)), params.maxNorm > 0.0);
  }
}
