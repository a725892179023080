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
