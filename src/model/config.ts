// HF config.json → one validated, normalised EncoderConfig for every supported member of the BERT family (BERT,
// DistilBERT, RoBERTa / XLM-RoBERTa / CamemBERT, ELECTRA, ALBERT), plus the list of weights (HF names and shapes) that
// such a model must have. Each family's key names and defaults are HF's (src/model/families/config-readers.ts), so a
// config that works in transformers works here; wrong types, impossible sizes and unsupported features (relative
// positions, decoders) are errors naming the key — raised from config.json alone, before any weight is downloaded.
import { WeightsError } from '../weights/errors.ts';
import { readFamilyFields } from './families/config-readers.ts';
import { ARCHITECTURE_PREFIX } from './families/layouts.ts';
import { MODEL_TYPES, type ModelType } from './families/types.ts';
import { TOKEN_HEAD_OF_ARCHITECTURE, type TokenHead } from './token-heads.ts';

export const SUPPORTED_MODEL_TYPES = MODEL_TYPES;
export type { ModelType };
/** HF `hidden_act` values we run, and the function each one means. */
export const SUPPORTED_ACTIVATIONS = {
  gelu: 'gelu', // exact erf GELU
  gelu_python: 'gelu',
  gelu_new: 'gelu_tanh', // tanh approximation
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
  relu: 'relu',
} as const;
export type Activation = (typeof SUPPORTED_ACTIVATIONS)[keyof typeof SUPPORTED_ACTIVATIONS];
export type ProblemType = 'single_label_classification' | 'multi_label_classification' | 'regression';
const PROBLEM_TYPES: readonly ProblemType[] = ['single_label_classification', 'multi_label_classification', 'regression'];

/** How a family numbers positions. */
export type PositionIds =
  /** arange(T) (BERT, DistilBERT, ELECTRA, ALBERT). */
  | 'index'
  /** RoBERTa's create_position_ids_from_input_ids: padding_idx + 1 + the count of non-pad ids so far; pad ids get padding_idx. */
  | 'padding';

export interface EncoderConfig {
  modelType: ModelType;
  architectures: string[];
  vocabSize: number;
  hiddenSize: number;
  /** Width of the embedding tables (ELECTRA, ALBERT: `embedding_size`; else hiddenSize). */
  embeddingSize: number;
  /** Encoder layers as HF counts them (ALBERT: each runs innerGroupNum blocks of its group). */
  numHiddenLayers: number;
  numAttentionHeads: number;
  /** hiddenSize / numAttentionHeads */
  headSize: number;
  intermediateSize: number;
  /** Longest sequence the position table serves (RoBERTa: max_position_embeddings − padding_idx − 1). */
  maxPositionEmbeddings: number;
  /** Rows of the position table (max_position_embeddings as written). */
  positionTableSize: number;
  positionIds: PositionIds;
  /** DistilBERT's sinusoidal_pos_embds: the position table is HF's fixed sinusoid (made at load if the file lacks it). */
  sinusoidalPositions: boolean;
  /** Whether the model reads token type ids (DistilBERT does not: its graph gets a one-row zero table). */
  tokenTypes: boolean;
  typeVocabSize: number;
  /** ALBERT's shared layer groups (1 and 1 elsewhere). */
  numHiddenGroups: number;
  innerGroupNum: number;
  layerNormEps: number;
  /** The masked-LM decoder shares the word embeddings (HF `tie_word_embeddings`, default true). */
  tieWordEmbeddings: boolean;
  /** The config's activation as written (`hidden_act`; DistilBERT's `activation`), and what it means. */
  hiddenAct: keyof typeof SUPPORTED_ACTIVATIONS;
  activation: Activation;
  padTokenId: number;
  /** Label names by class index (length = numLabels). */
  id2label: string[];
  label2id: Map<string, number>;
  numLabels: number;
  /** As given in config.json (null when absent; then HF infers it from numLabels). */
  problemType: ProblemType | null;
}

/** The name every existing caller uses: one config type for the whole family. */
export type BertConfig = EncoderConfig;

type Json = Record<string, unknown>;

function bad(file: string, message: string): never {
  throw new WeightsError('config', `${file}: ${message}`, file);
}

/**
 * Upper bounds on config.json's sizes. Far above any real BERT, they keep a hostile config (`num_labels: 4e9`,
 * `num_hidden_layers: 1e8`) from making us allocate by its numbers: every list we build from the config (the expected
 * weights, the label names) is bounded by them, and the weights file must then back each size exactly.
 */
