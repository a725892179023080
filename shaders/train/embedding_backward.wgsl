// embedding_backward: a table's gradient from the gradient of the embedding sum, dE (rows, C), without float atomics:
//   dTable[target_s] (+)= Σ_{r ∈ segment s} dE[r]. The host groups the batch's rows by the table row they read (a
//   counting sort of the ids, which the host has anyway — it tokenised them): segment s covers sortedRows[starts[s] ..
//   starts[s+1]) and targets[s] is its table row. The same kernel serves the word table (key = token id), the position
//   table (key = position) and the token-type table (key = type id).
// Why segments: one writer per table row, so repeated ids sum in registers, in a fixed order (deterministic), and the
//   cost is O(rows·C) reads + O(unique·C) writes — versus one workgroup per vocabulary row scanning all ids
//   (O(vocab·rows) id reads: 30 522 × 1 024 ≈ 31 M per step for BERT-base at 8 × 128). Table rows no id reads are not
//   written: the caller zero-fills the gradient once (or accumulates into it with ACCUMULATE).
// Threads: one workgroup of WG per segment (s = wg.x + 65535·wg.y), threads over C (coalesced row reads).

override WG: u32 = 64u;
override ACCUMULATE: bool = false;

struct Params {
  segments: u32,
  C: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dE: array<elem>;
@group(0) @binding(2) var<storage, read> starts: array<u32>;      // (segments + 1)
@group(0) @binding(3) var<storage, read> sortedRows: array<u32>;  // (rows)
@group(0) @binding(4) var<storage, read> targets: array<u32>;     // (segments)
@group(0) @binding(5) var<storage, read_write> dTable: array<elem>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let s = wg.x + 65535u * wg.y;
  if (s >= params.segments) { return; }
  let C = params.C;
  let begin = starts[s];
  let end = starts[s + 1u];
  let out = targets[s] * C;
  for (var c = lid.x; c < C; c += WG) {
    var acc = 0.0;
    for (var k = begin; k < end; k++) { acc += f32(dE[sortedRows[k] * C + c]); }
    if (ACCUMULATE) { acc += f32(dTable[out + c]); }
    dTable[out + c] = elem(acc);
  }
}
