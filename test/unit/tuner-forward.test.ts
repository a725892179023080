// Tuned models on lavapipe: BertModel with tune 'on' (software adapters are not tuned under 'auto') tunes each
// bucket's shapes when its first plan is built, runs the choices, and still gives PyTorch's outputs (1e-4); choices
// read back from the store — here rewritten to each op's last candidate, so the non-default kernels and tiles run —
// match too; kernelChoices() reports what was chosen; 'auto' on a software adapter and 'off' tune nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeTuningStore, TUNING_FILE } from '../../src/gpu/tuner-cache-node.ts';
import { choiceLabel, opKey, tunableVariants, type OpKind, type OpOf } from '../../src/graph/variants.ts';
import { buildBertGraph } from '../../src/model/bert.ts';
import { parseBertConfig } from '../../src/model/config.ts';
import type { BertModel, BertModelOptions } from '../../src/model/bert-model.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { expectClose } from '../helpers/validate.ts';
import { batchOf, fixturesDir, loadFixtureModel, readReference, validRows } from '../model/fixture.ts';

const tol = { atol: 1e-4, rtol: 0 };
const tinyConfig = parseBertConfig(JSON.parse(readFileSync(join(fixturesDir, 'tiny-bert', 'config.json'), 'utf8')));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'bertgpu-tuned-'));
  dirs.push(d);
  return d;
};

async function expectReference(m: BertModel): Promise<void> {
  for (const c of readReference('tiny-bert').cases) {
    const out = await m.forward(batchOf(c), ['lastHiddenState', 'logits']);
    expectClose(`${c.name} logits`, out.logits!, c.logits.data, tol);
    expectClose(`${c.name} hidden`, validRows(out.lastHiddenState!, c.attentionMask, m.config.hiddenSize), validRows(c.lastHiddenState.data, c.attentionMask, m.config.hiddenSize), tol);
  }
}

async function withModel(options: BertModelOptions, body: (m: BertModel) => Promise<void>): Promise<void> {
  const m = await loadFixtureModel(await getTestGpu(), 'tiny-bert', options);
  try {
    await body(m);
  } finally {
    await m.dispose();
  }
}

describe('tuned BertModel on lavapipe vs PyTorch fp64', () => {
  for (const kernelProfile of ['software', 'gpu'] as const) {
    it(`${kernelProfile} profile: tuned choices give the reference outputs; kernelChoices reports them`, async () => {
      const dir = tempDir();
      let timed: string[] = [];
      await withModel({ kernelProfile, tune: 'on', tuningStore: nodeTuningStore(dir) }, async (m) => {
        await expectReference(m);
        timed = m.tuning.filter((o) => o.source === 'timed').map((o) => o.key);
        expect(timed.length).toBeGreaterThan(0);
        const choices = await m.kernelChoices(2, 16);
        const bucket = new Set(buildBertGraph(tinyConfig, { B: 2, T: 16, dtype: 'f32', head: 'sequence-classification', hasPooler: true, profile: m.kernelProfile }).ops.map(opKey));
        const inBucket = m.tuning.filter((o) => bucket.has(o.key) && o.source === 'timed');
        expect(inBucket.length).toBeGreaterThan(0);
        for (const o of inBucket) expect(choices[o.op], o.key).toContain(o.choice.kernel);
      });
      // The store now holds them: a second model reads them instead of timing (only ops the budget cut are timed).
      await withModel({ kernelProfile, tune: 'on', tuningStore: nodeTuningStore(dir) }, async (m) => {
        for (const c of readReference('tiny-bert').cases) await m.forward(batchOf(c));
        const source = new Map(m.tuning.map((o) => [o.key, o.source]));
        for (const key of timed) expect(source.get(key), key).toBe('cache');
      });
    }, 60_000);
  }

  it("every op's last candidate (read from the store) gives the reference outputs", async () => {
    const dir = tempDir();
    const store = nodeTuningStore(dir);
    const cases = readReference('tiny-bert').cases;
    // Tune the buckets the cases run at, then rewrite every stored choice to the op's last (candidate, tile).
    await withModel({ kernelProfile: 'gpu', tune: 'on', tuningStore: store }, async (m) => {
      for (const c of cases) await m.forward(batchOf(c));
    });
    const path = join(dir, TUNING_FILE);
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { entries: Record<string, { kernel: string; tile?: Record<string, number> }> };
    const graphs = [1, 2, 4].flatMap((B) => [8, 16, 32, 64].map((T) => buildBertGraph(tinyConfig, { B, T, dtype: 'f32', head: 'sequence-classification', hasPooler: true, profile: { kind: 'gpu', features: ['shader-f16', 'subgroups'] } })));
    const lastOf = new Map<string, { kernel: string; tile?: Record<string, number> }>();
    for (const g of graphs) for (const op of g.ops) {
      const all = tunableVariants(op as OpOf<OpKind>, 'f32', { kind: 'gpu', features: ['shader-f16', 'subgroups'] });
      if (all.length > 1) lastOf.set(opKey(op), { ...all[all.length - 1].choice });
    }
    let rewritten = 0;
    for (const key of Object.keys(doc.entries)) {
      const last = lastOf.get(key.slice(key.lastIndexOf('/') + 1));
      if (last) {
        doc.entries[key] = { ...last, ms: 0 } as never;
        rewritten++;
      }
    }
    expect(rewritten).toBe(Object.keys(doc.entries).length);
    writeFileSync(path, JSON.stringify(doc));
    await withModel({ kernelProfile: 'gpu', tune: 'on', tuningStore: nodeTuningStore(dir) }, async (m) => {
      await expectReference(m);
      const fromCache = m.tuning.filter((o) => o.source === 'cache');
      expect(fromCache.length).toBe(rewritten);
      for (const o of fromCache) expect(choiceLabel(o.choice)).toBe(choiceLabel(lastOf.get(o.key) as never));
    });
  }, 60_000);

  it("'auto' on a software adapter and 'off' tune nothing; a bad value is refused", async () => {
    for (const tune of ['auto', 'off'] as const) {
      await withModel({ kernelProfile: 'gpu', tune, tuningStore: null }, async (m) => {
        await m.forward(batchOf(readReference('tiny-bert').cases[0]));
        expect(m.tuning).toEqual([]);
        expect(m.kernelProfile.choices).toBeUndefined();
      });
    }
    await expect(loadFixtureModel(await getTestGpu(), 'tiny-bert', { tune: 'fast' as never })).rejects.toThrow(/tune must be 'auto', 'off' or 'on', got "fast"/);
  }, 60_000);
});
