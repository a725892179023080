// attribution_reduce: one signed score per token from the gradients at the embedding sum of the B rows (the
//   integration points of one sequence):
//   scores[t] = Σ_c (wordEmb[ids[t]] − base)_c · Σ_b quadWeights[b] · dE[b·T + t, c]
//   (gradient × input: B = 1, weight 1, base 0). The embedding sum is linear in the word rows, so dE is also the
//   gradient w.r.t. the interpolated word rows. Rows with weight 0 (padding the last chunk of IG steps) add nothing.
//   attrParams: [label, usePadBaseline, padId, 0].
// Threads: one workgroup of WG per token (t = wg.x + 65535·wg.y), threads over C, each summing its columns over the
//   B rows in a fixed order, then a workgroup tree reduction: deterministic, no atomics.

override WG: u32 = 64u;

struct Params {
  T: u32,
  C: u32,
  B: u32,
  vocabSize: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> attrParams: array<u32>;
@group(0) @binding(3) var<storage, read> quadWeights: array<f32>;
@group(0) @binding(4) var<storage, read> wordEmb: array<elem>;
@group(0) @binding(5) var<storage, read> dE: array<elem>;
@group(0) @binding(6) var<storage, read_write> scores: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = wg.x + wg.y * 65535u;
  if (t >= params.T) { return; }  // uniform per workgroup: the reduction's barriers stay in uniform control flow
  let C = params.C;
  let usePad = attrParams[1] != 0u;
  let padBase = min(attrParams[2], params.vocabSize - 1u) * C;
  let wordBase = min(ids[t], params.vocabSize - 1u) * C;
  var acc = 0.0;
  for (var c = lid.x; c < C; c += WG) {
    var g = 0.0;
    for (var b = 0u; b < params.B; b++) {
      g += quadWeights[b] * f32(dE[(b * params.T + t) * C + c]);
    }
    let base = select(0.0, f32(wordEmb[padBase + c]), usePad);
    acc += (f32(wordEmb[wordBase + c]) - base) * g;
  }
  let total = workgroupReduce(acc, lid.x, false);
  if (lid.x == 0u) { scores[t] = total; }
}
