// attention_flash: ctx[b·T + i, h·HS .. +HS) = Σ_j softmax_j(q_i·k_j / √HS, masked keys removed) · v_j — the op and
//   interface of attention_vec4.wgsl (Params T, NH, HS; bindings qkv, mask, ctx), shaped for hardware GPUs: a tile of
//   BQ queries per workgroup, K and V staged in workgroup memory BKV keys at a time, an online softmax, and the head
//   size a pipeline constant (override HS, which must equal params.HS), so every private array has a constant size
//   and is indexed only in constant-bounded loops.
//   qkv: (B·T, 3·C/4) elem4, packed Q|K|V (q at h·HS, k at C + h·HS, v at 2·C + h·HS, in elements), C = NH·HS;
//   mask: (B·T) u32, 1 = real token, 0 = padding. Prelude (src/gpu/gpu-kernels.ts): elem / elem4, then one output
//   library: lib/attention_store_ctx.wgsl writes ctx (B·T, C/4) elem4 (kernel attentionFlash, the op of
//   attention_vec4), lib/attention_store_proj.wgsl multiplies the tile by its head's slice of the attention-output
//   weights and writes f32 split-K partials for layernormRow (kernel attentionFlashProj). Arithmetic (prelude):
//   mathElem f32 (FLUSH4 = PV_FLUSH = 1), or f16 for attentionFlashHalf / attentionFlashProjHalf (f16 storage only):
//   Q, K, V tiles in vec4<f16>, the score dots and P·V products in f16, flushed to f32 every FLUSH4 vec4 dots (8
//   products) and every PV_FLUSH keys (8) respectively.
// Threads: workgroup (BQ·TPQ) per (query tile, head, batch) = workgroup_id (x, y, z). Per key tile, three phases:
//   scores — thread t computes query t % BQ against keys t / BQ + TPQ·n (n < BKV / TPQ), HS-long dots from workgroup
//     memory (consecutive lanes: consecutive queries, the same key: broadcast reads);
//   softmax — thread r < BQ updates row r's running max and sum, turns its scores into weights and publishes the
//     rescale factor;
//   P·V — thread t owns query t / TPQ and the vec4 slots t % TPQ + TPQ·c (c < 4) of its output row: at most 16 f32
//     accumulators in registers (HS ≤ 16·TPQ), and consecutive lanes read consecutive V elements.
// Workgroup memory: (BQ·(HS/4 + 1) + BKV·HS/4)·sizeof(math4) + (BQ·(BKV + 1) + BQ)·4 bytes: in f32 9.4 KB at HS 64
//   (BQ 16, BKV 16), 12.9 KB at HS 128 (BKV 8); with f16 tiles gpuGrid doubles BKV: 8.4 KB at HS 64 (BKV 32), 9.5 KB
//   at HS 128 (BKV 16). Rows of Q and of the scores are padded by one element against bank conflicts.
// Limits: HS % 4 == 0, HS ≤ 16·TPQ, BKV % TPQ == 0, BKV % PV_FLUSH == 0; any T ≥ 1; B, NH ≤ 65535.
// Numerics: f32 (q, k, v widened on load), or f16 products flushed to f32 (above); the scale 1/√HS is folded into q
//   (in f32, then rounded once to mathElem); softmax (max, exp, sums, rescaling) is f32 either way; scores subtract the running max before
//   exp; a query whose keys are all masked gets zeros, not NaN.

override HS: u32 = 64u;    // head size (elements)
override BQ: u32 = 16u;    // queries per workgroup
override TPQ: u32 = 4u;    // threads per query
override BKV: u32 = 16u;   // keys per staged tile
const NEG_BIG: f32 = -3.4028234663852886e38;
alias math4 = vec4<mathElem>;

