// Every family fixture (tiny-distilbert, -roberta, -electra, -albert) as each of its heads on the CPU backend vs the
// fp64 PyTorch references at 1e-4, the heads and fields the GPU family tests check (test/unit/family-*.test.ts).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuBertModel } from '../../src/cpu-backend/cpu-model.ts';
import { loadCpuBertWeights } from '../../src/cpu-backend/cpu-weights.ts';
import { WasmKernels } from '../../src/cpu-backend/wasm-kernels.ts';
import { openModel } from '../../src/hub/model.ts';
import { dirProvider } from '../../src/hub/node-files.ts';
import type { BertOutputName } from '../../src/model/forward-types.ts';
import type { BertHead } from '../../src/model/config.ts';
import { expectClose } from '../helpers/validate.ts';
import { readFamilyReference } from '../model/family-fixture.ts';
import { batchOf, fixturesDir, validRows } from '../model/fixture.ts';

const OURS: Record<string, { ours: BertOutputName; perToken: boolean }> = {
  lastHiddenState: { ours: 'lastHiddenState', perToken: true }, poolerOutput: { ours: 'poolerOutput', perToken: false },
  logits: { ours: 'logits', perToken: false }, tokenLogits: { ours: 'logits', perToken: true }, qaLogits: { ours: 'logits', perToken: true },
  discriminatorLogits: { ours: 'logits', perToken: true }, mlmLogits: { ours: 'mlmLogits', perToken: true }, nspLogits: { ours: 'nspLogits', perToken: false },
};

const common: Array<[BertHead, string[]]> = [
  ['base', ['lastHiddenState']], ['sequence-classification', ['logits']], ['token-classification', ['tokenLogits']],
  ['question-answering', ['qaLogits']], ['masked-lm', ['mlmLogits']],
];
const families: Record<string, Array<[BertHead, string[]]>> = {
  'tiny-distilbert': common,
  'tiny-roberta': [['base', ['lastHiddenState', 'poolerOutput']], ...common.slice(1)],
  'tiny-electra': [...common, ['replaced-token-detection', ['discriminatorLogits']]],
  'tiny-albert': [['base', ['lastHiddenState', 'poolerOutput']], ['sequence-classification', ['logits', 'poolerOutput']], ...common.slice(2), ['pretraining', ['mlmLogits', 'nspLogits']]],
};

let kernels: Promise<WasmKernels> | undefined;

for (const [folder, heads] of Object.entries(families)) {
  describe(`${folder} on the CPU backend vs PyTorch fp64`, () => {
    const ref = readFamilyReference(folder);
    for (const [head, fields] of heads) {
      it(`${head}: ${fields.join(', ')}`, async () => {
        const files = await openModel(dirProvider(join(fixturesDir, folder)));
        const model = await CpuBertModel.create(await loadCpuBertWeights(files, { head }), { kernels: await (kernels ??= WasmKernels.create()) });
        for (const c of ref.cases) {
          const out = await model.forward(batchOf(c), [...new Set(fields.map((f) => OURS[f].ours))]);
          for (const field of fields) {
            const want = c[field] as { dims: number[]; data: number[] } | undefined;
            if (!want && field === 'mlmLogits' && c.name === 'longest') continue; // left out of the file (as the GPU test)
            expect(want, `reference case ${c.name} has no ${field}`).toBeDefined();
            const width = want!.dims.length === 3 ? want!.dims[2] : 1;
            const pick = (a: ArrayLike<number>) => (OURS[field].perToken ? validRows(a, c.attentionMask, width) : Array.from(a));
            expectClose(`${head} ${c.name} ${field}`, pick(out[OURS[field].ours]!), pick(want!.data), { atol: 1e-4, rtol: 0 });
          }
        }
      });
    }
  });
}
