// Which weights a BERT-family graph can read in row blocks (src/weights/row-blocks.ts) when one exceeds a storage
// binding: the word embeddings (the embedding gather visits each block: src/model/bert.ts) and the masked-LM decoder
// (one matmul per block: src/model/head-graph.ts; tied, it is the word embeddings). Any other tensor over the limit
// is refused from the safetensors header, before its download.
import { hasMaskedLmHead, type BertConfig, type BertHead } from './config.ts';
import { layoutOf } from './families/layouts.ts';

/** Canonical names of the weights this model's graph reads block by block when they are split. */
export function blockedWeightNames(config: BertConfig, head: BertHead): string[] {
  const layout = layoutOf(config);
  const names = [layout.wordEmbeddings];
  if (hasMaskedLmHead(head) && !config.tieWordEmbeddings) names.push(`${layout.maskedLm.decoder}.weight`);
  return names;
}

/** The name under which the graph declares block `k` of a weight split into row blocks. */
export function blockName(name: string, k: number): string {
  return `${name}#block${k}`;
}
