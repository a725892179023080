// attention: ctx[b·T + i, h·HS .. h·HS+HS) = Σ_j softmax_j(q_i·k_j / √HS, keys with mask[b·T + j] = 0 removed) · v_j
//   qkv: (B·T, 3·C) the packed output of the fused Q|K|V projection, C = NH·HS; head h of q sits at columns
//        h·HS .. h·HS+HS, of k at C + h·HS, of v at 2·C + h·HS (HF's view(B, T, NH, HS)).
//   mask: (B·T) u32, 1 = real token, 0 = padding (a key-padding mask, as HF's attention_mask).
//   ctx: (B·T, C), already in the (B, T, NH·HS) layout the output projection reads.
// Threads: workgroup (QB) per (query block, head, batch) = workgroup_id (x, y, z); one query row per thread.
//   Keys are visited in chunks of KC: the chunk's scores are kept in registers, its max rescales the running
//   output once per chunk (online softmax), so T is not limited by a scores array.
// Limits: HS ≤ 128 (private accumulators); any T ≥ 1; B, NH ≤ 65535; f32 or f16 storage (prelude from
//   src/gpu/kernels.ts). The private q/acc arrays are indexed in loops bounded by the runtime HS: fine on software
//   adapters, scratch memory on real GPUs (test/unit/wgsl-lint.test.ts lists this kernel as a known violator).
// Numerics: q, k, v widened to f32 on load; scores, the running max/sum and the weighted sum of v are f32 (with f16
//   storage the only rounding is the store of ctx, relative ≤ 2⁻¹¹); scores subtract the running max before exp; a
//   query whose keys are all masked gets zeros, not NaN.

override QB: u32 = 32u;
const KC: u32 = 16u;
const MAX_HS: u32 = 128u;
const NEG_BIG: f32 = -3.4028234663852886e38;

struct Params {
  T: u32,
  NH: u32,
  HS: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qkv: array<elem>;        // (B·T, 3·C)
@group(0) @binding(2) var<storage, read> mask: array<u32>;        // (B·T)
@group(0) @binding(3) var<storage, read_write> ctx: array<elem>;  // (B·T, C)

@compute @workgroup_size(QB)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let T = params.T;
  let HS = params.HS;
  let C = params.NH * HS;
  let i = wg.x * QB + lid.x;
  if (i >= T) { return; }
  let h = wg.y;
  let b = wg.z;
  let rowStride = 3u * C;
  let qBase = (b * T + i) * rowStride + h * HS;
  let scale = inverseSqrt(f32(HS));

  var q = array<f32, MAX_HS>();
  var acc = array<f32, MAX_HS>();
  for (var d = 0u; d < HS; d++) { q[d] = f32(qkv[qBase + d]) * scale; }

  var runningMax = NEG_BIG;
  var runningSum = 0.0;
  var scores = array<f32, KC>();
  for (var j0 = 0u; j0 < T; j0 += KC) {
    let n = min(KC, T - j0);
    var chunkMax = NEG_BIG;
    for (var jj = 0u; jj < n; jj++) {
      let j = j0 + jj;
      var s = NEG_BIG;
      if (mask[b * T + j] != 0u) {
        let kBase = (b * T + j) * rowStride + C + h * HS;
        s = 0.0;
        for (var d = 0u; d < HS; d++) { s += q[d] * f32(qkv[kBase + d]); }
        chunkMax = max(chunkMax, s);
      }
      scores[jj] = s;
    }
    if (chunkMax == NEG_BIG) { continue; }  // every key in this chunk is padding
    let newMax = max(runningMax, chunkMax);
    let correction = exp(runningMax - newMax);  // 0 on the first valid chunk (runningMax is NEG_BIG)
    runningSum *= correction;
    for (var d = 0u; d < HS; d++) { acc[d] *= correction; }
    for (var jj = 0u; jj < n; jj++) {
      if (scores[jj] == NEG_BIG) { continue; }
      let p = exp(scores[jj] - newMax);
      runningSum += p;
      let vBase = (b * T + j0 + jj) * rowStride + 2u * C + h * HS;
      for (var d = 0u; d < HS; d++) { acc[d] += p * f32(qkv[vBase + d]); }
    }
    runningMax = newMax;
  }

  let inv = select(0.0, 1.0 / runningSum, runningSum > 0.0);
  let outBase = (b * T + i) * C + h * HS;
  for (var d = 0u; d < HS; d++) { ctx[outBase + d] = elem(acc[d] * inv); }
}
