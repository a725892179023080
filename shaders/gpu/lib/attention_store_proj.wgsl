// storeRows (projection): attention_flash.wgsl's tile of context rows (BQ queries × this head's HS columns) times the
// matching HS rows of the attention-output weight, transposed: partials[h, b·T + i, n] = Σ_d ctx[i, d]·woT[h·HS + d, n]
// for all n < C. The heads are the split-K slices of the attention-output GEMM, so attention and that GEMM are one
// dispatch and layernormRow (splits = NH) adds the slices, the bias and the residual and normalises.
//   woT: (C, C) in the storage type, the attention-output weight (PyTorch (out, in)) transposed to (in, out) at load,
//   so consecutive lanes read consecutive columns; partials: (NH, B·T, C) f32.
// Threads: the normalised context tile goes to workgroup memory (over the query tile, no longer needed); thread t owns
//   output columns t, t + threads, … and, for each, all BQ ≤ 16 rows: 16 f32 accumulators, indexed by constant loops.
//   In the f16-arithmetic kernel the context tile is held as vec4<f16> and each accumulator adds f16 sums of FLUSH4
//   vec4 dots (8 products).
// Needs BQ ≤ 16.

@group(0) @binding(3) var<storage, read> woT: array<elem>;               // (C, C): [in, out]
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;     // (NH, B·T, C)

fn storeRows(acc: array<vec4<f32>, 4>, tid: u32, q0: u32, batch: u32, h: u32, B: u32) {
  let T = params.T;
  let HS4 = HS / 4u;
  let QS = HS4 + 1u;
  let C = params.NH * HS;
  let pq = tid / TPQ;
  let pd = tid % TPQ;
  let inv = rowScale[pq];
  // qs is free: the last reads of the query tile (the scores) are behind the barriers that close the key loop.
  for (var k = 0u; k < 4u; k++) {
    let d = pd + k * TPQ;
    if (d < HS4) { qs[pq * QS + d] = math4(acc[k] * inv); }
  }
  workgroupBarrier();
  let rows = min(BQ, T - min(q0, T));
  for (var n = tid; n < C; n += BQ * TPQ) {
    var sums = array<f32, 16>();
    for (var d0 = 0u; d0 < HS4; d0 += FLUSH4) {
      var part = array<mathElem, 16>();
      for (var f = 0u; f < FLUSH4; f++) {
        let d4 = d0 + f;
        if (d4 < HS4) {
          let wRow = (h * HS + 4u * d4) * C + n;
          let w4 = math4(mathElem(woT[wRow]), mathElem(woT[wRow + C]), mathElem(woT[wRow + 2u * C]), mathElem(woT[wRow + 3u * C]));
          for (var r = 0u; r < 16u; r++) { part[r] += dot(qs[min(r, BQ - 1u) * QS + d4], w4); }
        }
      }
      for (var r = 0u; r < 16u; r++) { sums[r] += f32(part[r]); }
    }
    for (var r = 0u; r < 16u; r++) {
      if (r < rows) { partials[(h * B * T + batch * T + q0 + r) * C + n] = sums[r]; }
    }
  }
}
