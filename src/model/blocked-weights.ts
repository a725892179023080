// Which weights a BERT-family graph can read in row blocks (src/weights/row-blocks.ts) when one exceeds a storage
// binding: the word embeddings (the embedding gather visits each block: src/model/bert.ts) and the masked-LM decoder
// (one matmul per block: src/model/head-graph.ts; tied, it is the word embeddings). Any other tensor over the limit
// is refused from the safetensors header, before its download.
import type { StorageDtype } from '../weights/dtypes.ts';
import { bindingLimitOf, rowBlocksOf } from '../weights/row-blocks.ts';
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

/**
 * The row blocks the loader will make of this model's blockable weights on a device with these limits, from
 * config.json alone (the same rule as the loader's: src/weights/row-blocks.ts), so pipelines for the blocked graph can
 * compile while the weights download. Null when every weight fits one binding, or when one cannot be split (the
 * loader then refuses the model, naming the tensor).
 */
export function predictedWeightBlocks(config: BertConfig, head: BertHead, dtype: StorageDtype,
  limits: Pick<GPUSupportedLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>): Map<string, number[]> | null {
  const layout = layoutOf(config);
  const limit = bindingLimitOf(limits);
  const out = new Map<string, number[]>();
  for (const name of blockedWeightNames(config, head)) {
    const width = name === layout.wordEmbeddings || layout.maskedLm.width === 'embedding' ? config.embeddingSize : config.hiddenSize;
    try {
      const blocks = rowBlocksOf('config.json', name, [config.vocabSize, width], dtype, limit);
      if (blocks) out.set(name, blocks);
    } catch {
      return null;
    }
  }
  return out.size > 0 ? out : null;
}
