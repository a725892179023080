// Similarity of embeddings, as transformers.js exports them (`cos_sim`, `dot`, `magnitude` over arrays), for the
// vectors of feature-extraction (`output.tolist()` rows, or `data` slices). Computed in float64.

/** A vector: an array or typed array of numbers. */
export type Vector = ArrayLike<number>;

function check(name: string, a: Vector, b?: Vector): void {
  const isVec = (v: unknown) => !!v && typeof v === 'object' && typeof (v as Vector).length === 'number';
  if (!isVec(a) || (b !== undefined && !isVec(b))) throw new TypeError(`${name}: expected arrays of numbers (e.g. a row of output.tolist())`);
  if (b !== undefined && a.length !== b.length) throw new RangeError(`${name}: the vectors have different lengths (${a.length} and ${b.length})`);
}

/** The dot product of two equally long vectors. */
export function dot(a: Vector, b: Vector): number {
  check('dot', a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** The Euclidean length of a vector. */
export function magnitude(a: Vector): number {
  check('magnitude', a);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** Cosine similarity: dot(a, b) / (|a|·|b|), in [−1, 1] (NaN when a vector is zero, as transformers.js). */
export function cos_sim(a: Vector, b: Vector): number {
  check('cos_sim', a, b);
  return dot(a, b) / (magnitude(a) * magnitude(b));
}
