// attention_backward_grads: from P and dS (attention_backward_scores), the gradients of the packed projection, for
//   row r of head h of sequence b:
//   dq_r = Σ_j dS_rj · k_j / √HS,   dk_r = Σ_i dS_ir · q_i / √HS,   dv_r = Σ_i P_ir · dctx_i,
//   written into dqkv (B·T, 3C) at the same offsets as Q|K|V in qkv. Each output element has one writer (no atomics).
// Threads: one workgroup of WG per (r, h, b) = workgroup_id (x, y, z), threads over d (HS); the dS/P entries read in a
//   loop step are the same for every thread (broadcast), the q/k/dctx reads coalesce along d.
// Cost: 3 · T · HS multiply-adds per output row and no tiling reuse of k/q/dctx across rows — the simple form for
//   T ≤ 512; a tiled (flash-style) variant is the optimisation left for later.
// Limits: T, B, NH ≤ 65535; any HS.

override WG: u32 = 64u;

struct Params {
  T: u32,
  NH: u32,
  HS: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qkv: array<elem>;
@group(0) @binding(2) var<storage, read> dctx: array<elem>;
@group(0) @binding(3) var<storage, read> probs: array<f32>;
@group(0) @binding(4) var<storage, read> dscores: array<f32>;
@group(0) @binding(5) var<storage, read_write> dqkv: array<elem>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let T = params.T;
  let HS = params.HS;
  let C = params.NH * HS;
  let r = wg.x;
  let h = wg.y;
  let b = wg.z;
  let rowStride = 3u * C;
  let scale = inverseSqrt(f32(HS));
  let headBase = (b * params.NH + h) * T * T;
  for (var d = lid.x; d < HS; d += WG) {
    var dq = 0.0;
    var dk = 0.0;
    var dv = 0.0;
    for (var j = 0u; j < T; j++) {
      let row = (b * T + j) * rowStride + h * HS + d;
      let dsRow = dscores[headBase + r * T + j];  // dS_rj
      let dsCol = dscores[headBase + j * T + r];  // dS_jr
      let pCol = probs[headBase + j * T + r];     // P_jr
      dq += dsRow * f32(qkv[row + C]);
      dk += dsCol * f32(qkv[row]);
      dv += pCol * f32(dctx[(b * T + j) * C + h * HS + d]);
    }
    let out = (b * T + r) * rowStride + h * HS + d;
    dqkv[out] = elem(dq * scale);
    dqkv[out + C] = elem(dk * scale);
    dqkv[out + 2u * C] = elem(dv);
  }
}