struct Params {
  T: u32,
  NH: u32,
  HS: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qkv: array<elem4>;        // (B·T, 3·C/4)
@group(0) @binding(2) var<storage, read> mask: array<u32>;         // (B·T)
// Binding 3 on: the output library's (lib/attention_store_ctx.wgsl: ctx; lib/attention_store_proj.wgsl: woT, partials).

var<workgroup> qs: array<math4, BQ * (HS / 4u + 1u)>;       // the query tile, pre-scaled
var<workgroup> kv: array<math4, BKV * (HS / 4u)>;           // K tile, then V tile
var<workgroup> sc: array<f32, BQ * (BKV + 1u)>;             // scores, then weights
var<workgroup> rowScale: array<f32, BQ>;                    // per-tile rescale, at the end 1 / row sum

@compute @workgroup_size(BQ * TPQ, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let T = params.T;
  let HS4 = HS / 4u;
  let C4 = params.NH * HS4;
  let rowStride = 3u * C4;
  let h = wg.y;
  let batch = wg.z;
  let q0 = wg.x * BQ;
  let threads = BQ * TPQ;
  let QS = HS4 + 1u;
  let SS = BKV + 1u;
  let scale = inverseSqrt(f32(HS));

  for (var e = tid; e < BQ * HS4; e += threads) {
    let i = q0 + e / HS4;
    var v = math4(0.0);
    if (i < T) { v = math4(vec4<f32>(qkv[(batch * T + i) * rowStride + h * HS4 + e % HS4]) * scale); }
    qs[(e / HS4) * QS + e % HS4] = v;
  }

  let sq = tid % BQ;    // scores: this query …
  let sk = tid / BQ;    // … against keys sk + TPQ·n of the tile
  let pq = tid / TPQ;   // P·V: this query …
  let pd = tid % TPQ;   // … and vec4 slots pd + TPQ·c of its row
  var runMax = NEG_BIG; // row tid's running max and sum (threads tid < BQ)
  var runSum = 0.0;
  var acc = array<vec4<f32>, 4>();

  for (var j0 = 0u; j0 < T; j0 += BKV) {
    workgroupBarrier();  // the previous tile's P·V is done with kv (and, first time, qs is staged)
    for (var e = tid; e < BKV * HS4; e += threads) {
      let j = j0 + e / HS4;
      var v = math4(0.0);
      if (j < T) { v = math4(qkv[(batch * T + j) * rowStride + C4 + h * HS4 + e % HS4]); }
      kv[e] = v;
    }
    workgroupBarrier();
    for (var n = 0u; n < BKV / TPQ; n++) {
      let jj = sk + n * TPQ;
      let j = j0 + jj;
      var s = NEG_BIG;
      if (j < T && mask[batch * T + j] != 0u) {
        s = 0.0;
        for (var d0 = 0u; d0 < HS4; d0 += FLUSH4) {
          var part = mathElem(0.0);
          for (var f = 0u; f < FLUSH4; f++) {
            let d = d0 + f;
            if (d < HS4) { part += dot(qs[sq * QS + d], kv[jj * HS4 + d]); }
          }
          s += f32(part);
        }
      }
      sc[sq * SS + jj] = s;
    }
    workgroupBarrier();
    for (var e = tid; e < BKV * HS4; e += threads) {
      let j = j0 + e / HS4;
      var v = math4(0.0);
      if (j < T) { v = math4(qkv[(batch * T + j) * rowStride + 2u * C4 + h * HS4 + e % HS4]); }
      kv[e] = v;
    }
    if (tid < BQ) {
      var tileMax = NEG_BIG;
      for (var jj = 0u; jj < BKV; jj++) { tileMax = max(tileMax, sc[tid * SS + jj]); }
      var c = 1.0;
      if (tileMax == NEG_BIG) {
        for (var jj = 0u; jj < BKV; jj++) { sc[tid * SS + jj] = 0.0; }  // every key of this tile is padding
      } else {
        let newMax = max(runMax, tileMax);
        c = exp(runMax - newMax);  // 0 on the row's first valid tile (runMax is NEG_BIG)
        var l = 0.0;
        for (var jj = 0u; jj < BKV; jj++) {
          let s = sc[tid * SS + jj];
          let p = select(0.0, exp(s - newMax), s != NEG_BIG);
          sc[tid * SS + jj] = p;
          l += p;
        }
        runSum = runSum * c + l;
        runMax = newMax;
      }
      rowScale[tid] = c;
    }
    workgroupBarrier();
    let c = rowScale[pq];
    for (var k = 0u; k < 4u; k++) { acc[k] *= c; }
    for (var jj0 = 0u; jj0 < BKV; jj0 += PV_FLUSH) {
      var part = array<math4, 4>();
      for (var f = 0u; f < PV_FLUSH; f++) {
        let jj = jj0 + f;
        let p = mathElem(sc[pq * SS + jj]);
        for (var k = 0u; k < 4u; k++) {
          let d = pd + k * TPQ;
          if (d < HS4) { part[k] += p * kv[jj * HS4 + d]; }
        }
      }
      for (var k = 0u; k < 4u; k++) { acc[k] += vec4<f32>(part[k]); }
    }
  }

  workgroupBarrier();
  if (tid < BQ) { rowScale[tid] = select(0.0, 1.0 / runSum, runSum > 0.0); }
  workgroupBarrier();
  storeRows(acc, tid, q0, batch, h, nwg.z);
}
