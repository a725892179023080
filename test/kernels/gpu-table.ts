// The BERT-base table of docs/kernels.md, computed from gpuGrid() and gpuCost() (src/gpu/gpu-kernels.ts), so the
// document states what the code launches: test/unit/kernels-gpu.test.ts fails when they drift apart. Print it with
//   npx tsx --import ./scripts/wgsl-loader.mjs test/kernels/gpu-table.ts
import { gpuCost, gpuGrid, type GpuKernelName } from '../../src/gpu/gpu-kernels.ts';

interface Row { op: string; kernel: GpuKernelName; shape: never }

/**
 * One encoder layer of BERT-base (C 768, FFN 3072, 12 heads × 64) at B × 128 tokens, GPU profile (6 dispatches),
 * the pooler, and the 'alt:' rows: attention and its output GEMM as separate dispatches (7 per layer).
 */
export function bertBaseDispatches(B: number): Row[] {
  const M = B * 128;
  const C = 768;
  const splitsOf = (K: number) => gpuGrid('gemmTiledPartial', { M, N: C, K }).workgroups[2];
  const rows = [
    ['QKV projection', 'gemmTiled', { M, N: 3 * C, K: C }],
    ['attention + output projection (split-K over heads)', 'attentionFlashProj', { B, T: 128, NH: 12, HS: 64 }],
    ['+ bias + residual + LayerNorm', 'layernormRow', { M, N: C, splits: 12 }],
    ['FFN1 + GELU', 'gemmTiled', { M, N: 4 * C, K: C }],
    ['FFN2 (split-K)', 'gemmTiledPartial', { M, N: C, K: 4 * C }],
    ['+ bias + residual + LayerNorm', 'layernormRow', { M, N: C, splits: splitsOf(4 * C) }],
    ['pooler ([CLS] rows) + tanh', 'gemmNarrow', { M: B, N: C, K: C }],
    ['alt: attention alone (ctx)', 'attentionFlash', { B, T: 128, NH: 12, HS: 64 }],
    ['alt: attention output (split-K)', 'gemmTiledPartial', { M, N: C, K: C }],
    ['alt: + bias + residual + LayerNorm', 'layernormRow', { M, N: C, splits: splitsOf(C) }],
  ] as const;
  return rows.map(([op, kernel, shape]) => ({ op, kernel, shape: shape as never }));
}

export function bertBaseTable(): string {
  const lines = [
    '| tokens | dispatch | kernel | workgroups (x·y·z = n) | threads / wg | tile / overrides | GFLOP | global B/FLOP f32 | f16 |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const B of [1, 8]) {
    for (const { op, kernel, shape } of bertBaseDispatches(B)) {
      const g = gpuGrid(kernel, shape);
      const [x, y, z] = g.workgroups;
      const f32 = gpuCost(kernel, shape, 'f32');
      const f16 = gpuCost(kernel, shape, 'f16');
      const perFlop = (c: typeof f32) => (kernel === 'layernormRow' ? `(${(c.globalBytes / 2 ** 20).toFixed(1)} MiB)` : (c.globalBytes / c.flops).toFixed(3));
      const overrides = Object.entries(g.overrides).map(([k, v]) => `${k} ${v}`).join(', ');
      lines.push(`| ${B} × 128 | ${op} | ${kernel} | ${x}·${y}·${z} = ${x * y * z} | ${g.workgroupSize[0] * g.workgroupSize[1] * g.workgroupSize[2]} | ${overrides} | ${(f32.flops / 1e9).toFixed(3)} | ${perFlop(f32)} | ${perFlop(f16)} |`);
    }
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(bertBaseTable());
