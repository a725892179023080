// The autotuner (src/gpu/tuner.ts) on lavapipe: it times the variant table's candidates for each op shape of a BERT
// graph on scratch buffers and chooses among them; the budget holds; lowering takes its choices.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineCache } from '../../src/gpu/pipelines.ts';
import { tuneGraph, withChoices } from '../../src/gpu/tuner.ts';
import { describeGraph } from '../../src/graph/plan.ts';
import { choiceLabel, opKey, softwareProfile, tunableVariants, type AdapterProfile, type OpKind, type OpOf } from '../../src/graph/variants.ts';
import { buildBertGraph } from '../../src/model/bert.ts';
import { parseBertConfig, type BertConfig } from '../../src/model/config.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { fixturesDir } from '../model/fixture.ts';

const tiny = parseBertConfig(JSON.parse(readFileSync(join(fixturesDir, 'tiny-bert', 'config.json'), 'utf8')));
const bertBase = parseBertConfig({
  architectures: ['BertForSequenceClassification'], hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12,
  intermediate_size: 3072, max_position_embeddings: 512, vocab_size: 30522, type_vocab_size: 2, hidden_act: 'gelu',
  layer_norm_eps: 1e-12, id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' }, model_type: 'bert',
});
const gpuProfile: AdapterProfile = { kind: 'gpu', features: ['shader-f16', 'subgroups'] };
const graphOf = (config: BertConfig, B: number, T: number, profile: AdapterProfile, dtype: 'f32' | 'f16' = 'f32') =>
  buildBertGraph(config, { B, T, dtype, head: 'sequence-classification', hasPooler: true, profile });

async function ctx() {
  const gpu = await getTestGpu();
  return { device: gpu.device, pipelines: new PipelineCache(gpu.device), facts: gpu.facts };
}

describe('tuneGraph on lavapipe', () => {
  // f32 only: f16 tunes the same table rows with twice the compiles (9 s on lavapipe); forward parity covers f16 choices.
  for (const [name, profile, dtype] of [['software', softwareProfile, 'f32'], ['gpu (forced)', gpuProfile, 'f32']] as const) {
    it(`tiny-bert 2 × 16, ${name}: each op's choice is one of its applicable candidates, the contested ones from ≥ 5 runs`, async () => {
      const c = await ctx();
      const graph = graphOf(tiny, 2, 16, profile, dtype);
      const result = await tuneGraph(c, graph, dtype, profile, { budgetMs: 20_000 });
      await result.idle;
      expect(result.timedRuns).toBeGreaterThan(0);
      const keys = new Set(graph.ops.map(opKey));
      expect(new Set(result.ops.map((o) => o.key))).toEqual(keys);
      for (const op of graph.ops) {
        const t = result.ops.find((o) => o.key === opKey(op))!;
        const labels = tunableVariants(op as OpOf<OpKind>, dtype, profile).map((v) => choiceLabel(v.choice));
        expect(labels, t.key).toContain(choiceLabel(t.choice));
        expect(t.source, t.key).toBe(labels.length > 1 ? 'timed' : 'single');
        if (t.source !== 'timed') continue;
        const times = t.candidates.filter((x) => x.ms !== null).map((x) => x.ms!);
        const chosen = t.candidates.find((x) => x.label === choiceLabel(t.choice))!;
        // The fastest by median; where the candidates were within 2×, its median is of ≥ 5 timed runs (+ a warm-up).
        expect(chosen.ms).toBe(Math.min(...times));
        if (Math.max(...times) < 2 * chosen.ms!) expect(chosen.runs, t.key).toBeGreaterThanOrEqual(6);
      }
      // Lowering under the tuned profile runs exactly the chosen kernels.
      const tuned = withChoices(profile, result);
      const planned = describeGraph(graph, dtype, tuned);
      for (const o of result.ops.filter((x) => x.source === 'timed')) {
        expect(planned.some((d) => d.kernel === o.choice.kernel), o.key).toBe(true);
      }
    }, 60_000);
  }

  it('respects its budget: BERT-base 1 × 128 in 150 ms of timing takes ≤ budget + one run', async () => {
    const c = await ctx();
    const graph = graphOf(bertBase, 1, 128, softwareProfile);
    const budgetMs = 150;
    const result = await tuneGraph(c, graph, 'f32', softwareProfile, { budgetMs, timing: 'wall' });
    await result.idle;
    expect(result.timedRuns).toBeGreaterThan(0);
    expect(result.measureMs).toBeLessThanOrEqual(budgetMs + result.longestRunMs + 20);
    // Compiles were waited for at most compileWaitMs (2 s) before the timing began.
    expect(result.elapsedMs - result.measureMs).toBeLessThanOrEqual(2000 + 50);
    // Ops left for lack of time keep the table's first candidate and choose nothing.
    for (const o of result.ops.filter((x) => x.source === 'budget')) expect(result.choices.has(o.key)).toBe(false);
  }, 60_000);

  it('a zero budget times nothing and chooses nothing', async () => {
    const c = await ctx();
    const graph = graphOf(tiny, 1, 16, softwareProfile);
    const result = await tuneGraph(c, graph, 'f32', softwareProfile, { budgetMs: 0 });
    expect(result.timedRuns).toBe(0);
    expect(result.choices.size).toBe(0);
    expect(describeGraph(graph, 'f32', withChoices(softwareProfile, result))).toEqual(describeGraph(graph, 'f32', softwareProfile));
  });

  it('rejects a bad budget', async () => {
    const c = await ctx();
    await expect(tuneGraph(c, graphOf(tiny, 1, 16, softwareProfile), 'f32', softwareProfile, { budgetMs: Number.NaN })).rejects.toThrow(/budgetMs must be ≥ 0/);
  });
});

