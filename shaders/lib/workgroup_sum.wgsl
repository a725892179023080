// workgroupSum: the sum of `v` over a workgroup of WG threads (tree reduction in workgroup memory); every thread
// gets the result. Appended to kernels that declare `override WG` (a power of two) and call it from uniform control
// flow (it holds barriers).

var<workgroup> partial: array<f32, WG>;

fn workgroupSum(v: f32, tid: u32) -> f32 {
  partial[tid] = v;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (tid < stride) { partial[tid] += partial[tid + stride]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}
