// A BERT-family encoder as a graph, with each family's HF weight names (src/model/families/layouts.ts): BERT,
// DistilBERT, RoBERTa / XLM-RoBERTa / CamemBERT, ELECTRA and ALBERT (embeddings at embedding_size, then a projection;
// ALBERT's shared blocks are the same named weights, so the same graph tensors). Heads: src/model/head-graph.ts.
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
// reading Wo transposed at load (woT). The software profile runs matmulLayernorm as two dispatches in f32 (matmul +
// residual, then LayerNorm: 7 per layer) and every op as one in f16 (5); the GPU profile runs the two LayerNorm ops as
// two each (6 per layer; src/graph/variants.ts).
import { maxHeadSize, type MatmulEpilogueName } from '../gpu/kernels.ts';
import { GraphBuilder } from '../graph/builder.ts';
import type { AttentionOutputOp, ElementType, Graph, TensorId } from '../graph/ops.ts';
import { hasVariant, softwareProfile, type AdapterProfile } from '../graph/variants.ts';
import type { Activation, BertConfig, BertHead } from './config.ts';
import { addHeads } from './head-graph.ts';
import { layoutOf } from './families/layouts.ts';
import type { BlockNames } from './families/types.ts';
import { blockedWeightNames, blockName } from './blocked-weights.ts';

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
  /**
   * Weights held in row blocks (src/weights/row-blocks.ts): canonical name → rows per block. Only the word
   * embeddings and the masked-LM decoder may be (src/model/blocked-weights.ts); the graph then declares each block
   * as `blockName(name, k)` and reads them one dispatch per block. Absent: every weight whole.
   */
  weightBlocks?: ReadonlyMap<string, readonly number[]>;
}

/** Name of a block's attention-output weight transposed to (in, out), made at load for the attentionOutput op. */
export function attentionOutputTransposedName(layer: number | BlockNames): string {
  return `${typeof layer === 'number' ? `bert.encoder.layer.${layer}.attention.output.dense` : layer.attentionOutput}.weight_t`;
}

/** Whether graphs for this config, dtype and profile fuse attention + output projection (so need woT weights). */
export function fusesAttentionOutput(config: BertConfig, dtype: 'f32' | 'f16', profile: AdapterProfile = softwareProfile): boolean {
  const probe: AttentionOutputOp = { kind: 'attentionOutput', qkv: 0, mask: 0, woT: 0, b: 0, residual: 0, gamma: 0, beta: 0, out: 0,
    B: 1, T: 1, NH: config.numAttentionHeads, HS: config.headSize, eps: config.layerNormEps };
  return hasVariant(probe, dtype, profile);
}

/** Names of the fused Q|K|V weight and bias of a block (made at load from HF's query/key/value tensors). */
export function qkvNames(layer: number | BlockNames): { weight: string; bias: string } {
  const p = typeof layer === 'number' ? `bert.encoder.layer.${layer}.attention.self.qkv` : layer.qkv;
  return { weight: `${p}.weight`, bias: `${p}.bias` };
}

/**
 * RoBERTa's position ids depend on the ids (padding_idx + 1 + count of non-pad ids so far), which the embedding op's
 * position channel (arange(T) + offset) cannot express. Its graph therefore swaps the two channels: the position ids
 * (input `positionIds`, from robertaPositionIds) index the position table through the token-type slot, and the
 * position slot reads this table, made at load, whose every row is the one token-type row (type_vocab_size is 1).
 */
export function typeRowByPositionName(config: BertConfig): string {
  return `${layoutOf(config).tokenTypeEmbeddings}_by_position`;
}

/**
 * The graph's second id input for a (padded) batch: `positionIds` (RoBERTa family, from the ids) or `tokenTypeIds`
 * (zeros for a family without token types). Every backend feeding buildBertGraph's graphs uses this.
 */
export function embeddingIdInputs(config: BertConfig, inputIds: ArrayLike<number>, tokenTypeIds: ArrayLike<number>, B: number, T: number): Record<string, Uint32Array> {
  if (config.positionIds === 'padding') return { positionIds: robertaPositionIds(inputIds, B, T, config.padTokenId) };
  return { tokenTypeIds: config.tokenTypes ? Uint32Array.from(tokenTypeIds) : new Uint32Array(B * T) };
}

/** HF's create_position_ids_from_input_ids: pad ids get padding_idx, others padding_idx + their count of non-pad ids so far. */
export function robertaPositionIds(ids: ArrayLike<number>, B: number, T: number, padId: number): Uint32Array {
  const out = new Uint32Array(B * T);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      out[i] = ids[i] === padId ? padId : padId + ++n;
    }
  }
  return out;
}

