// RoBERTa (tiny-roberta: pad_token_id 1, 40-row position table → 38 usable tokens, one token type): every head on
// Dawn vs the fp64 reference and ONNX Runtime, including left padding and a pad id inside the text, where HF's
// positions (padding_idx + 1 + count of non-pad ids) differ from arange + offset.
import { describe, expect, it } from 'vitest';
import { robertaPositionIds } from '../../src/model/bert.ts';
import { parseBertConfig } from '../../src/model/config.ts';
import { describeFamilyHeads, readFamilyReference } from '../model/family-fixture.ts';

describeFamilyHeads('tiny-roberta', [
  ['base', ['lastHiddenState', 'poolerOutput']],
  ['sequence-classification', ['logits', 'lastHiddenState']],
  ['token-classification', ['tokenLogits']],
  ['question-answering', ['qaLogits']],
  ['masked-lm', ['mlmLogits']],
]);

describe('RoBERTa positions and limits', () => {
  it("position ids are HF's create_position_ids_from_input_ids for every reference case", () => {
    for (const c of readFamilyReference('tiny-roberta').cases) {
      const B = c.inputIds.length;
      const T = c.inputIds[0].length;
      expect(Array.from(robertaPositionIds(c.inputIds.flat(), B, T, 1)), c.name).toEqual((c.positionIds as number[][]).flat());
    }
  });

  it('max positions usable = max_position_embeddings − padding_idx − 1; type_vocab_size must be 1', () => {
    const c = parseBertConfig({ model_type: 'xlm-roberta', max_position_embeddings: 514, pad_token_id: 1, type_vocab_size: 1, vocab_size: 250002 });
    expect(c).toMatchObject({ modelType: 'xlm-roberta', maxPositionEmbeddings: 512, positionTableSize: 514, positionIds: 'padding', typeVocabSize: 1 });
    expect(parseBertConfig({ model_type: 'camembert', max_position_embeddings: 514, pad_token_id: 1, type_vocab_size: 1 }).maxPositionEmbeddings).toBe(512);
    expect(() => parseBertConfig({ model_type: 'roberta', max_position_embeddings: 2, pad_token_id: 1 }, 'm/config.json'))
      .toThrow(/max_position_embeddings 2 leaves no position for roberta/);
    expect(() => parseBertConfig({ model_type: 'roberta', type_vocab_size: 2 })).toThrow(/type_vocab_size 2 is not supported for roberta/);
  });
});
