// BERT as a graph, mirroring HF's module tree and weight names (BertModel, BertForSequenceClassification,
// BertForMaskedLM, BertForPreTraining, BertForNextSentencePrediction, BertForTokenClassification,
// BertForQuestionAnswering).
//
// Shape legend: B batch, T tokens per sequence (the bucket), C hidden size, NH heads, HS head size (C / NH),
// I intermediate size, L labels. Activations are row-major (B·T, features).
//
// Per encoder layer, 5 ops —
//   qkv  = x·Wqkvᵀ + bqkv                             (B·T, 3C)   matmul (Q|K|V fused at load, see bert-model.ts)
//   ctx  = softmax(q·kᵀ/√HS + mask)·v                 (B·T, C)    attention
//   h    = LayerNorm(ctx·Woᵀ + bo + x)                (B·T, C)    matmulLayernorm
//   f    = act(h·W1ᵀ + b1)                            (B·T, I)    matmul, GELU epilogue
//   x'   = LayerNorm(f·W2ᵀ + b2 + h)                  (B·T, C)    matmulLayernorm
// — or, where the kernel profile has a kernel for it (the GPU profile), 4: ctx and h as one attentionOutput op
// reading Wo transposed at load (woT). The software profile runs each op as one dispatch (5 per layer); the GPU
// profile runs the two LayerNorm ops as two each (6 per layer; src/graph/variants.ts).
import { maxHeadSize, type MatmulEpilogueName } from '../gpu/kernels.ts';
import { GraphBuilder } from '../graph/builder.ts';
import type { AttentionOutputOp, ElementType, Graph, TensorId } from '../graph/ops.ts';
import { hasVariant, softwareProfile, type AdapterProfile } from '../graph/variants.ts';
import { hasMaskedLmHead, hasNextSentenceHead, isTokenHead, type Activation, type BertConfig, type BertHead } from './config.ts';
import { addTokenHead } from './token-heads.ts';

export interface BertGraphOptions {
  B: number;
  T: number;
  /** Storage type of weights and activations. */
  dtype: 'f32' | 'f16';
  head: BertHead;
  /** Whether the checkpoint has the pooler (sentence-embedding checkpoints may drop it). */
  hasPooler: boolean;
  /** Also output this layer's attention probabilities as `attentions` (B, NH, T, T), f32 (inspect()). */
  attentionLayer?: number;
  /** The masked-LM decoder has its own weight (else it is tied to the word embeddings, as HF saves it). */
  untiedDecoder?: boolean;
  /**
   * Masked-LM heads: how many token rows the head predicts (input `mlmRows`: their indices b·T + t; output
   * `mlmLogits`: (mlmRows, V)). 0 or absent: the graph has no masked-LM head (other tasks don't pay for it).
   */
  mlmRows?: number;
  /** The kernel profile the graph is built for (it decides the attentionOutput fusion); default: software. */
  profile?: AdapterProfile;
}

/** Name of a layer's attention-output weight transposed to (in, out), made at load for the attentionOutput op. */
export function attentionOutputTransposedName(layer: number): string {
  return `bert.encoder.layer.${layer}.attention.output.dense.weight_t`;
}

/** Whether graphs for this config, dtype and profile fuse attention + output projection (so need woT weights). */
export function fusesAttentionOutput(config: BertConfig, dtype: 'f32' | 'f16', profile: AdapterProfile = softwareProfile): boolean {
  const probe: AttentionOutputOp = { kind: 'attentionOutput', qkv: 0, mask: 0, woT: 0, b: 0, residual: 0, gamma: 0, beta: 0, out: 0,
    B: 1, T: 1, NH: config.numAttentionHeads, HS: config.headSize, eps: config.layerNormEps };
  return hasVariant(probe, dtype, profile);
}

/** Names of the fused Q|K|V weight and bias of a layer (made at load from HF's query/key/value tensors). */
export function qkvNames(layer: number): { weight: string; bias: string } {
  const p = `bert.encoder.layer.${layer}.attention.self.qkv`;
  return { weight: `${p}.weight`, bias: `${p}.bias` };
}

const epilogueOf: Record<Activation, MatmulEpilogueName> = { gelu: 'gelu', gelu_tanh: 'geluTanh', relu: 'relu' };

/** Throws when a valid HF config describes a model these kernels cannot run (checked before any weight is read). */
export function assertRunnable(config: BertConfig): void {
  if (config.headSize > maxHeadSize) {
    throw new Error(`head size ${config.headSize} (hidden_size ${config.hiddenSize} / num_attention_heads ${config.numAttentionHeads}) ` +
      `is over the attention kernel's limit of ${maxHeadSize}`);
  }
}