export const epilogueOf: Record<Activation, MatmulEpilogueName> = { gelu: 'gelu', gelu_tanh: 'geluTanh', relu: 'relu' };

/** Throws when a valid HF config describes a model these kernels cannot run (checked before any weight is read). */
export function assertRunnable(config: BertConfig): void {
  if (config.headSize > maxHeadSize) {
    throw new Error(`head size ${config.headSize} (hidden_size ${config.hiddenSize} / num_attention_heads ${config.numAttentionHeads}) ` +
      `is over the attention kernel's limit of ${maxHeadSize}`);
  }
}

/**
 * The word embeddings' row blocks, after checking that every blocked weight is one the graph reads in blocks and
 * that its blocks cover its rows; null when the word embeddings are whole.
 */
function checkedBlocks(config: BertConfig, o: BertGraphOptions): readonly number[] | null {
  if (!o.weightBlocks) return null;
  const allowed = blockedWeightNames(config, o.head);
  for (const [name, rows] of o.weightBlocks) {
    if (!allowed.includes(name)) {
      throw new Error(`weight ${name} is held in row blocks (it exceeds one storage binding of this device), but the graph reads it whole; ` +
        `only ${allowed.join(' and ')} can be split`);
    }
    const total = rows.reduce((a, b) => a + b, 0);
    if (total !== config.vocabSize || rows.some((r) => !(Number.isInteger(r) && r > 0))) {
      throw new Error(`weight ${name}: row blocks ${rows.join('+')} do not cover its ${config.vocabSize} rows`);
    }
  }
  return o.weightBlocks.get(layoutOf(config).wordEmbeddings) ?? null;
}

