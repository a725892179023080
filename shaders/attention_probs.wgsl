// attention_probs: probs[b, h, i, j] = softmax_j(q_i·k_j / √HS over keys with mask[b·T + j] ≠ 0), 0 for masked keys
//   qkv: (B·T, 3·C) packed Q|K|V projection output (layout as attention.wgsl); mask: (B·T) u32;
//   probs: (B, NH, T, T), always f32. A debug output (the demo's attention heatmap): the fused attention kernel
//   never materialises these, so inspect() runs this next to it for one chosen layer. qkv is f32 or f16 storage
//   (prelude from src/gpu/kernels.ts), widened to f32 on load.
// Threads: workgroup (QB) per (query block, head, batch) = workgroup_id (x, y, z); one query row per thread.
// Limits: HS ≤ 128; any T ≥ 1. The private q is indexed in loops bounded by the runtime HS (a known violator in
//   test/unit/wgsl-lint.test.ts; a debug kernel, run for one layer).
// Numerics: f32; two passes over the keys (running max and sum, then the normalised values), so no T × T scratch;
//   a query whose keys are all masked gets zeros, not NaN.

override QB: u32 = 32u;
const MAX_HS: u32 = 128u;
const NEG_BIG: f32 = -3.4028234663852886e38;

struct Params {
  T: u32,
  NH: u32,
  HS: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qkv: array<elem>;         // (B·T, 3·C)
@group(0) @binding(2) var<storage, read> mask: array<u32>;         // (B·T)
@group(0) @binding(3) var<storage, read_write> probs: array<f32>;  // (B, NH, T, T)

fn score(q: ptr<function, array<f32, MAX_HS>>, kBase: u32, HS: u32) -> f32 {
  var s = 0.0;
  for (var d = 0u; d < HS; d++) { s += (*q)[d] * f32(qkv[kBase + d]); }
  return s;
}

@compute @workgroup_size(QB)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let T = params.T;
  let HS = params.HS;
  let NH = params.NH;
  let C = NH * HS;
  let i = wg.x * QB + lid.x;
  if (i >= T) { return; }
  let h = wg.y;
  let b = wg.z;
  let rowStride = 3u * C;
  let qBase = (b * T + i) * rowStride + h * HS;
  let scale = inverseSqrt(f32(HS));
  var q = array<f32, MAX_HS>();
  for (var d = 0u; d < HS; d++) { q[d] = f32(qkv[qBase + d]) * scale; }

  var m = NEG_BIG;
  var l = 0.0;
  for (var j = 0u; j < T; j++) {
    if (mask[b * T + j] == 0u) { continue; }
    let s = score(&q, (b * T + j) * rowStride + C + h * HS, HS);
    let newMax = max(m, s);
    l = l * exp(m - newMax) + exp(s - newMax);
    m = newMax;
  }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  let outBase = ((b * NH + h) * T + i) * T;
  for (var j = 0u; j < T; j++) {
    var p = 0.0;
    if (mask[b * T + j] != 0u) { p = exp(score(&q, (b * T + j) * rowStride + C + h * HS, HS) - m) * inv; }
    probs[outBase + j] = p;
  }
}