export const CONFIG_LIMITS = {
  vocab_size: 1 << 24,
  hidden_size: 1 << 16,
  num_hidden_layers: 1024,
  num_attention_heads: 1 << 16,
  intermediate_size: 1 << 20,
  max_position_embeddings: 1 << 20,
  type_vocab_size: 1 << 16,
  num_labels: 1 << 18,
  embedding_size: 1 << 16,
  num_hidden_groups: 1024,
  inner_group_num: 64,
} as const;
/** The most elements one weight may have: kernels index weights with u32. */
export const MAX_WEIGHT_ELEMENTS = 2 ** 32;

/** A key's value only if config.json itself has it: a "__proto__" key or an inherited name never reaches a field. */
function own(c: Json, key: string): unknown {
  return Object.hasOwn(c, key) ? c[key] : undefined;
}

/** Reads one integer key: `key` is the canonical (BERT) name for limits, `as` the name this family's config.json uses. */
export function positiveInt(file: string, c: Json, key: keyof typeof CONFIG_LIMITS | 'pad_token_id', fallback: number, min = 1, as: string = key): number {
  const v = Object.hasOwn(c, as) && c[as] !== null ? c[as] : fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) bad(file, `"${as}" must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  const max = key === 'pad_token_id' ? Number.MAX_SAFE_INTEGER : CONFIG_LIMITS[key];
  if (v > max) bad(file, `"${as}" is ${v}, over the limit of ${max}`);
  return v;
}

export function configError(file: string, message: string): never {
  return bad(file, message);
}

/** The family a config.json describes: its model_type, or (very old configs) BERT when its architectures say so. */
function modelTypeOf(file: string, c: Json, architectures: string[]): ModelType {
  const modelType = Object.hasOwn(c, 'model_type') ? c.model_type : undefined;
  if (modelType === undefined) {
    // Very old configs have no model_type; accept them when nothing says they are something else.
    if (!architectures.every((a) => a.startsWith('Bert'))) {
      bad(file, `no "model_type" and architectures ${JSON.stringify(architectures)} are not BERT (supported model types: ${SUPPORTED_MODEL_TYPES.join(', ')})`);
    }
    return 'bert';
  }
  if (!(SUPPORTED_MODEL_TYPES as readonly unknown[]).includes(modelType)) {
    bad(file, `model_type ${JSON.stringify(modelType)} is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`);
  }
  return modelType as ModelType;
}

/** Parses config.json (text or already-parsed JSON) of any supported family. */
export function parseEncoderConfig(input: unknown, file = 'config.json'): EncoderConfig {
  let raw = input;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch (e) {
      bad(file, `not valid JSON (${(e as Error).message})`);
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(file, `must be a JSON object, got ${Array.isArray(raw) ? 'an array' : String(raw)}`);
  const c = raw as Json;

  const architectures = Object.hasOwn(c, 'architectures') && c.architectures !== null ? c.architectures : [];
  if (!Array.isArray(architectures) || !architectures.every((a) => typeof a === 'string')) {
    bad(file, `"architectures" must be a list of strings, got ${JSON.stringify(architectures)}`);
  }
  const modelType = modelTypeOf(file, c, architectures as string[]);
  // Relative positions change attention itself; refused here, from config.json, before any weight is fetched.
  const posType = Object.hasOwn(c, 'position_embedding_type') ? c.position_embedding_type : 'absolute';
  if (posType !== 'absolute' && posType !== null) {
    bad(file, `position_embedding_type ${JSON.stringify(posType)} is not supported (only "absolute"; ${modelType} with relative position embeddings cannot run here)`);
  }
  if (own(c, 'is_decoder') === true || own(c, 'add_cross_attention') === true) bad(file, `decoder ${modelType === 'bert' ? 'BERT' : modelType} (is_decoder / add_cross_attention) is not supported`);
  const f = readFamilyFields(file, c, modelType);

  if (f.hiddenSize % f.numAttentionHeads !== 0) {
    bad(file, `${f.keys.hidden_size} ${f.hiddenSize} is not divisible by ${f.keys.num_attention_heads} ${f.numAttentionHeads}`);
  }
  const act = Object.hasOwn(c, f.keys.hidden_act) ? c[f.keys.hidden_act] : f.defaultAct;
  if (typeof act !== 'string' || !Object.hasOwn(SUPPORTED_ACTIVATIONS, act)) {
    bad(file, `${f.keys.hidden_act} ${JSON.stringify(act)} is not supported (supported: ${Object.keys(SUPPORTED_ACTIVATIONS).join(', ')})`);
  }
  const hiddenAct = act as keyof typeof SUPPORTED_ACTIVATIONS;
  const tie = Object.hasOwn(c, 'tie_word_embeddings') ? c.tie_word_embeddings : true;
  if (typeof tie !== 'boolean') bad(file, `"tie_word_embeddings" must be true or false, got ${JSON.stringify(tie)}`);

  const { id2label, label2id } = parseLabels(file, c);
  const problemType = Object.hasOwn(c, 'problem_type') && c.problem_type !== null ? c.problem_type : null;
  if (problemType !== null && !PROBLEM_TYPES.includes(problemType as ProblemType)) {
    bad(file, `problem_type ${JSON.stringify(problemType)} is not one of ${PROBLEM_TYPES.join(', ')}`);
  }
  if (f.padTokenId >= f.vocabSize) bad(file, `pad_token_id ${f.padTokenId} is outside the vocabulary (vocab_size ${f.vocabSize})`);

  const { keys: _keys, defaultAct: _act, ...sizes } = f;
  const config: EncoderConfig = {
    modelType,
    architectures: [...(architectures as string[])],
    ...sizes,
    headSize: f.hiddenSize / f.numAttentionHeads,
    tieWordEmbeddings: tie as boolean,
    hiddenAct,
    activation: SUPPORTED_ACTIVATIONS[hiddenAct],
    id2label,
    label2id,
    numLabels: id2label.length,
    problemType: problemType as ProblemType | null,
  };
  checkWeightSizes(file, config);
  return config;
}

/** parseEncoderConfig under its original name (every family, not only BERT). */
export const parseBertConfig = parseEncoderConfig;

/**
 * id2label (keys "0".."n-1", each exactly once), else num_labels with HF's LABEL_i names, else HF's default of 2 labels.
 * HF reads each key with int(key), so "01" and "1" would both be class 1 and one of them silently lost; we accept only
 * canonical decimal keys, so every class has exactly one name and the label printed is the argmax's.
 */
function parseLabels(file: string, c: Json): { id2label: string[]; label2id: Map<string, number> } {
  let id2label: string[];
  if (Object.hasOwn(c, 'id2label') && c.id2label !== null) {
    const m = c.id2label;
    if (typeof m !== 'object' || Array.isArray(m)) bad(file, `"id2label" must be an object {"0": "label", ...}, got ${JSON.stringify(m)}`);
    const keys = Object.keys(m as object);
    if (keys.length === 0) bad(file, 'id2label is empty');
    if (keys.length > CONFIG_LIMITS.num_labels) bad(file, `id2label has ${keys.length} labels, over the limit of ${CONFIG_LIMITS.num_labels}`);
    id2label = new Array<string>(keys.length);
    for (const k of keys) {
      const v = (m as Json)[k];
      if (!/^(0|[1-9]\d*)$/.test(k)) {
        const asInt = /^\s*[+-]?\d+\s*$/.test(k) ? ` (HF would read it as ${Number(k)})` : '';
        bad(file, `id2label key ${JSON.stringify(k)} is not a class index 0..${keys.length - 1} written in canonical form${asInt}`);
      }
      const i = Number(k);
      if (i >= keys.length) bad(file, `id2label keys must be 0..${keys.length - 1}, got "${k}"`);
      if (typeof v !== 'string') bad(file, `id2label["${k}"] must be a string, got ${JSON.stringify(v)}`);
      id2label[i] = v; // n distinct canonical keys, all below n: each class gets exactly one name
    }
    if (Object.hasOwn(c, 'num_labels') && c.num_labels !== null && c.num_labels !== id2label.length) {
      bad(file, `num_labels ${JSON.stringify(c.num_labels)} disagrees with id2label's ${id2label.length} entries`);
    }
  } else {
    const n = positiveInt(file, c, 'num_labels', 2);
    id2label = Array.from({ length: n }, (_, i) => `LABEL_${i}`);
  }
  const label2id = new Map<string, number>();
  id2label.forEach((l, i) => {
    if (!label2id.has(l)) label2id.set(l, i);
  });
  return { id2label, label2id };
}

