// Float64 forward + backward of a whole BertForSequenceClassification (embeddings → layers → pooler → classifier →
// HF's loss), composed only from the per-op references of reference.ts and backward.ts. It is the specification
// of the training plan's gradient chain: which activations the forward must keep, which gradient flows where
// (the residual stream's two paths, the pooler's [CLS] rows), and the parameter names (HF's, with `bert.`).
// test/unit/bert-backward-pytorch.test.ts compares it with PyTorch autograd on the tiny fixtures (dropout 0).
// With `dropout`, HF's hidden dropout runs at the training plan's sites with the plan's masks (bwd.dropout: the
// kernels' hash), so test/unit/train-dropout.test.ts can check the GPU's gradient with dropout on.
import { attentionDropoutBackward, attentionDropoutForward, type AttentionDropoutForward } from './attention-dropout.ts';
import * as bwd from './backward.ts';
import * as ref from './reference.ts';

type Arr = ArrayLike<number>;

export interface BertShape {
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  vocab: number;
  maxPositions: number;
  typeVocab: number;
  numLabels: number;
  eps: number;
  activation: bwd.ActivationKind;
}

export type ProblemType = 'single_label_classification' | 'multi_label_classification' | 'regression';

export interface TrainBatch {
  /** [B][T] token ids, attention mask (1 = real token) and token type ids, right-padded. */
  inputIds: readonly (readonly number[])[];
  attentionMask: readonly (readonly number[])[];
  tokenTypeIds: readonly (readonly number[])[];
  /** Class ids [B] (single-label), floats [B] (regression with one label), multi-hot rows [B][L] (multi-label). */
  labels: readonly (number | readonly number[])[];
}

/** The config.json fields the composition needs (HF names), checked. */
export function bertShapeFromConfig(config: Record<string, unknown>): BertShape {
  const int = (k: string): number => {
    const v = config[k];
    if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`bert-backward: config.${k} must be a positive integer, got ${String(v)}`);
    return v as number;
  };
  const act = config.hidden_act;
  const activation: bwd.ActivationKind | null = act === 'gelu' ? 'gelu' : act === 'gelu_new' || act === 'gelu_pytorch_tanh' ? 'geluTanh' : act === 'relu' ? 'relu' : null;
  if (!activation) throw new Error(`bert-backward: config.hidden_act '${String(act)}' is not supported (gelu, gelu_new, relu)`);
  const id2label = config.id2label as Record<string, string> | undefined;
  const numLabels = id2label ? Object.keys(id2label).length : int('num_labels');
  const shape: BertShape = {
    hidden: int('hidden_size'), layers: int('num_hidden_layers'), heads: int('num_attention_heads'), intermediate: int('intermediate_size'),
    vocab: int('vocab_size'), maxPositions: int('max_position_embeddings'), typeVocab: int('type_vocab_size'), numLabels,
    eps: Number(config.layer_norm_eps ?? 1e-12), activation,
  };
  if (shape.hidden % shape.heads !== 0) throw new Error(`bert-backward: hidden_size ${shape.hidden} is not a multiple of num_attention_heads ${shape.heads}`);
  return shape;
}

/** HF's choice of loss (BertForSequenceClassification.forward) from problem_type, num_labels and the labels' type. */
export function problemTypeOf(config: Record<string, unknown>, numLabels: number, labels: TrainBatch['labels']): ProblemType {
  const pt = config.problem_type;
  if (pt === 'single_label_classification' || pt === 'multi_label_classification' || pt === 'regression') return pt;
  if (numLabels === 1) return 'regression';
  return labels.every((l) => Number.isInteger(l)) ? 'single_label_classification' : 'multi_label_classification';
}

