// config.json → BertConfig: the fixture configs parse to the values written in them, HF defaults fill missing keys,
// and every invalid config is an error naming the key. expectedWeights is checked against the fixture checkpoint's
// own header (names and shapes written by PyTorch, read here with JSON.parse).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectedWeights, headOf, parseBertConfig } from '../../src/model/config.ts';
import { planWeightNames } from '../../src/weights/names.ts';
import { WeightsError } from '../../src/weights/errors.ts';

const fixtures = join(import.meta.dirname, '../fixtures');
const read = (f: string) => readFileSync(join(fixtures, f), 'utf8');

/** A fixture checkpoint's tensor names and shapes, read from its safetensors header with JSON.parse. */
function headerOf(folder: string): Record<string, { shape: number[] }> {
  const bytes = readFileSync(join(fixtures, folder, 'model.safetensors'));
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { shape: number[] }>;
  delete header.__metadata__;
  return header;
}

describe('parseBertConfig', () => {
  it('reads the tiny fixture', () => {
    const c = parseBertConfig(read('tiny-bert/config.json'));
    expect(c).toMatchObject({
      modelType: 'bert', hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 4, headSize: 16, intermediateSize: 256,
      maxPositionEmbeddings: 64, typeVocabSize: 2, vocabSize: 344, layerNormEps: 1e-12, hiddenAct: 'gelu', activation: 'gelu',
      padTokenId: 0, numLabels: 3, id2label: ['negative', 'neutral', 'positive'], problemType: null,
    });
    expect(c.label2id.get('positive')).toBe(2);
    expect(headOf(c)).toBe('sequence-classification');
  });

  it('maps activations and problem types of the other fixtures', () => {
    expect(parseBertConfig(read('tiny-bert-gelu-new/config.json')).activation).toBe('gelu_tanh');
    const multi = parseBertConfig(read('tiny-bert-multilabel/config.json'));
    expect(multi.problemType).toBe('multi_label_classification');
    expect(parseBertConfig(read('tiny-bert-regression/config.json')).numLabels).toBe(1);
  });

  it('fills HF BertConfig defaults and LABEL_i names', () => {
    const c = parseBertConfig({ model_type: 'bert', num_labels: 3 });
    expect(c).toMatchObject({ hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12, intermediateSize: 3072, vocabSize: 30522,
      maxPositionEmbeddings: 512, typeVocabSize: 2, layerNormEps: 1e-12, activation: 'gelu', id2label: ['LABEL_0', 'LABEL_1', 'LABEL_2'] });
    expect(parseBertConfig({ architectures: ['BertModel'] }).modelType).toBe('bert');
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['not JSON', '{"hidden_size": ', /not valid JSON/],
    ['array', '[1, 2]', /must be a JSON object, got an array/],
    ['unknown model_type', { model_type: 'gpt2' }, /model_type "gpt2" is not supported \(supported: bert, distilbert, roberta, xlm-roberta, camembert, electra, albert\)/],
    ['non-BERT architectures without model_type', { architectures: ['GPT2LMHeadModel'] }, /supported model types: bert/],
    ['heads do not divide hidden', { model_type: 'bert', hidden_size: 100, num_attention_heads: 12 }, /hidden_size 100 is not divisible by num_attention_heads 12/],
    ['string size', { model_type: 'bert', hidden_size: '768' }, /"hidden_size" must be an integer ≥ 1, got "768"/],
    ['zero layers', { model_type: 'bert', num_hidden_layers: 0 }, /"num_hidden_layers" must be an integer ≥ 1/],
    ['activation', { model_type: 'bert', hidden_act: 'swish' }, /hidden_act "swish" is not supported \(supported: gelu, gelu_python, gelu_new/],
    ['eps', { model_type: 'bert', layer_norm_eps: -1 }, /"layer_norm_eps" must be a positive number/],
    ['relative positions', { model_type: 'bert', position_embedding_type: 'relative_key' }, /position_embedding_type "relative_key" is not supported/],
    ['id2label gap', { model_type: 'bert', id2label: { 0: 'a', 2: 'b' } }, /id2label keys must be 0\.\.1, got "2"/],
    ['num_labels disagrees', { model_type: 'bert', id2label: { 0: 'a' }, num_labels: 2 }, /num_labels 2 disagrees with id2label's 1 entries/],
    ['problem type', { model_type: 'bert', problem_type: 'ranking' }, /problem_type "ranking" is not one of/],
    ['pad outside vocab', { model_type: 'bert', vocab_size: 10, pad_token_id: 10 }, /pad_token_id 10 is outside the vocabulary/],
    // Sizes are bounded before anything is built from them (these ran out of memory: 38 s, 2.3 GB, abort).
    ['num_labels 4e9', { model_type: 'bert', num_labels: 4e9 }, /"num_labels" is 4000000000, over the limit of 262144/],
    ['num_hidden_layers 1e8', { model_type: 'bert', num_hidden_layers: 1e8 }, /"num_hidden_layers" is 100000000, over the limit of 1024/],
    ['vocab_size 1e12', { model_type: 'bert', vocab_size: 1e12 }, /"vocab_size" is 1000000000000, over the limit/],
    ['one weight over 2^32 elements', { model_type: 'bert', vocab_size: 1 << 24, hidden_size: 1 << 16, num_attention_heads: 64 },
      /vocab_size × hidden_size = 1099511627776 elements, over the 4294967296 one weight may have/],
    // HF reads id2label keys with int(key): "01" and "1" are both class 1, one name lost and class 0 without one.
    ['id2label "01" and "1"', { model_type: 'bert', id2label: { '01': 'a', 1: 'b' } }, /id2label key "01" is not a class index 0\.\.1 written in canonical form \(HF would read it as 1\)/],
    ['id2label " 1"', { model_type: 'bert', id2label: { 0: 'a', ' 1': 'b' } }, /id2label key " 1" is not a class index/],
    ['id2label "-1"', { model_type: 'bert', id2label: { 0: 'a', '-1': 'b' } }, /id2label key "-1" is not a class index/],
    ['id2label "1.0"', { model_type: 'bert', id2label: { 0: 'a', '1.0': 'b' } }, /id2label key "1\.0" is not a class index/],
    ['id2label and num_labels 3', { model_type: 'bert', id2label: { 0: 'a', 1: 'b' }, num_labels: 3 }, /num_labels 3 disagrees with id2label's 2 entries/],
  ];
  for (const [what, input, message] of bad) {
    it(`rejects: ${what}`, () => {
      let err: unknown;
      try {
        parseBertConfig(input, 'm/config.json');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(WeightsError);
      expect((err as WeightsError).code).toBe('config');
      expect((err as Error).message).toMatch(/^m\/config\.json: /);
      expect((err as Error).message).toMatch(message);
    });
  }
});

describe('real-world oddities keep working', () => {
  it('a "__proto__" key is ignored: no field changes', () => {
    const text = read('tiny-bert/config.json');
    const plain = parseBertConfig(text);
    const hostile = text.replace(/^\{/, '{"__proto__": {"num_hidden_layers": 99, "is_decoder": true, "id2label": {"0": "x"}, "hidden_size": 6},');
    expect(hostile).not.toBe(text);
    expect(parseBertConfig(hostile)).toEqual(plain);
    // An object whose prototype carries fields (a caller's own object, not JSON) is read by own keys only.
    expect(parseBertConfig(Object.assign(Object.create({ is_decoder: true, num_hidden_layers: 99 }), JSON.parse(text)))).toEqual(plain);
  });

  it('the limits are far above real models', () => {
    const big = { model_type: 'bert', vocab_size: 250_002, hidden_size: 4096, num_attention_heads: 64, num_hidden_layers: 48,
      intermediate_size: 16_384, max_position_embeddings: 8192, num_labels: 100_000 };
    expect(parseBertConfig(big)).toMatchObject({ vocabSize: 250_002, numHiddenLayers: 48, numLabels: 100_000 });
  });
});

describe('expectedWeights', () => {
  it('matches the names and shapes PyTorch wrote into the fixture checkpoint', () => {
    const header = headerOf('tiny-bert');
    const config = parseBertConfig(read('tiny-bert/config.json'));
    const want = Object.fromEntries(Object.entries(header).map(([k, v]) => [k, v.shape]));
    const got = Object.fromEntries(expectedWeights(config).map((w) => [w.name, w.shape]));
    expect(got).toEqual(want);
    expect(expectedWeights(config, 'base').filter((w) => w.optional).map((w) => w.name)).toEqual(['bert.pooler.dense.weight', 'bert.pooler.dense.bias']);
    expect(expectedWeights(config, 'base').some((w) => w.name.startsWith('classifier'))).toBe(false);
  });
});

describe('pre-training heads (tiny-bert-mlm, BertForPreTraining)', () => {
  const header = headerOf('tiny-bert-mlm');
  const config = parseBertConfig(read('tiny-bert-mlm/config.json'));

  it('the head comes from architectures, and expectedWeights names what PyTorch wrote (decoder tied, so absent)', () => {
    expect(headOf(config)).toBe('pretraining');
    expect(headOf({ ...config, architectures: ['BertForMaskedLM'] })).toBe('masked-lm');
    expect(headOf({ ...config, architectures: ['BertForNextSentencePrediction'] })).toBe('next-sentence');
    const required = Object.fromEntries(expectedWeights(config).filter((w) => !w.optional).map((w) => [w.name, w.shape]));
    expect(required).toEqual(Object.fromEntries(Object.entries(header).map(([k, v]) => [k, v.shape])));
    expect(expectedWeights(config).filter((w) => w.optional)).toEqual([]);
    expect(config.tieWordEmbeddings).toBe(true);
    const untied = expectedWeights({ ...config, tieWordEmbeddings: false }).find((w) => w.name === 'cls.predictions.decoder.weight');
    expect(untied).toEqual({ name: 'cls.predictions.decoder.weight', shape: [config.vocabSize, config.hiddenSize], optional: false });
    expect(() => parseBertConfig(JSON.stringify({ ...JSON.parse(read('tiny-bert-mlm/config.json')), tie_word_embeddings: 'yes' }))).toThrow(/"tie_word_embeddings" must be true or false/);
    expect(expectedWeights(config, 'masked-lm').some((w) => w.name.startsWith('cls.seq_relationship'))).toBe(false);
  });

  it('a file that kept only the decoder copies of the tied embeddings and bias still loads them from those', () => {
    const available = new Map(Object.entries(header).map(([k, v]) => [k, { shape: v.shape, file: 'model.safetensors' }]));
    const embeddings = available.get('bert.embeddings.word_embeddings.weight')!;
    available.delete('bert.embeddings.word_embeddings.weight');
    available.set('cls.predictions.decoder.weight', embeddings);
    const plan = planWeightNames(available, expectedWeights(config));
    expect(plan.map.get('bert.embeddings.word_embeddings.weight')).toBe('cls.predictions.decoder.weight');
    // The same for the decoder's bias, which HF ties to cls.predictions.bias.
    const bias = available.get('cls.predictions.bias')!;
    available.delete('cls.predictions.bias');
    available.set('cls.predictions.decoder.bias', bias);
    expect(planWeightNames(available, expectedWeights(config)).map.get('cls.predictions.bias')).toBe('cls.predictions.decoder.bias');
    // Untied, the decoder is its own tensor: it never stands in for the embeddings.
    expect(() => planWeightNames(available, expectedWeights({ ...config, tieWordEmbeddings: false }))).toThrow(/missing tensor "bert.embeddings.word_embeddings.weight"/);
    available.delete('cls.predictions.decoder.weight');
    expect(() => planWeightNames(available, expectedWeights(config))).toThrow(/missing tensor "bert.embeddings.word_embeddings.weight"/);
  });
});