/** Each weight's element count from the config alone (no list built), checked against MAX_WEIGHT_ELEMENTS. */
function checkWeightSizes(file: string, config: BertConfig): void {
  const C = config.hiddenSize;
  const E = config.embeddingSize;
  const width = E === C ? 'hidden_size' : 'embedding_size';
  const products: Array<[string, number]> = [
    [`vocab_size × ${width}`, config.vocabSize * E],
    [`max_position_embeddings × ${width}`, config.positionTableSize * E],
    ['intermediate_size × hidden_size', config.intermediateSize * C],
    ['num_labels × hidden_size', config.numLabels * C],
  ];
  for (const [what, n] of products) {
    if (n > MAX_WEIGHT_ELEMENTS) bad(file, `${what} = ${n} elements, over the ${MAX_WEIGHT_ELEMENTS} one weight may have`);
  }
}

/**
 * The head a checkpoint carries. 'masked-lm' (…ForMaskedLM) and 'pretraining' (BertForPreTraining: masked-LM and
 * next-sentence heads; AlbertForPreTraining: masked-LM and sentence-order heads) fill in masks; 'next-sentence'
 * (BertForNextSentencePrediction) has the NSP head only; 'token-classification', 'question-answering' and ELECTRA's
 * 'replaced-token-detection' (ElectraForPreTraining, the discriminator) score every token (src/model/token-heads.ts).
 */
