// cross_entropy: HF's CrossEntropyLoss(reduction='mean', ignore_index=-100) over logits (rows, V) and labels (rows):
//   valid rows are those with label ≠ −100 (n of them); row loss = logsumexp(x) − x[label], loss = Σ row loss / n;
//   dlogits = (softmax(x) − onehot(label)) / n on valid rows, 0 on ignored rows.
//   rowLoss (rows) gets each row's share (row loss / n); sum_reduce adds them into the scalar in a fixed order.
// Threads: one workgroup of WG per row (row = wg.x + 65535·wg.y). Each workgroup counts the valid labels itself (rows
//   reads of an int array: cheaper than a second pass, and no atomics).
// Edge cases: n = 0 gives loss 0 and zero gradients (PyTorch gives NaN: 0/0); a label outside [0, V) other than −100
//   gives a NaN row loss so it cannot go unnoticed (the host validates labels first).

override WG: u32 = 256u;
const IGNORE: i32 = -100;

struct Params {
  rows: u32,
  V: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<elem>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> rowLoss: array<f32>;
@group(0) @binding(4) var<storage, read_write> dlogits: array<elem>;

// workgroupReduce (sum or max over the workgroup) comes from shaders/lib/workgroup_reduce.wgsl.

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wg.x + 65535u * wg.y;
  if (row >= params.rows) { return; }
  let tid = lid.x;
  let V = params.V;
  let base = row * V;

  var count = 0.0;
  for (var r = tid; r < params.rows; r += WG) { count += select(0.0, 1.0, labels[r] != IGNORE); }
  let n = workgroupReduce(count, tid, false);
  let label = labels[row];
  if (label == IGNORE) {
    for (var c = tid; c < V; c += WG) { dlogits[base + c] = elem(0.0); }
    if (tid == 0u) { rowLoss[row] = 0.0; }
    return;
  }

  var m = -3.4028234663852886e38;
  for (var c = tid; c < V; c += WG) { m = max(m, f32(logits[base + c])); }
  m = workgroupReduce(m, tid, true);
  var s = 0.0;
  for (var c = tid; c < V; c += WG) { s += exp(f32(logits[base + c]) - m); }
  s = workgroupReduce(s, tid, false);
  let invN = 1.0 / n;
  let invS = 1.0 / s;
  for (var c = tid; c < V; c += WG) {
    let p = exp(f32(logits[base + c]) - m) * invS;
    dlogits[base + c] = elem((p - select(0.0, 1.0, i32(c) == label)) * invN);
  }
  if (tid == 0u) {
    if (label < 0 || u32(label) >= V) {
      var nanBits = 0x7fc00000u;  // a var, not a constant: WGSL rejects a NaN constant expression
      rowLoss[row] = bitcast<f32>(nanBits);
    } else {
      rowLoss[row] = (log(s) + m - f32(logits[base + u32(label)])) * invN;
    }
  }
}
