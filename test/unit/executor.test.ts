// Executor properties: padding never changes valid positions, plans are built once per (batch, bucket) and then
// create no pipeline, bind group or buffer per forward, a layer is ≤ 6 dispatches, and the arena reuses buffers.
import { describe, expect, it } from 'vitest';
import { getTestGpu } from '../helpers/gpu.ts';
import { expectClose } from '../helpers/validate.ts';
import { batchOf, loadFixtureModel, readReference } from '../model/fixture.ts';

describe('executor', () => {
  it('a padded batch equals the unpadded single runs on valid positions', async () => {
    const model = await loadFixtureModel(await getTestGpu(), 'tiny-bert');
    try {
      const c = readReference('tiny-bert').cases.find((x) => x.name === 'padded_batch')!;
      const batch = await model.forward(batchOf(c), ['lastHiddenState', 'logits']);
      const C = model.config.hiddenSize;
      const L = model.config.numLabels;
      for (let b = 0; b < c.inputIds.length; b++) {
        const n = c.attentionMask[b].reduce((a, v) => a + v, 0);
        const single = await model.forward({
          B: 1, T: n,
          inputIds: Int32Array.from(c.inputIds[b].slice(0, n)),
          tokenTypeIds: Int32Array.from(c.tokenTypeIds[b].slice(0, n)),
          attentionMask: Int32Array.from(c.attentionMask[b].slice(0, n)),
        }, ['lastHiddenState', 'logits']);
        const T = c.inputIds[0].length;
        expectClose(`row ${b} hidden`, batch.lastHiddenState!.subarray(b * T * C, (b * T + n) * C), single.lastHiddenState!, { atol: 1e-5, rtol: 1e-5 });
        expectClose(`row ${b} logits`, batch.logits!.subarray(b * L, (b + 1) * L), single.logits!, { atol: 1e-5, rtol: 1e-5 });
      }
    } finally {
      await model.dispose();
    }
  });

  it('creates no pipeline, bind group or buffer after the first forward of a bucket (100 forwards)', async () => {
    const gpu = await getTestGpu();
    const model = await loadFixtureModel(gpu, 'tiny-bert');
    const device = gpu.device;
    const counts = { pipelines: 0, bindGroups: 0, buffers: 0 };
    // Count at the device itself, whatever code path would create them.
    const orig = { p: device.createComputePipeline, pa: device.createComputePipelineAsync, bg: device.createBindGroup, b: device.createBuffer };
    device.createComputePipeline = function (d) { counts.pipelines++; return orig.p.call(this, d); };
    device.createComputePipelineAsync = function (d) { counts.pipelines++; return orig.pa.call(this, d); };
    device.createBindGroup = function (d) { counts.bindGroups++; return orig.bg.call(this, d); };
    device.createBuffer = function (d) { counts.buffers++; return orig.b.call(this, d); };
    try {
      const c = readReference('tiny-bert').cases.find((x) => x.name === 'single')!;
      const first = await model.forward(batchOf(c));
      const afterFirst = { ...counts };
      expect(afterFirst.pipelines).toBeGreaterThan(0);
      expect(afterFirst.bindGroups).toBeGreaterThan(0);
      for (let i = 0; i < 100; i++) {
        const out = await model.forward(batchOf(c));
        expect(out.logits).toEqual(first.logits);
      }
      expect(counts).toEqual(afterFirst);
    } finally {
      Object.assign(device, { createComputePipeline: orig.p, createComputePipelineAsync: orig.pa, createBindGroup: orig.bg, createBuffer: orig.b });
      await model.dispose();
    }
  });

  it('runs an encoder layer in 7 dispatches (software profile, f32) and pools activation buffers', async () => {
    const model = await loadFixtureModel(await getTestGpu(), 'tiny-bert');
    try {
      const info = await model.planInfo(4, 16);
      const L = model.config.numHiddenLayers;
      // embedding + 7 per layer (the software profile runs matmul + LayerNorm as two dispatches) + pooler + classifier
      expect(info.dispatches).toBe(1 + 7 * L + 2);
      expect(info.arenaBuffers).toBeLessThan(info.activations);
      expect(info.arenaBytes).toBeGreaterThan(0);
    } finally {
      await model.dispose();
    }
  });

  it('dispose() during a forward lets it finish, then frees every buffer', async () => {
    const model = await loadFixtureModel(await getTestGpu(), 'tiny-bert');
    const c = readReference('tiny-bert').cases.find((x) => x.name === 'single')!;
    await model.forward(batchOf(c)); // plan built
    const running = model.forward(batchOf(c));
    await model.dispose();
    expectClose('logits', (await running).logits!, c.logits.data, { atol: 1e-4, rtol: 0 });
    expect(model.registry.liveCount).toBe(0);
  });

  it('refuses a head size over the attention kernels\' limit before reading weights', async () => {
    const { parseBertConfig } = await import('../../src/model/config.ts');
    const { assertRunnable } = await import('../../src/model/bert.ts');
    const { maxHeadSize } = await import('../../src/gpu/kernels.ts');
    expect(maxHeadSize).toBe(128);
    const config = parseBertConfig({ model_type: 'bert', hidden_size: 1024, num_attention_heads: 4 });
    expect(() => assertRunnable(config)).toThrow(/head size 256 \(hidden_size 1024 \/ num_attention_heads 4\) is over the attention kernel's limit of 128/);
    expect(() => assertRunnable(parseBertConfig({ model_type: 'bert', hidden_size: 1024, num_attention_heads: 8 }))).not.toThrow();
  });

  it('a batch over the device binding limit runs in parts that join to the same outputs', async () => {
    const model = await loadFixtureModel(await getTestGpu(), 'tiny-bert');
    try {
      const c = readReference('tiny-bert').cases.find((x) => x.name === 'padded_batch')!;
      const outputs = ['lastHiddenState', 'poolerOutput', 'logits'] as const;
      const whole = await model.forward(batchOf(c), outputs);
      // As if the device allowed only 3 sequences per binding (a real limit needs a model far larger than tiny-bert).
      (model as unknown as { maxBatchFor: () => number }).maxBatchFor = () => 3;
      const parts = await model.forward(batchOf(c), outputs);
      for (const key of outputs) expectClose(key, parts[key]!, whole[key]!, { atol: 1e-6, rtol: 1e-6 });
      expectClose('logits vs PyTorch', parts.logits!, c.logits.data, { atol: 1e-4, rtol: 0 });
    } finally {
      await model.dispose();
    }
  });

  it('rejects bad batches with errors that name the problem', async () => {
    const model = await loadFixtureModel(await getTestGpu(), 'tiny-bert');
    try {
      const ok = { B: 1, T: 2, inputIds: Int32Array.of(2, 3), tokenTypeIds: Int32Array.of(0, 0), attentionMask: Int32Array.of(1, 1) };
      await expect(model.forward({ ...ok, inputIds: Int32Array.of(2, 9999) })).rejects.toThrow(/inputIds\[1\] = 9999/);
      await expect(model.forward({ ...ok, T: 3 })).rejects.toThrow(/inputIds must have B·T = 3/);
      await expect(model.forward({ ...ok, T: 100, inputIds: new Int32Array(100), tokenTypeIds: new Int32Array(100), attentionMask: new Int32Array(100) }))
        .rejects.toThrow(/exceed max_position_embeddings/);
      await model.dispose();
      await expect(model.forward(ok)).rejects.toThrow(/after dispose/);
    } finally {
      await model.dispose();
    }
  });
});