export type BertHead = 'base' | 'sequence-classification' | 'masked-lm' | 'pretraining' | 'next-sentence' | TokenHead;

/** Heads by the class name after the family's prefix (`Roberta` + `ForSequenceClassification`). */
const HEAD_OF_SUFFIX: Record<string, BertHead> = {
  ForSequenceClassification: 'sequence-classification',
  ForMaskedLM: 'masked-lm',
  ForTokenClassification: 'token-classification',
  ForQuestionAnswering: 'question-answering',
};
/** Heads whose class exists in one family only. */
const FAMILY_HEADS: Partial<Record<ModelType, Record<string, BertHead>>> = {
  bert: { ForPreTraining: 'pretraining', ForNextSentencePrediction: 'next-sentence' },
  albert: { ForPreTraining: 'pretraining' },
  electra: { ForPreTraining: 'replaced-token-detection' },
};

/** The head a checkpoint was saved with, from `architectures` (anything else runs as a base model). */
export function headOf(config: BertConfig): BertHead {
  const prefix = ARCHITECTURE_PREFIX[config.modelType];
  const family = FAMILY_HEADS[config.modelType] ?? {};
  for (const a of config.architectures) {
    if (config.modelType === 'bert' && Object.hasOwn(TOKEN_HEAD_OF_ARCHITECTURE, a)) return TOKEN_HEAD_OF_ARCHITECTURE[a as keyof typeof TOKEN_HEAD_OF_ARCHITECTURE];
    if (!a.startsWith(prefix)) continue;
    const suffix = a.slice(prefix.length);
    if (Object.hasOwn(HEAD_OF_SUFFIX, suffix)) return HEAD_OF_SUFFIX[suffix];
    if (Object.hasOwn(family, suffix)) return family[suffix];
  }
  return 'base';
}

/** A family's class name for a head suffix: architectureName(config, 'ForMaskedLM') → 'RobertaForMaskedLM' (for messages). */
export function architectureName(config: BertConfig, suffix: string): string {
  return `${ARCHITECTURE_PREFIX[config.modelType]}${suffix}`;
}

/** Whether the head predicts tokens (fill-mask). */
export function hasMaskedLmHead(head: BertHead): boolean {
  return head === 'masked-lm' || head === 'pretraining';
}

/** Whether the head scores every token (token classification, question answering, ELECTRA's discriminator): `logits` is (B, T, width). */
export function isTokenHead(head: BertHead): head is TokenHead {
  return head === 'token-classification' || head === 'question-answering' || head === 'replaced-token-detection';
}

/** Whether the head has the 2-way classifier on the pooled output (BERT's cls.seq_relationship, ALBERT's sentence order). */
export function hasNextSentenceHead(head: BertHead): boolean {
  return head === 'pretraining' || head === 'next-sentence';
}

export interface ExpectedWeight {
  /** Canonical HF name: base-model weights carry the family's prefix (`bert.`, `roberta.`, …), head weights are top-level (`classifier.*`). */
  name: string;
  shape: number[];
  /** Absent tensors are allowed (the base model's pooler, which sentence-embedding checkpoints may drop). */
  optional: boolean;
}

export { expectedWeights } from './families/weights.ts';
