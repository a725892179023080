// layernorm: y = (v − mean(v)) / sqrt(var(v) + eps) · gamma + beta, with v = x (+ residual when HAS_RESIDUAL), f32 or
//   f16 storage (prelude from src/gpu/kernels.ts). The masked-LM head's transform runs it without a residual (the
//   encoder's LayerNorms are fused into matmul_layernorm); HAS_RESIDUAL is kept for the kernel benchmark.
//   x, residual, y: (rows, C); gamma, beta: (C); eps (f32) from the model config (BERT: 1e-12), a uniform.
// Threads: one workgroup of WG threads per row (workgroup_id.x + 65535·workgroup_id.y); each thread strides over C.
// Numerics: inputs widened to f32; x + residual is recomputed in f32 in each pass (never stored); two passes (mean,
//   then mean of squared deviations: no cancellation), f32 tree reductions in workgroup memory; biased variance like
//   PyTorch; with f16 storage one rounding of the output. Limits: rows ≤ 65535², any C ≥ 1.

override WG: u32 = 128u;
override HAS_RESIDUAL: bool = false;

struct Params {
  rows: u32,
  C: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<elem>;         // (rows, C)
@group(0) @binding(2) var<storage, read> residual: array<elem>;  // (rows, C) when HAS_RESIDUAL, else any 4 bytes
@group(0) @binding(3) var<storage, read> gamma: array<elem>;     // (C)
@group(0) @binding(4) var<storage, read> beta: array<elem>;      // (C)
@group(0) @binding(5) var<storage, read_write> y: array<elem>;   // (rows, C)

// The reduction and its workgroup memory (`partial`) come from lib/workgroup_sum.wgsl, appended by the descriptor.

fn inputAt(i: u32) -> f32 {
  if (HAS_RESIDUAL) { return f32(x[i]) + f32(residual[i]); }
  return f32(x[i]);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wg.x + wg.y * 65535u;
  // Uniform control flow: the whole workgroup leaves together, before any barrier.
  if (row >= params.rows) { return; }
  let C = params.C;
  let base = row * C;
  let tid = lid.x;

  var s = 0.0;
  for (var c = tid; c < C; c += WG) { s += inputAt(base + c); }
  let mean = workgroupSum(s, tid) / f32(C);

  var sq = 0.0;
  for (var c = tid; c < C; c += WG) {
    let d = inputAt(base + c) - mean;
    sq += d * d;
  }
  let rstd = inverseSqrt(workgroupSum(sq, tid) / f32(C) + params.eps);

  for (var c = tid; c < C; c += WG) {
    y[base + c] = elem((inputAt(base + c) - mean) * rstd * f32(gamma[c]) + f32(beta[c]));
  }
}
