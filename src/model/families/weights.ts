// Every weight a model of a family with a given head holds, with its PyTorch [out, in] shape: read off the same
// name table the graph is built from (./layouts.ts), so the loader checks exactly what the graph will read.
import { hasMaskedLmHead, hasNextSentenceHead, headOf, isTokenHead, type BertConfig, type BertHead, type ExpectedWeight } from '../config.ts';
import { tokenHeadWeights } from '../token-heads.ts';
import { layoutOf } from './layouts.ts';

export function expectedWeights(config: BertConfig, head: BertHead = headOf(config)): ExpectedWeight[] {
  const layout = layoutOf(config);
  const C = config.hiddenSize;
  const E = config.embeddingSize;
  const I = config.intermediateSize;
  const made = new Set(layout.madeAtLoad);
  const out: ExpectedWeight[] = [];
  const add = (name: string, shape: number[], optional = false) => out.push({ name, shape, optional });
  const linear = (prefix: string, outDim: number, inDim: number, optional = false) => {
    add(`${prefix}.weight`, [outDim, inDim], optional);
    add(`${prefix}.bias`, [outDim], optional);
  };
  const layerNorm = (prefix: string, width = C) => {
    add(`${prefix}.weight`, [width]);
    add(`${prefix}.bias`, [width]);
  };
  add(layout.wordEmbeddings, [config.vocabSize, E]);
  // DistilBERT's sinusoidal table is made at load when the file lacks it (HF's _init_weights makes it then too).
  add(layout.positionEmbeddings, [config.positionTableSize, E], made.has(layout.positionEmbeddings));
  if (!made.has(layout.tokenTypeEmbeddings)) add(layout.tokenTypeEmbeddings, [config.typeVocabSize, E]);
  layerNorm(layout.embeddingsLayerNorm, E);
  if (layout.embeddingsProjection) linear(layout.embeddingsProjection, C, E);
  for (const b of layout.blocks) {
    linear(b.query, C, C);
    linear(b.key, C, C);
    linear(b.value, C, C);
    linear(b.attentionOutput, C, C);
    layerNorm(b.attentionLayerNorm);
    linear(b.intermediate, I, C);
    linear(b.output, C, I);
    layerNorm(b.outputLayerNorm);
  }
  // The pooler feeds the pooled heads (BERT/ALBERT sequence classifier, NSP / SOP); other heads may come without it
  // (HF builds the token heads, and RoBERTa's every head, with add_pooling_layer=False).
  const pooled = layout.sequenceHead.denseIsPooler && head === 'sequence-classification' || hasNextSentenceHead(head);
  if (layout.pooler) linear(layout.pooler, C, C, !pooled);
  if (head === 'sequence-classification') {
    if (!layout.sequenceHead.denseIsPooler) linear(layout.sequenceHead.dense, C, C);
    linear(layout.sequenceHead.out, config.numLabels, C);
  }
  if (isTokenHead(head)) out.push(...tokenHeadWeights(config, head));
  if (hasMaskedLmHead(head)) {
    const m = layout.maskedLm;
    const W = m.width === 'embedding' ? E : C;
    linear(m.dense, W, C);
    layerNorm(m.layerNorm, W);
    add(m.bias, [config.vocabSize]);
    // Tied (the default), the decoder is the word embeddings, as in HF, whatever copy the file may also hold.
    if (!config.tieWordEmbeddings) add(`${m.decoder}.weight`, [config.vocabSize, W]);
  }
  if (hasNextSentenceHead(head) && layout.pairHead) linear(layout.pairHead, 2, C);
  return out;
}
