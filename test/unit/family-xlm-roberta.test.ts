// XLM-RoBERTa (tiny-xlm-roberta: RoBERTa's architecture under model_type xlm-roberta, a Unigram/SentencePiece
// tokenizer in XLM-R's layout): every head but the masked LM (RoBERTa's, covered by tiny-roberta; XLM-R's fill-mask
// runs in family-pipelines.test.ts) on Dawn vs the fp64 reference and ONNX Runtime, left padding and pad-inside
// positions included.
import { describe, expect, it } from 'vitest';
import { robertaPositionIds } from '../../src/model/bert.ts';
import { describeFamilyHeads, readFamilyReference } from '../model/family-fixture.ts';

describeFamilyHeads('tiny-xlm-roberta', [
  ['base', ['lastHiddenState', 'poolerOutput']],
  ['sequence-classification', ['logits', 'lastHiddenState']],
  ['token-classification', ['tokenLogits']],
  ['question-answering', ['qaLogits']],
]);

describe('XLM-R positions', () => {
  it("position ids are HF's create_position_ids_from_input_ids for every reference case", () => {
    for (const c of readFamilyReference('tiny-xlm-roberta').cases) {
      const B = c.inputIds.length;
      const T = c.inputIds[0].length;
      expect(Array.from(robertaPositionIds(c.inputIds.flat(), B, T, 1)), c.name).toEqual((c.positionIds as number[][]).flat());
    }
  });
});
