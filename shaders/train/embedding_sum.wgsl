// embedding_sum: e[b·T + t] = wordEmb[ids[r]] + posEmb[t] + typeEmb[typeIds[r]] — the embedding LayerNorm's input,
//   which the training forward keeps for layernorm_backward (the inference kernel embedding.wgsl normalises in
//   registers and never stores it). The LayerNorm itself then runs as layernorm.wgsl.
//   ids, typeIds: (rows) u32 (validated on the host; clamped by embeddingRows, shaders/lib/embedding_rows.wgsl).
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
@group(0) @binding(3) var<storage, read> wordEmb: array<elem>;
@group(0) @binding(4) var<storage, read> posEmb: array<elem>;
@group(0) @binding(5) var<storage, read> typeEmb: array<elem>;
@group(0) @binding(6) var<storage, read_write> e: array<elem>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wg.x + wg.y * 65535u;
  if (row >= params.rows) { return; }
  let C = params.C;
  let at = embeddingRows(row, params.T, C, ids[row], typeIds[row], params.vocabSize, params.maxPositions, params.typeVocabSize);
  for (var c = lid.x; c < C; c += WG) {
    e[row * C + c] = elem(f32(wordEmb[at.word + c]) + f32(posEmb[at.position + c]) + f32(typeEmb[at.tokenType + c]));
  }
}
