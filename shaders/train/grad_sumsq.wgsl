// grad_sumsq: pass 1 of the global gradient norm. Workgroup wg sums the squares of its grid-strided share of
//   grads[offset .. offset + n) into partials[partialBase + wg]. No float atomics: one writer per partial, and the
//   order of every sum is fixed (deterministic). Pass 2 is grad_norm_finalize over all partials.
// The host dispatches it once per range of tensors that take part (frozen tensors have no gradient and, as in
//   torch.nn.utils.clip_grad_norm_ over the trainable parameters, do not count), each range with its own
//   partialBase, G workgroups (G ≤ 65535; 256 is plenty: 65 536 threads stream the buffer, ~1 700 elements each for
//   BERT-base's 110 M parameters, f32 error far below what clipping needs).

override WG: u32 = 256u;

struct Params {
  offset: u32,
  n: u32,
  partialBase: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let stride = nwg.x * WG;
  var s = 0.0;
  for (var k = wg.x * WG + lid.x; k < params.n; k += stride) {
    let g = grads[params.offset + k];
    s += g * g;
  }
  red[lid.x] = s;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width >>= 1u) {
    if (lid.x < width) { red[lid.x] += red[lid.x + width]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { partials[params.partialBase + wg.x] = red[0]; }
}
