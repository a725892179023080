// HF config.json → a typed, validated BertConfig, plus the list of weights (HF names and shapes) that a BERT with
// that config must have. Missing keys take the same defaults as HF's BertConfig, so a config that works in
// transformers works here; wrong types, impossible sizes and unsupported features are errors naming the key.
import { WeightsError } from '../weights/errors.ts';
import { TOKEN_HEAD_OF_ARCHITECTURE, tokenHeadWeights, type TokenHead } from './token-heads.ts';

export const SUPPORTED_MODEL_TYPES = ['bert'] as const;
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

export interface BertConfig {
  modelType: 'bert';
  architectures: string[];
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  /** hiddenSize / numAttentionHeads */
  headSize: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  /** The masked-LM decoder shares the word embeddings (HF `tie_word_embeddings`, default true). */
  tieWordEmbeddings: boolean;
  /** The config's `hidden_act` as written, and what it means. */
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
} as const;
/** The most elements one weight may have: kernels index weights with u32. */
export const MAX_WEIGHT_ELEMENTS = 2 ** 32;

/** A key's value only if config.json itself has it: a "__proto__" key or an inherited name never reaches a field. */
function own(c: Json, key: string): unknown {
  return Object.hasOwn(c, key) ? c[key] : undefined;
}

function positiveInt(file: string, c: Json, key: keyof typeof CONFIG_LIMITS | 'pad_token_id', fallback: number, min = 1): number {
  const v = Object.hasOwn(c, key) && c[key] !== null ? c[key] : fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) bad(file, `"${key}" must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  const max = key === 'pad_token_id' ? Number.MAX_SAFE_INTEGER : CONFIG_LIMITS[key];
  if (v > max) bad(file, `"${key}" is ${v}, over the limit of ${max}`);
  return v;
}

/** Parses config.json (text or already-parsed JSON). */
export function parseBertConfig(input: unknown, file = 'config.json'): BertConfig {
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
  const modelType = Object.hasOwn(c, 'model_type') ? c.model_type : undefined;
  if (modelType === undefined) {
    // Very old configs have no model_type; accept them when nothing says they are something else.
    if (!(architectures as string[]).every((a) => a.startsWith('Bert'))) {
      bad(file, `no "model_type" and architectures ${JSON.stringify(architectures)} are not BERT (supported model types: ${SUPPORTED_MODEL_TYPES.join(', ')})`);
    }
  } else if (!(SUPPORTED_MODEL_TYPES as readonly unknown[]).includes(modelType)) {
    bad(file, `model_type ${JSON.stringify(modelType)} is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`);
  }

  const hiddenSize = positiveInt(file, c, 'hidden_size', 768);
  const numAttentionHeads = positiveInt(file, c, 'num_attention_heads', 12);
  if (hiddenSize % numAttentionHeads !== 0) {
    bad(file, `hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numAttentionHeads}`);
  }
  const act = Object.hasOwn(c, 'hidden_act') ? c.hidden_act : 'gelu';
  if (typeof act !== 'string' || !Object.hasOwn(SUPPORTED_ACTIVATIONS, act)) {
    bad(file, `hidden_act ${JSON.stringify(act)} is not supported (supported: ${Object.keys(SUPPORTED_ACTIVATIONS).join(', ')})`);
  }
  const hiddenAct = act as keyof typeof SUPPORTED_ACTIVATIONS;
  const eps = Object.hasOwn(c, 'layer_norm_eps') ? c.layer_norm_eps : 1e-12;
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) bad(file, `"layer_norm_eps" must be a positive number, got ${JSON.stringify(eps)}`);
  const posType = Object.hasOwn(c, 'position_embedding_type') ? c.position_embedding_type : 'absolute';
  if (posType !== 'absolute' && posType !== null) {
    bad(file, `position_embedding_type ${JSON.stringify(posType)} is not supported (only "absolute")`);
  }
  if (own(c, 'is_decoder') === true || own(c, 'add_cross_attention') === true) bad(file, 'decoder BERT (is_decoder / add_cross_attention) is not supported');
  const tie = Object.hasOwn(c, 'tie_word_embeddings') ? c.tie_word_embeddings : true;
  if (typeof tie !== 'boolean') bad(file, `"tie_word_embeddings" must be true or false, got ${JSON.stringify(tie)}`);

  const { id2label, label2id } = parseLabels(file, c);
  const problemType = Object.hasOwn(c, 'problem_type') && c.problem_type !== null ? c.problem_type : null;
  if (problemType !== null && !PROBLEM_TYPES.includes(problemType as ProblemType)) {
    bad(file, `problem_type ${JSON.stringify(problemType)} is not one of ${PROBLEM_TYPES.join(', ')}`);
  }
  const vocabSize = positiveInt(file, c, 'vocab_size', 30522);
  const padTokenId = positiveInt(file, c, 'pad_token_id', 0, 0);
  if (padTokenId >= vocabSize) bad(file, `pad_token_id ${padTokenId} is outside the vocabulary (vocab_size ${vocabSize})`);

  const config: BertConfig = {
    modelType: 'bert',
    architectures: [...(architectures as string[])],
    vocabSize,
    hiddenSize,
    numHiddenLayers: positiveInt(file, c, 'num_hidden_layers', 12),
    numAttentionHeads,
    headSize: hiddenSize / numAttentionHeads,
    intermediateSize: positiveInt(file, c, 'intermediate_size', 3072),
    maxPositionEmbeddings: positiveInt(file, c, 'max_position_embeddings', 512),
    typeVocabSize: positiveInt(file, c, 'type_vocab_size', 2),
    layerNormEps: eps,
    tieWordEmbeddings: tie as boolean,
    hiddenAct,
    activation: SUPPORTED_ACTIVATIONS[hiddenAct],
    padTokenId,
    id2label,
    label2id,
    numLabels: id2label.length,
    problemType: problemType as ProblemType | null,
  };
  checkWeightSizes(file, config);
  return config;
}

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
  const products: Array<[string, number]> = [
    ['vocab_size × hidden_size', config.vocabSize * C],
    ['max_position_embeddings × hidden_size', config.maxPositionEmbeddings * C],
    ['intermediate_size × hidden_size', config.intermediateSize * C],
    ['num_labels × hidden_size', config.numLabels * C],
  ];
  for (const [what, n] of products) {
    if (n > MAX_WEIGHT_ELEMENTS) bad(file, `${what} = ${n} elements, over the ${MAX_WEIGHT_ELEMENTS} one weight may have`);
  }
}

/**
 * The head a checkpoint carries. 'masked-lm' (BertForMaskedLM) and 'pretraining' (BertForPreTraining: masked-LM and
 * next-sentence heads) fill in [MASK]s; 'next-sentence' (BertForNextSentencePrediction) has the NSP head only;
 * 'token-classification' and 'question-answering' are per-token linear heads (src/model/token-heads.ts).
 */
export type BertHead = 'base' | 'sequence-classification' | 'masked-lm' | 'pretraining' | 'next-sentence' | TokenHead;

const HEAD_OF_ARCHITECTURE: Record<string, BertHead> = {
  BertForSequenceClassification: 'sequence-classification',
  BertForMaskedLM: 'masked-lm',
  BertForPreTraining: 'pretraining',
  BertForNextSentencePrediction: 'next-sentence',
  ...TOKEN_HEAD_OF_ARCHITECTURE,
};

/** The head a checkpoint was saved with, from `architectures` (anything else runs as a base model). */
export function headOf(config: BertConfig): BertHead {
  for (const a of config.architectures) if (Object.hasOwn(HEAD_OF_ARCHITECTURE, a)) return HEAD_OF_ARCHITECTURE[a];
  return 'base';
}

/** Whether the head predicts tokens (fill-mask). */
export function hasMaskedLmHead(head: BertHead): boolean {
  return head === 'masked-lm' || head === 'pretraining';
}

/** Whether the head scores every token (token classification, question answering): `logits` is (B, T, width). */
export function isTokenHead(head: BertHead): head is TokenHead {
  return head === 'token-classification' || head === 'question-answering';
}

/** Whether the head has the next-sentence classifier (cls.seq_relationship). */
export function hasNextSentenceHead(head: BertHead): boolean {
  return head === 'pretraining' || head === 'next-sentence';
}

export interface ExpectedWeight {
  /** Canonical HF name: base-model weights carry the `bert.` prefix, head weights are top-level (`classifier.*`). */
  name: string;
  shape: number[];
  /** Absent tensors are allowed (the base model's pooler, which sentence-embedding checkpoints may drop). */
  optional: boolean;
}

/** Every weight a BertModel / BertFor* with this config and head has, with its PyTorch [out, in] shape. */
export function expectedWeights(config: BertConfig, head: BertHead = headOf(config)): ExpectedWeight[] {
  const C = config.hiddenSize;
  const I = config.intermediateSize;
  const out: ExpectedWeight[] = [];
  const add = (name: string, shape: number[], optional = false) => out.push({ name, shape, optional });
  const linear = (prefix: string, outDim: number, inDim: number, optional = false) => {
    add(`${prefix}.weight`, [outDim, inDim], optional);
    add(`${prefix}.bias`, [outDim], optional);
  };
  const layerNorm = (prefix: string) => {
    add(`${prefix}.weight`, [C]);
    add(`${prefix}.bias`, [C]);
  };
  add('bert.embeddings.word_embeddings.weight', [config.vocabSize, C]);
  add('bert.embeddings.position_embeddings.weight', [config.maxPositionEmbeddings, C]);
  add('bert.embeddings.token_type_embeddings.weight', [config.typeVocabSize, C]);
  layerNorm('bert.embeddings.LayerNorm');
  for (let l = 0; l < config.numHiddenLayers; l++) {
    const p = `bert.encoder.layer.${l}`;
    linear(`${p}.attention.self.query`, C, C);
    linear(`${p}.attention.self.key`, C, C);
    linear(`${p}.attention.self.value`, C, C);
    linear(`${p}.attention.output.dense`, C, C);
    layerNorm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, I, C);
    linear(`${p}.output.dense`, C, I);
    layerNorm(`${p}.output.LayerNorm`);
  }
  // The pooler feeds the sequence classifier and the NSP head; other heads may come without it (HF builds the
  // token heads with add_pooling_layer=False, so their checkpoints have none).
  linear('bert.pooler.dense', C, C, head === 'base' || head === 'masked-lm' || isTokenHead(head));
  if (head === 'sequence-classification') linear('classifier', config.numLabels, C);
  if (isTokenHead(head)) out.push(...tokenHeadWeights(config, head));
  if (hasMaskedLmHead(head)) {
    linear('cls.predictions.transform.dense', C, C);
    add('cls.predictions.transform.LayerNorm.weight', [C]);
    add('cls.predictions.transform.LayerNorm.bias', [C]);
    add('cls.predictions.bias', [config.vocabSize]);
    // Tied (the default), the decoder is the word embeddings, as in HF, whatever copy the file may also hold.
    if (!config.tieWordEmbeddings) add('cls.predictions.decoder.weight', [config.vocabSize, C]);
  }
  if (hasNextSentenceHead(head)) linear('cls.seq_relationship', 2, C);
  return out;
}
