// attention_vec4: the attention of attention.wgsl with qkv and ctx read/written as vec4 (elem4) — for HS % 4 == 0 (every real
//   BERT: HS = 32, 64). Four lanes per load and per FMA instead of one: measured ~2× faster on lavapipe at T = 128.
//   qkv: (B·T, 3·C/4) vec4, packed Q|K|V (q at h·HS, k at C + h·HS, v at 2·C + h·HS, in floats); mask: (B·T) u32;
//   ctx: (B·T, C/4) vec4.
// Threads: workgroup (QB) per (query block, head, batch) = workgroup_id (x, y, z); one query row per thread; keys in
//   chunks of KC with an online softmax (one rescale of the running output per chunk).
// Limits: HS % 4 == 0 and HS ≤ 128; any T ≥ 1; B, NH ≤ 65535; f32 or f16 storage (prelude from src/gpu/kernels.ts).
//   Like attention.wgsl, the private q/acc arrays are indexed in loops bounded by the runtime HS (a known violator
//   in test/unit/wgsl-lint.test.ts).
// Numerics: loads widened to f32, f32 arithmetic, one rounding of the store to `elem`; scores subtract the running max before exp; a query whose keys are all masked gets zeros, not NaN.

override QB: u32 = 32u;
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
  let i = wg.x * QB + lid.x;
  if (i >= T) { return; }
  let h = wg.y;
  let b = wg.z;
  let rowStride = 3u * C4;
  let qBase = (b * T + i) * rowStride + h * HS4;
  let scale = inverseSqrt(f32(params.HS));

  var q = array<vec4<f32>, MAX_HS4>();
  var acc = array<vec4<f32>, MAX_HS4>();
  for (var d = 0u; d < HS4; d++) { q[d] = vec4<f32>(qkv[qBase + d]) * scale; }

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
        let kBase = (b * T + j) * rowStride + C4 + h * HS4;
        var dotv = vec4<f32>(0.0);
        for (var d = 0u; d < HS4; d++) { dotv += q[d] * vec4<f32>(qkv[kBase + d]); }
        s = dotv.x + dotv.y + dotv.z + dotv.w;
        chunkMax = max(chunkMax, s);
      }
      scores[jj] = s;
    }
    if (chunkMax == NEG_BIG) { continue; }  // every key in this chunk is padding
    let newMax = max(runningMax, chunkMax);
    let correction = exp(runningMax - newMax);  // 0 on the first valid chunk (runningMax is NEG_BIG)
    runningSum *= correction;
    for (var d = 0u; d < HS4; d++) { acc[d] *= correction; }
    for (var jj = 0u; jj < n; jj++) {
      if (scores[jj] == NEG_BIG) { continue; }
      let p = exp(scores[jj] - newMax);
      runningSum += p;
      let vBase = (b * T + j0 + jj) * rowStride + 2u * C4 + h * HS4;
      for (var d = 0u; d < HS4; d++) { acc[d] += p * vec4<f32>(qkv[vBase + d]); }
    }
    runningMax = newMax;
  }

  let inv = select(0.0, 1.0 / runningSum, runningSum > 0.0);
  let outBase = (b * T + i) * C4 + h * HS4;
  for (var d = 0u; d < HS4; d++) { ctx[outBase + d] = elem4(acc[d] * inv); }
}
