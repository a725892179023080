// workgroupReduce: the sum (isMax false) or the maximum (isMax true) of `v` over a workgroup of WG threads (tree
// reduction in workgroup memory); every thread gets the result. Appended to kernels that declare `override WG` (a
// power of two) and call it from uniform control flow (it holds barriers).

var<workgroup> reducePartial: array<f32, WG>;

fn workgroupReduce(v: f32, tid: u32, isMax: bool) -> f32 {
  reducePartial[tid] = v;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (tid < stride) {
      reducePartial[tid] = select(reducePartial[tid] + reducePartial[tid + stride], max(reducePartial[tid], reducePartial[tid + stride]), isMax);
    }
    workgroupBarrier();
  }
  let total = reducePartial[0];
  workgroupBarrier();
  return total;
}
