// Naive float64 CPU references for the backward kernels (shaders/train/*.wgsl), written for clarity, not speed, from
// the textbook derivatives of the forward references in reference.ts. test/unit/backward-reference.test.ts checks each
// of them against central finite differences of those forward references, so no gradient here is taken on trust.
import * as ref from './reference.ts';

type Arr = ArrayLike<number>;

/** y = x·wᵀ + b (x (M, K), w (N, K)): dx = dy·w (M, K), dw = dyᵀ·x (N, K), db = column sums of dy (N). */
export function matmulBackward(x: Arr, w: Arr, dy: Arr, M: number, N: number, K: number): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const dx = new Float64Array(M * K);
  const dw = new Float64Array(N * K);
  const db = new Float64Array(N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const g = dy[m * N + n];
      db[n] += g;
      for (let k = 0; k < K; k++) {
        dx[m * K + k] += g * w[n * K + k];
        dw[n * K + k] += g * x[m * K + k];
      }
    }
  }
  return { dx, dw, db };
}

/** y = LN(h)·γ + β per row (biased variance, as PyTorch): dh, dγ, dβ. */
export function layerNormBackward(h: Arr, gamma: Arr, dy: Arr, rows: number, C: number, eps: number): { dh: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const dh = new Float64Array(rows * C);
  const dgamma = new Float64Array(C);
  const dbeta = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < C; c++) mean += h[r * C + c];
    mean /= C;
    let variance = 0;
    for (let c = 0; c < C; c++) variance += (h[r * C + c] - mean) ** 2;
    variance /= C;
    const rstd = 1 / Math.sqrt(variance + eps);
    let meanG = 0;
    let meanGx = 0;
    for (let c = 0; c < C; c++) {
      const xhat = (h[r * C + c] - mean) * rstd;
      const g = dy[r * C + c] * gamma[c];
      meanG += g / C;
      meanGx += (g * xhat) / C;
      dgamma[c] += dy[r * C + c] * xhat;
      dbeta[c] += dy[r * C + c];
    }
    for (let c = 0; c < C; c++) {
      const xhat = (h[r * C + c] - mean) * rstd;
      dh[r * C + c] = rstd * (dy[r * C + c] * gamma[c] - meanG - xhat * meanGx);
    }
  }
  return { dh, dgamma, dbeta };
}

export type ActivationKind = 'gelu' | 'geluTanh' | 'relu' | 'tanh';

/** f'(x) of each activation, from the pre-activation x. */
export const activationDerivative: Record<ActivationKind, (x: number) => number> = {
  gelu: (x) => 0.5 * (1 + ref.erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI),
  geluTanh: (x) => {
    const k = Math.sqrt(2 / Math.PI);
    const t = Math.tanh(k * (x + 0.044715 * x ** 3));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x);
  },
  relu: (x) => (x > 0 ? 1 : 0),
  tanh: (x) => 1 - Math.tanh(x) ** 2,
};

export function activationBackward(kind: ActivationKind, x: Arr, dy: Arr): Float64Array {
  const f = activationDerivative[kind];
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) dx[i] = dy[i] * f(x[i]);
  return dx;
}

/**
 * Backward of reference.ts's attention(): the gradient of the packed projection qkv (B·T, 3C) given dctx (B·T, C),
 * dQ | dK | dV at the offsets of Q | K | V. Masked keys get zero dK and dV; a query with no valid key gets zero dQ.
 */
export function attentionBackward(qkv: Arr, mask: Arr, dctx: Arr, B: number, T: number, NH: number, HS: number): Float64Array {
  const C = NH * HS;
  const S = 3 * C;
  const probs = ref.attentionProbs(qkv, mask, B, T, NH, HS);
  const scale = 1 / Math.sqrt(HS);
  const dqkv = new Float64Array(B * T * S);
  const dP = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let i = 0; i < T; i++) {
        const P = probs.subarray(((b * NH + h) * T + i) * T, ((b * NH + h) * T + i + 1) * T);
        let rowDot = 0;
        for (let j = 0; j < T; j++) {
          let s = 0;
          for (let d = 0; d < HS; d++) s += dctx[(b * T + i) * C + h * HS + d] * qkv[(b * T + j) * S + 2 * C + h * HS + d];
          dP[j] = s;
          rowDot += P[j] * s;
        }
        for (let j = 0; j < T; j++) {
          const dS = P[j] * (dP[j] - rowDot) * scale; // gradient of the unscaled score q_i·k_j
          for (let d = 0; d < HS; d++) {
            dqkv[(b * T + i) * S + h * HS + d] += dS * qkv[(b * T + j) * S + C + h * HS + d];
            dqkv[(b * T + j) * S + C + h * HS + d] += dS * qkv[(b * T + i) * S + h * HS + d];
            dqkv[(b * T + j) * S + 2 * C + h * HS + d] += P[j] * dctx[(b * T + i) * C + h * HS + d];
          }
        }
      }
    }
  }
  return dqkv;
}

