// The encoder end to end on the committed tiny-bert fixtures vs PyTorch fp64 references (scripts/make-fixtures).
// Tolerance 1e-4 absolute (the bound): float32 PyTorch itself is within 3e-6 of fp64 here, while the slips
// that matter (eps 1e-5, tanh-GELU, fp16 weights, swapped tensors) move outputs by ≥ 1e-3 on these fixtures.
import { describe, expect, it } from 'vitest';
import { getTestGpu } from '../helpers/gpu.ts';
import { expectClose } from '../helpers/validate.ts';
import { batchOf, loadFixtureModel, readReference, validRows } from '../model/fixture.ts';

const tol = { atol: 1e-4, rtol: 0 };

for (const model of ['tiny-bert', 'tiny-bert-multilabel', 'tiny-bert-regression', 'tiny-bert-gelu-new']) {
  describe(`${model} forward vs PyTorch fp64`, async () => {
    const ref = readReference(model);
    for (const c of ref.cases) {
      it(c.name, async () => {
        const m = await loadFixtureModel(await getTestGpu(), model);
        try {
          const out = await m.forward(batchOf(c), ['lastHiddenState', 'poolerOutput', 'logits']);
          const C = m.config.hiddenSize;
          expectClose(`${c.name} logits`, out.logits!, c.logits.data, tol);
          expectClose(`${c.name} pooler`, out.poolerOutput!, c.poolerOutput.data, tol);
          expectClose(`${c.name} hidden`, validRows(out.lastHiddenState!, c.attentionMask, C), validRows(c.lastHiddenState.data, c.attentionMask, C), tol);
        } finally {
          await m.dispose();
        }
        expect(m.registry.liveCount).toBe(0);
      });
    }
  });
}

// f16 storage (weights and activations; f32 accumulation). Measured worst |Δ| on these fixtures: hidden 5.8e-3,
// pooler 5.1e-3, logits 3.9e-3. Bound: each f16 store rounds by ≤ 2^-11 relative (4.9e-4); LayerNorm outputs are
// O(1–4), stored ~5 times per layer and fed forward through 2 layers and the pooler, so a few 1e-3 is expected and
// 2e-2 leaves room while a swapped or mis-converted tensor (≥ 0.1 here) still fails. Top label and cosine ≥ 0.999
// are the same checks the pipeline's dtype 'auto' makes before choosing f16.
describe('tiny-bert forward in f16 storage vs PyTorch fp64', () => {
  const ref = readReference('tiny-bert');
  const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let ab = 0, aa = 0, bb = 0;
    for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
    return ab / Math.sqrt(aa * bb);
  };
  for (const c of ref.cases) {
    it(c.name, async () => {
      const gpu = await getTestGpu();
      expect(gpu.facts.hasF16, 'the Node adapter (lavapipe) must have shader-f16').toBe(true);
      const m = await loadFixtureModel(gpu, 'tiny-bert', { dtype: 'f16' });
      try {
        const out = await m.forward(batchOf(c), ['lastHiddenState', 'poolerOutput', 'logits']);
        const C = m.config.hiddenSize;
        const f16Tol = { atol: 2e-2, rtol: 0 };
        expectClose(`${c.name} logits`, out.logits!, c.logits.data, f16Tol);
        expectClose(`${c.name} pooler`, out.poolerOutput!, c.poolerOutput.data, f16Tol);
        const hidden = validRows(out.lastHiddenState!, c.attentionMask, C);
        const want = validRows(c.lastHiddenState.data, c.attentionMask, C);
        expectClose(`${c.name} hidden`, hidden, want, f16Tol);
        expect(cosine(hidden, want)).toBeGreaterThan(0.999);
        const L = m.config.numLabels;
        for (let b = 0; b < c.logits.dims[0]; b++) {
          const row = (x: ArrayLike<number>) => Array.from({ length: L }, (_, j) => x[b * L + j]);
          const argmax = (r: number[]) => r.indexOf(Math.max(...r));
          expect(argmax(row(out.logits!))).toBe(argmax(row(c.logits.data)));
        }
      } finally {
        await m.dispose();
      }
    });
  }
});