describe('lowering with a choice map', () => {
  it('takes an applicable choice (kernel and tile) and ignores one that does not apply', () => {
    const graph = graphOf(bertBase, 1, 128, softwareProfile);
    const ffn1 = graph.ops.find((o) => o.kind === 'matmul' && o.epilogue === 'gelu')!;
    const at = (choices: Map<string, { kernel: 'matmul' | 'matmulVec4' | 'gemmTiled'; tile?: Record<string, number> }>) =>
      describeGraph(graph, 'f32', { ...softwareProfile, choices }).find((d) => d.op === 'matmul' && d.flops === 2 * 128 * 3072 * 768 + 128 * 3072)!;
    expect(at(new Map()).kernel).toBe('matmulVec4');
    expect(at(new Map([[opKey(ffn1), { kernel: 'matmul' }]])).kernel).toBe('matmul');
    const wide = at(new Map([[opKey(ffn1), { kernel: 'matmulVec4', tile: { TILE_ROWS_T: 8, TILE_COLS_T: 16 } }]]));
    expect(wide).toMatchObject({ kernel: 'matmulVec4', workgroupSize: [16, 8, 1], workgroups: [3072 / 64, 128 / 32, 1] });
    // A GPU-only kernel on the software profile, or a tile the candidate does not have: the table's order.
    expect(at(new Map([[opKey(ffn1), { kernel: 'gemmTiled' }]])).kernel).toBe('matmulVec4');
    expect(at(new Map([[opKey(ffn1), { kernel: 'matmulVec4', tile: { TILE_ROWS_T: 3, TILE_COLS_T: 3 } }]])).workgroupSize).toEqual([8, 8, 1]);
  });

  it('a tuned tile of the tiled GEMM gets its own grid', () => {
    const graph = graphOf(bertBase, 1, 128, gpuProfile);
    const qkv = graph.ops.find((o) => o.kind === 'matmul')!;
    const d = describeGraph(graph, 'f32', { ...gpuProfile, choices: new Map([[opKey(qkv), { kernel: 'gemmTiled', tile: { TM: 8, TN: 8, BK4: 8 } }]]) })
      .find((x) => x.op === 'matmul')!;
    expect(d).toMatchObject({ kernel: 'gemmTiled', workgroupSize: [8, 8, 1], workgroups: [2304 / 32, 128 / 32, 1] });
  });
});
