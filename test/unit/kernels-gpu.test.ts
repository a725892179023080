// The GPU-shaped kernels (shaders/gpu) on Dawn + lavapipe: every kernel in f32 and f16 storage, the subgroup variant
// and every GEMM tile candidate against the float64 CPU reference; the registry's prelude; and the occupancy target
// of the issue at BERT-base (≥ 96 workgroups of ≥ 64 threads for every matmul and attention dispatch).
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { requestNodeGpu } from '../../src/gpu/node-gpu.ts';
import { getGpuKernel, gpuGrid, gpuKernelNames, isHalfMath, MIN_WORKGROUPS } from '../../src/gpu/gpu-kernels.ts';
import { gpuKernelEnv, nodeGpuCases, type GpuKernelEnv } from '../kernels/gpu-cases.ts';
import { bertBaseTable } from '../kernels/gpu-table.ts';

let env: Promise<GpuKernelEnv> | null = null;
function getEnv(): Promise<GpuKernelEnv> {
  env ??= requestNodeGpu().then(({ gpu, adapter }) => gpuKernelEnv(adapter, gpu));
  return env;
}

describe('GPU kernels vs float64 CPU reference (Dawn)', () => {
  afterEach(async () => (await env)?.buffers.destroyAll());
  for (const c of nodeGpuCases()) {
    it(c.name, async () => {
      const e = await getEnv();
      // lavapipe (what set-up installs) has both: a missing feature fails the case, never skips it.
      if (c.storage === 'f16' && !e.hasF16) throw new Error('the adapter lacks shader-f16 (lavapipe has it: run `npm run setup`)');
      if ((c.kernel === 'gemmNarrowSubgroup' || c.kernel === 'gemmNarrowSubgroupHalf') && !e.hasSubgroups) throw new Error('the adapter lacks subgroups (lavapipe has it: run `npm run setup`)');
      await c.run(e);
    });
  }
});

describe('GPU kernel registry', () => {
  it('puts every enable directive first and declares the storage aliases once', () => {
    for (const name of gpuKernelNames) {
      // The f16-arithmetic kernels exist for f16 storage only (checked below).
      for (const storage of isHalfMath(name) ? ['f16'] as const : ['f32', 'f16'] as const) {
        const { code, features } = getGpuKernel(name, storage);
        const lines = code.split('\n').filter((l) => l.trim() && !l.trim().startsWith('//'));
        const firstOther = lines.findIndex((l) => !/^\s*enable /.test(l));
        expect(lines.slice(firstOther).some((l) => /^\s*enable /.test(l)), `${name} ${storage}`).toBe(false);
        expect(code.match(/alias elem =/g)).toHaveLength(1);
        expect(features.includes('shader-f16')).toBe(storage === 'f16');
        expect(/enable subgroups;/.test(code)).toBe(features.includes('subgroups'));
      }
    }
    expect(() => getGpuKernel('nope' as never)).toThrow(/unknown GPU kernel 'nope'/);
    expect(() => getGpuKernel('gemmTiledHalf', 'f32')).toThrow(/gemmTiledHalf: f16 arithmetic needs f16 storage, got 'f32'/);
  });

  it('rejects shapes a kernel does not take, naming the field', () => {
    expect(() => gpuGrid('gemmTiled', { M: 4, N: 4, K: 6 })).toThrow(/K must be a multiple of 4/);
    expect(() => gpuGrid('gemmNarrow', { M: 9, N: 4, K: 8 })).toThrow(/M must be ≤ 8/);
    expect(() => gpuGrid('attentionFlash', { B: 1, T: 8, NH: 2, HS: 132 })).toThrow(/HS must be/);
    expect(() => gpuGrid('layernormRow', { M: 1, N: 4096, splits: 1 })).toThrow(/N must be ≤ 2048/);
    expect(() => gpuGrid('gemmTiled', { M: 0, N: 4, K: 8 })).toThrow(/shape.M must be a positive integer/);
  });
});

describe('occupancy at BERT-base (C 768, FFN 3072, 12 heads × 64)', () => {
  const threads = (s: readonly number[]) => s[0] * s[1] * s[2];
  for (const B of [1, 8]) {
    const M = B * 128;
    const dispatches = [
      ['QKV', gpuGrid('gemmTiled', { M, N: 2304, K: 768 })],
      ['attention', gpuGrid('attentionFlash', { B, T: 128, NH: 12, HS: 64 })],
      ['attention + output projection', gpuGrid('attentionFlashProj', { B, T: 128, NH: 12, HS: 64 })],
      ['attention output (split-K GEMM)', gpuGrid('gemmTiledPartial', { M, N: 768, K: 768 })],
      ['FFN1', gpuGrid('gemmTiled', { M, N: 3072, K: 768 })],
      ['FFN2 (split-K GEMM)', gpuGrid('gemmTiledPartial', { M, N: 768, K: 3072 })],
      ['bias + residual + LayerNorm rows', gpuGrid('layernormRow', { M, N: 768, splits: 4 })],
      // The f16-arithmetic candidates launch the same grids (same output and query tiles; twice the K / key tile).
      ['QKV, f16 arithmetic', gpuGrid('gemmTiledHalf', { M, N: 2304, K: 768 })],
      ['attention + output projection, f16 arithmetic', gpuGrid('attentionFlashProjHalf', { B, T: 128, NH: 12, HS: 64 })],
      ['attention, f16 arithmetic', gpuGrid('attentionFlashHalf', { B, T: 128, NH: 12, HS: 64 })],
      ['FFN1, f16 arithmetic', gpuGrid('gemmTiledHalf', { M, N: 3072, K: 768 })],
      ['FFN2 (split-K GEMM), f16 arithmetic', gpuGrid('gemmTiledPartialHalf', { M, N: 768, K: 3072 })],
    ] as const;
    for (const [what, g] of dispatches) {
      it(`${B} × 128: ${what} launches ≥ ${MIN_WORKGROUPS} workgroups of ≥ 64 threads`, () => {
        expect(threads(g.workgroups)).toBeGreaterThanOrEqual(MIN_WORKGROUPS);
        expect(threads(g.workgroupSize)).toBeGreaterThanOrEqual(64);
      });
    }
  }
  it('the pooler at batch 1 (gemmNarrow) too', () => {
    const g = gpuGrid('gemmNarrow', { M: 1, N: 768, K: 768 });
    expect(g.workgroups[0] * g.workgroups[1]).toBeGreaterThanOrEqual(MIN_WORKGROUPS);
    expect(g.workgroupSize[0]).toBeGreaterThanOrEqual(64);
  });
});

describe('docs/kernels.md', () => {
  it('carries the BERT-base table as gpuGrid / gpuCost compute it (regenerate: npx tsx --import ./scripts/wgsl-loader.mjs test/kernels/gpu-table.ts)', () => {
    const doc = readFileSync(new URL('../../docs/kernels.md', import.meta.url), 'utf8');
    const copy = /<!-- gpu-table:begin -->\n([\s\S]*?)\n<!-- gpu-table:end -->/.exec(doc)?.[1];
    expect(copy).toBe(bertBaseTable());
  });
});
