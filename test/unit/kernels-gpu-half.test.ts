// The f16-arithmetic kernels (…HalfF16: vec4<f16> products, f32 accumulation every 8 products) as variant-table
// candidates: where they are offered (GPU profile, f16 storage, shader-f16), that the table's untuned choice is
// unchanged, and a whole tiny-bert forward with every heavy op forced onto them vs PyTorch fp64 at the f16 forward
// tolerance of gpu-profile-forward.test.ts (2e-2); and dtype 'auto''s f16 self-check run through them (with the P·V
// of attentionFlashProjHalf deliberately broken it says "disagrees", cosine 0.955, and keeps f32). The kernels
// themselves are checked against the float64 reference in kernels-gpu.test.ts (cases: test/kernels/gpu-half-cases.ts,
// with the derivation of their bounds).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dirProvider } from '../../src/hub/node-files.ts';
import { loadBert } from '../../src/model/load.ts';
import { chooseDtype } from '../../src/runtime/dtype.ts';
import { gemmTilesHalf, gpuGrid } from '../../src/gpu/gpu-kernels.ts';
import type { TuningEntry, TuningStore } from '../../src/gpu/tuner-cache.ts';
import type { Op } from '../../src/graph/ops.ts';
import { applicableVariants, chooseVariant, tunableVariants, type AdapterProfile } from '../../src/graph/variants.ts';
import { getTestGpu } from '../helpers/gpu.ts';
import { expectClose } from '../helpers/validate.ts';
import { batchOf, fixturesDir, loadFixtureModel, readReference, validRows } from '../model/fixture.ts';

const gpuF16: AdapterProfile = { kind: 'gpu', features: ['shader-f16', 'subgroups'] };
// SwiftShader (Chromium): subgroups, no shader-f16.
const swiftShader: AdapterProfile = { kind: 'gpu', features: ['subgroups'] };
const lavapipe: AdapterProfile = { kind: 'software', features: ['shader-f16', 'subgroups'] };

const matmul = (M: number, N: number, K: number): Op => ({ kind: 'matmul', M, N, K, xRowStep: 1, epilogue: 'none', residual: null, x: 0, w: 1, b: 2, out: 3 } as unknown as Op);
const matmulLn = (M: number, N: number, K: number): Op => ({ kind: 'matmulLayernorm', M, N, K, eps: 1e-12, x: 0, w: 1, b: 2, residual: 3, gamma: 4, beta: 5, out: 6 } as unknown as Op);
const attention = (kind: 'attention' | 'attentionOutput'): Op => ({ kind, B: 1, T: 128, NH: 12, HS: 64 } as unknown as Op);
const kernels = (op: Op, dtype: 'f32' | 'f16', p: AdapterProfile) => applicableVariants(op, dtype, p).map((c) => c.kernel);
const half = (names: string[]) => names.filter((k) => k.includes('Half'));

describe('f16-arithmetic candidates in the variant table', () => {
  it('are offered on a GPU profile with shader-f16 for f16 storage, after the f32-arithmetic kernels (the untuned choice)', () => {
    expect(kernels(matmul(128, 768, 768), 'f16', gpuF16)).toEqual(['gemmTiledF16', 'gemmTiledHalfF16', 'matmulVec4F16', 'matmulF16']);
    expect(kernels(matmul(1, 768, 768), 'f16', gpuF16).slice(0, 6))
      .toEqual(['gemmNarrowSubgroupF16', 'gemmNarrowF16', 'gemmTiledF16', 'gemmNarrowSubgroupHalfF16', 'gemmNarrowHalfF16', 'gemmTiledHalfF16']);
    expect(kernels(matmulLn(128, 768, 3072), 'f16', gpuF16)).toEqual(['gemmTiledPartialF16', 'gemmTiledPartialHalfF16', 'matmulLayernormF16']);
    expect(kernels(attention('attention'), 'f16', gpuF16)).toEqual(['attentionFlashF16', 'attentionFlashHalfF16', 'attentionF16']);
    expect(kernels(attention('attentionOutput'), 'f16', gpuF16)).toEqual(['attentionFlashProjF16', 'attentionFlashProjHalfF16']);
    for (const op of [matmul(128, 768, 768), matmulLn(128, 768, 3072), attention('attention'), attention('attentionOutput')]) {
      expect(chooseVariant(op, 'f16', gpuF16).kernel).not.toMatch(/Half/);
    }
  });

  it('the tuner times them, with their own tiles (twice the K tile of the f32-arithmetic GEMM)', () => {
    const op = matmul(128, 3072, 768);
    const labels = tunableVariants(op, 'f16', gpuF16).filter((v) => v.candidate.kernel === 'gemmTiledHalfF16').map((v) => v.choice.tile);
    expect(labels).toHaveLength(gemmTilesHalf.length);
    expect(labels[0]).toEqual(gpuGrid('gemmTiledHalf', { M: 128, N: 3072, K: 768 }).overrides);
    for (const t of gemmTilesHalf) expect(labels).toContainEqual(t);
  });

  it('are not offered without shader-f16 (SwiftShader), for f32 storage, or on a software adapter (lavapipe keeps its choice)', () => {
    for (const op of [matmul(128, 768, 768), matmul(1, 768, 768), matmulLn(128, 768, 3072), attention('attention'), attention('attentionOutput')]) {
      expect(half(kernels(op, 'f32', gpuF16))).toEqual([]);
      expect(half(kernels(op, 'f32', swiftShader))).toEqual([]);
      expect(half(kernels(op, 'f16', swiftShader))).toEqual([]);
      expect(half(kernels(op, 'f16', lavapipe))).toEqual([]);
    }
    expect(chooseVariant(matmul(128, 768, 768), 'f16', lavapipe).kernel).toBe('matmulVec4F16');
  });
});

