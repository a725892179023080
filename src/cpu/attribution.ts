// Float64 token attributions of BertForSequenceClassification — the reference for Trainer.attributions (GPU). The
// input is the word-embedding rows e_t (before position/type embeddings and the LayerNorm); the target is the
// label's logit (its gradient is a one-hot on the logits, no loss). Per token t of the one sequence:
//   gradient × input:      s_t = Σ_c ∂logit/∂e_t,c · e_t,c
//   integrated gradients:  s_t = Σ_c (e_t,c − e'_t,c) · Σ_k w_k ∂logit(e' + α_k(e − e'))/∂e_t,c
// with the trapezoid points (α_k, w_k) of src/train/attribution-options.ts and e' = 0 or the [PAD] row at every token.
// Each gradient comes from bert-backward.ts's chain (its `wordRows` / `dlogits` hooks), whose input gradient
// test/unit/train-attribution.test.ts checks by central differences.
import { bertClassifierBackward, type BertShape } from './bert-backward.ts';
import { resolveAttribution, type AttributionOptions } from '../train/attribution-options.ts';

type Arr = ArrayLike<number>;

export interface SequenceInput {
  inputIds: readonly number[];
  tokenTypeIds: readonly number[];
  attentionMask: readonly number[];
}

export interface CpuAttribution {
  scores: Float64Array;
  /** The label's logit at the input (α = 1) and at the baseline (α = 0; NaN for gradient × input). */
  inputLogit: number;
  baselineLogit: number;
}

/** The label's logit and its gradient w.r.t. the word rows (T·C) at the given word rows. */
export function logitAndInputGradient(s: BertShape, weights: ReadonlyMap<string, Arr>, seq: SequenceInput, label: number, wordRows: Arr): { logit: number; grad: Float64Array } {
  const dlogits = new Float64Array(s.numLabels);
  dlogits[label] = 1;
  const batch = { inputIds: [seq.inputIds], tokenTypeIds: [seq.tokenTypeIds], attentionMask: [seq.attentionMask], labels: [] };
  const r = bertClassifierBackward(s, weights, batch, 'single_label_classification', undefined, { wordRows, dlogits });
  return { logit: r.logits[label], grad: r.dEmbeddings };
}

export function cpuAttributions(s: BertShape, weights: ReadonlyMap<string, Arr>, seq: SequenceInput, options: AttributionOptions, padTokenId = 0): CpuAttribution {
  const o = resolveAttribution(options, s.numLabels);
  const T = seq.inputIds.length;
  const C = s.hidden;
  const word = weights.get('bert.embeddings.word_embeddings.weight')!;
  const e = new Float64Array(T * C);
  const base = new Float64Array(T * C);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) {
      e[t * C + c] = word[seq.inputIds[t] * C + c];
      base[t * C + c] = o.baseline === 'pad' ? word[padTokenId * C + c] : 0;
    }
  }
  const avgGrad = new Float64Array(T * C);
  let inputLogit = NaN;
  let baselineLogit = NaN;
  o.alphas.forEach((alpha, k) => {
    const x = e.map((v, i) => base[i] + alpha * (v - base[i]));
    const { logit, grad } = logitAndInputGradient(s, weights, seq, o.label, x);
    if (alpha === 1) inputLogit = logit;
    if (alpha === 0) baselineLogit = logit;
    for (let i = 0; i < grad.length; i++) avgGrad[i] += o.weights[k] * grad[i];
  });
  const scores = new Float64Array(T);
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) scores[t] += (e[t * C + c] - base[t * C + c]) * avgGrad[t * C + c];
  return { scores, inputLogit, baselineLogit };
}
