// elementwise_loss: HF's multi-label and regression losses, mean over all rows · L elements:
//   LOSS 0, BCEWithLogitsLoss: ℓ = max(x, 0) − x·y + log(1 + exp(−|x|))  (stable form),  dℓ/dx = σ(x) − y
//   LOSS 1, MSELoss:           ℓ = (x − y)²,                                              dℓ/dx = 2·(x − y)
//   dlogits = dℓ/dx / (rows·L); rowLoss (rows) = Σ_row ℓ / (rows·L), summed by sum_reduce into the scalar.
// Threads: one workgroup of WG per row (row = wg.x + 65535·wg.y), a reduction for the row's loss.

override LOSS: u32 = 0u;
override WG: u32 = 64u;

struct Params {
  rows: u32,
  L: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<elem>;
@group(0) @binding(2) var<storage, read> targets: array<f32>;
@group(0) @binding(3) var<storage, read_write> rowLoss: array<f32>;
@group(0) @binding(4) var<storage, read_write> dlogits: array<elem>;

var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wg.x + 65535u * wg.y;
  if (row >= params.rows) { return; }
  let tid = lid.x;
  let L = params.L;
  let invN = 1.0 / (f32(params.rows) * f32(L));
  var s = 0.0;
  for (var c = tid; c < L; c += WG) {
    let i = row * L + c;
    let x = f32(logits[i]);
    let y = targets[i];
    var loss: f32;
    var d: f32;
    if (LOSS == 0u) {
      loss = max(x, 0.0) - x * y + log(1.0 + exp(-abs(x)));
      d = 1.0 / (1.0 + exp(-x)) - y;
    } else {
      loss = (x - y) * (x - y);
      d = 2.0 * (x - y);
    }
    s += loss;
    dlogits[i] = elem(d * invN);
  }
  red[tid] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (tid < stride) { red[tid] += red[tid + stride]; }
    workgroupBarrier();
  }
  if (tid == 0u) { rowLoss[row] = red[0] * invN; }
}