/** Every parameter of BertForSequenceClassification, HF names, with its shape (PyTorch layout: Linear [out, in]). */
export function bertParameterShapes(s: BertShape): Map<string, number[]> {
  const C = s.hidden;
  const p = new Map<string, number[]>([
    ['bert.embeddings.word_embeddings.weight', [s.vocab, C]],
    ['bert.embeddings.position_embeddings.weight', [s.maxPositions, C]],
    ['bert.embeddings.token_type_embeddings.weight', [s.typeVocab, C]],
    ['bert.embeddings.LayerNorm.weight', [C]],
    ['bert.embeddings.LayerNorm.bias', [C]],
  ]);
  for (let l = 0; l < s.layers; l++) {
    const L = `bert.encoder.layer.${l}.`;
    for (const n of ['query', 'key', 'value']) {
      p.set(`${L}attention.self.${n}.weight`, [C, C]);
      p.set(`${L}attention.self.${n}.bias`, [C]);
    }
    p.set(`${L}attention.output.dense.weight`, [C, C]).set(`${L}attention.output.dense.bias`, [C]);
    p.set(`${L}attention.output.LayerNorm.weight`, [C]).set(`${L}attention.output.LayerNorm.bias`, [C]);
    p.set(`${L}intermediate.dense.weight`, [s.intermediate, C]).set(`${L}intermediate.dense.bias`, [s.intermediate]);
    p.set(`${L}output.dense.weight`, [C, s.intermediate]).set(`${L}output.dense.bias`, [C]);
    p.set(`${L}output.LayerNorm.weight`, [C]).set(`${L}output.LayerNorm.bias`, [C]);
  }
  p.set('bert.pooler.dense.weight', [C, C]).set('bert.pooler.dense.bias', [C]);
  p.set('classifier.weight', [s.numLabels, C]).set('classifier.bias', [s.numLabels]);
  return p;
}

/** What one layer's backward needs from its forward (what a training plan must keep, or recompute). */
interface LayerSaved {
  x: Float64Array; // the layer input (B·T, C): the Q/K/V matmuls' x
  qkv: Float64Array; // packed Q|K|V (B·T, 3C): the attention backward's input
  ctx: Float64Array; // attention output (B·T, C): the attention output dense's x
  attnSum: Float64Array; // pre-LayerNorm sum ctx·Woᵀ + b + x
  a: Float64Array; // attention block output (B·T, C): FFN input and second residual
  interPre: Float64Array; // FFN pre-activation (B·T, I)
  inter: Float64Array; // FFN activation (B·T, I)
  outSum: Float64Array; // pre-LayerNorm sum inter·W2ᵀ + b2 + a
}

/**
 * Hidden dropout as the training plan (src/train/train-graph.ts) applies it: seeds[0] after the embedding LayerNorm,
 * seeds[1 + 2l] on layer l's attention output dense, seeds[2 + 2l] on its FFN output dense (both before the residual
 * add), seeds[1 + 2L] on the pooled output before the classifier; with `attentionP`, seeds[2L + 2 + l] on layer l's
 * attention probabilities (src/cpu/attention-dropout.ts). Element index = row-major index in the tensor.
 */
export interface HiddenDropout {
  p: number;
  attentionP?: number;
  seeds: readonly number[];
}

export interface BertBackwardResult {
  loss: number;
  logits: Float64Array;
  /** d loss / d parameter for every entry of bertParameterShapes, same names. */
  grads: Map<string, Float64Array>;
  /** d objective / d embedding sum (B·T, C): also the gradient w.r.t. the gathered word rows (the sum is linear). */
  dEmbeddings: Float64Array;
}

/**
 * Token attributions' hooks (src/cpu/attribution.ts): `wordRows` (B·T·C) replaces the gathered word-embedding rows
 * (an interpolated input), `dlogits` (B·numLabels) replaces the loss gradient as the objective's gradient (a one-hot
 * on the label's logit); with `dlogits` the labels are not read and `loss` is NaN.
 */
export interface BackwardInput {
  wordRows?: ArrayLike<number>;
  dlogits?: ArrayLike<number>;
}

function rowsAt(x: Float64Array, rows: readonly number[], C: number): Float64Array {
  const out = new Float64Array(rows.length * C);
  rows.forEach((r, i) => out.set(x.subarray(r * C, (r + 1) * C), i * C));
  return out;
}

/**
 * Loss and every parameter's gradient for one batch, float64 (weights given as f32 or f64 arrays by HF name).
 * The loss is HF's batch mean, so the gradients are those PyTorch's loss.backward() leaves in .grad.
 */
