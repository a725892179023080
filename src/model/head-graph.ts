// The heads of an encoder graph, from the family's name table (src/model/families/layouts.ts): per-token heads,
// the masked-LM head on the requested rows, the pooler and the heads on the first token ([CLS] / <s>).
import type { GraphBuilder } from '../graph/builder.ts';
import type { ElementType, TensorId } from '../graph/ops.ts';
import { epilogueOf, type BertGraphOptions } from './bert.ts';
import { hasMaskedLmHead, hasNextSentenceHead, isTokenHead, type BertConfig } from './config.ts';
import { layoutOf } from './families/layouts.ts';
import { addTokenHead } from './token-heads.ts';
import { blockName } from './blocked-weights.ts';

/** Appends the head `o.head` (and the pooler where the checkpoint has one) after the last hidden state `x` (B·T, C). */
export function addHeads(g: GraphBuilder, config: BertConfig, o: BertGraphOptions, x: TensorId): void {
  const { B, T, dtype, head } = o;
  const C = config.hiddenSize;
  const layout = layoutOf(config);
  const w = (name: string, shape: number[], type: ElementType = dtype) => g.weight(name, shape, type);
  const linear = (prefix: string, out: number, inp: number) => ({ w: w(`${prefix}.weight`, [out, inp]), b: w(`${prefix}.bias`, [out]) });
  const act = (name: string, shape: number[]) => g.activation(name, shape, dtype);
  const hiddenEpilogue = epilogueOf[config.activation];

  // Per-token heads: one matmul (ELECTRA's discriminator: two) over every (padded) token row; `logits` (B·T, width).
  if (isTokenHead(head)) g.output('logits', addTokenHead(g, config, head, x, B * T, dtype, hiddenEpilogue));

  const R = o.mlmRows ?? 0;
  if (hasMaskedLmHead(head) && R > 0) {
    // The masked-LM head on the requested rows only (fill-mask wants the masks; the decoder is V wide):
    // gather → act(h·Wtᵀ + bt) → LayerNorm → ·Eᵀ + bias, E the (tied) word embeddings, at width W (E or C).
    const m = layout.maskedLm;
    const V = config.vocabSize;
    const W = m.width === 'embedding' ? config.embeddingSize : C;
    const rowBytes = C * (dtype === 'f16' ? 2 : 4);
    if (rowBytes % 4 !== 0) throw new Error(`the masked-LM head needs a hidden size whose ${dtype} rows are whole 32-bit words, got ${C}`);
    const rows = g.input('mlmRows', [R], 'u32');
    const picked = act('mlm.rows', [R, C]);
    g.op({ kind: 'gatherRows', x, rows, out: picked, R, W: rowBytes / 4, rowsIn: B * T });
    const t = linear(m.dense, W, C);
    const transformed = act('mlm.transform', [R, W]);
    g.op({ kind: 'matmul', x: picked, w: t.w, b: t.b, residual: null, out: transformed, M: R, N: W, K: C, xRowStep: 1,
      epilogue: m.act === 'gelu' ? 'gelu' : hiddenEpilogue });
    const normed = act('mlm.transform.norm', [R, W]);
    g.op({ kind: 'layernorm', x: transformed, gamma: w(`${m.layerNorm}.weight`, [W]), beta: w(`${m.layerNorm}.bias`, [W]), out: normed, rows: R, C: W, eps: config.layerNormEps });
    const decoderName = o.untiedDecoder ? `${m.decoder}.weight` : layout.wordEmbeddings;
    const decoderBlocks = o.weightBlocks?.get(decoderName);
    if (decoderBlocks) {
      // The decoder exceeds one binding (tied: the word embeddings' blocks). One matmul per row block, each writing
      // its block's columns of the scores as its own output, `mlmLogits#block<k>` (R, rows), with the bias slice made
      // at load (blockName(bias, k)); the model joins them into (R, V) at readback. Separate outputs rather than
      // column ranges of one: every matmul kernel of every profile and dtype then runs unchanged (their output row
      // stride is N), and the (R, V) scores never need to fit one binding on the GPU.
      decoderBlocks.forEach((rows, k) => {
        const scores = act(blockName('mlmLogits', k), [R, rows]);
        g.op({ kind: 'matmul', x: normed, w: w(blockName(decoderName, k), [rows, W]), b: w(blockName(m.bias, k), [rows]), residual: null,
          out: scores, M: R, N: rows, K: W, xRowStep: 1, epilogue: 'none' });
        g.output(blockName('mlmLogits', k), scores);
      });
    } else {
      const decoder = w(decoderName, [V, W]);
      const scores = act('mlmLogits', [R, V]);
      g.op({ kind: 'matmul', x: normed, w: decoder, b: w(m.bias, [V]), residual: null, out: scores, M: R, N: V, K: W, xRowStep: 1, epilogue: 'none' });
      g.output('mlmLogits', scores);
    }
  }

  const seqHead = layout.sequenceHead;
  if (hasNextSentenceHead(head) && !layout.pairHead) throw new Error(`${config.modelType} has no ${head} head`);
  const needsPooler = (head === 'sequence-classification' && seqHead.denseIsPooler) || hasNextSentenceHead(head);
  // The token heads never read the pooler (HF: add_pooling_layer=False), even where an old checkpoint still has it.
  if (layout.pooler && ((o.hasPooler && !isTokenHead(head)) || needsPooler)) {
    if (!o.hasPooler) throw new Error(`a ${head} model needs ${layout.pooler} weights`);
    const pool = linear(layout.pooler, C, C);
    const pooled = act('pooler', [B, C]);
    // The pooler reads the [CLS] row of each sequence in place (row b·T of the hidden states).
    g.op({ kind: 'matmul', x, w: pool.w, b: pool.b, residual: null, out: pooled, M: B, N: C, K: C, xRowStep: T, epilogue: 'tanh' });
    g.output('poolerOutput', pooled);
    if (head === 'sequence-classification' && seqHead.denseIsPooler) g.output('logits', classifier(pooled, 1));
    if (hasNextSentenceHead(head)) {
      const nsp = linear(layout.pairHead!, 2, C);
      const nspLogits = act('nspLogits', [B, 2]);
      g.op({ kind: 'matmul', x: pooled, w: nsp.w, b: nsp.b, residual: null, out: nspLogits, M: B, N: 2, K: C, xRowStep: 1, epilogue: 'none' });
      g.output('nspLogits', nspLogits);
    }
  }
  if (head === 'sequence-classification' && !seqHead.denseIsPooler) {
    // DistilBERT (pre_classifier + ReLU), RoBERTa (dense + tanh), ELECTRA (dense + GELU): on the first token's row.
    const dense = linear(seqHead.dense, C, C);
    const h = act('classifier.dense', [B, C]);
    g.op({ kind: 'matmul', x, w: dense.w, b: dense.b, residual: null, out: h, M: B, N: C, K: C, xRowStep: T, epilogue: seqHead.act });
    g.output('logits', classifier(h, 1));
  }

  function classifier(input: TensorId, xRowStep: number): TensorId {
    const L = config.numLabels;
    const cls = linear(seqHead.out, L, C);
    const logits = act('logits', [B, L]);
    g.op({ kind: 'matmul', x: input, w: cls.w, b: cls.b, residual: null, out: logits, M: B, N: L, K: C, xRowStep, epilogue: 'none' });
    return logits;
  }
}
