// matmul_grad: C (P, Q) = op(A) · B, the two products of a linear layer's backward (y = x·Wᵀ + b, W (N, K)):
//   dX (M, K) = dY (M, N) · W (N, K)    → P = M, R = N, Q = K, A = dY,                  B = W
//   dW (N, K) = dYᵀ (N, M) · X (M, K)   → P = N, R = M, Q = K, A = dY read transposed,  B = X
// B is row-major (R, Q). A is row-major (P, R), or with TRANSPOSE_A stored (R, P) and read transposed, so dY is never
// copied. ACCUMULATE adds into C: the residual stream's gradient (dh of a LayerNorm also flows into the matmul that
// made the residual) and gradient accumulation over micro-batches.
// Threads: 16 × 16 per workgroup, a 64 × 64 output tile; each thread owns 4 × 4 outputs spaced 16 apart (stores
//   coalesce along q). Reduction in chunks of KT = 16 staged through workgroup memory: each A and B element is read
//   from global memory once per tile instead of 64 times.
// Limits: any P, Q, R ≥ 1 (edges zero-padded in the tiles); grid (⌈Q/64⌉, ⌈P/64⌉) ≤ 65535 each.
// Numerics: f32 accumulation over R in one pass per output (no atomics: one thread owns each output).

override TRANSPOSE_A: bool = false;
override ACCUMULATE: bool = false;
const TILE: u32 = 64u;
const KT: u32 = 16u;

struct Params {
  P: u32,
  Q: u32,
  R: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<elem>;
@group(0) @binding(2) var<storage, read> b: array<elem>;
@group(0) @binding(3) var<storage, read_write> c: array<elem>;

var<workgroup> aTile: array<f32, 1024>;  // [KT][TILE]: aTile[k · TILE + p]
var<workgroup> bTile: array<f32, 1024>;  // [KT][TILE]: bTile[k · TILE + q]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let P = params.P;
  let Q = params.Q;
  let R = params.R;
  let p0 = wg.y * TILE;
  let q0 = wg.x * TILE;
  var acc = array<f32, 16>();

  for (var r0 = 0u; r0 < R; r0 += KT) {
    for (var l = 0u; l < 4u; l++) {
      let e = li + l * 256u;
      var kk: u32;
      var pp: u32;
      var av = 0.0;
      if (TRANSPOSE_A) {
        // A stored (R, P): consecutive threads read consecutive p.
        kk = e / TILE;
        pp = e % TILE;
        if (r0 + kk < R && p0 + pp < P) { av = f32(a[(r0 + kk) * P + p0 + pp]); }
      } else {
        // A stored (P, R): runs of KT consecutive r.
        pp = e / KT;
        kk = e % KT;
        if (r0 + kk < R && p0 + pp < P) { av = f32(a[(p0 + pp) * R + r0 + kk]); }
      }
      aTile[kk * TILE + pp] = av;
      let bk = e / TILE;
      let bq = e % TILE;
      var bv = 0.0;
      if (r0 + bk < R && q0 + bq < Q) { bv = f32(b[(r0 + bk) * Q + q0 + bq]); }
      bTile[bk * TILE + bq] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KT; kk++) {
      var bq = vec4<f32>();
      for (var j = 0u; j < 4u; j++) { bq[j] = bTile[kk * TILE + lid.x + 16u * j]; }
      for (var i = 0u; i < 4u; i++) {
        let ap = aTile[kk * TILE + lid.y + 16u * i];
        for (var j = 0u; j < 4u; j++) { acc[i * 4u + j] += ap * bq[j]; }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let p = p0 + lid.y + 16u * i;
    if (p >= P) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let q = q0 + lid.x + 16u * j;
      if (q >= Q) { continue; }
      var v = acc[i * 4u + j];
      if (ACCUMULATE) { v += f32(c[p * Q + q]); }
      c[p * Q + q] = elem(v);
    }
  }
}
