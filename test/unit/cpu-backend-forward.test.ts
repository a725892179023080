// Every tiny-bert* fixture through the CPU backend (CpuBertModel: the same graph on the WebAssembly kernels) vs the
// PyTorch fp64 references, at the GPU forward tests' tolerance (1e-4 absolute).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCpuBertWeights } from '../../src/cpu-backend/cpu-weights.ts';
import { CpuBertModel } from '../../src/cpu-backend/cpu-model.ts';
import { WasmKernels } from '../../src/cpu-backend/wasm-kernels.ts';
import { openModel } from '../../src/hub/model.ts';
import { dirProvider } from '../../src/hub/node-files.ts';
import { expectClose } from '../helpers/validate.ts';
import { fixturesDir } from '../model/fixture.ts';
import { fixtureChecks, fixtureModels } from '../cpu-backend/fixture-cases.ts';

const tol = { atol: 1e-4, rtol: 0 };

async function loadCpu(model: string): Promise<CpuBertModel> {
  const files = await openModel(dirProvider(join(fixturesDir, model)));
  return CpuBertModel.create(await loadCpuBertWeights(files), { kernels: await WasmKernels.create() });
}

describe('CPU backend forward vs PyTorch fp64', () => {
  it('covers every fixture with a reference', () => {
    expect(fixtureModels().length).toBeGreaterThanOrEqual(7);
  });
  for (const model of fixtureModels()) {
    describe(model, () => {
      let m: Promise<CpuBertModel> | undefined;
      for (const check of fixtureChecks(model)) {
        it(check.name, async () => {
          const cpu = await (m ??= loadCpu(model));
          const out = await cpu.forward(check.batch, check.outputs);
          for (const [label, got, want] of check.compare(out, cpu.config.hiddenSize)) expectClose(`${check.name} ${label}`, got, want, tol);
        });
      }
    });
  }

  it('mlmRows picks rows, attentions come with their layer, and bad input is named', async () => {
    const cpu = await loadCpu('tiny-bert-mlm');
    const [check] = fixtureChecks('tiny-bert-mlm');
    const V = cpu.config.vocabSize;
    const all = await cpu.forward(check.batch, ['mlmLogits']);
    const picked = await cpu.forward({ ...check.batch, mlmRows: [1, 3] }, ['mlmLogits']);
    expectClose('picked rows', picked.mlmLogits!, [...all.mlmLogits!.subarray(V, 2 * V), ...all.mlmLogits!.subarray(3 * V, 4 * V)], { atol: 1e-6, rtol: 0 });
    const { B, T } = check.batch;
    const probs = await cpu.forward(check.batch, ['lastHiddenState', 'attentions'], 1);
    expect(probs.attentions).toHaveLength(B * cpu.config.numAttentionHeads * T * T);
    for (let r = 0; r < B * cpu.config.numAttentionHeads * T; r++) {
      const sum = probs.attentions!.subarray(r * T, (r + 1) * T).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
    }
    await expect(cpu.forward({ ...check.batch, inputIds: check.batch.inputIds.map(() => V) })).rejects.toThrow(/inputIds\[0\] = \d+ is outside/);
    await expect(cpu.forward(check.batch, ['logits'])).rejects.toThrow(/no 'logits' output/);
    await expect(cpu.forward({ ...check.batch, mlmRows: [2, 1] }, ['mlmLogits'])).rejects.toThrow(/ascending/);
  });
});
