// The task registry: a new task is its module plus one registry line. A toy task ("token-norms": the L2 norm of
// every token's hidden state) is registered here, with nothing else changed, and runs through pipeline(), the
// micro-batcher (concurrent calls share forwards) and the runtime's generic option/input checks.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pipeline } from '../../src/node.ts';
import { registerTask, taskModule, unregisterTask } from '../../src/tasks/registry.ts';
import type { TaskModule } from '../../src/tasks/task.ts';
import type { Encoding } from '../../src/tokenizer/types.ts';
import { fixturesDir } from '../model/fixture.ts';

const tokenNorms: TaskModule<'token-norms', { signal?: AbortSignal }, { rows: Encoding[] }, number[][]> = {
  name: 'token-norms',
  aliases: ['norms'],
  loadAsBase: true,
  outputs: (config) => [{ name: 'lastHiddenState', layout: 'token', width: config.hiddenSize }],
  options(o) {
    if (o !== undefined && (typeof o !== 'object' || o === null || Object.keys(o).some((k) => k !== 'signal'))) throw new TypeError('token-norms takes no options');
    return (o ?? {}) as { signal?: AbortSignal };
  },
  prepare({ tokenizer, maxLength }, inputs) {
    if (!Array.isArray(inputs) || inputs.some((t) => typeof t !== 'string')) throw new TypeError('inputs must be an array of strings');
    return { rows: inputs.map((t: string) => tokenizer.encode(t, null, { truncation: { maxLength } })) };
  },
  finish({ config }, _, rows) {
    const C = config.hiddenSize;
    return rows.map((r) => {
      const h = r.lastHiddenState!;
      return Array.from({ length: h.length / C }, (_, t) => Math.hypot(...h.subarray(t * C, (t + 1) * C)));
    });
  },
};

describe('a task registered with one line runs end to end', async () => {
  registerTask(tokenNorms); // the one registry line
  const run = await pipeline('norms' as 'feature-extraction', join(fixturesDir, 'tiny-bert'), { dtype: 'f32' }) as unknown as
    ((inputs: string[]) => Promise<number[][]>) & { dispose(): Promise<void>; info: { task: string }; stats(): Promise<{ forwards: number; calls: number }>; profile(i: unknown): Promise<{ B: number }> };
  const embed = await pipeline('feature-extraction', join(fixturesDir, 'tiny-bert'), { dtype: 'f32' });
  afterAll(async () => {
    unregisterTask('token-norms');
    await run.dispose();
    await embed.dispose();
  });

  it('gives the norms of feature-extraction\'s token states, one list per text, each as long as its tokens', async () => {
    const texts = ['hello world', 'a much longer sentence than the first one'];
    expect(run.info.task).toBe('token-norms');
    const norms = await run(texts);
    const states = await embed(texts);
    const [, T, C] = states.dims;
    norms.forEach((row, b) => row.forEach((n, t) => {
      const want = Math.hypot(...states.data.subarray((b * T + t) * C, (b * T + t + 1) * C));
      expect(Math.abs(n - want)).toBeLessThan(1e-4);
    }));
    expect(norms[0].length).toBeLessThan(norms[1].length);
  });

  it('concurrent calls are micro-batched; input checks come from the module', async () => {
    const before = await run.stats();
    await Promise.all(Array.from({ length: 8 }, (_, i) => run([`text ${i}`])));
    const after = await run.stats();
    expect(after.calls - before.calls).toBe(8);
    expect(after.forwards - before.forwards).toBeLessThan(8);
    await expect(run('not an array' as never)).rejects.toThrow(/inputs must be an array of strings/);
    expect(() => registerTask(tokenNorms)).toThrow(/already registered/);
    expect(taskModule('norms').name).toBe('token-norms');
  });
});
