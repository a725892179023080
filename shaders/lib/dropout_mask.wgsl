// The dropout mask, shared by every kernel that drops or back-propagates through dropout (dropout.wgsl, the forward
// and backward of plain dropout; dropout_add.wgsl; attention_backward_scores_dropout.wgsl): one copy, because the
// forward and the backward must draw the same mask bit for bit. src/cpu/backward.ts holds the same hash in TypeScript.
// The mask is a pure function of (seed, element index), so nothing is saved between forward and backward.
// PRNG: counter-based, keyed PCG hash (Jarzynski & Olano 2020, "Hash Functions for GPU Rendering"):
//   bits = pcg(pcg(i) ^ pcg(seed ^ 0x9E3779B9)) — a bijection of i for each seed; keep when bits ≥ threshold, where
//   threshold = round(p · 2³²) (computed on the host, so the keep rate is 1 − p to 2⁻³²).

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// The seed's half of the key; a kernel testing many elements of one seed computes it once.
fn dropoutSeedHash(seed: u32) -> u32 {
  return pcg(seed ^ 0x9E3779B9u);
}

// Whether element i is kept under the seed hashed by dropoutSeedHash.
fn dropoutKeeps(seedHash: u32, i: u32, threshold: u32) -> bool {
  return pcg(pcg(i) ^ seedHash) >= threshold;
}
