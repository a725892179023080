// Dawn's promise polling (src/gpu/dawn-polling.ts): the back-off changes only Dawn's native ticks, keeps
// setImmediate's other behaviour, and on the real Dawn cuts the ticks of a long GPU wait by orders of magnitude (each
// one a turn of a core that lavapipe needs).
import { setImmediate as nodeImmediate } from 'node:timers';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { calmDawnPolling, calmImmediate, type Immediate } from '../../src/gpu/dawn-polling.ts';
import { getTestGpu } from '../helpers/gpu.ts';

const before = globalThis.setImmediate;
afterEach(() => {
  globalThis.setImmediate = before;
});

/** A function whose source reads `[native code]`, as Dawn's Napi callbacks do. */
function nativeLike(fn: () => void): () => void {
  return fn.bind(null);
}

describe('calmImmediate', () => {
  it('passes JavaScript callbacks and callbacks with arguments straight to the original', async () => {
    const seen: unknown[][] = [];
    const original: Immediate = (cb, ...args) => {
      seen.push(args);
      return nodeImmediate(cb, ...args);
    };
    const calm = calmImmediate(original, 0);
    const got = await new Promise((resolve) => calm((a: unknown, b: unknown) => resolve([a, b]), 1, 2));
    expect(got).toEqual([1, 2]);
    await new Promise<void>((resolve) => calm(nativeLike(resolve), 'arg'));
    expect(seen).toEqual([[1, 2], ['arg']]);
  });

  it('polls back to back at the start of a wait, then once per timer turn', async () => {
    let immediate = 0;
    const original: Immediate = (cb, ...args) => {
      immediate++;
      return nodeImmediate(cb, ...args);
    };
    // A Dawn-like poll loop: each tick re-queues itself until `ticks` have run.
    async function pollLoop(calm: Immediate, ticks: number): Promise<void> {
      await new Promise<void>((resolve) => {
        let left = ticks;
        const tick = nativeLike(() => (--left > 0 ? calm(tick) : resolve()));
        calm(tick);
      });
    }
    await pollLoop(calmImmediate(original, 60_000), 20);
    expect(immediate).toBe(20);  // still inside the spin window: every tick immediate
    immediate = 0;
    await pollLoop(calmImmediate(original, 0), 20);
    expect(immediate).toBe(1);  // the first tick starts the wait; its continuations wait for timers
    immediate = 0;
    const calm = calmImmediate(original, 0);
    await pollLoop(calm, 3);
    await pollLoop(calm, 3);
    expect(immediate).toBe(2);  // a tick queued outside a tick starts a new wait
  });

  it('keeps promisify and the identity of what setImmediate returns for ordinary callbacks', async () => {
    const calm = calmImmediate(nodeImmediate as unknown as Immediate) as unknown as typeof setImmediate;
    expect(await promisify(calm)('value')).toBe('value');
    const handle = calm(() => {
      throw new Error('cleared immediates never run');
    });
    clearImmediate(handle);
    await new Promise((resolve) => nodeImmediate(resolve));
  });

  it('installs once, and not at all with BERTGPU_DAWN_POLL=spin', () => {
    const g = globalThis as Record<symbol, unknown>;
    const marker = Symbol.for('bertgpu.dawnPollingBackoff');
    const wasInstalled = g[marker];
    delete g[marker];
    try {
      expect(calmDawnPolling({ BERTGPU_DAWN_POLL: 'spin' })).toBe(false);
      expect(globalThis.setImmediate).toBe(before);
      expect(calmDawnPolling({})).toBe(true);
      const first = globalThis.setImmediate;
      expect(first).not.toBe(before);
      expect(calmDawnPolling({})).toBe(true);
      expect(globalThis.setImmediate).toBe(first);
    } finally {
      if (wasInstalled) g[marker] = wasInstalled;
      else delete g[marker];
    }
  });
});

describe('Dawn polling on the real adapter', () => {
  it('a long GPU wait costs a few thousand ticks instead of a core spinning', async () => {
    const { device } = await getTestGpu();
    const module = device.createShaderModule({
      code: `
        @group(0) @binding(0) var<uniform> n: vec4<u32>;
        @group(0) @binding(1) var<storage, read_write> out: array<f32>;
        @compute @workgroup_size(64)
        fn main(@builtin(global_invocation_id) g: vec3<u32>) {
          var a = f32(g.x);
          for (var i = 0u; i < n.x; i++) { a = a * 0.999999 + 0.5; }
          out[g.x] = a;
        }`,
    });
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const uniform = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const out = device.createBuffer({ size: 64 * 64 * 4, usage: GPUBufferUsage.STORAGE });
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [
      { binding: 0, resource: { buffer: uniform } }, { binding: 1, resource: { buffer: out } }] });
    async function wait(iterations: number): Promise<number> {
      device.queue.writeBuffer(uniform, 0, new Uint32Array([iterations, 0, 0, 0]));
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(64);
      pass.end();
      device.queue.submit([encoder.finish()]);
      const t0 = performance.now();
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    }
    // Ticks Dawn queues through the global setImmediate while one wait runs.
    async function ticksOf(iterations: number, calm: boolean): Promise<{ ticks: number; ms: number }> {
      let ticks = 0;
      const counting: Immediate = (cb, ...args) => {
        if (args.length === 0 && /\[native code\]/.test(Function.prototype.toString.call(cb))) ticks++;
        return nodeImmediate(cb, ...args);
      };
      globalThis.setImmediate = (calm ? calmImmediate(counting) : counting) as unknown as typeof setImmediate;
      try {
        const ms = await wait(iterations);
        return { ticks, ms };
      } finally {
        globalThis.setImmediate = before;
      }
    }
    // A wait of ≥ 150 ms on this adapter, whatever its speed.
    let iterations = 1 << 12;
    while ((await ticksOf(iterations, true)).ms < 150 && iterations < 1 << 30) iterations *= 2;
    const spinning = await ticksOf(iterations, false);
    const calm = await ticksOf(iterations, true);
    // Back to back, Dawn ticks every few microseconds; backed off, ~1 per millisecond after the first 2 ms.
    expect(spinning.ticks).toBeGreaterThan(10 * calm.ticks);
    expect(calm.ticks).toBeLessThan(calm.ms * 2 + 2000);
  }, 120_000);
});
