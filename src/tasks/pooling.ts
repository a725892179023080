// How token states become one sentence vector (feature-extraction's `pooling`), and the L2 normalisation of one.

/** How token states become one vector: the mean over real tokens, the [CLS] token's state, or none (every token's). */
export type Pooling = 'mean' | 'cls' | 'none';

/** L2-normalises in place (a zero vector stays zero), as F.normalize(p=2, eps=1e-12). */
export function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}
