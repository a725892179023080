// attention_apply: ctx[b·T + i, h·HS + d] = Σ_j P̃[b, h, i, j] · v[b·T + j, h·HS + d] — the attention output from
//   materialised probabilities, for training with attention-probability dropout: P = attention_probs.wgsl's softmax,
//   P̃ = dropout.wgsl(P) (the mask HF's attention_probs_dropout_prob draws), both kept for the backward. The fused
//   attention kernels never materialise P, so with dropout 0 the training forward uses attention.wgsl instead.
//   qkv: (B·T, 3C) packed Q|K|V (v at 2C + h·HS); probs: (B, NH, T, T) f32; ctx: (B·T, C).
// Threads: one workgroup of WG per (query i, head h, sequence b) = workgroup_id (x, y, z), threads over d (v reads
//   coalesce along d; the probability row is the same for every thread: a broadcast). Cost: T·HS FMAs per output row
//   and no reuse of v across queries — the simple form, for T ≤ 512 as the T × T backward.

override WG: u32 = 64u;

struct Params {
  T: u32,
  NH: u32,
  HS: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qkv: array<elem>;
@group(0) @binding(2) var<storage, read> probs: array<f32>;
@group(0) @binding(3) var<storage, read_write> ctx: array<elem>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let T = params.T;
  let HS = params.HS;
  let C = params.NH * HS;
  let i = wg.x;
  let h = wg.y;
  let b = wg.z;
  let pBase = ((b * params.NH + h) * T + i) * T;
  for (var d = lid.x; d < HS; d += WG) {
    var acc = 0.0;
    for (var j = 0u; j < T; j++) {
      let p = probs[pBase + j];
      if (p != 0.0) { acc += p * f32(qkv[(b * T + j) * 3u * C + 2u * C + h * HS + d]); }
    }
    ctx[(b * T + i) * C + h * HS + d] = elem(acc);
  }
}
