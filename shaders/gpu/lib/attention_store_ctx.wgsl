// storeRows (ctx): attention_flash.wgsl's output as attention_vec4 writes it: ctx[b·T + i, h·HS .. +HS) for the
// workgroup's queries; thread (query t / TPQ) stores its vec4 slots t % TPQ + TPQ·c, consecutive lanes consecutive
// slots. rowScale holds 1 / row sum (0 for a fully masked row).

@group(0) @binding(3) var<storage, read_write> ctx: array<elem4>;  // (B·T, C/4)

fn storeRows(acc: array<vec4<f32>, 4>, tid: u32, q0: u32, batch: u32, h: u32, B: u32) {
  let T = params.T;
  let HS4 = HS / 4u;
  let pq = tid / TPQ;
  let pd = tid % TPQ;
  let i = q0 + pq;
  if (i < T) {
    let inv = rowScale[pq];
    let outBase = (batch * T + i) * params.NH * HS4 + h * HS4;
    for (var k = 0u; k < 4u; k++) {
      let d = pd + k * TPQ;
      if (d < HS4) { ctx[outBase + d] = elem4(acc[k] * inv); }
    }
  }
}
