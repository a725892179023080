// ALBERT (tiny-albert: embedding_size 16, 3 layers over 2 shared groups of 2 inner layers, gelu_new): every head on
// Dawn vs the fp64 reference and ONNX Runtime. Layer i runs group int(i / (3 / 2)) — 0, 0, 1 — so the graph references
// the same fused weights from several layers.
import { describe, expect, it } from 'vitest';
import { buildBertGraph } from '../../src/model/bert.ts';
import { headOf, parseBertConfig } from '../../src/model/config.ts';
import { albertGroupOf } from '../../src/model/families/layouts.ts';
import { describeFamilyHeads } from '../model/family-fixture.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../model/fixture.ts';

describeFamilyHeads('tiny-albert', [
  ['base', ['lastHiddenState', 'poolerOutput']],
  ['sequence-classification', ['logits', 'poolerOutput']],
  ['token-classification', ['tokenLogits']],
  ['question-answering', ['qaLogits']],
  ['masked-lm', ['mlmLogits']],
  ['pretraining', ['mlmLogits', 'nspLogits']],
]);

describe('ALBERT shared layers', () => {
  it("groups follow HF's int(i / (L / G)), and shared blocks are one graph tensor", () => {
    expect([0, 1, 2].map((i) => albertGroupOf(i, 3, 2))).toEqual([0, 0, 1]);
    expect([0, 1, 2, 3, 4, 5].map((i) => albertGroupOf(i, 6, 4))).toEqual([0, 0, 1, 2, 2, 3]);
    const config = parseBertConfig(readFileSync(join(fixturesDir, 'tiny-albert', 'config.json'), 'utf8'));
    expect(headOf(config)).toBe('sequence-classification');
    expect(headOf({ ...config, architectures: ['AlbertForPreTraining'] })).toBe('pretraining');
    const g = buildBertGraph(config, { B: 1, T: 8, dtype: 'f32', head: 'base', hasPooler: true });
    const qkvReads = g.ops.filter((o) => o.kind === 'matmul' && g.tensors[o.w].name.endsWith('attention.qkv.weight')).map((o) => (o.kind === 'matmul' ? o.w : -1));
    // 3 layers × 2 inner blocks run; 2 groups × 2 inner blocks exist: layers 0 and 1 share group 0's tensors.
    expect(qkvReads.length).toBe(6);
    expect(new Set(qkvReads).size).toBe(4);
    expect(qkvReads.slice(0, 2)).toEqual(qkvReads.slice(2, 4));
  });
});
