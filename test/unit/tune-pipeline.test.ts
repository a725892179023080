// pipeline()'s tune option: 'on' times the kernel candidates on this device while the model loads and, in Node,
// remembers the choices in $XDG_CACHE_HOME/bertgpu/tuning.json so the next process times nothing; results stay the
// PyTorch ones. A bad value is a TypeError before anything loads.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pipeline } from '../../src/node.ts';
import { fixturesDir, readReference } from '../model/fixture.ts';

const tiny = join(fixturesDir, 'tiny-bert');
const single = readReference('tiny-bert').cases.find((c) => c.name === 'single')!;
const savedXdg = process.env.XDG_CACHE_HOME;
afterAll(() => {
  if (savedXdg === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedXdg;
});

describe('pipeline tune', () => {
  it("'on' in Node: choices stored in the cache folder's tuning.json, results equal PyTorch's", async () => {
    process.env.XDG_CACHE_HOME = mkdtempSync(join(tmpdir(), 'bertgpu-tune-'));
    const file = join(process.env.XDG_CACHE_HOME, 'bertgpu', 'tuning.json');
    const classify = await pipeline('text-classification', tiny, { dtype: 'f32', tune: 'on', cache: false });
    let info: typeof classify.info | undefined;
    try {
      const scores = (await classify(single.text[0], { top_k: null, function_to_apply: 'none' })) as Array<{ label: string; score: number }>;
      const labels = classify.info.labels;
      for (let i = 0; i < labels.length; i++) {
        expect(Math.abs(scores.find((s) => s.label === labels[i])!.score - single.logits.data[i])).toBeLessThanOrEqual(1e-4);
      }
      info = classify.info;
    } finally {
      await classify.dispose();
    }
    // The option reached the tuner: every tunable op has a decision. A budget may cut timing short on a busy software
    // adapter; whatever was timed is in the store, keyed by adapter and shape, for the next process.
    const tuning = info!.tuning;
    expect(tuning.length).toBeGreaterThan(0);
    expect(tuning.every((t) => ['cache', 'timed', 'single', 'budget'].includes(t.source))).toBe(true);
    const timed = tuning.filter((t) => t.source === 'timed');
    if (timed.length > 0) {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as { entries: Record<string, unknown> };
      expect(Object.keys(stored.entries).length).toBe(timed.length);
    } else {
      expect(existsSync(file)).toBe(false);
    }
  });

  it("'off' tunes nothing and writes nothing", async () => {
    process.env.XDG_CACHE_HOME = mkdtempSync(join(tmpdir(), 'bertgpu-tune-'));
    const classify = await pipeline('text-classification', tiny, { dtype: 'f32', tune: 'off', cache: false });
    try {
      expect(classify.info.tuning).toEqual([]);
    } finally {
      await classify.dispose();
    }
    expect(existsSync(join(process.env.XDG_CACHE_HOME, 'bertgpu', 'tuning.json'))).toBe(false);
  });

  it('a bad value is a TypeError naming the option', async () => {
    await expect(pipeline('text-classification', tiny, { tune: 'always' as never })).rejects.toThrow(/tune must be 'auto', 'off' or 'on', got "always"/);
  });
});
