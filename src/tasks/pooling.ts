// Sentence embeddings from hidden states: mean over real tokens only (padding excluded, unlike some runtimes), or
// the [CLS] row; optional L2 normalisation. CPU work on (B, T, C) read back from the GPU.

/** How token states become one vector: the mean over real tokens, the [CLS] token's state, or none (every token's). */
export type Pooling = 'mean' | 'cls' | 'none';

/** hidden: (B, T, C); mask: (B·T) with 1 for real tokens. Returns B vectors of length C. */
export function pool(hidden: Float32Array, mask: ArrayLike<number>, B: number, T: number, C: number, pooling: Exclude<Pooling, 'none'>): Float32Array[] {
  const out: Float32Array[] = [];
  for (let b = 0; b < B; b++) {
    const v = new Float64Array(C);
    if (pooling === 'cls') {
      for (let c = 0; c < C; c++) v[c] = hidden[b * T * C + c];
    } else {
      let n = 0;
      for (let t = 0; t < T; t++) {
        if (!mask[b * T + t]) continue;
        n++;
        for (let c = 0; c < C; c++) v[c] += hidden[(b * T + t) * C + c];
      }
      for (let c = 0; c < C; c++) v[c] /= Math.max(n, 1);
    }
    out.push(Float32Array.from(v));
  }
  return out;
}

/** L2-normalises in place (a zero vector stays zero), as F.normalize(p=2, eps=1e-12). */
export function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}
