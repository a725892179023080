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
