enable subgroups;
// reduceRows (subgroups): sums each of the MAX_M vec4 partials over the WG threads of gemm_narrow.wgsl. subgroupAdd
// reduces within a subgroup without workgroup memory; one elected lane per subgroup then stores the subgroup's total
// (every other lane stores zero, so nothing depends on how lanes map to subgroups, which WGSL leaves open), and
// thread r adds row r's WG slots: two barriers in all instead of log2 WG + 1. Call from uniform control flow.
// The `enable` above is hoisted to the top of the module by src/gpu/gpu-kernels.ts.

fn reduceRows(acc: array<vec4<f32>, MAX_M>, tid: u32) {
  for (var r = 0u; r < MAX_M; r++) {
    let total = subgroupAdd(acc[r]);
    red[r * WG + tid] = select(vec4<f32>(0.0), total, subgroupElect());
  }
  workgroupBarrier();
  if (tid < MAX_M) {
    var sum = vec4<f32>(0.0);
    for (var i = 0u; i < WG; i++) { sum += red[tid * WG + i]; }
    red[tid * WG] = sum;
  }
  workgroupBarrier();
}
