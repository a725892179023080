// The plan dump (config.json alone, no device) against the plans the runtime really builds on Dawn/lavapipe, and its
// numbers (workgroup sizes from the kernels' WGSL and overrides, FLOPs from the op shapes) on a BERT-base config.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workgroupSizeOf } from '../../src/graph/dispatch-info.ts';
import { parseBertConfig } from '../../src/model/config.ts';
import { planDump } from '../../src/model/plan-dump.ts';
import { adapterProfile } from '../../src/graph/variants.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { fixturesDir, loadFixtureModel } from '../model/fixture.ts';

const configOf = (name: string) => parseBertConfig(JSON.parse(readFileSync(join(fixturesDir, name, 'config.json'), 'utf8')));

const bertBaseConfig = {
  architectures: ['BertForSequenceClassification'], hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
  intermediate_size: 3072, max_position_embeddings: 512, vocab_size: 30522, type_vocab_size: 2, hidden_act: 'gelu',
  layer_norm_eps: 1e-12, id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' }, model_type: 'bert',
};

describe('plan dump', () => {
  it('equals the dispatches of the plan the runtime builds, for several shapes, both dtypes and both kernel profiles', async () => {
    const gpu = await getTestGpu();
    for (const kernelProfile of ['auto', 'gpu'] as const) {
      for (const dtype of ['f32', 'f16'] as const) {
        const model = await loadFixtureModel(gpu, 'tiny-bert', { dtype, kernelProfile });
        try {
          for (const [B, T] of [[1, 5], [3, 20], [8, 64], [17, 8]]) {
            const real = await model.planDispatches(B, T);
            const adapter = kernelProfile === 'auto' ? adapterProfile(gpu.facts) : model.kernelProfile;
            const dumped = planDump(configOf('tiny-bert'), { B, T, dtype, adapter });
            expect(dumped.dispatches, `${kernelProfile} ${dtype} ${B}×${T}`).toEqual(real);
            // embedding, per layer 6 (gpu), 7 (software f32: matmul + LayerNorm unfused) or 5 (software f16), pooler,
            // classifier
            const perLayer = adapter.kind === 'gpu' ? 6 : dtype === 'f32' ? 7 : 5;
            expect(real.length).toBe(1 + perLayer * 2 + 2);
          }
        } finally {
          await model.dispose();
        }
      }
    }
  });

  it('a masked-LM model: the decoder runs on the bucketed [MASK] rows, as the runtime plans it', async () => {
    const gpu = await getTestGpu();
    const forced = await loadFixtureModel(gpu, 'tiny-bert-mlm', { kernelProfile: 'gpu' });
    try {
      const dumped = planDump(configOf('tiny-bert-mlm'), { B: 2, T: 12, mlmRows: 3, adapter: forced.kernelProfile });
      expect(dumped.dispatches).toEqual(await forced.planDispatches(2, 12, 3));
    } finally {
      await forced.dispose();
    }
    const model = await loadFixtureModel(gpu, 'tiny-bert-mlm');
    try {
      const dumped = planDump(configOf('tiny-bert-mlm'), { B: 2, T: 12, mlmRows: 3, adapter: adapterProfile(gpu.facts) });
      expect(dumped.dispatches).toEqual(await model.planDispatches(2, 12, 3));
      // gather, transform, LayerNorm, decoder.
      const decoder = dumped.dispatches[dumped.dispatches.findIndex((x) => x.op === 'gatherRows') + 3];
      expect(decoder.op).toBe('matmul');
      // 4 rows (3 rounded up) × vocab × hidden.
      const c = configOf('tiny-bert-mlm');
      expect(decoder.flops).toBe(2 * 4 * c.vocabSize * c.hiddenSize + 4 * c.vocabSize);
    } finally {
      await model.dispose();
    }
  });

  it('token heads (ner, qa): the classifier / qa_outputs over every token row, no pooler; dump = the runtime plan', async () => {
    const gpu = await getTestGpu();
    for (const name of ['tiny-bert-ner', 'tiny-bert-qa']) {
      for (const kernelProfile of ['auto', 'gpu'] as const) {
        const model = await loadFixtureModel(gpu, name, { kernelProfile });
        try {
          const adapter = kernelProfile === 'auto' ? adapterProfile(gpu.facts) : model.kernelProfile;
          const real = await model.planDispatches(3, 20);
          // A pooler in the dump's default (hasPooler true) is ignored: these heads never read it.
          expect(planDump(configOf(name), { B: 3, T: 20, adapter }).dispatches, `${name} ${kernelProfile}`).toEqual(real);
          expect(real.length).toBe(1 + (adapter.kind === 'gpu' ? 6 : 7) * 2 + 1);
          const head = real.at(-1)!;
          const c = configOf(name);
          const width = name === 'tiny-bert-qa' ? 2 : c.numLabels;
          // 4 sequences (3 rounded up) × 32 tokens, each scored: 2·M·width·C + bias.
          expect([head.op, head.flops]).toEqual(['matmul', 2 * 4 * 32 * width * c.hiddenSize + 4 * 32 * width]);
        } finally {
          await model.dispose();
        }
      }
    }
  });

  it('BERT-base at 8 × 100, software profile: buckets, 7 dispatches per layer, FLOPs from the shapes, workgroup sizes from the WGSL', () => {
    const config = parseBertConfig(bertBaseConfig);
    const dump = planDump(config, { B: 5, T: 100, adapter: 'software' });
    expect([dump.batchBucket, dump.sequenceBucket]).toEqual([8, 128]);
    const d = dump.dispatches;
    expect(d).toHaveLength(1 + 12 * 7 + 2);
    const layer = d.slice(1, 8);
    // matmul + LayerNorm runs as two dispatches on the software profile in f32 (matmulVec4 + residual, layernorm).
    expect(layer.map((x) => x.op)).toEqual(['matmul', 'attention', 'matmulLayernorm', 'matmulLayernorm', 'matmul', 'matmulLayernorm', 'matmulLayernorm']);
    expect(layer.map((x) => x.kernel)).toEqual(['matmulVec4', 'attentionVec4', 'matmulVec4', 'layernorm', 'matmulVec4', 'matmulVec4', 'layernorm']);
    const M = 8 * 128;
    expect(layer[0].flops).toBe(2 * M * 2304 * 768 + M * 2304); // QKV + bias
    expect(layer[1].flops).toBe(8 * 12 * 128 * 128 * (4 * 64 + 2 + 5)); // QKᵀ, PV, scale+mask, softmax
    expect(layer[2].flops + layer[3].flops).toBe(2 * M * 768 * 768 + M * 768 * 10);
    expect(layer[3].flops).toBe(M * 768 * 8);  // the LayerNorm's share
    expect(layer[4].flops).toBe(2 * M * 3072 * 768 + M * 3072);
    expect(layer[5].flops + layer[6].flops).toBe(2 * M * 768 * 3072 + M * 768 * 10);
    for (const x of d) {
      expect(x.workgroups.every((n) => Number.isInteger(n) && n >= 1)).toBe(true);
      expect(x.workgroupSize.every((n) => Number.isInteger(n) && n >= 1)).toBe(true);
      expect(x.workgroupSize.reduce((a, n) => a * n, 1)).toBeLessThanOrEqual(1024);
    }
    // The whole forward: the matmuls dominate (≈ 2 · params · tokens).
    const total = d.reduce((a, x) => a + x.flops, 0);
    expect(total / (2 * M * 85e6)).toBeGreaterThan(1);
    expect(total / (2 * M * 85e6)).toBeLessThan(1.2);
  });

  it('reads @workgroup_size from the kernel with the call\'s overrides, else the override defaults', () => {
    expect(workgroupSizeOf('matmul', { TILE_ROWS_T: 4, TILE_COLS_T: 16 })).toEqual([16, 4, 1]);
    expect(workgroupSizeOf('matmul')).toEqual([8, 8, 1]);
    expect(workgroupSizeOf('attention', { QB: 32 })).toEqual([32, 1, 1]);
    expect(workgroupSizeOf('layernorm', { HAS_RESIDUAL: false })).toEqual([128, 1, 1]);
  });

  it('refuses bad shapes with errors naming the field', () => {
    const config = configOf('tiny-bert');
    expect(() => planDump(config, { B: 0, T: 8 })).toThrow(/B must be a positive integer, got 0/);
    expect(() => planDump(config, { B: 1, T: 1.5 })).toThrow(/T must be a positive integer, got 1.5/);
    expect(() => planDump(config, { B: 1, T: 65 })).toThrow(/65 tokens exceed max_position_embeddings \(64\)/);
    expect(() => planDump(config, { B: 1, T: 8, adapter: 'tpu' as 'gpu' })).toThrow(/unknown adapter profile "tpu"/);
  });
});
