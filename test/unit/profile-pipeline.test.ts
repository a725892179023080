// pipe.profile(input) in Node on Dawn/lavapipe (which has timestamp-query): every dispatch of the forward with a GPU
// time, the list equal to the plan the runtime runs (and to the config-only plan dump), and the clear error on a
// device without timestamp-query.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pipeline } from '../../src/node.ts';
import { requestNodeGpu } from '../../src/gpu/node-gpu.ts';
import { requestDevice } from '../../src/gpu/device.ts';
import { parseBertConfig } from '../../src/model/config.ts';
import { planDump } from '../../src/model/plan-dump.ts';
import { adapterProfile } from '../../src/graph/variants.ts';
import type { ProfileResult } from '../../src/runtime/profile.ts';
import { createStepTimer } from '../../src/graph/step-timer.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { fixturesDir } from '../model/fixture.ts';

const folder = (name: string) => join(fixturesDir, name);
const configOf = (name: string) => parseBertConfig(JSON.parse(readFileSync(join(folder(name), 'config.json'), 'utf8')));

function expectTimed(p: ProfileResult): void {
  expect(p.dispatches.length).toBeGreaterThan(0);
  for (const d of p.dispatches) {
    expect(Number.isFinite(d.gpuMs) && d.gpuMs >= 0, `${d.kernel} ${d.gpuMs}`).toBe(true);
    expect(d.flops).toBeGreaterThanOrEqual(0);
  }
  expect(p.totals.dispatches).toBe(p.dispatches.length);
  expect(p.totals.gpuMs).toBeGreaterThan(0);
  expect(p.totals.gpuMs).toBeCloseTo(p.dispatches.reduce((a, d) => a + d.gpuMs, 0), 9);
  expect(p.totals.flops).toBe(p.dispatches.reduce((a, d) => a + d.flops, 0));
  expect(p.totals.gflops).toBeGreaterThan(0);
}

const withoutTimes = (p: ProfileResult) => p.dispatches.map(({ gpuMs: _, ...d }) => d);

describe('pipeline.profile (Node)', () => {
  it('text-classification: one timed entry per dispatch, equal to the plan dump for the same shape', async () => {
    const classify = await pipeline('text-classification', folder('tiny-bert'), { dtype: 'f32' });
    try {
      const p = await classify.profile(['a short text', 'and a second, somewhat longer text to pad against']);
      expectTimed(p);
      expect(p.B).toBe(2);
      const dump = planDump(configOf('tiny-bert'), { B: p.B, T: p.T, adapter: adapterProfile((await getTestGpu()).facts) });
      expect([p.batchBucket, p.sequenceBucket]).toEqual([dump.batchBucket, dump.sequenceBucket]);
      expect(withoutTimes(p)).toEqual(dump.dispatches);
      // Ordinary calls still work afterwards, and profiling did not count as a call.
      expect((await classify('fine'))[0].score).toBeGreaterThan(0);
      expect((await classify.stats()).calls).toBe(1);
    } finally {
      await classify.dispose();
    }
  });

  it('feature-extraction and fill-mask: the tasks\' own preparation (fill-mask times the decoder on the [MASK] rows)', async () => {
    const extract = await pipeline('feature-extraction', folder('tiny-bert'), { dtype: 'f32' });
    try {
      const p = await extract.profile('hello world');
      expectTimed(p);
      expect(p.dispatches.filter((d) => d.op === 'attention')).toHaveLength(configOf('tiny-bert').numHiddenLayers);
    } finally {
      await extract.dispose();
    }
    const fill = await pipeline('fill-mask', folder('tiny-bert-mlm'), { dtype: 'f32' });
    try {
      const p = await fill.profile('the [MASK] is here and [MASK] too');
      expectTimed(p);
      const gather = p.dispatches.findIndex((d) => d.op === 'gatherRows');
      expect(gather).toBeGreaterThan(0);
      const V = configOf('tiny-bert-mlm').vocabSize;
      // Two masks → a decoder over 2 rows.
      expect(p.dispatches[gather + 3].flops).toBe(2 * 2 * V * configOf('tiny-bert-mlm').hiddenSize + 2 * V);
      await expect(fill.profile('no mask here')).rejects.toThrow(/mask/i);
    } finally {
      await fill.dispose();
    }
  });

  it('a device made without timestamp-query gets a clear error naming the feature', async () => {
    const { gpu, adapter } = await requestNodeGpu();
    const device = await adapter.requestDevice({ label: 'no-timestamps' });
    expect(device.features.has('timestamp-query')).toBe(false);
    const classify = await pipeline('text-classification', folder('tiny-bert'), { dtype: 'f32', device });
    try {
      await expect(classify.profile('text')).rejects.toThrow(/created without timestamp-query; to profile, request it with requiredFeatures: \['timestamp-query'\]/);
      expect((await classify('text'))).toHaveLength(1);
    } finally {
      await classify.dispose();
      device.destroy();
      expect(gpu).toBeTruthy();
    }
  });

  it('the step timer on a device without timestamp-query: "this adapter has no timestamp-query; …" before any work', async () => {
    const { gpu, adapter } = await requestNodeGpu();
    const device = await adapter.requestDevice({ label: 'no-timestamps' });
    try {
      expect(() => createStepTimer(device, 13)).toThrow(/^this adapter has no timestamp-query; per-dispatch GPU times need it/);
    } finally {
      device.destroy();
      expect(gpu).toBeTruthy();
    }
  });

  it('a normal call records one compute pass; only profile() records one per dispatch', async () => {
    const { gpu, adapter } = await requestNodeGpu();
    const device = await adapter.requestDevice({ requiredFeatures: ['timestamp-query'] });
    let passes = 0;
    const createEncoder = device.createCommandEncoder.bind(device);
    device.createCommandEncoder = (d) => {
      const encoder = createEncoder(d);
      const begin = encoder.beginComputePass.bind(encoder);
      encoder.beginComputePass = (pd) => { passes++; return begin(pd); };
      return encoder;
    };
    const classify = await pipeline('text-classification', folder('tiny-bert'), { dtype: 'f32', device });
    try {
      await classify('warm the plan');
      passes = 0;
      await classify('one call');
      expect(passes).toBe(1);
      passes = 0;
      const p = await classify.profile('one call');
      expect(passes).toBe(p.dispatches.length);
      expect(p.totals.gpuMs).toBeGreaterThan(0);
    } finally {
      await classify.dispose();
      device.destroy();
      expect(gpu).toBeTruthy();
    }
  });

  it('ours: requestDevice asks for timestamp-query where the adapter has it', async () => {
    const { gpu, adapter } = await requestNodeGpu();
    const ctx = await requestDevice(adapter, { instance: gpu });
    try {
      expect(ctx.device.features.has('timestamp-query')).toBe(adapter.features.has('timestamp-query'));
    } finally {
      ctx.device.destroy();
    }
  });
});

