// cls_scatter: dx (B·T, C) with dx[b·T] = dcls[b] and every other row 0 — the pooler reads only the [CLS] rows, so
//   the last hidden state's gradient is zero elsewhere. Writes every element (no separate clear of dx).
// Threads: one element per thread, 2-D grid: i = (wg.y · nwg.x + wg.x) · WG + lid.x.

override WG: u32 = 256u;

struct Params {
  n: u32,
  T: u32,
  C: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dcls: array<elem>;  // (B, C)
@group(0) @binding(2) var<storage, read_write> dx: array<elem>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = (wg.y * nwg.x + wg.x) * WG + lid.x;
  if (i >= params.n) { return; }
  let row = i / params.C;
  let c = i % params.C;
  var v = 0.0;
  if (row % params.T == 0u) { v = f32(dcls[(row / params.T) * params.C + c]); }
  dx[i] = elem(v);
}
