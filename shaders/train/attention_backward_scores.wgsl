// attention_backward_scores: for one query row i of one head, the softmax backward
//   P = softmax(q_i·Kᵀ/√HS over valid keys) (recomputed, or read as saved when RECOMPUTE is false),
//   dP_ij = dctx_i · v_j,  dS_ij = P_ij · (dP_ij − Σ_k P_ik·dP_ik)  (gradient of the scaled score s_ij = q_i·k_j/√HS),
//   writing P and dS (B, NH, T, T) for attention_backward_grads. T × T per head is materialised (fine for T ≤ 512).
//   qkv: (B·T, 3C) packed Q|K|V as in attention.wgsl (q at h·HS, k at C + h·HS, v at 2C + h·HS); mask (B·T), 1 = key
//   valid; masked keys have P = 0, hence dS = 0 (no gradient reaches them); a query with no valid key gets a zero row.
// Threads: one workgroup of WG per (i, h, b) = workgroup_id (x, y, z); q_i and dctx_i staged in workgroup memory,
//   threads stride over keys j. Each thread re-reads only the entries it wrote, so no barrier is needed between passes.
// Limits: HS ≤ MAX_HS = 128; T ≤ 65535; B, NH ≤ 65535.

override WG: u32 = 64u;
override RECOMPUTE: bool = true;
const MAX_HS: u32 = 128u;
const NEG_BIG: f32 = -3.4028234663852886e38;

struct Params {
  T: u32,
  NH: u32,
  HS: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qkv: array<elem>;
@group(0) @binding(2) var<storage, read> mask: array<u32>;
@group(0) @binding(3) var<storage, read> dctx: array<elem>;       // (B·T, C)
@group(0) @binding(4) var<storage, read_write> probs: array<f32>;  // (B, NH, T, T)
@group(0) @binding(5) var<storage, read_write> dscores: array<f32>;

var<workgroup> qRow: array<f32, MAX_HS>;
var<workgroup> dRow: array<f32, MAX_HS>;
// workgroupReduce (sum or max over the workgroup) comes from shaders/lib/workgroup_reduce.wgsl.

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let T = params.T;
  let HS = params.HS;
  let C = params.NH * HS;
  let i = wg.x;
  let h = wg.y;
  let b = wg.z;
  let tid = lid.x;
  let rowStride = 3u * C;
  let scale = inverseSqrt(f32(HS));
  for (var d = tid; d < HS; d += WG) {
    qRow[d] = f32(qkv[(b * T + i) * rowStride + h * HS + d]) * scale;
    dRow[d] = f32(dctx[(b * T + i) * C + h * HS + d]);
  }
  workgroupBarrier();
  let pBase = ((b * params.NH + h) * T + i) * T;

  if (RECOMPUTE) {
    var m = NEG_BIG;
    for (var j = tid; j < T; j += WG) {
      var s = NEG_BIG;
      if (mask[b * T + j] != 0u) {
        let kBase = (b * T + j) * rowStride + C + h * HS;
        s = 0.0;
        for (var d = 0u; d < HS; d++) { s += qRow[d] * f32(qkv[kBase + d]); }
        m = max(m, s);
      }
      probs[pBase + j] = s;
    }
    m = workgroupReduce(m, tid, true);
    var sum = 0.0;
    for (var j = tid; j < T; j += WG) {
      let s = probs[pBase + j];
      let e = select(exp(s - m), 0.0, s == NEG_BIG);
      probs[pBase + j] = e;
      sum += e;
    }
    sum = workgroupReduce(sum, tid, false);
    let inv = select(0.0, 1.0 / sum, sum > 0.0);
    for (var j = tid; j < T; j += WG) { probs[pBase + j] *= inv; }
  }

  var rowDot = 0.0;  // Σ_j P_ij · dP_ij
  for (var j = tid; j < T; j += WG) {
    let p = probs[pBase + j];
    var dp = 0.0;
    if (p != 0.0) {
      let vBase = (b * T + j) * rowStride + 2u * C + h * HS;
      for (var d = 0u; d < HS; d++) { dp += dRow[d] * f32(qkv[vBase + d]); }
    }
    dscores[pBase + j] = dp;
    rowDot += p * dp;
  }
  rowDot = workgroupReduce(rowDot, tid, false);
  for (var j = tid; j < T; j += WG) {
    let p = probs[pBase + j];
    dscores[pBase + j] = p * (dscores[pBase + j] - rowDot);
  }
}
