// reduceRows (workgroup memory): sums each of the MAX_M vec4 partials over the WG threads of gemm_narrow.wgsl in two
// levels — thread t adds 1/8 of row t / 8's slots, then thread r adds row r's 8 segment sums — so two barriers
// after the store and no barrier inside a loop (a log2 WG tree costs a barrier per level, and lavapipe compiles a
// loop of barriers slowly). The totals land in red[r · WG]. Needs WG ≥ 8·MAX_M and WG % 8 == 0; call from uniform
// control flow.

fn reduceRows(acc: array<vec4<f32>, MAX_M>, tid: u32) {
  for (var r = 0u; r < MAX_M; r++) { red[r * WG + tid] = acc[r]; }
  workgroupBarrier();
  let seg = WG / 8u;
  var s = vec4<f32>(0.0);
  if (tid < 8u * MAX_M) {
    let base = (tid / 8u) * WG + (tid % 8u) * seg;
    for (var i = 0u; i < seg; i++) { s += red[base + i]; }
  }
  workgroupBarrier();
  if (tid < 8u * MAX_M) { red[(tid / 8u) * WG + (tid % 8u)] = s; }
  workgroupBarrier();
  if (tid < MAX_M) {
    var total = vec4<f32>(0.0);
    for (var i = 0u; i < 8u; i++) { total += red[tid * WG + i]; }
    red[tid * WG] = total;
  }
  workgroupBarrier();
}
