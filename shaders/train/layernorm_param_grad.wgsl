// layernorm_param_grad: dγ[c] = Σ_rows dy·x̂ and dβ[c] = Σ_rows dy, x̂ = (h − μ)·rstd from the stats that
//   layernorm_backward wrote (so this runs after it).
// Threads: workgroup (32, 8) per block of 32 columns, as column_sum: lane x owns a column (coalesced), 8 lanes in y
//   stride over rows, partials added in workgroup memory — one writer per column, no atomics.
// Limits: any rows, C ≥ 1; grid ⌈C/32⌉. ACCUMULATE adds into dgamma/dbeta (gradient accumulation).

override ACCUMULATE: bool = false;

struct Params {
  rows: u32,
  C: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<elem>;
@group(0) @binding(2) var<storage, read> h: array<elem>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> dgamma: array<elem>;
@group(0) @binding(5) var<storage, read_write> dbeta: array<elem>;

var<workgroup> partial: array<vec2<f32>, 256>;

@compute @workgroup_size(32, 8)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let C = params.C;
  let c = wg.x * 32u + lid.x;
  var s = vec2<f32>(0.0);
  if (c < C) {
    for (var r = lid.y; r < params.rows; r += 8u) {
      let g = f32(dy[r * C + c]);
      let xhat = (f32(h[r * C + c]) - stats[r * 2u]) * stats[r * 2u + 1u];
      s += vec2<f32>(g * xhat, g);
    }
  }
  partial[lid.y * 32u + lid.x] = s;
  workgroupBarrier();
  if (lid.y == 0u && c < C) {
    var total = vec2<f32>(0.0);
    for (var r = 0u; r < 8u; r++) { total += partial[r * 32u + lid.x]; }
    if (ACCUMULATE) { total += vec2<f32>(f32(dgamma[c]), f32(dbeta[c])); }
    dgamma[c] = elem(total.x);
    dbeta[c] = elem(total.y);
  }
}
