// gemm_tiled: y = epilogue(x · wᵀ + b), the op of matmul_vec4.wgsl (same binding names and order, Params fields and
//   EPILOGUE codes) shaped for hardware GPUs: workgroup-memory tiles, register blocking, vec4 loads.
//   x: row m of the product is row m·xRowStep of x, rows of K elements read as K/4 elem4; w: (N, K) PyTorch
//   [out, in]; b: (N); residual: (M, N) for EPILOGUE_RESIDUAL; y: (M, N).
//   Prelude (prepended by src/gpu/gpu-kernels.ts): elem / elem4 (storage), yElem (y's type), PARTIAL (bool), and the
//   arithmetic: mathElem (f32, or f16 for the f16-arithmetic kernels gemmTiledHalf / gemmTiledPartialHalf, which need
//   f16 storage) and FLUSH4 (vec4 dot products summed in mathElem before they are added to the f32 accumulators).
//   PARTIAL (split-K, the GEMM half of matmul + residual + LayerNorm): workgroup z sums the z-th of num_workgroups.z
//   slices of K and writes the raw f32 sum to y[z·M·N + m·N + n] (no bias, no epilogue); layernorm_row.wgsl adds the
//   slices, the bias and the residual.
// Threads: workgroup (TN, TM) owns an output tile of BM = 4·TM rows × BN = 4·TN columns; thread (tx, ty) owns rows
//   ty + TM·i and columns tx + TN·j (i, j < 4): a 4 × 4 register block, interleaved so that consecutive lanes read
//   consecutive shared rows (no bank conflicts, with the padding below) and store consecutive columns of y.
//   Per K tile of BK = 4·BK4 elements the workgroup stages BM × BK4 vec4 of x and BN × BK4 vec4 of w in workgroup
//   memory (lanes run along K within a row: coalesced), then each thread does BK4 × 16 vec4 dot products from it.
// Workgroup memory: (BM + BN) · (BK4 + 1) · sizeof(math4) bytes (the +1 vec4 per row pads away bank conflicts): 10 KB at
//   64 × 64 with BK4 = 4, 9 KB at 32 × 32 with BK4 = 8 in f32; the f16-arithmetic kernels hold the tiles in vec4<f16>
//   and take twice the K tile in the same space (9 KB at 64 × 64 with BK4 = 8; gpuGrid's tiles), halving the barriers.
// Limits: K % 4 == 0; any M, N ≥ 1 (edge tiles load clamped rows and zero past K, and store only in range).
// Numerics: mathElem f32: products and sums in f32; each dot sums 4 consecutive products, then adds in K order
//   (FLUSH4 = 1). mathElem f16: vec4<f16> dot products, FLUSH4 of them (4·FLUSH4 products: 8) summed in f16, then
//   added to the f32 accumulator — f16 rounding never compounds over more than 8 products; K past the end is zeros.

override TM: u32 = 16u;   // threads along M
override TN: u32 = 16u;   // threads along N
override BK4: u32 = 4u;   // K tile in vec4 units
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
@group(0) @binding(5) var<storage, read_write> y: array<yElem>;     // (M, N), or (splits, M, N) when PARTIAL

var<workgroup> xs: array<math4, 4u * TM * (BK4 + 1u)>;
var<workgroup> ws: array<math4, 4u * TN * (BK4 + 1u)>;

@compute @workgroup_size(TN, TM, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) tid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let M = params.M;
  let N = params.N;
  let K4 = params.K / 4u;
  let BM = 4u * TM;
  let BN = 4u * TN;
  let tileRow0 = wg.y * BM;
  let tileCol0 = wg.x * BN;
  let tx = lid.x;
  let ty = lid.y;
  let threads = TM * TN;
  let stride = BK4 + 1u;

  // The K tiles this workgroup sums: all of them, or its slice under split-K.
  let kTiles = (K4 + BK4 - 1u) / BK4;
  var t0 = 0u;
  var t1 = kTiles;
  if (PARTIAL) {
    let per = (kTiles + nwg.z - 1u) / nwg.z;
    t0 = min(wg.z * per, kTiles);
    t1 = min(t0 + per, kTiles);
  }

  var acc = array<vec4<f32>, 4>();
  for (var t = t0; t < t1; t++) {
    let k0 = t * BK4;
    // Stage the tiles: element e is (row e / BK4, k e % BK4), so consecutive lanes read consecutive 16 bytes of a row.
    for (var e = tid; e < BM * BK4; e += threads) {
      let r = e / BK4;
      let k = k0 + e % BK4;
      let row = min(tileRow0 + r, M - 1u);
      var v = math4(0.0);
      if (k < K4) { v = math4(x[row * params.xRowStep * K4 + k]); }
      xs[r * stride + e % BK4] = v;
    }
    for (var e = tid; e < BN * BK4; e += threads) {
      let c = e / BK4;
      let k = k0 + e % BK4;
      let col = min(tileCol0 + c, N - 1u);
      var v = math4(0.0);
      if (k < K4) { v = math4(w[col * K4 + k]); }
      ws[c * stride + e % BK4] = v;
    }
    workgroupBarrier();
    // BK4 % FLUSH4 == 0 (gpuGrid's tiles): each flush sums FLUSH4 vec4 steps in mathElem, then widens once.
    for (var k0 = 0u; k0 < BK4; k0 += FLUSH4) {
      var part = array<math4, 4>();
      for (var f = 0u; f < FLUSH4; f++) {
        let k = k0 + f;
        let a0 = xs[(ty) * stride + k];
        let a1 = xs[(ty + TM) * stride + k];
        let a2 = xs[(ty + 2u * TM) * stride + k];
        let a3 = xs[(ty + 3u * TM) * stride + k];
        for (var j = 0u; j < 4u; j++) {
          let bv = ws[(tx + j * TN) * stride + k];
          part[0][j] += dot(a0, bv);
          part[1][j] += dot(a1, bv);
          part[2][j] += dot(a2, bv);
          part[3][j] += dot(a3, bv);
        }
      }
      for (var i = 0u; i < 4u; i++) { acc[i] += vec4<f32>(part[i]); }
    }
    workgroupBarrier();
  }

  let base = select(0u, wg.z * M * N, PARTIAL);
  for (var i = 0u; i < 4u; i++) {
    let row = tileRow0 + ty + i * TM;
    if (row >= M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = tileCol0 + tx + j * TN;
      if (col >= N) { break; }
      let idx = row * N + col;
      if (PARTIAL) {
        y[base + idx] = yElem(acc[i][j]);
      } else {
        y[idx] = yElem(applyEpilogue(acc[i][j] + f32(b[col]), idx));
      }
    }
  }
}
