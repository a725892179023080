// logit_seed: the objective's gradient for token attributions — a one-hot on the explained label's logit in every
//   row (d logit_label / d logits), in place of the loss gradient. attrParams[0] = the label (u32, host-checked).
// Threads: one element per thread (n = B·numLabels is tiny).

override WG: u32 = 64u;

struct Params {
  n: u32,
  NL: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> attrParams: array<u32>;
@group(0) @binding(2) var<storage, read_write> dlogits: array<elem>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.n) { return; }
  dlogits[i] = elem(select(0.0, 1.0, i % params.NL == attrParams[0]));
}
