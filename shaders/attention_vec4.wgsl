// attention_vec4: the attention of attention.wgsl with qkv and ctx read/written as vec4 (elem4) — for HS % 4 == 0 (every real
//   BERT: HS = 32, 64). Four lanes per load and per FMA instead of one: measured ~2× faster on lavapipe at T = 128.
//   qkv: (B·T, 3·C/4) vec4, packed Q|K|V (q at h·HS, k at C + h·HS, v at 2·C + h·HS, in floats); mask: (B·T) u32;
//   ctx: (B·T, C/4) vec4.
// Threads: workgroup (QB) per (query block, head, batch) = workgroup_id (x, y, z); QPT query rows per thread (rows
//   i, i + QB, …: a block covers QB·QPT queries); keys in chunks of KC with an online softmax (one rescale of the
//   running output per chunk). QPT > 1 is for software adapters: lavapipe loads storage per lane (one scalar load per
//   lane and component, uniform addresses included), so each K/V row loaded serves QPT queries instead of one — the
//   loads, not the arithmetic, are what an attention costs there. The private arrays are per-lane stack there.
// Limits: HS % 4 == 0 and HS ≤ 128; any T ≥ 1; B, NH ≤ 65535; f32 or f16 storage (prelude from src/gpu/kernels.ts).
//   Like attention.wgsl, the private q/acc arrays are indexed in loops bounded by the runtime HS (a known violator
//   in test/unit/wgsl-lint.test.ts).
// Numerics: loads widened to f32, f32 arithmetic, one rounding of the store to `elem`; scores subtract the running max before exp; a query whose keys are all masked gets zeros, not NaN.

override QB: u32 = 32u;
override QPT: u32 = 1u;   // queries per thread, 1 … MAX_QPT
const MAX_QPT: u32 = 4u;
const KC: u32 = 16u;
const MAX_HS4: u32 = 32u;
const NEG_BIG: f32 = -3.4028234663852886e38;

struct Params {
  T: u32,
  NH: u32,
  HS: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qkv: array<elem4>;        // (B·T, 3·C/4)
@group(0) @binding(2) var<storage, read> mask: array<u32>;         // (B·T)
@group(0) @binding(3) var<storage, read_write> ctx: array<elem4>;  // (B·T, C/4)

@compute @workgroup_size(QB)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let T = params.T;
  let HS4 = params.HS / 4u;
  let C4 = params.NH * HS4;
  let i0 = wg.x * QB * QPT + lid.x;  // this thread's queries: i0 + p·QB, p < QPT
  if (i0 >= T) { return; }
  let h = wg.y;
  let b = wg.z;
  let rowStride = 3u * C4;
  let scale = inverseSqrt(f32(params.HS));

  // Queries past T repeat row T − 1 (valid memory) and are never stored.
  var q = array<array<vec4<f32>, MAX_HS4>, MAX_QPT>();
  var acc = array<array<vec4<f32>, MAX_HS4>, MAX_QPT>();
  for (var p = 0u; p < QPT; p++) {
    let qBase = (b * T + min(i0 + p * QB, T - 1u)) * rowStride + h * HS4;
    for (var d = 0u; d < HS4; d++) { q[p][d] = vec4<f32>(qkv[qBase + d]) * scale; }
  }

  var runningMax = array<f32, MAX_QPT>(NEG_BIG, NEG_BIG, NEG_BIG, NEG_BIG);
  var runningSum = array<f32, MAX_QPT>();
  // scores[p][jj]; a masked key is NEG_BIG for every query (the mask is per key).
  var scores = array<array<f32, KC>, MAX_QPT>();
  for (var j0 = 0u; j0 < T; j0 += KC) {
    let n = min(KC, T - j0);
    var anyKey = false;
    for (var jj = 0u; jj < n; jj++) {
      let j = j0 + jj;
      if (mask[b * T + j] != 0u) {
        anyKey = true;
        let kBase = (b * T + j) * rowStride + C4 + h * HS4;
        var dotv = array<vec4<f32>, MAX_QPT>();
        for (var d = 0u; d < HS4; d++) {
          let kv = vec4<f32>(qkv[kBase + d]);
          for (var p = 0u; p < QPT; p++) { dotv[p] += q[p][d] * kv; }
        }
        for (var p = 0u; p < QPT; p++) { scores[p][jj] = dotv[p].x + dotv[p].y + dotv[p].z + dotv[p].w; }
      } else {
        for (var p = 0u; p < QPT; p++) { scores[p][jj] = NEG_BIG; }
      }
    }
    if (!anyKey) { continue; }  // every key in this chunk is padding
    var newMax = array<f32, MAX_QPT>();
    for (var p = 0u; p < QPT; p++) {
      var chunkMax = NEG_BIG;
      for (var jj = 0u; jj < n; jj++) { chunkMax = max(chunkMax, scores[p][jj]); }
      newMax[p] = max(runningMax[p], chunkMax);
      let correction = exp(runningMax[p] - newMax[p]);  // 0 on the first valid chunk (runningMax is NEG_BIG)
      runningSum[p] *= correction;
      for (var d = 0u; d < HS4; d++) { acc[p][d] *= correction; }
    }
    for (var jj = 0u; jj < n; jj++) {
      if (scores[0][jj] == NEG_BIG) { continue; }
      var pr = array<f32, MAX_QPT>();
      for (var p = 0u; p < QPT; p++) {
        pr[p] = exp(scores[p][jj] - newMax[p]);
        runningSum[p] += pr[p];
      }
      let vBase = (b * T + j0 + jj) * rowStride + 2u * C4 + h * HS4;
      for (var d = 0u; d < HS4; d++) {
        let vv = vec4<f32>(qkv[vBase + d]);
        for (var p = 0u; p < QPT; p++) { acc[p][d] += pr[p] * vv; }
      }
    }
    for (var p = 0u; p < QPT; p++) { runningMax[p] = newMax[p]; }
  }

  for (var p = 0u; p < QPT; p++) {
    let i = i0 + p * QB;
    if (i >= T) { break; }
    let inv = select(0.0, 1.0 / runningSum[p], runningSum[p] > 0.0);
    let outBase = (b * T + i) * C4 + h * HS4;
    for (var d = 0u; d < HS4; d++) { ctx[outBase + d] = elem4(acc[p][d] * inv); }
  }
}
