// DistilBERT (tiny-distilbert: sinusoidal_pos_embds, so the position table is not in the file and is made at load as
// HF's create_sinusoidal_embeddings does; no token types: the pair case's type ids 1 are ignored): every head on Dawn
// vs the fp64 reference and ONNX Runtime.
import { describe, expect, it } from 'vitest';
import { parseBertConfig } from '../../src/model/config.ts';
import { expectedWeights } from '../../src/model/config.ts';
import { describeFamilyHeads } from '../model/family-fixture.ts';

describeFamilyHeads('tiny-distilbert', [
  ['base', ['lastHiddenState']],
  ['sequence-classification', ['logits']],
  ['token-classification', ['tokenLogits']],
  ['question-answering', ['qaLogits']],
  ['masked-lm', ['mlmLogits']],
]);

describe('DistilBERT config', () => {
  it("reads dim / hidden_dim / n_layers / n_heads / activation; no token types; eps 1e-12", () => {
    const c = parseBertConfig({ model_type: 'distilbert', dim: 768, hidden_dim: 3072, n_layers: 6, n_heads: 12, activation: 'gelu', vocab_size: 30522 });
    expect(c).toMatchObject({ modelType: 'distilbert', hiddenSize: 768, intermediateSize: 3072, numHiddenLayers: 6, numAttentionHeads: 12,
      tokenTypes: false, typeVocabSize: 1, layerNormEps: 1e-12, sinusoidalPositions: false, embeddingSize: 768 });
    expect(() => parseBertConfig({ model_type: 'distilbert', activation: 'swish' })).toThrow(/activation "swish" is not supported/);
    expect(() => parseBertConfig({ model_type: 'distilbert', dim: 100, n_heads: 12 })).toThrow(/dim 100 is not divisible by n_heads 12/);
  });

  it('expects no token-type table; the position table only when not sinusoidal', () => {
    const names = (cfg: object) => expectedWeights(parseBertConfig({ model_type: 'distilbert', n_layers: 1, ...cfg }), 'base');
    expect(names({}).some((w) => w.name.includes('token_type'))).toBe(false);
    expect(names({}).find((w) => w.name === 'distilbert.embeddings.position_embeddings.weight')?.optional).toBe(false);
    expect(names({ sinusoidal_pos_embds: true }).find((w) => w.name === 'distilbert.embeddings.position_embeddings.weight')?.optional).toBe(true);
  });
});

describe('tensors made at load for host-memory backends', () => {
  it("DistilBERT's zero type row and sinusoid; RoBERTa's type row per position", async () => {
    const { madeAtLoadTensors } = await import('../../src/model/families/made-at-load.ts');
    const distil = parseBertConfig({ model_type: 'distilbert', dim: 4, n_heads: 2, n_layers: 1, max_position_embeddings: 3, sinusoidal_pos_embds: true });
    const made = madeAtLoadTensors(distil, () => false, () => { throw new Error('not read'); });
    expect(Array.from(made.get('distilbert.embeddings.token_type_embeddings.weight')!.data)).toEqual([0, 0, 0, 0]);
    // Row 1: sin(1), cos(1), sin(1/100), cos(1/100) (10000^(2·⌊j/2⌋/4)).
    expect(Array.from(made.get('distilbert.embeddings.position_embeddings.weight')!.data.subarray(4, 8)))
      .toEqual([Math.sin(1), Math.cos(1), Math.sin(0.01), Math.cos(0.01)].map(Math.fround));
    expect(madeAtLoadTensors(distil, () => true, () => new Float32Array()).has('distilbert.embeddings.position_embeddings.weight')).toBe(false);
    const roberta = parseBertConfig({ model_type: 'roberta', hidden_size: 2, num_attention_heads: 1, max_position_embeddings: 5, pad_token_id: 1, type_vocab_size: 1 });
    const rows = madeAtLoadTensors(roberta, () => true, () => Float32Array.of(0.5, -2));
    expect(rows.get('roberta.embeddings.token_type_embeddings.weight_by_position')).toEqual({ shape: [3, 2], data: Float32Array.of(0.5, -2, 0.5, -2, 0.5, -2) });
  });
});
