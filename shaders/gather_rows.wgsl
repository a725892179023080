// gather_rows: y[r] = x[rows[r]] — picks R rows of a (rowsIn, W) matrix, e.g. the [MASK] positions of the hidden
//   states before the masked-LM head, so the (V-wide) decoder runs on R rows instead of B·T.
//   x: (rowsIn, W), y: (R, W), rows: (R) u32. W counts 32-bit words, so one kernel serves f32 rows (W = C) and f16
//   rows (W = C / 2): the bytes are copied, never interpreted.
// Threads: one workgroup of WG threads per output row (workgroup_id.x + 65535·workgroup_id.y), striding over W.
// Limits: a row index past rowsIn is clamped to the last row, so a bad index can never read outside x (the caller
//   validates indices on the CPU).

override WG: u32 = 64u;

struct Params {
  R: u32,
  W: u32,
  rowsIn: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rows: array<u32>;      // (R)
@group(0) @binding(2) var<storage, read> x: array<u32>;         // (rowsIn, W)
@group(0) @binding(3) var<storage, read_write> y: array<u32>;   // (R, W)

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wg.x + wg.y * 65535u;
  if (r >= params.R) { return; }
  let src = min(rows[r], params.rowsIn - 1u) * params.W;
  let dst = r * params.W;
  for (var w = lid.x; w < params.W; w += WG) {
    y[dst + w] = x[src + w];
  }
}
