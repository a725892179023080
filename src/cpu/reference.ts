// Naive CPU references for every kernel, written for clarity, not speed: float64 accumulation, textbook formulas.
// Tests compare the GPU kernels against these; nothing here is tuned to agree with the WGSL.

/** erf in float64: Maclaurin series for |x| < 3, continued fraction for erfc beyond (error < 1e-13). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))) (Lentz-free backward evaluation).
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

export function geluErf(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

export function relu(x: number): number {
  return Math.max(x, 0);
}

/** y = x·wᵀ + b with x: (M, K), w: (N, K), b: (N) → (M, N). */
export function matmul(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, M: number, N: number, K: number): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = b[n];
      for (let k = 0; k < K; k++) s += x[m * K + k] * w[n * K + k];
      y[m * N + n] = s;
    }
  }
  return y;
}

/** Row LayerNorm of (rows, C) with biased variance, as PyTorch. */
export function layerNorm(v: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, rows: number, C: number, eps: number): Float64Array {
  const y = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < C; c++) mean += v[r * C + c];
    mean /= C;
    let variance = 0;
    for (let c = 0; c < C; c++) variance += (v[r * C + c] - mean) ** 2;
    variance /= C;
    const rstd = 1 / Math.sqrt(variance + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = (v[r * C + c] - mean) * rstd * gamma[c] + beta[c];
  }
  return y;
}

export function add(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) y[i] = a[i] + b[i];
  return y;
}

/** Row softmax of (rows, N); a row of all −∞ gives zeros. */
export function softmax(x: ArrayLike<number>, rows: number, N: number): Float64Array {
  const y = new Float64Array(rows * N);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < N; j++) max = Math.max(max, x[r * N + j]);
    if (max === -Infinity) continue;
    let sum = 0;
    for (let j = 0; j < N; j++) sum += Math.exp(x[r * N + j] - max);
    for (let j = 0; j < N; j++) y[r * N + j] = Math.exp(x[r * N + j] - max) / sum;
  }
  return y;
}

/**
 * Multi-head attention over the packed QKV projection: qkv (B·T, 3C) → ctx (B·T, C), key-padding mask (B·T):
 * the probabilities of attentionProbs() times V; a query with no valid key gets zeros.
 */
export function attention(qkv: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number, NH: number, HS: number): Float64Array {
  const C = NH * HS;
  const probs = attentionProbs(qkv, mask, B, T, NH, HS);
  const ctx = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let i = 0; i < T; i++) {
        for (let d = 0; d < HS; d++) {
          let s = 0;
          for (let j = 0; j < T; j++) {
            const p = probs[((b * NH + h) * T + i) * T + j];
            if (p !== 0) s += p * qkv[(b * T + j) * 3 * C + 2 * C + h * HS + d];
          }
          ctx[(b * T + i) * C + h * HS + d] = s;
        }
      }
    }
  }
  return ctx;
}

/** Attention probabilities (B, NH, T, T) over the packed QKV projection, 0 for masked keys. */
export function attentionProbs(qkv: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number, NH: number, HS: number): Float64Array {
  const C = NH * HS;
  const out = new Float64Array(B * NH * T * T);
  const scale = 1 / Math.sqrt(HS);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let i = 0; i < T; i++) {
        const scores = new Float64Array(T).fill(-Infinity);
        for (let j = 0; j < T; j++) {
          if (!mask[b * T + j]) continue;
          let s = 0;
          for (let d = 0; d < HS; d++) s += qkv[(b * T + i) * 3 * C + h * HS + d] * qkv[(b * T + j) * 3 * C + C + h * HS + d];
          scores[j] = s * scale;
        }
        out.set(softmax(scores, 1, T), ((b * NH + h) * T + i) * T);
      }
    }
  }
  return out;
}

/** Word + position + token-type embedding gather followed by LayerNorm. */
export function embedding(
  ids: ArrayLike<number>, typeIds: ArrayLike<number>, B: number, T: number, C: number,
  wordEmb: ArrayLike<number>, posEmb: ArrayLike<number>, typeEmb: ArrayLike<number>,
  gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number, positionOffset = 0,
): Float64Array {
  const v = new Float64Array(B * T * C);
  for (let r = 0; r < B * T; r++) {
    const t = r % T;
    for (let c = 0; c < C; c++) {
      v[r * C + c] = wordEmb[ids[r] * C + c] + posEmb[(t + positionOffset) * C + c] + typeEmb[typeIds[r] * C + c];
    }
  }
  return layerNorm(v, gamma, beta, B * T, C, eps);
}
