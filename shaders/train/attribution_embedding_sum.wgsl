// attribution_embedding_sum: the embedding LayerNorm's input for token attributions, with the word rows moved along
//   the integrated-gradients path: e[r] = base + α_b·(wordEmb[ids[r]] − base) + posEmb[t] + typeEmb[typeIds[r]],
//   r = b·T + t, α_b = alphas[b] (one interpolation point per batch row: the IG steps of one sequence are its rows),
//   base = 0 or the [PAD] row (attrParams[1] = 1, attrParams[2] = its id). α = 1 with base 0 is embedding_sum.wgsl.
//   attrParams: [label, usePadBaseline, padId, 0] (u32), written by the host per run. The rows read: embeddingRows
//   (shaders/lib/embedding_rows.wgsl), as embedding_sum.wgsl reads them.
// Threads: one workgroup of WG per row (row = wg.x + 65535·wg.y), threads over C (coalesced row reads).

override WG: u32 = 64u;

struct Params {
  rows: u32,
  T: u32,
  C: u32,
  vocabSize: u32,
  maxPositions: u32,
  typeVocabSize: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> typeIds: array<u32>;
@group(0) @binding(3) var<storage, read> alphas: array<f32>;
@group(0) @binding(4) var<storage, read> attrParams: array<u32>;
@group(0) @binding(5) var<storage, read> wordEmb: array<elem>;
@group(0) @binding(6) var<storage, read> posEmb: array<elem>;
@group(0) @binding(7) var<storage, read> typeEmb: array<elem>;
@group(0) @binding(8) var<storage, read_write> e: array<elem>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wg.x + wg.y * 65535u;
  if (row >= params.rows) { return; }
  let C = params.C;
  let alpha = alphas[row / params.T];
  let usePad = attrParams[1] != 0u;
  let padBase = min(attrParams[2], params.vocabSize - 1u) * C;
  let at = embeddingRows(row, params.T, C, ids[row], typeIds[row], params.vocabSize, params.maxPositions, params.typeVocabSize);
  for (var c = lid.x; c < C; c += WG) {
    let base = select(0.0, f32(wordEmb[padBase + c]), usePad);
    let w = base + alpha * (f32(wordEmb[at.word + c]) - base);
    e[row * C + c] = elem(w + f32(posEmb[at.position + c]) + f32(typeEmb[at.tokenType + c]));
  }
}