/**
 * A tuning store (an in-memory one, as memoryTuningStore) whose every entry names the f16-arithmetic candidate of
 * its op: the tuner reads stored choices instead of timing, so every heavy op of every plan runs a …HalfF16 kernel.
 */
function halfMathStore(): TuningStore & { asked: string[] } {
  const asked: string[] = [];
  const entryFor = (opKey: string): TuningEntry | null => {
    const [kind, dims] = opKey.split(':');
    const [M, N, K] = dims.split('x').map(Number);
    switch (kind) {
      case 'matmul':
        return M <= 8 ? { kernel: 'gemmNarrowSubgroupHalfF16', ms: 1 } : { kernel: 'gemmTiledHalfF16', tile: { ...gpuGrid('gemmTiledHalf', { M, N, K }).overrides }, ms: 1 };
      case 'matmulLayernorm': return { kernel: 'gemmTiledPartialHalfF16', ms: 1 };
      case 'attention': return { kernel: 'attentionFlashHalfF16', ms: 1 };
      case 'attentionOutput': return { kernel: 'attentionFlashProjHalfF16', ms: 1 };
      default: return null;
    }
  };
  return {
    asked,
    async getMany(keys) {
      const out = new Map<string, TuningEntry>();
      for (const key of keys) {
        asked.push(key);
        const e = entryFor(key.slice(key.lastIndexOf('/') + 1));
        if (e) out.set(key, e);
      }
      return out;
    },
    async putMany() {},
  };
}

describe('tiny-bert forward with the f16-arithmetic kernels forced (lavapipe, f16 storage) vs PyTorch fp64', () => {
  it('every case at the f16 forward tolerance (2e-2), every heavy op on a …HalfF16 kernel', async () => {
    const gpu = await getTestGpu();
    expect(gpu.facts.hasF16, 'the Node adapter (lavapipe) must have shader-f16').toBe(true);
    const store = halfMathStore();
    const m = await loadFixtureModel(gpu, 'tiny-bert', { dtype: 'f16', kernelProfile: 'gpu', tune: 'on', tuningStore: store });
    try {
      const tol = { atol: 2e-2, rtol: 0 };
      for (const c of readReference('tiny-bert').cases) {
        const out = await m.forward(batchOf(c), ['lastHiddenState', 'poolerOutput', 'logits']);
        const C = m.config.hiddenSize;
        expectClose(`${c.name} logits`, out.logits!, c.logits.data, tol);
        expectClose(`${c.name} pooler`, out.poolerOutput!, c.poolerOutput.data, tol);
        expectClose(`${c.name} hidden`, validRows(out.lastHiddenState!, c.attentionMask, C), validRows(c.lastHiddenState.data, c.attentionMask, C), tol);
      }
      // The choices came from the store (nothing was timed), and they are the f16-arithmetic kernels.
      expect(store.asked.length).toBeGreaterThan(0);
      const heavy = m.tuning.filter((t) => ['matmul', 'matmulLayernorm', 'attention', 'attentionOutput'].includes(t.op));
      expect(heavy.length).toBeGreaterThan(0);
      for (const t of heavy) {
        expect(t.source, t.key).toBe('cache');
        expect(t.choice.kernel, t.key).toMatch(/HalfF16$/);
      }
      const choices = await m.kernelChoices(2, 16);
      expect(choices.matmul?.every((k) => k.endsWith('HalfF16'))).toBe(true);
      expect(choices.attentionOutput).toEqual(['attentionFlashProjHalfF16', 'layernormRowF16']);
    } finally {
      await m.dispose();
    }
  });
});

describe("dtype 'auto': the f16 self-check runs through the f16-arithmetic kernels when they are the tuned choice", () => {
  it('tiny-bert: the probe compares the …HalfF16 forward with f32 and keeps f16', async () => {
    const gpu = await getTestGpu();
    const { loaded, choice } = await chooseDtype(gpu, 'auto', (dtype) => loadBert(gpu, dirProvider(join(fixturesDir, 'tiny-bert')),
      { dtype, kernelProfile: 'gpu', tune: 'on', tuningStore: halfMathStore() }));
    try {
      expect(choice.dtype, choice.reason).toBe('f16');
      expect(choice.reason).toMatch(/^auto: f16 probe agrees with f32/);
      // The probe's plan ran on the stored (f16-arithmetic) choices.
      const heavy = loaded.model.tuning.filter((t) => ['matmul', 'matmulLayernorm', 'attentionOutput'].includes(t.op));
      expect(heavy.length).toBeGreaterThan(0);
      for (const t of heavy) expect(t.choice.kernel, t.key).toMatch(/HalfF16$/);
    } finally {
      await loaded.model.dispose();
    }
  });
});
