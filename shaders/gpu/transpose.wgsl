// transpose: y = xᵀ — x (R, C) row-major → y (C, R). The load-time re-layout of a weight into the layout a kernel
//   reads (attentionFlashProj's woT: the attention-output weight, PyTorch (out, in), as (in, out)); runs once per
//   weight when the model is created, never in a forward. Prelude: elem (storage); values pass through f32 unchanged.
// Threads: a 16 × 16 workgroup per 16 × 16 tile, staged through workgroup memory (rows padded by one against bank
//   conflicts), so that both the loads (along x's rows) and the stores (along y's rows) are coalesced.
// Workgroup memory: 16 · 17 · 4 bytes.
// Limits: any R, C ≥ 1 (grid ceil(C / 16) × ceil(R / 16), each ≤ 65535).

const TILE: u32 = 16u;

struct Params {
  R: u32,
  C: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<elem>;          // (R, C)
@group(0) @binding(2) var<storage, read_write> y: array<elem>;    // (C, R)

var<workgroup> tile: array<f32, TILE * (TILE + 1u)>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wg.y * TILE + lid.y;
  let c = wg.x * TILE + lid.x;
  if (r < params.R && c < params.C) { tile[lid.y * (TILE + 1u) + lid.x] = f32(x[r * params.C + c]); }
  workgroupBarrier();
  // Lane x now stores along y's row: y[c', r'] with r' = wg.y·16 + lid.x, c' = wg.x·16 + lid.y.
  let yr = wg.x * TILE + lid.y;
  let yc = wg.y * TILE + lid.x;
  if (yr < params.C && yc < params.R) { y[yr * params.R + yc] = elem(tile[lid.x * (TILE + 1u) + lid.y]); }
}
