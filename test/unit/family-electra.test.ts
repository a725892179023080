// ELECTRA (tiny-electra: embedding_size 16 ≠ hidden 32, so electra.embeddings_project runs): every head on Dawn vs the
// fp64 reference and ONNX Runtime — the classification head (dense + GELU + out_proj), the discriminator
// (replaced-token detection, one logit per token) and the generator's masked-LM head at the embedding size.
import { describe, expect, it } from 'vitest';
import { headOf, parseBertConfig } from '../../src/model/config.ts';
import { describeFamilyHeads } from '../model/family-fixture.ts';

describeFamilyHeads('tiny-electra', [
  ['base', ['lastHiddenState']],
  ['sequence-classification', ['logits']],
  ['token-classification', ['tokenLogits']],
  ['question-answering', ['qaLogits']],
  ['replaced-token-detection', ['discriminatorLogits']],
  ['masked-lm', ['mlmLogits']],
]);

describe('ELECTRA config', () => {
  it('reads embedding_size and names its heads from architectures', () => {
    const c = parseBertConfig({ model_type: 'electra', embedding_size: 128, hidden_size: 256, architectures: ['ElectraForPreTraining'] });
    expect(c).toMatchObject({ embeddingSize: 128, hiddenSize: 256, numAttentionHeads: 4, intermediateSize: 1024 });
    expect(headOf(c)).toBe('replaced-token-detection');
    expect(headOf({ ...c, architectures: ['ElectraForMaskedLM'] })).toBe('masked-lm');
    expect(headOf({ ...c, architectures: ['ElectraForSequenceClassification'] })).toBe('sequence-classification');
    expect(headOf({ ...c, architectures: ['BertForSequenceClassification'] })).toBe('base');
  });
});
