// Runs a tiny family fixture (test/fixtures/tiny-<family>, made by scripts/fixtures/make_family_fixtures.py) as each of
// its heads on Dawn and checks every output against the float64 PyTorch reference and against ONNX Runtime
// (onnxruntime-node, CPU, f32) on the committed onnx/model.onnx export of the same weights.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferRegistry } from '../../src/gpu/buffers.ts';
import { loadBertWeights, openModel } from '../../src/hub/model.ts';
import { dirProvider } from '../../src/hub/node-files.ts';
import { BertModel, type BertModelOptions, type BertOutputName } from '../../src/model/bert-model.ts';
import type { BertHead } from '../../src/model/config.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { expectClose } from '../helpers/validate.ts';
import { batchOf, fixturesDir, validRows } from './fixture.ts';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');

interface RefTensor { dims: number[]; data: number[] }
export interface FamilyCase {
  name: string;
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds: number[][];
  [output: string]: unknown;
}

/** Reference field → (our output, ONNX output name, per-token: compare valid rows only). */
const OUTPUTS: Record<string, { ours: BertOutputName; onnx: string; perToken: boolean }> = {
  lastHiddenState: { ours: 'lastHiddenState', onnx: 'last_hidden_state', perToken: true },
  poolerOutput: { ours: 'poolerOutput', onnx: 'pooler_output', perToken: false },
  logits: { ours: 'logits', onnx: 'logits', perToken: false },
  tokenLogits: { ours: 'logits', onnx: 'token_logits', perToken: true },
  qaLogits: { ours: 'logits', onnx: 'qa_logits', perToken: true },
  discriminatorLogits: { ours: 'logits', onnx: 'discriminator_logits', perToken: true },
  mlmLogits: { ours: 'mlmLogits', onnx: 'mlm_logits', perToken: true },
  nspLogits: { ours: 'nspLogits', onnx: 'sop_logits', perToken: false },
};

const tol = { atol: 1e-4, rtol: 0 };

export function readFamilyReference(folder: string): { family: string; cases: FamilyCase[] } {
  return JSON.parse(readFileSync(join(fixturesDir, folder, 'reference.json'), 'utf8'));
}

export async function loadFamilyModel(folder: string, head?: BertHead, options: BertModelOptions = {}): Promise<BertModel> {
  const gpu = await getTestGpu();
  const files = await openModel(dirProvider(join(fixturesDir, folder)));
  const loaded = await loadBertWeights(files, new BufferRegistry(gpu.device), { storage: 'f32', head });
  return BertModel.create(gpu, loaded, { tune: 'off', ...options });
}

/**
 * One test per head: the model loaded as that head, every reference case, each listed reference field compared with
 * our output (valid token rows) at 1e-4 against fp64 and against ONNX Runtime.
 */
export function describeFamilyHeads(folder: string, heads: Array<[BertHead, string[]]>): void {
  describe(`${folder}: every head vs PyTorch fp64 and ONNX Runtime`, async () => {
    const ref = readFamilyReference(folder);
    const session = await ort.InferenceSession.create(join(fixturesDir, folder, 'onnx', 'model.onnx'));
    afterAll(() => session.release());
    const i64 = (rows: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);

    for (const [head, fields] of heads) {
      it(`${head}: ${fields.join(', ')}`, async () => {
        const model = await loadFamilyModel(folder, head);
        try {
          for (const c of ref.cases) {
            const wanted = [...new Set(fields.map((f) => OUTPUTS[f].ours))];
            const out = await model.forward(batchOf(c), wanted);
            const feeds: Record<string, InstanceType<typeof ort.Tensor>> = { input_ids: i64(c.inputIds), attention_mask: i64(c.attentionMask) };
            if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = i64(c.tokenTypeIds);
            const theirs = await session.run(feeds);
            for (const field of fields) {
              const want = c[field] as RefTensor | undefined;
              if (!want && field === 'mlmLogits' && c.name === 'longest') continue; // its (B, T, V) scores are left out of the file
              expect(want, `reference case ${c.name} has no ${field}`).toBeDefined();
              const spec = OUTPUTS[field];
              const got = out[spec.ours] as Float32Array | undefined;
              expect(got, `${head} ${c.name}: no ${spec.ours}`).toBeDefined();
              const width = want!.dims.length === 3 ? want!.dims[2] : 1;
              const pick = (a: ArrayLike<number>) => (spec.perToken ? validRows(a, c.attentionMask, width) : Array.from(a));
              expectClose(`${head} ${c.name} ${field} vs fp64`, pick(got!), pick(want!.data), tol);
              expectClose(`${head} ${c.name} ${field} vs ONNX Runtime`, pick(got!), pick(theirs[spec.onnx].data as Float32Array), tol);
            }
          }
        } finally {
          await model.dispose();
        }
        expect(model.registry.liveCount).toBe(0);
      });
    }

    // The GPU kernel profile fuses attention with its output projection, reading each block's output weight
    // transposed at load: the same logits from the family's block names (ALBERT: shared blocks transposed once).
    it('sequence-classification with the GPU kernel profile (fused attention output)', async () => {
      const model = await loadFamilyModel(folder, 'sequence-classification', { kernelProfile: 'gpu' });
      try {
        for (const c of ref.cases) {
          const out = await model.forward(batchOf(c), ['logits']);
          expectClose(`gpu profile ${c.name} logits vs fp64`, out.logits!, (c.logits as RefTensor).data, tol);
        }
      } finally {
        await model.dispose();
      }
    });
  });
}
