// The GPU kernel profile (shaders/gpu: tiled and narrow GEMMs, split-K + row LayerNorm, flash attention fused with
// the attention-output projection) forced on lavapipe, end to end on the tiny-bert fixtures vs PyTorch fp64
// (reference.json): the same tolerances as bert-forward.test.ts / bert-mlm.test.ts (1e-4 in f32, 2e-2 in f16), so
// the GPU profile is held to what the software profile meets. Also: the profile option, info about the chosen kernels.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getTestGpu } from '../helpers/gpu.ts';
import { expectClose } from '../helpers/validate.ts';
import { batchOf, fixturesDir, loadFixtureModel, readReference, validRows } from '../model/fixture.ts';

const tol = { atol: 1e-4, rtol: 0 };
const f16Tol = { atol: 2e-2, rtol: 0 };

describe('GPU kernel profile forced on lavapipe vs PyTorch fp64', () => {
  for (const model of ['tiny-bert', 'tiny-bert-multilabel', 'tiny-bert-regression', 'tiny-bert-gelu-new']) {
    it(`${model}, f32: every case`, async () => {
      const m = await loadFixtureModel(await getTestGpu(), model, { kernelProfile: 'gpu' });
      try {
        expect(m.kernelProfile.kind).toBe('gpu');
        for (const c of readReference(model).cases) {
          const out = await m.forward(batchOf(c), ['lastHiddenState', 'poolerOutput', 'logits']);
          const C = m.config.hiddenSize;
          expectClose(`${c.name} logits`, out.logits!, c.logits.data, tol);
          expectClose(`${c.name} pooler`, out.poolerOutput!, c.poolerOutput.data, tol);
          expectClose(`${c.name} hidden`, validRows(out.lastHiddenState!, c.attentionMask, C), validRows(c.lastHiddenState.data, c.attentionMask, C), tol);
        }
      } finally {
        await m.dispose();
      }
      expect(m.registry.liveCount).toBe(0);
    });
  }

  it('tiny-bert, f16 storage: every case', async () => {
    const gpu = await getTestGpu();
    expect(gpu.facts.hasF16, 'the Node adapter (lavapipe) must have shader-f16').toBe(true);
    const m = await loadFixtureModel(gpu, 'tiny-bert', { dtype: 'f16', kernelProfile: 'gpu' });
    try {
      expect(await m.kernelChoices(2, 16)).toMatchObject({ matmul: ['gemmTiledF16', 'gemmNarrowSubgroupF16'], attentionOutput: ['attentionFlashProjF16', 'layernormRowF16'] });
      for (const c of readReference('tiny-bert').cases) {
        const out = await m.forward(batchOf(c), ['lastHiddenState', 'poolerOutput', 'logits']);
        const C = m.config.hiddenSize;
        expectClose(`${c.name} logits`, out.logits!, c.logits.data, f16Tol);
        expectClose(`${c.name} pooler`, out.poolerOutput!, c.poolerOutput.data, f16Tol);
        expectClose(`${c.name} hidden`, validRows(out.lastHiddenState!, c.attentionMask, C), validRows(c.lastHiddenState.data, c.attentionMask, C), f16Tol);
      }
    } finally {
      await m.dispose();
    }
  });

  it('tiny-bert-mlm, f32: masked-LM rows (all, and picked) and next-sentence scores', async () => {
    const dir = join(fixturesDir, 'tiny-bert-mlm');
    const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as {
      vocabSize: number; cases: Array<Parameters<typeof batchOf>[0] & { name: string; inputIds: number[][]; maskPositions: number[][]; maskLogits: number[][][]; nsp: number[][]; rowLogits0: number[] }>;
    };
    const m = await loadFixtureModel(await getTestGpu(), 'tiny-bert-mlm', { kernelProfile: 'gpu' });
    try {
      const V = ref.vocabSize;
      for (const c of ref.cases) {
        const T = c.inputIds[0].length;
        const out = await m.forward(batchOf(c), ['mlmLogits', 'nspLogits']);
        c.maskPositions.forEach((positions, b) => positions.forEach((p, k) => {
          expectClose(`${c.name} row ${b} mask ${k}`, out.mlmLogits!.subarray((b * T + p) * V, (b * T + p + 1) * V), c.maskLogits[b][k], tol);
        }));
        expectClose(`${c.name} [CLS] row`, out.mlmLogits!.subarray(0, V), c.rowLogits0, tol);
        expectClose(`${c.name} nsp`, out.nspLogits!, c.nsp.flat(), tol);
        // Few rows: the narrow GEMM runs the head (M ≤ 8).
        const mlmRows = [0, ...c.maskPositions.flatMap((positions, b) => positions.map((p) => b * T + p))];
        const picked = await m.forward({ ...batchOf(c), mlmRows }, ['mlmLogits']);
        expectClose(`${c.name} picked [CLS] row`, picked.mlmLogits!.subarray(0, V), c.rowLogits0, tol);
      }
    } finally {
      await m.dispose();
    }
  });
});

describe('kernelProfile option', () => {
  it("'auto' on lavapipe is the software profile (today's kernels); 'gpu' runs shaders/gpu, 6 dispatches per layer", async () => {
    const gpu = await getTestGpu();
    const auto = await loadFixtureModel(gpu, 'tiny-bert');
    const forced = await loadFixtureModel(gpu, 'tiny-bert', { kernelProfile: 'gpu' });
    try {
      expect(auto.kernelProfile.kind).toBe('software');
      expect(await auto.kernelChoices()).toEqual({
        embedding: ['embedding'], matmul: ['matmulVec4'], attention: ['attentionVec4'], matmulLayernorm: ['matmulVec4', 'layernorm'],
      });
      expect(await forced.kernelChoices()).toEqual({
        embedding: ['embedding'], matmul: ['gemmTiled', 'gemmNarrowSubgroup'], attentionOutput: ['attentionFlashProj', 'layernormRow'],
        matmulLayernorm: ['gemmTiledPartial', 'layernormRow'],
      });
      // embedding, 2 layers × 6, pooler, classifier
      expect(await forced.planDispatches(1, 16)).toHaveLength(1 + 2 * 6 + 2);
      // The transposed attention-output weights replace the originals.
      expect(forced.weights.has('bert.encoder.layer.0.attention.output.dense.weight_t')).toBe(true);
      expect(forced.weights.has('bert.encoder.layer.0.attention.output.dense.weight')).toBe(false);
    } finally {
      await auto.dispose();
      await forced.dispose();
    }
  });

  it('refuses an unknown profile, naming the option', async () => {
    await expect(loadFixtureModel(await getTestGpu(), 'tiny-bert', { kernelProfile: 'fast' as 'gpu' }))
      .rejects.toThrow(/kernelProfile must be 'gpu', 'software' or 'auto', got "fast"/);
  });
});
