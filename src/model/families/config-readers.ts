// Each family's config.json keys and defaults (HF's {Bert,Roberta,XLMRoberta,Camembert,DistilBert,Electra,Albert}Config
// __init__ defaults and attribute maps) → the sizes of one normalised EncoderConfig. A missing key takes HF's default,
// so a config that loads in transformers loads here.
import { configError, positiveInt, type EncoderConfig } from '../config.ts';
import type { ModelType } from './types.ts';

type Json = Record<string, unknown>;

interface Defaults {
  vocab_size: number; hidden_size: number; num_hidden_layers: number; num_attention_heads: number; intermediate_size: number;
  hidden_act: string; max_position_embeddings: number; type_vocab_size: number; layer_norm_eps: number; pad_token_id: number;
  embedding_size?: number;
}

const BERT: Defaults = { vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072,
  hidden_act: 'gelu', max_position_embeddings: 512, type_vocab_size: 2, layer_norm_eps: 1e-12, pad_token_id: 0 };
const DEFAULTS: Record<ModelType, Defaults> = {
  bert: BERT,
  roberta: { ...BERT, vocab_size: 50265, pad_token_id: 1 },
  'xlm-roberta': { ...BERT, pad_token_id: 1 },
  camembert: { ...BERT, pad_token_id: 1 },
  distilbert: { ...BERT, num_hidden_layers: 6, type_vocab_size: 1 },
  electra: { ...BERT, embedding_size: 128, hidden_size: 256, num_attention_heads: 4, intermediate_size: 1024 },
  albert: { ...BERT, vocab_size: 30000, embedding_size: 128, hidden_size: 4096, num_attention_heads: 64, intermediate_size: 16384, hidden_act: 'gelu_new' },
};

/** DistilBertConfig's own key names (its attribute_map makes them hidden_size, … in Python). */
const DISTILBERT_KEYS = { hidden_size: 'dim', num_attention_heads: 'n_heads', num_hidden_layers: 'n_layers', intermediate_size: 'hidden_dim', hidden_act: 'activation' };
const BERT_KEYS = { hidden_size: 'hidden_size', num_attention_heads: 'num_attention_heads', num_hidden_layers: 'num_hidden_layers', intermediate_size: 'intermediate_size', hidden_act: 'hidden_act' };

/** ALBERT: the blocks one forward runs (layers × inner_group_num) are bounded like layers are. */
const MAX_BLOCKS_RUN = 4096;

/** The sizes a family's config gives, under EncoderConfig's names, plus its key names and default activation. */
export type FamilyFields = Pick<EncoderConfig, 'vocabSize' | 'hiddenSize' | 'embeddingSize' | 'numHiddenLayers' | 'numAttentionHeads'
  | 'intermediateSize' | 'maxPositionEmbeddings' | 'positionTableSize' | 'positionIds' | 'sinusoidalPositions' | 'tokenTypes'
  | 'typeVocabSize' | 'numHiddenGroups' | 'innerGroupNum' | 'layerNormEps' | 'padTokenId'> & {
  keys: typeof BERT_KEYS;
  defaultAct: string;
};

export function readFamilyFields(file: string, c: Json, type: ModelType): FamilyFields {
  const d = DEFAULTS[type];
  const keys = type === 'distilbert' ? DISTILBERT_KEYS : BERT_KEYS;
  const int = (key: Parameters<typeof positiveInt>[2], fallback: number, min = 1, as: string = key) => positiveInt(file, c, key, fallback, min, as);
  const hiddenSize = int('hidden_size', d.hidden_size, 1, keys.hidden_size);
  const positionTableSize = int('max_position_embeddings', d.max_position_embeddings);
  const padTokenId = int('pad_token_id', d.pad_token_id, 0);
  const out: FamilyFields = {
    keys, defaultAct: d.hidden_act,
    vocabSize: int('vocab_size', d.vocab_size),
    hiddenSize,
    embeddingSize: d.embedding_size === undefined ? hiddenSize : int('embedding_size', d.embedding_size),
    numHiddenLayers: int('num_hidden_layers', d.num_hidden_layers, 1, keys.num_hidden_layers),
    numAttentionHeads: int('num_attention_heads', d.num_attention_heads, 1, keys.num_attention_heads),
    intermediateSize: int('intermediate_size', d.intermediate_size, 1, keys.intermediate_size),
    maxPositionEmbeddings: positionTableSize,
    positionTableSize,
    positionIds: 'index',
    sinusoidalPositions: false,
    tokenTypes: type !== 'distilbert',
    // DistilBERT has no token types: its graph adds a one-row zero table (made at load).
    typeVocabSize: type === 'distilbert' ? 1 : int('type_vocab_size', d.type_vocab_size),
    numHiddenGroups: 1,
    innerGroupNum: 1,
    // DistilBERT's LayerNorms are built with eps=1e-12 in code; it has no layer_norm_eps key.
    layerNormEps: type === 'distilbert' ? 1e-12 : eps(file, c, d.layer_norm_eps),
    padTokenId,
  };
  if (type === 'roberta' || type === 'xlm-roberta' || type === 'camembert') {
    // Positions start at padding_idx + 1 (RobertaEmbeddings), so the table serves max_position_embeddings − padding_idx − 1 tokens.
    out.positionIds = 'padding';
    out.maxPositionEmbeddings = positionTableSize - padTokenId - 1;
    if (out.maxPositionEmbeddings < 1) {
      configError(file, `max_position_embeddings ${positionTableSize} leaves no position for ${type}: positions start at pad_token_id + 1 = ${padTokenId + 1}`);
    }
    // The graph feeds position ids through the token-type channel and adds the one type row per position (bert.ts).
    if (out.typeVocabSize !== 1) configError(file, `type_vocab_size ${out.typeVocabSize} is not supported for ${type} (only 1, as every released checkpoint has)`);
  }
  if (type === 'distilbert') {
    const sin = Object.hasOwn(c, 'sinusoidal_pos_embds') ? c.sinusoidal_pos_embds : false;
    if (typeof sin !== 'boolean') configError(file, `"sinusoidal_pos_embds" must be true or false, got ${JSON.stringify(sin)}`);
    out.sinusoidalPositions = sin;
    if (out.hiddenSize % 2 !== 0 && sin) configError(file, `sinusoidal_pos_embds needs an even dim, got ${out.hiddenSize}`);
  }
  if (type === 'albert') {
    out.numHiddenGroups = int('num_hidden_groups', 1);
    out.innerGroupNum = int('inner_group_num', 1);
    if (out.numHiddenLayers * out.innerGroupNum > MAX_BLOCKS_RUN) {
      configError(file, `num_hidden_layers × inner_group_num = ${out.numHiddenLayers * out.innerGroupNum} blocks per forward, over the limit of ${MAX_BLOCKS_RUN}`);
    }
  }
  return out;
}

function eps(file: string, c: Json, fallback: number): number {
  const v = Object.hasOwn(c, 'layer_norm_eps') ? c.layer_norm_eps : fallback;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) configError(file, `"layer_norm_eps" must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}