/**
 * Table gradients of the embedding sum e[r] = word[ids[r]] + pos[t + positionOffset] + type[typeIds[r]] (r = b·T + t)
 * given dE (B·T, C): each table row gets the sum of the rows that read it.
 */
export function embeddingBackward(
  ids: Arr, typeIds: Arr, dE: Arr, B: number, T: number, C: number,
  vocab: number, maxPositions: number, typeVocab: number, positionOffset = 0,
): { dWord: Float64Array; dPos: Float64Array; dType: Float64Array } {
  const dWord = new Float64Array(vocab * C);
  const dPos = new Float64Array(maxPositions * C);
  const dType = new Float64Array(typeVocab * C);
  for (let r = 0; r < B * T; r++) {
    const t = r % T;
    for (let c = 0; c < C; c++) {
      dWord[ids[r] * C + c] += dE[r * C + c];
      dPos[(t + positionOffset) * C + c] += dE[r * C + c];
      dType[typeIds[r] * C + c] += dE[r * C + c];
    }
  }
  return { dWord, dPos, dType };
}

export interface LossResult {
  loss: number;
  dlogits: Float64Array;
}

/** HF CrossEntropyLoss (mean over rows whose label ≠ −100); with no such row the loss is 0 and the gradient 0. */
export function crossEntropy(logits: Arr, labels: Arr, rows: number, V: number): LossResult {
  const probs = ref.softmax(logits, rows, V);
  let n = 0;
  for (let r = 0; r < rows; r++) if (labels[r] !== -100) n++;
  const dlogits = new Float64Array(rows * V);
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const label = labels[r];
    if (label === -100) continue;
    if (!Number.isInteger(label) || label < 0 || label >= V) throw new Error(`crossEntropy: label ${label} of row ${r} is outside [0, ${V})`);
    loss -= Math.log(probs[r * V + label]) / n;
    for (let c = 0; c < V; c++) dlogits[r * V + c] = (probs[r * V + c] - (c === label ? 1 : 0)) / n;
  }
  return { loss, dlogits };
}

/** HF BCEWithLogitsLoss (multi-label), mean over all rows · L elements; targets in [0, 1]. */
export function bceWithLogits(logits: Arr, targets: Arr): LossResult {
  const N = logits.length;
  const dlogits = new Float64Array(N);
  let loss = 0;
  for (let i = 0; i < N; i++) {
    const sigma = 1 / (1 + Math.exp(-logits[i]));
    loss -= (targets[i] * Math.log(sigma) + (1 - targets[i]) * Math.log(1 - sigma)) / N;
    dlogits[i] = (sigma - targets[i]) / N;
  }
  return { loss, dlogits };
}

/** HF MSELoss (regression), mean over all elements. */
export function mse(logits: Arr, targets: Arr): LossResult {
  const N = logits.length;
  const dlogits = new Float64Array(N);
  let loss = 0;
  for (let i = 0; i < N; i++) {
    loss += (logits[i] - targets[i]) ** 2 / N;
    dlogits[i] = (2 * (logits[i] - targets[i])) / N;
  }
  return { loss, dlogits };
}

/** The PCG hash of shaders/lib/dropout_mask.wgsl (u32 arithmetic through Math.imul). */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** The keep decision of dropout.wgsl for element i: hash(seed, i) ≥ threshold (dropoutParams in src/train/kernels.ts). */
export function dropoutKeeps(seed: number, i: number, threshold: number): boolean {
  const bits = pcgHash((pcgHash(i) ^ pcgHash((seed ^ 0x9e3779b9) >>> 0)) >>> 0);
  return bits >= threshold;
}

/** Inverted dropout: y = x · keep / (1 − p), the mask from dropoutKeeps. */
export function dropout(x: Arr, seed: number, threshold: number, scale: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = dropoutKeeps(seed, i, threshold) ? x[i] * scale : 0;
  return y;
}
