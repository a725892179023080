// Per-token heads: HF's …ForTokenClassification (`classifier`, hidden → num_labels on every token),
// …ForQuestionAnswering (`qa_outputs`, hidden → 2: start and end logits) and ELECTRA's discriminator
// (ElectraForPreTraining: discriminator_predictions.dense + hidden act, then dense_prediction → one logit per token).
// All sit on the base model without its pooler. One matmul (two for the discriminator) over all B·T rows of the last
// hidden state; the output `logits` is (B·T, width) row-major — for QA column 0 is the start logit and column 1 the
// end logit, exactly qa_outputs before HF's split(1, dim=-1). Padding rows are computed too (cheap) and ignored by
// post-processing.
import type { MatmulEpilogueName } from '../gpu/kernels.ts';
import type { GraphBuilder } from '../graph/builder.ts';
import type { ElementType, TensorId } from '../graph/ops.ts';
import type { BertConfig, ExpectedWeight } from './config.ts';
import { layoutOf } from './families/layouts.ts';

/** The per-token heads of BERT, by the `architectures` entry that names them (other families: config.ts headOf). */
export const TOKEN_HEAD_OF_ARCHITECTURE = {
  BertForTokenClassification: 'token-classification',
  BertForQuestionAnswering: 'question-answering',
} as const;
export type TokenHead = 'token-classification' | 'question-answering' | 'replaced-token-detection';

/** The head's (last) weight prefix and its output width. */
export function tokenHeadShape(config: BertConfig, head: TokenHead): { prefix: string; width: number } {
  if (head === 'replaced-token-detection') {
    const d = layoutOf(config).discriminator;
    if (!d) throw new Error(`${config.modelType} has no replaced-token-detection head`);
    return { prefix: d.prediction, width: 1 };
  }
  return head === 'token-classification' ? { prefix: 'classifier', width: config.numLabels } : { prefix: 'qa_outputs', width: 2 };
}

/** The head's weights (HF names, PyTorch [out, in]) for expectedWeights(). */
export function tokenHeadWeights(config: BertConfig, head: TokenHead): ExpectedWeight[] {
  const C = config.hiddenSize;
  const { prefix, width } = tokenHeadShape(config, head);
  const out: ExpectedWeight[] = [];
  const dense = head === 'replaced-token-detection' ? layoutOf(config).discriminator!.dense : null;
  if (dense) out.push({ name: `${dense}.weight`, shape: [C, C], optional: false }, { name: `${dense}.bias`, shape: [C], optional: false });
  out.push({ name: `${prefix}.weight`, shape: [width, C], optional: false }, { name: `${prefix}.bias`, shape: [width], optional: false });
  return out;
}

/**
 * Appends the head to an encoder graph: `logits` (B·T, width) over every row of `x` (the last hidden state, (B·T, C)).
 * Returns the output tensor; the caller names it with g.output('logits', …). `act` is the hidden activation's epilogue
 * (the discriminator's dense uses it).
 */
export function addTokenHead(g: GraphBuilder, config: BertConfig, head: TokenHead, x: TensorId, rows: number, dtype: ElementType, act: MatmulEpilogueName = 'gelu'): TensorId {
  const C = config.hiddenSize;
  const { prefix, width } = tokenHeadShape(config, head);
  if (head === 'replaced-token-detection') {
    const dense = layoutOf(config).discriminator!.dense;
    const h = g.activation('discriminator.dense', [rows, C], dtype);
    g.op({ kind: 'matmul', x, w: g.weight(`${dense}.weight`, [C, C], dtype), b: g.weight(`${dense}.bias`, [C], dtype), residual: null,
      out: h, M: rows, N: C, K: C, xRowStep: 1, epilogue: act });
    x = h;
  }
  const w = g.weight(`${prefix}.weight`, [width, C], dtype);
  const b = g.weight(`${prefix}.bias`, [width], dtype);
  const logits = g.activation('logits', [rows, width], dtype);
  g.op({ kind: 'matmul', x, w, b, residual: null, out: logits, M: rows, N: width, K: C, xRowStep: 1, epilogue: 'none' });
  return logits;
}
