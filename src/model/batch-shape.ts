// How a batch maps onto a plan: sequence lengths and batch sizes are rounded up to buckets, so a few plans (each
// compiled and allocated once) serve every call, and the rows are padded to the bucket and cut back afterwards.

/** Sequence buckets: a call pads to the smallest bucket ≥ its length (capped at max_position_embeddings). */
export function sequenceBucket(T: number, maxPositions: number): number {
  let b = 8;
  while (b < T) b = b < 128 ? b * 2 : b + 64;
  return Math.min(b, maxPositions);
}

/**
 * Batch buckets: powers of two up to 8, then multiples of 8 (17 → 24, not 32: doubling would nearly double the
 * work of a large batch), capped at `maxB` (the most sequences one forward can hold on this device). Calls of 1…32
 * sequences share 7 plans per sequence bucket instead of 32.
 */
export function batchBucket(B: number, maxB = Infinity): number {
  let b = 1;
  while (b < B && b < 8) b *= 2;
  if (b < B) b = Math.ceil(B / 8) * 8;
  return Math.max(B, Math.min(b, maxB));
}

/**
 * (B, T) → (Bb, Tb) row-major: each row padded on the right with `fill`; the Bb − B extra rows repeat row 0 (a real
 * sequence, so no padded row is all mask zeros; their results are dropped).
 */
export function padRows(src: ArrayLike<number>, B: number, T: number, Bb: number, Tb: number, fill: number): Uint32Array {
  const out = new Uint32Array(Bb * Tb).fill(fill);
  for (let b = 0; b < Bb; b++) {
    const from = b < B ? b : 0;
    for (let t = 0; t < T; t++) out[b * Tb + t] = src[from * T + t];
  }
  return out;
}

/** (Bb·Tb, C) → (B, T, C): the batch's own rows and tokens. */
export function unpadRows(src: Float32Array, B: number, Tb: number, T: number, C: number): Float32Array {
  if (Tb === T) return src.length === B * T * C ? src : src.slice(0, B * T * C);
  const out = new Float32Array(B * T * C);
  for (let b = 0; b < B; b++) out.set(src.subarray(b * Tb * C, (b * Tb + T) * C), b * T * C);
  return out;
}

/** (BH, Tb, Tb) → (BH, T, T): drop padded query rows and key columns (BH counts the batch's own sequences only). */
export function unpadAttention(src: Float32Array, BH: number, Tb: number, T: number): Float32Array {
  if (Tb === T) return src.length === BH * T * T ? src : src.slice(0, BH * T * T);
  const out = new Float32Array(BH * T * T);
  for (let p = 0; p < BH; p++) for (let i = 0; i < T; i++) out.set(src.subarray((p * Tb + i) * Tb, (p * Tb + i) * Tb + T), (p * T + i) * T);
  return out;
}

/** The first `n` values (a bucket-padded batch's own rows), copied so the padding's memory is not kept alive. */
export function firstRows(src: Float32Array, n: number): Float32Array {
  return src.length === n ? src : src.slice(0, n);
}