export function buildBertGraph(config: BertConfig, o: BertGraphOptions): Graph {
  assertRunnable(config);
  const { B, T, dtype } = o;
  const C = config.hiddenSize;
  const I = config.intermediateSize;
  const NH = config.numAttentionHeads;
  const HS = config.headSize;
  const eps = config.layerNormEps;
  if (o.attentionLayer !== undefined && !(Number.isInteger(o.attentionLayer) && o.attentionLayer >= 0 && o.attentionLayer < config.numHiddenLayers)) {
    throw new RangeError(`attention layer must be an integer in [0, ${config.numHiddenLayers}), got ${o.attentionLayer}`);
  }
  if (T > config.maxPositionEmbeddings) throw new Error(`sequence length ${T} exceeds max_position_embeddings ${config.maxPositionEmbeddings}`);
  const g = new GraphBuilder();
  const w = (name: string, shape: number[], type: ElementType = dtype) => g.weight(name, shape, type);
  const linear = (prefix: string, out: number, inp: number) => ({ w: w(`${prefix}.weight`, [out, inp]), b: w(`${prefix}.bias`, [out]) });
  const ln = (prefix: string) => ({ gamma: w(`${prefix}.weight`, [C]), beta: w(`${prefix}.bias`, [C]) });
  const act = (name: string, shape: number[]) => g.activation(name, shape, dtype);
  const fuseAttentionOutput = fusesAttentionOutput(config, dtype, o.profile);

  const ids = g.input('inputIds', [B * T], 'u32');
  const typeIds = g.input('tokenTypeIds', [B * T], 'u32');
  const mask = g.input('attentionMask', [B * T], 'u32');

  let x: TensorId = act('embeddings', [B * T, C]);
  const embLn = ln('bert.embeddings.LayerNorm');
  g.op({
    kind: 'embedding', ids, typeIds, out: x, B, T, C, eps, positionOffset: 0,
    vocabSize: config.vocabSize, maxPositions: config.maxPositionEmbeddings, typeVocabSize: config.typeVocabSize,
    wordEmb: w('bert.embeddings.word_embeddings.weight', [config.vocabSize, C]),
    posEmb: w('bert.embeddings.position_embeddings.weight', [config.maxPositionEmbeddings, C]),
    typeEmb: w('bert.embeddings.token_type_embeddings.weight', [config.typeVocabSize, C]),
    gamma: embLn.gamma, beta: embLn.beta,
  });

  for (let l = 0; l < config.numHiddenLayers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const names = qkvNames(l);
    const qkvW = { w: w(names.weight, [3 * C, C]), b: w(names.bias, [3 * C]) };
    const qkv = act(`layer.${l}.qkv`, [B * T, 3 * C]);
    g.op({ kind: 'matmul', x, w: qkvW.w, b: qkvW.b, residual: null, out: qkv, M: B * T, N: 3 * C, K: C, xRowStep: 1, epilogue: 'none' });

    if (o.attentionLayer === l) {
      const probs = g.activation(`layer.${l}.attentionProbs`, [B, NH, T, T], 'f32');
      g.op({ kind: 'attentionProbs', qkv, mask, out: probs, B, T, NH, HS });
      g.output('attentions', probs);
    }
    let h: TensorId;
    if (fuseAttentionOutput) {
      const woT = w(attentionOutputTransposedName(l), [C, C]);
      const bo = w(`${p}.attention.output.dense.bias`, [C]);
      const attnLn = ln(`${p}.attention.output.LayerNorm`);
      h = act(`layer.${l}.attention.output`, [B * T, C]);
      g.op({ kind: 'attentionOutput', qkv, mask, woT, b: bo, residual: x, gamma: attnLn.gamma, beta: attnLn.beta, out: h, B, T, NH, HS, eps });
    } else {
      const ctx = act(`layer.${l}.context`, [B * T, C]);
      g.op({ kind: 'attention', qkv, mask, out: ctx, B, T, NH, HS });
      const attnOut = linear(`${p}.attention.output.dense`, C, C);
      const attnLn = ln(`${p}.attention.output.LayerNorm`);
      h = act(`layer.${l}.attention.output`, [B * T, C]);
      g.op({ kind: 'matmulLayernorm', x: ctx, w: attnOut.w, b: attnOut.b, residual: x, gamma: attnLn.gamma, beta: attnLn.beta, out: h, M: B * T, N: C, K: C, eps });
    }

    const inter = linear(`${p}.intermediate.dense`, I, C);
    const f = act(`layer.${l}.intermediate`, [B * T, I]);
    g.op({ kind: 'matmul', x: h, w: inter.w, b: inter.b, residual: null, out: f, M: B * T, N: I, K: C, xRowStep: 1, epilogue: epilogueOf[config.activation] });

    const outDense = linear(`${p}.output.dense`, C, I);
    const outLn = ln(`${p}.output.LayerNorm`);
    const next = act(`layer.${l}.output`, [B * T, C]);
    g.op({ kind: 'matmulLayernorm', x: f, w: outDense.w, b: outDense.b, residual: h, gamma: outLn.gamma, beta: outLn.beta, out: next, M: B * T, N: C, K: I, eps });
    x = next;
  }
  g.output('lastHiddenState', x);
  // Per-token heads: one matmul over every (padded) token row; `logits` (B·T, width).
  if (isTokenHead(o.head)) g.output('logits', addTokenHead(g, config, o.head, x, B * T, dtype));

  const R = o.mlmRows ?? 0;
  if (hasMaskedLmHead(o.head) && R > 0) {
    // HF's BertLMPredictionHead on the requested rows only (fill-mask wants the [MASK]s; the decoder is V wide):
    // gather → act(h·Wtᵀ + bt) → LayerNorm → ·Eᵀ + bias, E the (tied) word embeddings.
    const V = config.vocabSize;
    const rowBytes = C * (dtype === 'f16' ? 2 : 4);
    if (rowBytes % 4 !== 0) throw new Error(`the masked-LM head needs a hidden size whose ${dtype} rows are whole 32-bit words, got ${C}`);
    const rows = g.input('mlmRows', [R], 'u32');
    const picked = act('mlm.rows', [R, C]);
    g.op({ kind: 'gatherRows', x, rows, out: picked, R, W: rowBytes / 4, rowsIn: B * T });
    const t = linear('cls.predictions.transform.dense', C, C);
    const tLn = { gamma: w('cls.predictions.transform.LayerNorm.weight', [C]), beta: w('cls.predictions.transform.LayerNorm.bias', [C]) };
    const transformed = act('mlm.transform', [R, C]);
    g.op({ kind: 'matmul', x: picked, w: t.w, b: t.b, residual: null, out: transformed, M: R, N: C, K: C, xRowStep: 1, epilogue: epilogueOf[config.activation] });
    const normed = act('mlm.transform.norm', [R, C]);
    g.op({ kind: 'layernorm', x: transformed, gamma: tLn.gamma, beta: tLn.beta, out: normed, rows: R, C, eps });
    const decoder = w(o.untiedDecoder ? 'cls.predictions.decoder.weight' : 'bert.embeddings.word_embeddings.weight', [V, C]);
    const scores = act('mlmLogits', [R, V]);
    g.op({ kind: 'matmul', x: normed, w: decoder, b: w('cls.predictions.bias', [V]), residual: null, out: scores, M: R, N: V, K: C, xRowStep: 1, epilogue: 'none' });
    g.output('mlmLogits', scores);
  }

  const needsPooler = o.head === 'sequence-classification' || hasNextSentenceHead(o.head);
  // The token heads never read the pooler (HF: add_pooling_layer=False), even where an old checkpoint still has it.
  if ((o.hasPooler && !isTokenHead(o.head)) || needsPooler) {
    if (!o.hasPooler) throw new Error(`a ${o.head} model needs bert.pooler.dense weights`);
    const pool = linear('bert.pooler.dense', C, C);
    const pooled = act('pooler', [B, C]);
    // The pooler reads the [CLS] row of each sequence in place (row b·T of the hidden states).
    g.op({ kind: 'matmul', x, w: pool.w, b: pool.b, residual: null, out: pooled, M: B, N: C, K: C, xRowStep: T, epilogue: 'tanh' });
    g.output('poolerOutput', pooled);
    if (o.head === 'sequence-classification') {
      const cls = linear('classifier', config.numLabels, C);
      const logits = act('logits', [B, config.numLabels]);
      g.op({ kind: 'matmul', x: pooled, w: cls.w, b: cls.b, residual: null, out: logits, M: B, N: config.numLabels, K: C, xRowStep: 1, epilogue: 'none' });
      g.output('logits', logits);
    }
    if (hasNextSentenceHead(o.head)) {
      const nsp = linear('cls.seq_relationship', 2, C);
      const nspLogits = act('nspLogits', [B, 2]);
      g.op({ kind: 'matmul', x: pooled, w: nsp.w, b: nsp.b, residual: null, out: nspLogits, M: B, N: 2, K: C, xRowStep: 1, epilogue: 'none' });
      g.output('nspLogits', nspLogits);
    }
  }
  return g.build();
}
