// Per-token linear heads: HF's BertForTokenClassification (`classifier`, hidden → num_labels on every token) and
// BertForQuestionAnswering (`qa_outputs`, hidden → 2: start and end logits). Both sit on BertModel(add_pooling_layer=
// False), so their checkpoints have no pooler. One matmul over all B·T rows of the last hidden state; the output
// `logits` is (B·T, width) row-major — for QA column 0 is the start logit and column 1 the end logit, exactly
// qa_outputs before HF's split(1, dim=-1). Padding rows are computed too (cheap) and ignored by post-processing.
import type { GraphBuilder } from '../graph/builder.ts';
import type { ElementType, TensorId } from '../graph/ops.ts';
import type { BertConfig, ExpectedWeight } from './config.ts';

/** The per-token heads, by the `architectures` entry that names them. */
export const TOKEN_HEAD_OF_ARCHITECTURE = {
  BertForTokenClassification: 'token-classification',
  BertForQuestionAnswering: 'question-answering',
} as const;
export type TokenHead = (typeof TOKEN_HEAD_OF_ARCHITECTURE)[keyof typeof TOKEN_HEAD_OF_ARCHITECTURE];

/** The head's weight prefix and its output width. */
export function tokenHeadShape(config: BertConfig, head: TokenHead): { prefix: string; width: number } {
  return head === 'token-classification' ? { prefix: 'classifier', width: config.numLabels } : { prefix: 'qa_outputs', width: 2 };
}

/** The head's weights (HF names, PyTorch [out, in]) for expectedWeights(). */
export function tokenHeadWeights(config: BertConfig, head: TokenHead): ExpectedWeight[] {
  const { prefix, width } = tokenHeadShape(config, head);
  return [
    { name: `${prefix}.weight`, shape: [width, config.hiddenSize], optional: false },
    { name: `${prefix}.bias`, shape: [width], optional: false },
  ];
}

/**
 * Appends the head to a BERT graph: `logits` (B·T, width) = x·Wᵀ + b over every row of `x` (the last hidden state,
 * (B·T, C)). Returns the output tensor; the caller names it with g.output('logits', …).
 */
export function addTokenHead(g: GraphBuilder, config: BertConfig, head: TokenHead, x: TensorId, rows: number, dtype: ElementType): TensorId {
  const C = config.hiddenSize;
  const { prefix, width } = tokenHeadShape(config, head);
  const w = g.weight(`${prefix}.weight`, [width, C], dtype);
  const b = g.weight(`${prefix}.bias`, [width], dtype);
  const logits = g.activation('logits', [rows, width], dtype);
  g.op({ kind: 'matmul', x, w, b, residual: null, out: logits, M: rows, N: width, K: C, xRowStep: 1, epilogue: 'none' });
  return logits;
}
