// Issue 12's occupancy acceptance, on the plan dump (`bertgpu plan --profile gpu`, the same lowering as the runtime's
// plans: plan-dump.test.ts checks they are equal): at BERT-base 1 × 128 and 8 × 128, in f32 and f16, every dispatch
// carrying ≥ 2 % of an encoder layer's FLOPs (all the matmuls and the attention) launches ≥ 96 workgroups of ≥ 64
// threads, and a layer is ≤ 6 dispatches.
import { describe, expect, it } from 'vitest';
import type { DispatchInfo } from '../../src/graph/dispatch-info.ts';
import { parseBertConfig } from '../../src/model/config.ts';
import { planDump } from '../../src/model/plan-dump.ts';

const bertBase = parseBertConfig({
  architectures: ['BertForSequenceClassification'], hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
  intermediate_size: 3072, max_position_embeddings: 512, vocab_size: 30522, type_vocab_size: 2, hidden_act: 'gelu',
  layer_norm_eps: 1e-12, id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' }, model_type: 'bert',
});
const count = (t: readonly number[]) => t[0] * t[1] * t[2];

/** The dispatches of each encoder layer: between the embedding and the head (pooler, classifier). */
function layers(d: DispatchInfo[], L: number): DispatchInfo[][] {
  expect(d[0].op).toBe('embedding');
  const body = d.slice(1, d.length - 2);
  expect(body.length % L).toBe(0);
  const per = body.length / L;
  return Array.from({ length: L }, (_, l) => body.slice(l * per, (l + 1) * per));
}

describe('GPU profile at BERT-base (plan dump)', () => {
  for (const dtype of ['f32', 'f16'] as const) {
    for (const B of [1, 8]) {
      it(`${B} × 128, ${dtype}: ≤ 6 dispatches per layer; every one with ≥ 2 % of the layer's FLOPs has ≥ 96 workgroups of ≥ 64 threads`, () => {
        const dump = planDump(bertBase, { B, T: 128, dtype, adapter: 'gpu' });
        for (const layer of layers(dump.dispatches, 12)) {
          expect(layer.length).toBeLessThanOrEqual(6);
          const flops = layer.reduce((a, x) => a + x.flops, 0);
          const heavy = layer.filter((x) => x.flops >= 0.02 * flops);
          // QKV, attention + output projection, FFN1, FFN2: the matmuls and the attention.
          expect(heavy.map((x) => x.kernel.replace(/F16$/, ''))).toEqual(['gemmTiled', 'attentionFlashProj', 'gemmTiled', 'gemmTiledPartial']);
          for (const x of heavy) {
            expect(count(x.workgroups), `${x.kernel} workgroups`).toBeGreaterThanOrEqual(96);
            expect(count(x.workgroupSize), `${x.kernel} threads per workgroup`).toBeGreaterThanOrEqual(64);
          }
        }
        // The FLOPs are the same forward's as the software profile's: the split dispatches share out their op's.
        const software = planDump(bertBase, { B, T: 128, dtype, adapter: 'software' });
        const total = (d: DispatchInfo[]) => d.reduce((a, x) => a + x.flops, 0);
        expect(total(dump.dispatches)).toBe(total(software.dispatches) + 0);
      });
    }
  }

  it('the software profile runs 7 dispatches per layer in f32 (5 in f16), and at 1 × 128 under-fills a GPU (what the GPU profile is for)', () => {
    const dump = planDump(bertBase, { B: 1, T: 128, adapter: 'software' });
    const [layer] = layers(dump.dispatches, 12);
    expect(layer).toHaveLength(7);
    expect(layers(planDump(bertBase, { B: 1, T: 128, adapter: 'software', dtype: 'f16' }).dispatches, 12)[0]).toHaveLength(5);
    expect(Math.min(...layer.map((x) => count(x.workgroups)))).toBeLessThan(96);
  });
});
