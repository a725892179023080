// attention_backward_scores_dropout: attention_backward_scores for a forward with attention-probability dropout,
//   ctx = P̃·V with P̃ = P ∘ M / (1 − p) (M: dropout.wgsl's mask over the (B, NH, T, T) probabilities, same seed):
//   dP̃_ij = dctx_i · v_j,  dP_ij = M_ij · scale · dP̃_ij,  dS_ij = P_ij · (dP_ij − Σ_k P_ik · dP_ik).
//   probs is the saved, undropped P (attention_probs.wgsl); attention_backward_grads then runs with P̃ as its `probs`
//   (dv = Σ_i P̃_ir · dctx_i) and these dS (dq, dk), unchanged.
//   The keep decision is dropout.wgsl's hash of (seed, element index pBase + j) (shaders/lib/dropout_mask.wgsl), so
//   forward and backward agree.
// Threads: one workgroup of WG per (i, h, b); dctx_i staged in workgroup memory, threads stride over keys j (each
//   re-reads only the dscores entries it wrote, so no barrier between the passes).
// Limits: HS ≤ MAX_HS = 128; T, B, NH ≤ 65535.

override WG: u32 = 64u;
const MAX_HS: u32 = 128u;

struct Params {
  T: u32,
  NH: u32,
  HS: u32,
  seed: u32,
  threshold: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qkv: array<elem>;
@group(0) @binding(2) var<storage, read> dctx: array<elem>;
@group(0) @binding(3) var<storage, read> probs: array<f32>;
@group(0) @binding(4) var<storage, read_write> dscores: array<f32>;

var<workgroup> dRow: array<f32, MAX_HS>;
// workgroupReduce (sum or max over the workgroup) comes from shaders/lib/workgroup_reduce.wgsl.

// pcg, dropoutSeedHash and dropoutKeeps come from shaders/lib/dropout_mask.wgsl.

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let T = params.T;
  let HS = params.HS;
  let C = params.NH * HS;
  let i = wg.x;
  let h = wg.y;
  let b = wg.z;
  let tid = lid.x;
  for (var d = tid; d < HS; d += WG) { dRow[d] = f32(dctx[(b * T + i) * C + h * HS + d]); }
  workgroupBarrier();
  let pBase = ((b * params.NH + h) * T + i) * T;
  let seedHash = dropoutSeedHash(params.seed);
  var rowDot = 0.0;  // Σ_j P_ij · dP_ij
  for (var j = tid; j < T; j += WG) {
    let p = probs[pBase + j];
    var dp = 0.0;
    if (p != 0.0 && dropoutKeeps(seedHash, pBase + j, params.threshold)) {
      let vBase = (b * T + j) * 3u * C + 2u * C + h * HS;
      for (var d = 0u; d < HS; d++) { dp += dRow[d] * f32(qkv[vBase + d]); }
      dp *= params.scale;
    }
    dscores[pBase + j] = dp;
    rowDot += p * dp;
  }
  rowDot = workgroupReduce(rowDot, tid, false);
  for (var j = tid; j < T; j += WG) {
    dscores[pBase + j] = probs[pBase + j] * (dscores[pBase + j] - rowDot);
  }
}
