// Each family's HF weight names (from transformers' modeling_{bert,roberta,xlm_roberta,camembert,electra,distilbert,
// albert}.py module trees). XLM-RoBERTa and CamemBERT are RoBERTa's code under other class names: same `roberta.` names.
import type { BertConfig } from '../config.ts';
import type { BlockNames, FamilyLayout, MaskedLmNames, ModelType } from './types.ts';

/** BERT's block names under `${base}.encoder.layer.N` (RoBERTa and ELECTRA use BERT's layer code). */
function bertBlock(base: string, l: number): BlockNames {
  const p = `${base}.encoder.layer.${l}`;
  return {
    query: `${p}.attention.self.query`, key: `${p}.attention.self.key`, value: `${p}.attention.self.value`, qkv: `${p}.attention.self.qkv`,
    attentionOutput: `${p}.attention.output.dense`, attentionLayerNorm: `${p}.attention.output.LayerNorm`,
    intermediate: `${p}.intermediate.dense`, output: `${p}.output.dense`, outputLayerNorm: `${p}.output.LayerNorm`,
  };
}

function distilBlock(l: number): BlockNames {
  const p = `distilbert.transformer.layer.${l}`;
  return {
    query: `${p}.attention.q_lin`, key: `${p}.attention.k_lin`, value: `${p}.attention.v_lin`, qkv: `${p}.attention.qkv_lin`,
    attentionOutput: `${p}.attention.out_lin`, attentionLayerNorm: `${p}.sa_layer_norm`,
    intermediate: `${p}.ffn.lin1`, output: `${p}.ffn.lin2`, outputLayerNorm: `${p}.output_layer_norm`,
  };
}

function albertBlock(group: number, inner: number): BlockNames {
  const p = `albert.encoder.albert_layer_groups.${group}.albert_layers.${inner}`;
  return {
    query: `${p}.attention.query`, key: `${p}.attention.key`, value: `${p}.attention.value`, qkv: `${p}.attention.qkv`,
    attentionOutput: `${p}.attention.dense`, attentionLayerNorm: `${p}.attention.LayerNorm`,
    intermediate: `${p}.ffn`, output: `${p}.ffn_output`, outputLayerNorm: `${p}.full_layer_layer_norm`,
  };
}

/**
 * ALBERT's AlbertTransformer: layer i runs group int(i / (L / G)) — Python's true division, which JS doubles reproduce
 * exactly — and each group runs its inner_group_num layers in turn.
 */
export function albertGroupOf(layer: number, numLayers: number, numGroups: number): number {
  return Math.floor(layer / (numLayers / numGroups));
}

function embeddings(base: string) {
  const p = `${base}.embeddings`;
  return {
    wordEmbeddings: `${p}.word_embeddings.weight`, positionEmbeddings: `${p}.position_embeddings.weight`,
    tokenTypeEmbeddings: `${p}.token_type_embeddings.weight`, embeddingsLayerNorm: `${p}.LayerNorm`,
  };
}

const layoutCache = new WeakMap<BertConfig, FamilyLayout>();

/** The weight-name table of a config's family (cached per config object). */
export function layoutOf(config: BertConfig): FamilyLayout {
  let layout = layoutCache.get(config);
  if (!layout) {
    layout = makeLayout(config);
    layoutCache.set(config, layout);
  }
  return layout;
}