export function buildBertGraph(config: BertConfig, o: BertGraphOptions): Graph {
  assertRunnable(config);
  const { B, T, dtype } = o;
  const C = config.hiddenSize;
  const E = config.embeddingSize;
  const I = config.intermediateSize;
  const NH = config.numAttentionHeads;
  const HS = config.headSize;
  const eps = config.layerNormEps;
  const layout = layoutOf(config);
  const blocks = layout.sequence;
  if (o.attentionLayer !== undefined && !(Number.isInteger(o.attentionLayer) && o.attentionLayer >= 0 && o.attentionLayer < blocks.length)) {
    throw new RangeError(`attention layer must be an integer in [0, ${blocks.length}), got ${o.attentionLayer}`);
  }
  if (T > config.maxPositionEmbeddings) throw new Error(`sequence length ${T} exceeds max_position_embeddings ${config.maxPositionEmbeddings}`);
  const g = new GraphBuilder();
  const w = (name: string, shape: number[], type: ElementType = dtype) => g.weight(name, shape, type);
  const linear = (prefix: string, out: number, inp: number) => ({ w: w(`${prefix}.weight`, [out, inp]), b: w(`${prefix}.bias`, [out]) });
  const ln = (prefix: string, width = C) => ({ gamma: w(`${prefix}.weight`, [width]), beta: w(`${prefix}.bias`, [width]) });
  const act = (name: string, shape: number[]) => g.activation(name, shape, dtype);
  const fuseAttentionOutput = fusesAttentionOutput(config, dtype, o.profile);
  const hiddenEpilogue = epilogueOf[config.activation];

  const ids = g.input('inputIds', [B * T], 'u32');
  const mask = g.input('attentionMask', [B * T], 'u32');

  let x: TensorId = act('embeddings', [B * T, E]);
  const embLn = ln(layout.embeddingsLayerNorm, E);
  const wordBlocks = checkedBlocks(config, o);
  let word: TensorId;
  let wordIds = ids;
  let wordRows = config.vocabSize;
  if (wordBlocks) {
    // The word embeddings exceed one binding: gather each token's row block by block into a (B·T, E) activation,
    // then the embedding op reads that as its table, row i for token i (input `wordRowIds` = 0, 1, …, B·T − 1).
    const rowBytes = E * (dtype === 'f16' ? 2 : 4);
    if (rowBytes % 4 !== 0) throw new Error(`word embeddings in row blocks need ${dtype} rows of whole 32-bit words, got embedding size ${E}`);
    let gathered: TensorId | null = null;
    let rowStart = 0;
    wordBlocks.forEach((rows, k) => {
      const out = act(`embeddings.wordRows.${k}`, [B * T, E]);
      g.op({ kind: 'gatherRows', x: w(blockName(layout.wordEmbeddings, k), [rows, E]), rows: ids, out, R: B * T, W: rowBytes / 4,
        rowsIn: rows, rowStart, previous: gathered });
      gathered = out;
      rowStart += rows;
    });
    word = gathered!;
    wordIds = g.input('wordRowIds', [B * T], 'u32');
    wordRows = B * T;
  } else {
    word = w(layout.wordEmbeddings, [config.vocabSize, E]);
  }
  if (config.positionIds === 'padding') {
    // Channels swapped (see typeRowByPositionName): positions through the type slot, the type row through the position slot.
    g.op({
      kind: 'embedding', ids: wordIds, typeIds: g.input('positionIds', [B * T], 'u32'), out: x, B, T, C: E, eps, positionOffset: 0,
      vocabSize: wordRows, maxPositions: config.maxPositionEmbeddings, typeVocabSize: config.positionTableSize,
      wordEmb: word, posEmb: w(typeRowByPositionName(config), [config.maxPositionEmbeddings, E]),
      typeEmb: w(layout.positionEmbeddings, [config.positionTableSize, E]), gamma: embLn.gamma, beta: embLn.beta,
    });
  } else {
    g.op({
      kind: 'embedding', ids: wordIds, typeIds: g.input('tokenTypeIds', [B * T], 'u32'), out: x, B, T, C: E, eps, positionOffset: 0,
      vocabSize: wordRows, maxPositions: config.positionTableSize, typeVocabSize: config.typeVocabSize,
      wordEmb: word, posEmb: w(layout.positionEmbeddings, [config.positionTableSize, E]),
      typeEmb: w(layout.tokenTypeEmbeddings, [config.typeVocabSize, E]), gamma: embLn.gamma, beta: embLn.beta,
    });
  }
  if (layout.embeddingsProjection) {
    // ELECTRA / ALBERT: embeddings at embedding_size, then a Linear to the hidden size.
    const proj = linear(layout.embeddingsProjection, C, E);
    const projected = act('embeddings.projected', [B * T, C]);
    g.op({ kind: 'matmul', x, w: proj.w, b: proj.b, residual: null, out: projected, M: B * T, N: C, K: E, xRowStep: 1, epilogue: 'none' });
    x = projected;
  }

  blocks.forEach((p, l) => {
    const names = qkvNames(p);
    const qkvW = { w: w(names.weight, [3 * C, C]), b: w(names.bias, [3 * C]) };
    const qkv = act(`layer.${l}.qkv`, [B * T, 3 * C]);
    g.op({ kind: 'matmul', x, w: qkvW.w, b: qkvW.b, residual: null, out: qkv, M: B * T, N: 3 * C, K: C, xRowStep: 1, epilogue: 'none' });

    if (o.attentionLayer === l) {
      const probs = g.activation(`layer.${l}.attentionProbs`, [B, NH, T, T], 'f32');
      g.op({ kind: 'attentionProbs', qkv, mask, out: probs, B, T, NH, HS });
      g.output('attentions', probs);
    }
    let h: TensorId;
    const attnLn = ln(p.attentionLayerNorm);
    if (fuseAttentionOutput) {
      const woT = w(attentionOutputTransposedName(p), [C, C]);
      const bo = w(`${p.attentionOutput}.bias`, [C]);
      h = act(`layer.${l}.attention.output`, [B * T, C]);
      g.op({ kind: 'attentionOutput', qkv, mask, woT, b: bo, residual: x, gamma: attnLn.gamma, beta: attnLn.beta, out: h, B, T, NH, HS, eps });
    } else {
      const ctx = act(`layer.${l}.context`, [B * T, C]);
      g.op({ kind: 'attention', qkv, mask, out: ctx, B, T, NH, HS });
      const attnOut = linear(p.attentionOutput, C, C);
      h = act(`layer.${l}.attention.output`, [B * T, C]);
      g.op({ kind: 'matmulLayernorm', x: ctx, w: attnOut.w, b: attnOut.b, residual: x, gamma: attnLn.gamma, beta: attnLn.beta, out: h, M: B * T, N: C, K: C, eps });
    }

    const inter = linear(p.intermediate, I, C);
    const f = act(`layer.${l}.intermediate`, [B * T, I]);
    g.op({ kind: 'matmul', x: h, w: inter.w, b: inter.b, residual: null, out: f, M: B * T, N: I, K: C, xRowStep: 1, epilogue: hiddenEpilogue });

    const outDense = linear(p.output, C, I);
    const outLn = ln(p.outputLayerNorm);
    const next = act(`layer.${l}.output`, [B * T, C]);
    g.op({ kind: 'matmulLayernorm', x: f, w: outDense.w, b: outDense.b, residual: h, gamma: outLn.gamma, beta: outLn.beta, out: next, M: B * T, N: C, K: I, eps });
    x = next;
  });
  g.output('lastHiddenState', x);
  addHeads(g, config, o, x);
  return g.build();
}
