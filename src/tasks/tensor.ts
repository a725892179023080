// Feature-extraction's result: a small stand-in for transformers.js's Tensor with what code written against it uses
// (`data`, `dims`, `type`, `size`, `tolist()`, `normalize()`, `mean()`), so such code runs unchanged. Float32 only.

/** Nested arrays of numbers, one level per dimension (what `tolist()` returns). */
export type NestedList = number | NestedList[];

/** A float32 tensor: row-major `data` with its shape `dims`, like transformers.js's Tensor. */
export class Tensor {
  /** The element type; always 'float32' here. */
  readonly type = 'float32' as const;

  constructor(
    /** Row-major values. */
    readonly data: Float32Array,
    /** The shape. */
    readonly dims: number[],
  ) {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new RangeError(`Tensor: dims [${dims.join(', ')}] hold ${size} values, data has ${data.length}`);
  }

  /** Number of values (the product of dims). */
  get size(): number {
    return this.data.length;
  }

  /** The values as nested arrays ([B][C], or [B][T][C]). */
  tolist(): NestedList[] {
    const build = (offset: number, d: number): NestedList => {
      if (d === this.dims.length) return this.data[offset];
      const stride = this.dims.slice(d + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.dims[d] }, (_, i) => build(offset + i * stride, d + 1));
    };
    return this.dims.length === 0 ? [this.data[0]] : (build(0, 0) as NestedList[]);
  }

  /** The p-norm normalisation along the last dimension (transformers.js's `normalize(p, dim)` with dim −1). */
  normalize(p = 2, dim = -1): Tensor {
    if (dim !== -1 && dim !== this.dims.length - 1) throw new RangeError('Tensor.normalize: only the last dimension (dim -1) is supported');
    const C = this.dims[this.dims.length - 1];
    const out = new Float32Array(this.data.length);
    for (let r = 0; r < this.data.length / C; r++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.abs(this.data[r * C + c]) ** p;
      const inv = 1 / Math.max(s ** (1 / p), 1e-12);
      for (let c = 0; c < C; c++) out[r * C + c] = this.data[r * C + c] * inv;
    }
    return new Tensor(out, [...this.dims]);
  }

  /** The mean over dimension `dim` (default: all values, a 0-d tensor), as transformers.js's `mean(dim, keepdim)`. */
  mean(dim: number | null = null, keepdim = false): Tensor {
    if (dim === null) return new Tensor(Float32Array.of(this.data.reduce((a, b) => a + b, 0) / this.data.length), []);
    const n = this.dims.length;
    const d = dim < 0 ? dim + n : dim;
    if (!(d >= 0 && d < n)) throw new RangeError(`Tensor.mean: dim ${dim} out of range for ${n} dimensions`);
    const outer = this.dims.slice(0, d).reduce((a, b) => a * b, 1);
    const len = this.dims[d];
    const inner = this.dims.slice(d + 1).reduce((a, b) => a * b, 1);
    const out = new Float32Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let s = 0;
        for (let k = 0; k < len; k++) s += this.data[(o * len + k) * inner + i];
        out[o * inner + i] = s / len;
      }
    }
    const dims = keepdim ? this.dims.map((x, j) => (j === d ? 1 : x)) : this.dims.filter((_, j) => j !== d);
    return new Tensor(out, dims);
  }

  /** Rebuilds a Tensor from its structured clone (after a Worker), or returns it as it is. */
  static from(value: unknown): Tensor {
    if (value instanceof Tensor) return value;
    const v = value as { data?: unknown; dims?: unknown };
    if (!v || !(v.data instanceof Float32Array) || !Array.isArray(v.dims)) throw new TypeError('Tensor.from: expected { data: Float32Array, dims }');
    return new Tensor(v.data, v.dims as number[]);
  }
}