function range<T>(n: number, f: (i: number) => T): T[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

function makeLayout(config: BertConfig): FamilyLayout {
  const L = config.numHiddenLayers;
  const type: ModelType = config.modelType;
  switch (type) {
    case 'bert': {
      const blocks = range(L, (l) => bertBlock('bert', l));
      return {
        base: 'bert', ...embeddings('bert'), embeddingsProjection: null, sequence: blocks, blocks, pooler: 'bert.pooler.dense',
        sequenceHead: { dense: 'bert.pooler.dense', act: 'tanh', out: 'classifier', denseIsPooler: true },
        pairHead: 'cls.seq_relationship',
        maskedLm: { dense: 'cls.predictions.transform.dense', act: 'config', layerNorm: 'cls.predictions.transform.LayerNorm',
          decoder: 'cls.predictions.decoder', bias: 'cls.predictions.bias', width: 'hidden' },
        discriminator: null, madeAtLoad: [],
      };
    }
    case 'roberta':
    case 'xlm-roberta':
    case 'camembert': {
      const blocks = range(L, (l) => bertBlock('roberta', l));
      return {
        base: 'roberta', ...embeddings('roberta'), embeddingsProjection: null, sequence: blocks, blocks,
        // RobertaModel has a pooler; every RobertaFor* head is built with add_pooling_layer=False.
        pooler: 'roberta.pooler.dense',
        sequenceHead: { dense: 'classifier.dense', act: 'tanh', out: 'classifier.out_proj', denseIsPooler: false },
        pairHead: null,
        // RobertaLMHead: dense → gelu (fixed, not hidden_act) → layer_norm → decoder (tied) + lm_head.bias.
        maskedLm: { dense: 'lm_head.dense', act: 'gelu', layerNorm: 'lm_head.layer_norm', decoder: 'lm_head.decoder', bias: 'lm_head.bias', width: 'hidden' },
        discriminator: null, madeAtLoad: [],
      };
    }
    case 'electra': {
      const blocks = range(L, (l) => bertBlock('electra', l));
      return {
        base: 'electra', ...embeddings('electra'),
        embeddingsProjection: config.embeddingSize !== config.hiddenSize ? 'electra.embeddings_project' : null,
        sequence: blocks, blocks, pooler: null,
        // ElectraClassificationHead: dense → gelu (fixed: "although BERT uses tanh here, it seems Electra authors used gelu").
        sequenceHead: { dense: 'classifier.dense', act: 'gelu', out: 'classifier.out_proj', denseIsPooler: false },
        pairHead: null,
        // ElectraGeneratorPredictions: dense (H → E) → gelu (fixed) → LayerNorm(E); generator_lm_head (E → V) tied.
        maskedLm: { dense: 'generator_predictions.dense', act: 'gelu', layerNorm: 'generator_predictions.LayerNorm',
          decoder: 'generator_lm_head', bias: 'generator_lm_head.bias', width: 'embedding' },
        discriminator: { dense: 'discriminator_predictions.dense', prediction: 'discriminator_predictions.dense_prediction' },
        madeAtLoad: [],
      };
    }
    case 'distilbert': {
      const blocks = range(L, distilBlock);
      const emb = embeddings('distilbert');
      const maskedLm: MaskedLmNames = { dense: 'vocab_transform', act: 'config', layerNorm: 'vocab_layer_norm',
        decoder: 'vocab_projector', bias: 'vocab_projector.bias', width: 'hidden' };
      return {
        base: 'distilbert', ...emb, embeddingsProjection: null, sequence: blocks, blocks, pooler: null,
        // DistilBertForSequenceClassification: pre_classifier → ReLU → classifier, on the first token.
        sequenceHead: { dense: 'pre_classifier', act: 'relu', out: 'classifier', denseIsPooler: false },
        pairHead: null, maskedLm, discriminator: null,
        madeAtLoad: [emb.tokenTypeEmbeddings, ...(config.sinusoidalPositions ? [emb.positionEmbeddings] : [])],
      };
    }
    case 'albert': {
      const G = config.numHiddenGroups;
      const inner = config.innerGroupNum;
      const blocks = range(G * inner, (k) => albertBlock(Math.floor(k / inner), k % inner));
      const sequence = range(L * inner, (k) => blocks[albertGroupOf(Math.floor(k / inner), L, G) * inner + (k % inner)]);
      return {
        base: 'albert', ...embeddings('albert'), embeddingsProjection: 'albert.encoder.embedding_hidden_mapping_in',
        sequence, blocks, pooler: 'albert.pooler',
        sequenceHead: { dense: 'albert.pooler', act: 'tanh', out: 'classifier', denseIsPooler: true },
        pairHead: 'sop_classifier.classifier',
        // AlbertMLMHead: dense (H → E) → hidden_act → LayerNorm(E) → decoder (E → V, tied) + predictions.bias.
        maskedLm: { dense: 'predictions.dense', act: 'config', layerNorm: 'predictions.LayerNorm', decoder: 'predictions.decoder',
          bias: 'predictions.bias', width: 'embedding' },
        discriminator: null, madeAtLoad: [],
      };
    }
  }
}

/** Architecture class-name prefixes per family (`${prefix}ForSequenceClassification`, …). */
export const ARCHITECTURE_PREFIX: Record<ModelType, string> = {
  bert: 'Bert', distilbert: 'DistilBert', roberta: 'Roberta', 'xlm-roberta': 'XLMRoberta', camembert: 'Camembert', electra: 'Electra', albert: 'Albert',
};
