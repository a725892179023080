// gemm_narrow: y = epilogue(x · wᵀ + b) for few rows (M ≤ MAX_M: the pooler's [CLS] rows, a classifier, the
//   masked-LM head's gathered rows) — the op and interface of matmul_vec4.wgsl (same binding names and order, Params
//   fields and EPILOGUE codes). A tiled GEMM would idle 7/8 of its tile rows here and launch few workgroups; this one
//   streams w once, across many workgroups.
//   x: row m of the product is row m·xRowStep of x (K/4 elem4 per row); w: (N, K) PyTorch [out, in]; b: (N);
//   residual: (M, N) for EPILOGUE_RESIDUAL; y: (M, N).
//   Prelude (src/gpu/gpu-kernels.ts): elem / elem4, and the reduction library: lib/narrow_reduce_shared.wgsl
//   (workgroup-memory tree) or lib/narrow_reduce_subgroup.wgsl (subgroupAdd; needs the `subgroups` feature); and the
//   arithmetic: mathElem (f32, or f16 for gemmNarrowHalf / gemmNarrowSubgroupHalf, f16 storage only) and FLUSH4.
// Threads: a workgroup of WG threads per block of 4 output columns (block = workgroup_id.x + 65535·workgroup_id.y);
//   thread t sums the vec4 steps k = t, t + WG, … of K for all M rows and the 4 columns: consecutive lanes read
//   consecutive 16 bytes of each w row (coalesced), and each w element is read by exactly one thread. The per-thread
//   partial sums (MAX_M vec4) are then reduced over the workgroup; thread r·4 + j writes y[r, col0 + j].
// Workgroup memory: MAX_M · WG · 16 bytes (8 KB at WG = 64).
// Limits: K % 4 == 0; 1 ≤ M ≤ MAX_M; any N ≥ 1.
// Numerics: mathElem f32 (FLUSH4 = 1): f32 products and sums; each thread sums its K slice in order, then the
//   reduction (f32 always) adds the slices. mathElem f16: vec4<f16> dot products, FLUSH4 (2) steps of them — 8
//   products per column — summed in f16, then added to the f32 accumulators.

override WG: u32 = 64u;   // threads; ≥ 64 and a multiple of 8
const MAX_M: u32 = 8u;
alias math4 = vec4<mathElem>;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  xRowStep: u32,
  epilogue: u32,   // EPILOGUE_* of lib/epilogue.wgsl (appended), as matmul_vec4.wgsl
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<elem4>;           // ((M-1)·xRowStep + 1, K/4)
@group(0) @binding(2) var<storage, read> w: array<elem4>;           // (N, K/4)
@group(0) @binding(3) var<storage, read> b: array<elem>;            // (N)
@group(0) @binding(4) var<storage, read> residual: array<elem>;     // (M, N) for EPILOGUE_RESIDUAL, else any 4 bytes
@group(0) @binding(5) var<storage, read_write> y: array<elem>;      // (M, N)

var<workgroup> red: array<vec4<f32>, MAX_M * WG>;

@compute @workgroup_size(WG, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) tid: u32) {
  let M = min(params.M, MAX_M);
  let N = params.N;
  let K4 = params.K / 4u;
  let col0 = (wg.x + wg.y * 65535u) * 4u;
  if (col0 >= N) { return; }  // whole workgroup: uniform exit before any barrier

  var wBase = array<u32, 4>();
  for (var j = 0u; j < 4u; j++) { wBase[j] = min(col0 + j, N - 1u) * K4; }
  var acc = array<vec4<f32>, MAX_M>();
  // Steps k0, k0 + WG, …, k0 + (FLUSH4 - 1)·WG are summed in mathElem, then widened into acc.
  for (var k0 = tid; k0 < K4; k0 += FLUSH4 * WG) {
    var part = array<math4, MAX_M>();
    for (var f = 0u; f < FLUSH4; f++) {
      let k = k0 + f * WG;
      if (k < K4) {
        let w0 = math4(w[wBase[0] + k]);
        let w1 = math4(w[wBase[1] + k]);
        let w2 = math4(w[wBase[2] + k]);
        let w3 = math4(w[wBase[3] + k]);
        for (var r = 0u; r < MAX_M; r++) {
          if (r < M) {
            let xv = math4(x[r * params.xRowStep * K4 + k]);
            part[r] += math4(dot(xv, w0), dot(xv, w1), dot(xv, w2), dot(xv, w3));
          }
        }
      }
    }
    for (var r = 0u; r < MAX_M; r++) { acc[r] += vec4<f32>(part[r]); }
  }

  // After this, red[r · WG] holds row r's 4 column sums (library function: holds barriers, uniform control flow).
  reduceRows(acc, tid);

  if (tid < 4u * M) {
    let r = tid / 4u;
    let j = tid % 4u;
    let col = col0 + j;
    if (col < N) {
      let idx = r * N + col;
      y[idx] = elem(applyEpilogue(red[r * WG][j] + f32(b[col]), idx));
    }
  }
}
