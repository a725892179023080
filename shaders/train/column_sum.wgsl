// column_sum: out (N) = Σ_m a[m, n] over a (M, N) — the bias gradient db = column sums of dY.
// Threads: workgroup (32, 8) per block of 32 columns; lane x owns a column (loads coalesce along n), the 8 lanes in y
//   stride over the rows, then their partial sums are added in workgroup memory (no atomics: one writer per column).
// Limits: any M, N ≥ 1; grid ⌈N/32⌉ ≤ 65535. Cost: M·N reads; only ⌈N/32⌉ workgroups, fine for N ≥ 768 (BERT).
// ACCUMULATE adds into out (gradient accumulation).

override ACCUMULATE: bool = false;

struct Params {
  M: u32,
  N: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<elem>;
@group(0) @binding(2) var<storage, read_write> out: array<elem>;

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(32, 8)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let n = wg.x * 32u + lid.x;
  var s = 0.0;
  if (n < params.N) {
    for (var m = lid.y; m < params.M; m += 8u) { s += f32(a[m * params.N + n]); }
  }
  partial[lid.y * 32u + lid.x] = s;
  workgroupBarrier();
  if (lid.y == 0u && n < params.N) {
    var total = 0.0;
    for (var r = 0u; r < 8u; r++) { total += partial[r * 32u + lid.x]; }
    if (ACCUMULATE) { total += f32(out[n]); }
    out[n] = elem(total);
  }
}
