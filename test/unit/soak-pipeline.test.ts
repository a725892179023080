// Soak: the Node pipeline on the tiny fixture for 10 000 calls one after another (cycling through every case of
// reference.json: singles, pairs, batches, truncated inputs) and 1 000 at once. Every result is compared with PyTorch
// (1e-4), and GPU memory stays flat: after warm-up the live bytes never change, and every live buffer is a weight or
// belongs to one of at most 8 cached plans. Also holds the micro-batcher's per-call scheduling cost down: its
// setTimeout(0) was ~1.1 ms of each ~4 ms sequential call here.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pipeline } from '../../src/node.ts';
import { softmax } from '../../src/model/heads.ts';
import { MicroBatcher } from '../../src/runtime/batcher.ts';
import type { LabelScore, RuntimeStats } from '../../src/index.ts';
import { fixturesDir, readReference, type RefCase } from '../model/fixture.ts';

const labels = ['negative', 'neutral', 'positive'];
const cases = readReference('tiny-bert').cases;
const L = labels.length;

/** The call's input (one text, a pair, or an array of either) and PyTorch's probabilities for each of its rows. */
function callOf(c: RefCase) {
  const items = c.text.map((t, i) => (c.textPair ? { text: t, textPair: c.textPair[i] } : t));
  const want = c.text.map((_, b) => softmax(c.logits.data.slice(b * L, (b + 1) * L)));
  return { name: c.name, input: items.length === 1 ? items[0] : items, want };
}
const calls = cases.map(callOf);

/** Differences over 1e-4 from PyTorch, as readable lines (empty when the result is right). */
function mismatches(call: ReturnType<typeof callOf>, result: LabelScore[] | LabelScore[][], where: string): string[] {
  const rows = (call.want.length === 1 ? [result] : result) as LabelScore[][];
  if (rows.length !== call.want.length) return [`${where} ${call.name}: ${rows.length} rows, want ${call.want.length}`];
  const bad: string[] = [];
  rows.forEach((row, b) => labels.forEach((label, k) => {
    const got = row.find((r) => r.label === label)?.score ?? NaN;
    if (!(Math.abs(got - call.want[b][k]) <= 1e-4)) bad.push(`${where} ${call.name} row ${b} ${label}: ${got} vs ${call.want[b][k]}`);
  }));
  return bad;
}

function expectAccounted(s: RuntimeStats, weightBuffers: number): void {
  expect(s.weightBuffers).toBe(weightBuffers);
  expect(s.plans).toBeLessThanOrEqual(8);
  expect(s.liveBuffers).toBe(s.weightBuffers + s.planBuffers);
}

describe('soak (Node, tiny fixture)', async () => {
  const classify = await pipeline('text-classification', join(fixturesDir, 'tiny-bert'), { dtype: 'f32' });
  afterAll(() => classify.dispose());
  const run = (call: ReturnType<typeof callOf>) => classify(call.input as string, { topK: null });

  it('10 000 sequential calls: every result equals PyTorch, and live GPU bytes never change after warm-up', async () => {
    for (const call of calls) expect(mismatches(call, await run(call), 'warm-up')).toEqual([]);
    const warm = await classify.stats();
    expectAccounted(warm, warm.weightBuffers);
    const bad: string[] = [];
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) {
      const call = calls[i % calls.length];
      bad.push(...mismatches(call, await run(call), `call ${i}`));
      if (i % 1000 === 999) {
        const s = await classify.stats();
        expectAccounted(s, warm.weightBuffers);
        expect({ at: i, liveBytes: s.liveBytes, liveBuffers: s.liveBuffers }).toEqual({ at: i, liveBytes: warm.liveBytes, liveBuffers: warm.liveBuffers });
      }
    }
    console.log(`10 000 sequential calls: ${((performance.now() - t0) / 10_000).toFixed(2)} ms each`);
    expect(bad.slice(0, 10)).toEqual([]);
    const after = await classify.stats();
    expect(after.calls - warm.calls).toBe(10_000);
  });

  it('1 000 concurrent calls: each gets its own right result, in batches, every live buffer accounted', async () => {
    const before = await classify.stats();
    const mine = Array.from({ length: 1000 }, (_, i) => calls[(i * 7) % calls.length]);
    const results = await Promise.all(mine.map(run));
    expect(results.flatMap((r, i) => mismatches(mine[i], r, `call ${i}`)).slice(0, 10)).toEqual([]);
    const after = await classify.stats();
    expect(after.calls - before.calls).toBe(1000);
    expect(after.forwards - before.forwards).toBeLessThan(100); // ~1 300 rows in batches of up to 32
    // Nothing outside the weights and the (at most 8) cached plans: no buffer is left behind by a batched call.
    expectAccounted(after, before.weightBuffers);
  });

  it('the micro-batcher adds no timer clamp to a call: 1 000 sequential calls take well under 0.25 ms each', async () => {
    // As with the GPU, the forward's result arrives in a later macrotask, and so does the caller's next call.
    const channel = new MessageChannel();
    const waiting: Array<() => void> = [];
    channel.port1.onmessage = () => waiting.shift()?.();
    const macrotask = () => new Promise<void>((resolve) => { waiting.push(resolve); channel.port2.postMessage(null); });
    try {
      const rows = [{ ids: new Int32Array(4), tokenTypeIds: new Int32Array(4), attentionMask: new Int32Array(4).fill(1) }];
      const batcher = new MicroBatcher(async (b) => {
        await macrotask();
        return { logits: new Float32Array(b.B * L) };
      }, 32, [{ name: 'logits', layout: 'sequence', width: L }]);
      const t0 = performance.now();
      for (let i = 0; i < 1000; i++) {
        await batcher.submit(rows as never);
        await macrotask();
      }
      // setTimeout(0) waited ~1.1 ms per call here; a MessageChannel task takes ~0.01 ms.
      expect((performance.now() - t0) / 1000).toBeLessThan(0.25);
      // Calls made in the same tick still share one forward.
      const before = batcher.stats.forwards;
      await Promise.all(Array.from({ length: 64 }, () => batcher.submit(rows as never)));
      expect(batcher.stats.forwards - before).toBe(2);
    } finally {
      channel.port1.close();
    }
  });
});
