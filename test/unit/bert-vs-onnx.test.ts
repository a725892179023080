// Our encoder vs ONNX Runtime (transformers.js 4.3, onnxruntime-node CPU) on the same weights (the fixture's
// onnx/model.onnx, exported from the same PyTorch model), on every reference input. Tolerance 1e-4 absolute, as
// against the fp64 reference: ORT itself is within 5e-6 of fp64 on these fixtures.
import { dirname, join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { getTestGpu } from '../helpers/gpu.ts';
import { expectClose } from '../helpers/validate.ts';
import { batchOf, fixturesDir, loadFixtureModel, readReference, validRows } from '../model/fixture.ts';
import type { BertModel } from '../../src/model/bert-model.ts';

const tol = { atol: 1e-4, rtol: 0 };

for (const name of ['tiny-bert', 'tiny-bert-gelu-new']) {
  describe(`${name}: bertgpu vs ONNX Runtime via transformers.js`, async () => {
    const { env, AutoModelForSequenceClassification, Tensor } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = dirname(join(fixturesDir, name)) + '/';
    const ort = await AutoModelForSequenceClassification.from_pretrained(name, { dtype: 'fp32' });
    let ours: BertModel | null = null;
    afterAll(async () => {
      await ort.dispose();
      await ours?.dispose();
    });
    const i64 = (rows: number[][]) => new Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0].length]);

    for (const c of readReference(name).cases) {
      it(c.name, async () => {
        ours ??= await loadFixtureModel(await getTestGpu(), name);
        // The reference ids come from the HF Rust tokenizer; transformers.js's own truncation drops the final [SEP].
        const theirs = await ort({ input_ids: i64(c.inputIds), attention_mask: i64(c.attentionMask), token_type_ids: i64(c.tokenTypeIds) });
        const out = await ours.forward(batchOf(c), ['lastHiddenState', 'logits']);
        const C = ours.config.hiddenSize;
        expectClose(`${c.name} logits vs ORT`, out.logits!, theirs.logits.data as Float32Array, tol);
        // The classification export also returns last_hidden_state (see docs/fixtures.md).
        const ortHidden = (theirs.last_hidden_state ?? theirs.attentions?.[0])?.data as Float32Array | undefined;
        if (!ortHidden) throw new Error(`ONNX model returned no last_hidden_state (outputs: ${Object.keys(theirs).join(', ')})`);
        expectClose(`${c.name} hidden vs ORT`, validRows(out.lastHiddenState!, c.attentionMask, C), validRows(ortHidden, c.attentionMask, C), tol);
      });
    }
  });
}
