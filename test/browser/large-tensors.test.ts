// Row blocks in Chromium (SwiftShader): tiny-electra's word embeddings split into 3 blocks (the loader's test
// override maxBindingBytes: a real device never has a binding limit under 128 MiB), fetched over HTTP; the masked-LM
// scores (block gathers, then the tied generator decoder one matmul per block) vs the fp64 reference.
import { describe, expect, it } from 'vitest';
import { requestBrowserGpu } from '../../src/gpu/device.ts';
import { BufferRegistry } from '../../src/gpu/buffers.ts';
import { httpProvider } from '../../src/hub/files.ts';
import { loadBertWeights, openModel } from '../../src/hub/model.ts';
import { BertModel } from '../../src/model/bert-model.ts';
import { expectClose } from '../helpers/validate.ts';
import reference from '../fixtures/tiny-electra/reference.json';

interface Case { name: string; inputIds: number[][]; attentionMask: number[][]; tokenTypeIds: number[][]; mlmLogits?: { data: number[] } }

describe('word embeddings and tied decoder in row blocks (Chromium WebGPU)', () => {
  it('tiny-electra masked-lm in 3 blocks vs fp64', async () => {
    const gpu = await requestBrowserGpu();
    const files = await openModel(httpProvider(`${location.origin}/test/fixtures/tiny-electra`));
    const loaded = await loadBertWeights(files, new BufferRegistry(gpu.device), { storage: 'f32', head: 'masked-lm', maxBindingBytes: 8192 });
    const model = BertModel.create(gpu, loaded, { tune: 'off' });
    try {
      expect(model.weights.get('electra.embeddings.word_embeddings.weight').blocks?.map((b) => b.rows)).toEqual([116, 116, 112]);
      const V = model.config.vocabSize;
      for (const c of (reference as unknown as { cases: Case[] }).cases) {
        if (!c.mlmLogits) continue;
        const B = c.inputIds.length;
        const T = c.inputIds[0].length;
        const out = await model.forward({ B, T, inputIds: Int32Array.from(c.inputIds.flat()), tokenTypeIds: Int32Array.from(c.tokenTypeIds.flat()),
          attentionMask: Int32Array.from(c.attentionMask.flat()) }, ['mlmLogits']);
        const valid = (a: ArrayLike<number>) => c.attentionMask.flatMap((row, b) => row.flatMap((m, t) => (m ? Array.from({ length: V }, (_, v) => a[(b * T + t) * V + v]) : [])));
        expectClose(`${c.name} scores`, valid(out.mlmLogits!), valid(c.mlmLogits.data), { atol: 1e-4, rtol: 0 });
      }
    } finally {
      await model.dispose();
    }
  });
});
