// The tuner's store in Node (tuner-cache-node.ts, $XDG_CACHE_HOME/bertgpu/tuning.json): a second tuning of the same
// graph reads it and times nothing; another adapter or changed kernel sources time again; a corrupt file is ignored.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { kernelSourceHash, memoryTuningStore, parseEntry } from '../../src/gpu/tuner-cache.ts';
import { nodeTuningStore, TUNING_FILE } from '../../src/gpu/tuner-cache-node.ts';
import { tuneGraph } from '../../src/gpu/tuner.ts';
import { softwareProfile } from '../../src/graph/variants.ts';
import { buildBertGraph } from '../../src/model/bert.ts';
import { parseBertConfig } from '../../src/model/config.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { fixturesDir } from '../model/fixture.ts';

const tiny = parseBertConfig(JSON.parse(readFileSync(join(fixturesDir, 'tiny-bert', 'config.json'), 'utf8')));
const graph = buildBertGraph(tiny, { B: 1, T: 16, dtype: 'f32', head: 'sequence-classification', hasPooler: true, profile: softwareProfile });
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'bertgpu-tuning-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function ctx(description?: string) {
  const gpu = await getTestGpu();
  return { device: gpu.device, pipelines: new PipelineCache(gpu.device), facts: { ...gpu.facts, ...(description ? { description } : {}) } };
}
const tune = async (c: Awaited<ReturnType<typeof ctx>>, store: ReturnType<typeof nodeTuningStore>, hashSources?: typeof kernelSourceHash) => {
  const r = await tuneGraph(c, graph, 'f32', softwareProfile, { budgetMs: 20_000, store, hashSources });
  await r.idle;
  return r;
};

describe('tuning store', () => {
  it('round-trips: the second tuning reads tuning.json and times nothing; another adapter or kernel source times again', async () => {
    const dir = tempDir();
    const c = await ctx();
    const first = await tune(c, nodeTuningStore(dir));
    expect(first.timedRuns).toBeGreaterThan(0);
    const doc = JSON.parse(readFileSync(join(dir, TUNING_FILE), 'utf8'));
    expect(doc.version).toBe(1);
    expect(Object.keys(doc.entries)).toHaveLength(first.ops.filter((o) => o.source === 'timed').length);
    // No temporary file is left beside it (written, then renamed).
    expect(readdirSync(dir)).toEqual([TUNING_FILE]);

    const second = await tune(c, nodeTuningStore(dir));
    expect(second.timedRuns).toBe(0);
    expect(second.choices).toEqual(first.choices);
    expect(second.ops.filter((o) => o.source === 'cache').map((o) => o.key)).toEqual(first.ops.filter((o) => o.source === 'timed').map((o) => o.key));

    const otherAdapter = await tune(await ctx('another GPU (driver 2.0)'), nodeTuningStore(dir));
    expect(otherAdapter.timedRuns).toBeGreaterThan(0);
    const editedKernels = await tune(c, nodeTuningStore(dir), (kernels, extra) => `edited-${kernelSourceHash(kernels, extra)}`);
    expect(editedKernels.timedRuns).toBeGreaterThan(0);
    // Both are stored next to the first (entries merge); the first is still served.
    expect((await tune(c, nodeTuningStore(dir))).timedRuns).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(join(dir, TUNING_FILE), 'utf8')).entries)).toHaveLength(3 * Object.keys(doc.entries).length);
  }, 60_000);

  it('a corrupt or foreign tuning.json is ignored without error, then replaced', async () => {
    const c = await ctx();
    for (const text of ['{"version":1,"entries":{', '[]', '{"version":99,"entries":{}}', '\u0000\u0001garbage']) {
      const dir = tempDir();
      writeFileSync(join(dir, TUNING_FILE), text);
      const r = await tune(c, nodeTuningStore(dir));
      expect(r.timedRuns, text).toBeGreaterThan(0);
      expect(JSON.parse(readFileSync(join(dir, TUNING_FILE), 'utf8')).version).toBe(1);
    }
  }, 60_000);

  it('malformed entries are skipped; an entry naming an inapplicable kernel is timed again', async () => {
    expect(parseEntry({ kernel: 'matmulVec4', ms: 1 })).toEqual({ kernel: 'matmulVec4', ms: 1 });
    expect(parseEntry({ kernel: 'noSuchKernel', ms: 1 })).toBeNull();
    expect(parseEntry({ kernel: 'matmul', ms: -1 })).toBeNull();
    expect(parseEntry({ kernel: 'matmul', ms: 1, tile: { TM: 'x' } })).toBeNull();
    const dir = tempDir();
    const c = await ctx();
    const first = await tune(c, nodeTuningStore(dir));
    const path = join(dir, TUNING_FILE);
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    for (const k of Object.keys(doc.entries)) doc.entries[k] = { kernel: 'gemmTiled', ms: 1 };  // GPU-only: not a software candidate
    writeFileSync(path, JSON.stringify(doc));
    const again = await tune(c, nodeTuningStore(dir));
    expect(again.timedRuns).toBeGreaterThan(0);
    expect(again.ops.map((o) => o.source)).toEqual(first.ops.map((o) => o.source));
  }, 60_000);

  it('an unwritable cache folder leaves the choices in effect and throws nothing', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    const r = await tune(await ctx(), nodeTuningStore(join(dir, 'file', 'sub')));
    expect(r.choices.size).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'file', 'sub'))).toBe(false);
  }, 60_000);

  it('memory store round-trips within a process', async () => {
    const store = memoryTuningStore();
    const c = await ctx();
    expect((await tuneGraph(c, graph, 'f32', softwareProfile, { budgetMs: 20_000, store })).timedRuns).toBeGreaterThan(0);
    expect((await tuneGraph(c, graph, 'f32', softwareProfile, { budgetMs: 20_000, store })).timedRuns).toBe(0);
  }, 60_000);
});
