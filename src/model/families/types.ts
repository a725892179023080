// What distinguishes one member of the BERT family from another, as data: each family's HF weight names (the same
// table gives the loader's expected-weights list, the graph's weight references and the load-time re-layouts) and its
// heads' structure. The graph builder (src/model/bert.ts) and expectedWeights (./weights.ts) read only this table, so
// adding a family is one file here plus its config reader (./config-readers.ts).
import type { MatmulEpilogueName } from '../../gpu/kernels.ts';

export const MODEL_TYPES = ['bert', 'distilbert', 'roberta', 'xlm-roberta', 'camembert', 'electra', 'albert'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/** One transformer block's Linear / LayerNorm prefixes (each has `.weight` and `.bias`). */
export interface BlockNames {
  query: string;
  key: string;
  value: string;
  /** Q|K|V fused at load (src/model/relayout.ts) into one (3C, C) weight under this prefix. */
  qkv: string;
  attentionOutput: string;
  attentionLayerNorm: string;
  intermediate: string;
  output: string;
  outputLayerNorm: string;
}

/** A Linear applied to the [CLS] / <s> row, its epilogue, then the classifier Linear. */
export interface SequenceHeadNames {
  dense: string;
  act: MatmulEpilogueName;
  out: string;
  /** The dense is the base model's pooler (BERT, ALBERT): its output is also `poolerOutput`. */
  denseIsPooler: boolean;
}

/** The masked-LM head: act(dense(h)) → LayerNorm → ·Eᵀ + bias, E the (tied) word embeddings, at width `width`. */
export interface MaskedLmNames {
  dense: string;
  /** 'config' = the encoder's hidden activation; else fixed by the family's code. */
  act: 'config' | 'gelu';
  layerNorm: string;
  /** The decoder Linear prefix (its `.weight` is the word embeddings when tied). */
  decoder: string;
  /** The output bias's full name. */
  bias: string;
  /** The head works at the embedding size (ELECTRA's generator, ALBERT) or the hidden size. */
  width: 'embedding' | 'hidden';
}

export interface FamilyLayout {
  /** The base model's attribute name, the prefix of its weights (`roberta` for XLM-R and CamemBERT too). */
  base: string;
  wordEmbeddings: string;
  positionEmbeddings: string;
  /** Full weight name; for a family without token types (DistilBERT) a one-row zero table made at load. */
  tokenTypeEmbeddings: string;
  embeddingsLayerNorm: string;
  /** Linear embedding_size → hidden_size after the embeddings (ELECTRA when they differ, ALBERT always). */
  embeddingsProjection: string | null;
  /** The blocks in the order they run (ALBERT repeats shared blocks: the same names, so the same graph tensors). */
  sequence: BlockNames[];
  /** Distinct blocks (what the checkpoint holds; what the re-layouts visit once each). */
  blocks: BlockNames[];
  /** The base model's pooler Linear (tanh on [CLS]); null where the family has none. */
  pooler: string | null;
  sequenceHead: SequenceHeadNames;
  /** The 2-way classifier on the pooled output: BERT's NSP, ALBERT's sentence-order head. */
  pairHead: string | null;
  maskedLm: MaskedLmNames;
  /** ELECTRA's replaced-token discriminator: dense + hidden act + dense_prediction (one logit per token). */
  discriminator: { dense: string; prediction: string } | null;
  /** Tensors made at load rather than read (DistilBERT's zero token-type table, sinusoidal positions when absent). */
  madeAtLoad: string[];
}
