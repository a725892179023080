// embedding: y[b·T + t] = LayerNorm(wordEmb[ids[b·T+t]] + posEmb[t + positionOffset] + typeEmb[typeIds[b·T+t]]),
//   f32 or f16 storage (prelude from src/gpu/kernels.ts).
//   ids, typeIds: (B·T) u32; wordEmb: (vocabSize, C); posEmb: (maxPositions, C); typeEmb: (typeVocabSize, C);
//   gamma, beta: (C); y: (B·T, C); eps (f32) from the config. Position ids are arange(T) + positionOffset, as HF
//   BERT builds them.
// Threads: one workgroup of WG threads per token (workgroup_id.x + 65535·workgroup_id.y), striding over C.
// Limits: ids are validated on the CPU before upload; here out-of-range indexes are clamped so a bad id can never
//   read outside a buffer. T + positionOffset ≤ maxPositions is checked by the caller.
// Numerics: each pass re-gathers the three rows and sums them in f32 (parking the sum in y between passes would
//   round it to f16 with f16 storage); two-pass mean/variance in f32; one rounding of the output to `elem`.

override WG: u32 = 128u;

struct Params {
  rows: u32,
  T: u32,
  C: u32,
  vocabSize: u32,
  maxPositions: u32,
  typeVocabSize: u32,
  positionOffset: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;        // (B·T)
@group(0) @binding(2) var<storage, read> typeIds: array<u32>;    // (B·T)
@group(0) @binding(3) var<storage, read> wordEmb: array<elem>;   // (vocabSize, C)
@group(0) @binding(4) var<storage, read> posEmb: array<elem>;    // (maxPositions, C)
@group(0) @binding(5) var<storage, read> typeEmb: array<elem>;   // (typeVocabSize, C)
@group(0) @binding(6) var<storage, read> gamma: array<elem>;     // (C)
@group(0) @binding(7) var<storage, read> beta: array<elem>;      // (C)
@group(0) @binding(8) var<storage, read_write> y: array<elem>;   // (B·T, C)

// The reduction and its workgroup memory (`partial`) come from lib/workgroup_sum.wgsl, appended by the descriptor.

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wg.x + wg.y * 65535u;
  if (row >= params.rows) { return; }
  let C = params.C;
  let tid = lid.x;
  let wordBase = min(ids[row], params.vocabSize - 1u) * C;
  let posBase = min(row % params.T + params.positionOffset, params.maxPositions - 1u) * C;
  let typeBase = min(typeIds[row], params.typeVocabSize - 1u) * C;
  let outBase = row * C;

  var s = 0.0;
  for (var c = tid; c < C; c += WG) {
    s += f32(wordEmb[wordBase + c]) + f32(posEmb[posBase + c]) + f32(typeEmb[typeBase + c]);
  }
  let mean = workgroupSum(s, tid) / f32(C);
  var sq = 0.0;
  for (var c = tid; c < C; c += WG) {
    let d = f32(wordEmb[wordBase + c]) + f32(posEmb[posBase + c]) + f32(typeEmb[typeBase + c]) - mean;
    sq += d * d;
  }
  let rstd = inverseSqrt(workgroupSum(sq, tid) / f32(C) + params.eps);
  for (var c = tid; c < C; c += WG) {
    let v = f32(wordEmb[wordBase + c]) + f32(posEmb[posBase + c]) + f32(typeEmb[typeBase + c]);
    y[outBase + c] = elem((v - mean) * rstd * f32(gamma[c]) + f32(beta[c]));
  }
}