export function bertClassifierBackward(s: BertShape, weights: ReadonlyMap<string, Arr>, batch: TrainBatch, problem: ProblemType, dropout?: HiddenDropout, input: BackwardInput = {}): BertBackwardResult {
  const threshold = dropout ? Math.min(0xffffffff, Math.round(dropout.p * 4294967296)) : 0;
  const attnP = dropout?.attentionP ?? 0;
  const attnDrop = (l: number) => {
    const seed = dropout!.seeds[2 * s.layers + 2 + l];
    if (seed === undefined) throw new Error(`bert-backward: no attention dropout seed for layer ${l}`);
    return { seed, threshold: Math.min(0xffffffff, Math.round(attnP * 4294967296)), scale: 1 / (1 - attnP) };
  };
  const D = (x: Float64Array, site: number): Float64Array => {
    if (!dropout || dropout.p === 0) return x;
    const seed = dropout.seeds[site];
    if (seed === undefined) throw new Error(`bert-backward: no dropout seed for site ${site}`);
    return bwd.dropout(x, seed, threshold, 1 / (1 - dropout.p));
  };
  const shapes = bertParameterShapes(s);
  const W = (name: string): Arr => {
    const w = weights.get(name);
    const size = shapes.get(name)!.reduce((a, b) => a * b, 1);
    if (!w) throw new Error(`bert-backward: missing weight '${name}'`);
    if (w.length !== size) throw new Error(`bert-backward: weight '${name}' has ${w.length} elements, want ${size} (${shapes.get(name)!.join('×')})`);
    return w;
  };
  const B = batch.inputIds.length;
  const T = B > 0 ? batch.inputIds[0].length : 0;
  if (B < 1 || T < 1) throw new Error('bert-backward: the batch needs at least one row and one token');
  for (const [k, rows] of Object.entries({ inputIds: batch.inputIds, attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds })) {
    if (rows.length !== B || rows.some((r) => r.length !== T)) throw new Error(`bert-backward: ${k} must be ${B} rows of ${T}`);
  }
  if (T > s.maxPositions) throw new Error(`bert-backward: sequence length ${T} exceeds max_position_embeddings ${s.maxPositions}`);
  if (!input.dlogits && batch.labels.length !== B) throw new Error(`bert-backward: ${batch.labels.length} labels for ${B} rows`);
  const C = s.hidden;
  const I = s.intermediate;
  const HS = C / s.heads;
  const R = B * T;
  const ids = batch.inputIds.flat();
  const types = batch.tokenTypeIds.flat();
  const mask = batch.attentionMask.flat();

  // ---- forward, keeping what the backward reads
  const embSum = new Float64Array(R * C);
  const word = W('bert.embeddings.word_embeddings.weight');
  const pos = W('bert.embeddings.position_embeddings.weight');
  const typ = W('bert.embeddings.token_type_embeddings.weight');
  if (input.wordRows && input.wordRows.length !== R * C) throw new Error(`bert-backward: wordRows must have B·T·C = ${R * C} elements, got ${input.wordRows.length}`);
  const wordAt = (r: number, c: number) => (input.wordRows ? input.wordRows[r * C + c] : word[ids[r] * C + c]);
  for (let r = 0; r < R; r++) {
    if (!(ids[r] >= 0 && ids[r] < s.vocab)) throw new Error(`bert-backward: input id ${ids[r]} at row ${r} is outside [0, ${s.vocab})`);
    if (!(types[r] >= 0 && types[r] < s.typeVocab)) throw new Error(`bert-backward: token type ${types[r]} at row ${r} is outside [0, ${s.typeVocab})`);
    for (let c = 0; c < C; c++) embSum[r * C + c] = wordAt(r, c) + pos[(r % T) * C + c] + typ[types[r] * C + c];
  }
  let x = D(ref.layerNorm(embSum, W('bert.embeddings.LayerNorm.weight'), W('bert.embeddings.LayerNorm.bias'), R, C, s.eps), 0);
  const saved: Array<LayerSaved & { attn?: AttentionDropoutForward }> = [];
  for (let l = 0; l < s.layers; l++) {
    const L = `bert.encoder.layer.${l}.`;
    const q = ref.matmul(x, W(`${L}attention.self.query.weight`), W(`${L}attention.self.query.bias`), R, C, C);
    const k = ref.matmul(x, W(`${L}attention.self.key.weight`), W(`${L}attention.self.key.bias`), R, C, C);
    const v = ref.matmul(x, W(`${L}attention.self.value.weight`), W(`${L}attention.self.value.bias`), R, C, C);
    const qkv = new Float64Array(R * 3 * C);
    for (let r = 0; r < R; r++) {
      qkv.set(q.subarray(r * C, (r + 1) * C), r * 3 * C);
      qkv.set(k.subarray(r * C, (r + 1) * C), r * 3 * C + C);
      qkv.set(v.subarray(r * C, (r + 1) * C), r * 3 * C + 2 * C);
    }
    const attn = attnP > 0 ? attentionDropoutForward(qkv, mask, B, T, s.heads, HS, attnDrop(l)) : undefined;
    const ctx = attn ? attn.ctx : ref.attention(qkv, mask, B, T, s.heads, HS);
    const attnSum = ref.add(D(ref.matmul(ctx, W(`${L}attention.output.dense.weight`), W(`${L}attention.output.dense.bias`), R, C, C), 1 + 2 * l), x);
    const a = ref.layerNorm(attnSum, W(`${L}attention.output.LayerNorm.weight`), W(`${L}attention.output.LayerNorm.bias`), R, C, s.eps);
    const interPre = ref.matmul(a, W(`${L}intermediate.dense.weight`), W(`${L}intermediate.dense.bias`), R, I, C);
    const act = s.activation === 'gelu' ? ref.geluErf : s.activation === 'geluTanh' ? ref.geluTanh : ref.relu;
    const inter = interPre.map(act);
    const outSum = ref.add(D(ref.matmul(inter, W(`${L}output.dense.weight`), W(`${L}output.dense.bias`), R, C, I), 2 + 2 * l), a);
    saved.push({ x, qkv, ctx, attnSum, a, interPre, inter, outSum, attn });
    x = ref.layerNorm(outSum, W(`${L}output.LayerNorm.weight`), W(`${L}output.LayerNorm.bias`), R, C, s.eps);
  }
  const clsRows = Array.from({ length: B }, (_, b) => b * T);
  const cls = rowsAt(x, clsRows, C);
  const poolPre = ref.matmul(cls, W('bert.pooler.dense.weight'), W('bert.pooler.dense.bias'), B, C, C);
  const pooled = D(poolPre.map(Math.tanh), 1 + 2 * s.layers);
  const NL = s.numLabels;
  const logits = ref.matmul(pooled, W('classifier.weight'), W('classifier.bias'), B, NL, C);

  // ---- loss (HF: mean over the batch; MSE and BCE over every element)
  let lossResult: bwd.LossResult;
  if (input.dlogits) {
    if (input.dlogits.length !== B * NL) throw new Error(`bert-backward: dlogits must have B·numLabels = ${B * NL} elements, got ${input.dlogits.length}`);
    lossResult = { loss: NaN, dlogits: Float64Array.from(input.dlogits) };
  } else if (problem === 'single_label_classification') {
    lossResult = bwd.crossEntropy(logits, batch.labels.map(Number), B, NL);
  } else {
    const targets = batch.labels.flatMap((l) => (Array.isArray(l) ? l : [l as number]));
    if (targets.length !== B * NL) throw new Error(`bert-backward: ${problem} needs ${NL} label value(s) per row, got ${targets.length} for ${B} rows`);
    lossResult = problem === 'regression' ? bwd.mse(logits, targets) : bwd.bceWithLogits(logits, targets);
  }

  // ---- backward, in reverse
  const grads = new Map<string, Float64Array>();
  const head = bwd.matmulBackward(pooled, W('classifier.weight'), lossResult.dlogits, B, NL, C);
  grads.set('classifier.weight', head.dw).set('classifier.bias', head.db);
  const dPoolPre = bwd.activationBackward('tanh', poolPre, D(head.dx, 1 + 2 * s.layers));
  const pool = bwd.matmulBackward(cls, W('bert.pooler.dense.weight'), dPoolPre, B, C, C);
  grads.set('bert.pooler.dense.weight', pool.dw).set('bert.pooler.dense.bias', pool.db);
  // Only the [CLS] rows reach the pooler: the last hidden state's gradient is zero elsewhere.
  let dx = new Float64Array(R * C);
  clsRows.forEach((r, b) => dx.set(pool.dx.subarray(b * C, (b + 1) * C), r * C));
  for (let l = s.layers - 1; l >= 0; l--) {
    const L = `bert.encoder.layer.${l}.`;
    const sv = saved[l];
    const ln2 = bwd.layerNormBackward(sv.outSum, W(`${L}output.LayerNorm.weight`), dx, R, C, s.eps);
    grads.set(`${L}output.LayerNorm.weight`, ln2.dgamma).set(`${L}output.LayerNorm.bias`, ln2.dbeta);
    const ffnOut = bwd.matmulBackward(sv.inter, W(`${L}output.dense.weight`), D(ln2.dh, 2 + 2 * l), R, C, I);
    grads.set(`${L}output.dense.weight`, ffnOut.dw).set(`${L}output.dense.bias`, ffnOut.db);
    const dInterPre = bwd.activationBackward(s.activation, sv.interPre, ffnOut.dx);
    const ffnIn = bwd.matmulBackward(sv.a, W(`${L}intermediate.dense.weight`), dInterPre, R, I, C);
    grads.set(`${L}intermediate.dense.weight`, ffnIn.dw).set(`${L}intermediate.dense.bias`, ffnIn.db);
    const da = ref.add(ln2.dh, ffnIn.dx); // a feeds the FFN and the residual: two contributions
    const ln1 = bwd.layerNormBackward(sv.attnSum, W(`${L}attention.output.LayerNorm.weight`), da, R, C, s.eps);
    grads.set(`${L}attention.output.LayerNorm.weight`, ln1.dgamma).set(`${L}attention.output.LayerNorm.bias`, ln1.dbeta);
    const attnOut = bwd.matmulBackward(sv.ctx, W(`${L}attention.output.dense.weight`), D(ln1.dh, 1 + 2 * l), R, C, C);
    grads.set(`${L}attention.output.dense.weight`, attnOut.dw).set(`${L}attention.output.dense.bias`, attnOut.db);
    const dqkv = sv.attn
      ? attentionDropoutBackward(sv.qkv, sv.attn, attnOut.dx, B, T, s.heads, HS, attnDrop(l))
      : bwd.attentionBackward(sv.qkv, mask, attnOut.dx, B, T, s.heads, HS);
    dx = Float64Array.from(ln1.dh); // x feeds Q, K, V and the residual
    for (const [j, n] of ['query', 'key', 'value'].entries()) {
      const dProj = new Float64Array(R * C);
      for (let r = 0; r < R; r++) dProj.set(dqkv.subarray(r * 3 * C + j * C, r * 3 * C + (j + 1) * C), r * C);
      const mm = bwd.matmulBackward(sv.x, W(`${L}attention.self.${n}.weight`), dProj, R, C, C);
      grads.set(`${L}attention.self.${n}.weight`, mm.dw).set(`${L}attention.self.${n}.bias`, mm.db);
      for (let i = 0; i < dx.length; i++) dx[i] += mm.dx[i];
    }
  }
  const lnE = bwd.layerNormBackward(embSum, W('bert.embeddings.LayerNorm.weight'), D(dx, 0), R, C, s.eps);
  grads.set('bert.embeddings.LayerNorm.weight', lnE.dgamma).set('bert.embeddings.LayerNorm.bias', lnE.dbeta);
  const emb = bwd.embeddingBackward(ids, types, lnE.dh, B, T, C, s.vocab, s.maxPositions, s.typeVocab);
  grads.set('bert.embeddings.word_embeddings.weight', emb.dWord);
  grads.set('bert.embeddings.position_embeddings.weight', emb.dPos);
  grads.set('bert.embeddings.token_type_embeddings.weight', emb.dType);
  return { loss: lossResult.loss, logits, grads, dEmbeddings: lnE.dh };
}
