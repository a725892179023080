// gather_block_rows: one row block's share of a row gather, for a table split into row blocks at load (a tensor over
//   the storage binding limit: src/weights/row-blocks.ts), e.g. mBERT's 119,547-row word embeddings in three blocks.
//   y[r] = x[ids[r] - rowStart]  where rowStart ≤ ids[r] < rowStart + rowsIn   (the id falls in this block)
//   y[r] = prev[r]               otherwise (HAS_PREV; the rows earlier blocks gathered), or zeros for the first block.
//   The graph chains one dispatch per block (src/model/bert.ts), each reading the previous one's output, so after
//   the last every row holds its id's row whichever block it is in.
// Why one dispatch per block rather than one kernel binding every block: the embedding kernel already uses 8
//   storage bindings, the default maxStorageBuffersPerShaderStage, and a gather binding k blocks needs k + 3 and a
//   pipeline per k (XLM-R large as f32 is 8 blocks at 128 MiB). Per-block passes bind 3 storage buffers whatever the
//   vocabulary; their cost is a copy of the (R, W) rows per block, bytes the GPU moves in microseconds, next to the
//   layers' matmuls.
//   x: (rowsIn, W), prev and y: (R, W), ids: (R) u32. W counts 32-bit words: f32 and f16 rows are copied as bytes.
// Threads: one workgroup of WG threads per output row (workgroup_id.x + 65535·workgroup_id.y), striding over W
//   (adjacent threads, adjacent words: coalesced).

override WG: u32 = 64u;
override HAS_PREV: bool = true;

struct Params {
  R: u32,
  W: u32,
  rowsIn: u32,
  rowStart: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> ids: array<u32>;       // (R)
@group(0) @binding(2) var<storage, read> x: array<u32>;         // (rowsIn, W): this block's rows
@group(0) @binding(3) var<storage, read> prev: array<u32>;      // (R, W): rows gathered by earlier blocks
@group(0) @binding(4) var<storage, read_write> y: array<u32>;   // (R, W)

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wg.x + wg.y * 65535u;
  if (r >= params.R) { return; }
  let id = ids[r];
  // Unsigned: an id below rowStart wraps to a large value, so one comparison tests both ends of the block.
  let local = id - params.rowStart;
  let dst = r * params.W;
  if (local < params.rowsIn) {
    let src = local * params.W;
    for (var w = lid.x; w < params.W; w += WG) { y[dst + w] = x[src + w]; }
  } else if (HAS_PREV) {
    for (var w = lid.x; w < params.W; w += WG) { y[dst + w] = prev[dst + w]; }
  } else {
    for (var w = lid.x; w < params.W; w += WG) { y[dst + w] = 0u; }
  }
}
