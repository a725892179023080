// Float64 reference of attention with dropout on the probabilities (HF's attention_probs_dropout_prob), as the
// training plan runs it: P = softmax(q·kᵀ/√HS over valid keys), P̃ = P ∘ M · scale with M the dropout kernels' mask
// (bwd.dropoutKeeps over the (B, NH, T, T) index), ctx = P̃·V. Written from the math, not from the WGSL.
import { dropoutKeeps } from './backward.ts';

type Arr = ArrayLike<number>;

export interface AttentionDropout {
  seed: number;
  threshold: number;
  scale: number;
}

export interface AttentionDropoutForward {
  ctx: Float64Array;
  /** Softmax P and dropped P̃, (B, NH, T, T). */
  probs: Float64Array;
  dropped: Float64Array;
}

export function attentionDropoutForward(qkv: Arr, mask: Arr, B: number, T: number, NH: number, HS: number, d: AttentionDropout): AttentionDropoutForward {
  const C = NH * HS;
  const scaleQ = 1 / Math.sqrt(HS);
  const probs = new Float64Array(B * NH * T * T);
  const dropped = new Float64Array(B * NH * T * T);
  const ctx = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) for (let h = 0; h < NH; h++) for (let i = 0; i < T; i++) {
    const base = ((b * NH + h) * T + i) * T;
    const s = new Float64Array(T);
    let max = -Infinity;
    for (let j = 0; j < T; j++) {
      if (!mask[b * T + j]) continue;
      let dot = 0;
      for (let e = 0; e < HS; e++) dot += qkv[(b * T + i) * 3 * C + h * HS + e] * qkv[(b * T + j) * 3 * C + C + h * HS + e];
      s[j] = dot * scaleQ;
      max = Math.max(max, s[j]);
    }
    let sum = 0;
    for (let j = 0; j < T; j++) if (mask[b * T + j]) sum += Math.exp(s[j] - max);
    for (let j = 0; j < T; j++) {
      const p = mask[b * T + j] && sum > 0 ? Math.exp(s[j] - max) / sum : 0;
      probs[base + j] = p;
      dropped[base + j] = dropoutKeeps(d.seed, base + j, d.threshold) ? p * d.scale : 0;
      for (let e = 0; e < HS; e++) ctx[(b * T + i) * C + h * HS + e] += dropped[base + j] * qkv[(b * T + j) * 3 * C + 2 * C + h * HS + e];
    }
  }
  return { ctx, probs, dropped };
}

/** d loss / d qkv (B·T, 3C) given d loss / d ctx, from the forward's P and P̃. */
export function attentionDropoutBackward(qkv: Arr, fwd: AttentionDropoutForward, dctx: Arr, B: number, T: number, NH: number, HS: number, d: AttentionDropout): Float64Array {
  const C = NH * HS;
  const scaleQ = 1 / Math.sqrt(HS);
  const dqkv = new Float64Array(B * T * 3 * C);
  for (let b = 0; b < B; b++) for (let h = 0; h < NH; h++) for (let i = 0; i < T; i++) {
    const base = ((b * NH + h) * T + i) * T;
    const dP = new Float64Array(T);
    let rowDot = 0;
    for (let j = 0; j < T; j++) {
      let dDropped = 0;
      for (let e = 0; e < HS; e++) dDropped += dctx[(b * T + i) * C + h * HS + e] * qkv[(b * T + j) * 3 * C + 2 * C + h * HS + e];
      dP[j] = dropoutKeeps(d.seed, base + j, d.threshold) ? dDropped * d.scale : 0;
      rowDot += fwd.probs[base + j] * dP[j];
      for (let e = 0; e < HS; e++) dqkv[(b * T + j) * 3 * C + 2 * C + h * HS + e] += fwd.dropped[base + j] * dctx[(b * T + i) * C + h * HS + e];
    }
    for (let j = 0; j < T; j++) {
      const dS = fwd.probs[base + j] * (dP[j] - rowDot) * scaleQ;
      for (let e = 0; e < HS; e++) {
        dqkv[(b * T + i) * 3 * C + h * HS + e] += dS * qkv[(b * T + j) * 3 * C + C + h * HS + e];
        dqkv[(b * T + j) * 3 * C + C + h * HS + e] += dS * qkv[(b * T + i) * 3 * C + h * HS + e];
      }
    }
  }
  return dqkv;
}
