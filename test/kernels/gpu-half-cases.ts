// Checks of the f16-arithmetic GPU kernels (the …Half kernels of src/gpu/gpu-kernels.ts: vec4<f16> products, f16
// partial sums of at most F = 8 products, then f32 accumulation) against the float64 CPU references, on inputs already
// rounded to f16 (what f16 storage holds), so the bound covers only what the kernel adds.
//
// Tolerance: a per-element bound derived from the arithmetic, not a fitted constant. u = 2⁻¹¹ (f16 unit roundoff).
//   - A partial sum of n ≤ F products formed in f16 (each product rounded, then n - 1 rounded additions, in any order)
//     is off by at most γ_F·Σ|x_k·w_k|, γ_F = F·u / (1 - F·u) (Higham, Accuracy and Stability, §3.1). The partials then
//     add in f32: the f32 tolerance of f32-cases.ts (1e-5 relative to Σ|x_k·w_k| + |b|) covers that.
//   - Roundings into f16's subnormal range (|v| < 2⁻¹⁴) are absolute: ≤ 2⁻²⁵ each, ≤ 2 per product (its rounding and
//     one addition): K·2⁻²⁴ in all.
//   - Epilogues: |gelu'| ≤ 1.13, |tanh'| ≤ 1, relu and the residual add 1: the pre-activation bound times 1.13.
//   - The store rounds once: u·|ref| (+ 2⁻²⁵).
//   GEMM: |Δ| ≤ u·|ref| + 1.13·(γ_F·S + 1e-5·(S + |b|) + K·2⁻²⁴) + 2⁻²⁵, S = Σ_k |x_k·w_k| of that output.
//   Attention (per query row i and head column d): q·scale is rounded to f16 (u) and the scores are f16 partials of
//   F products: |Δs_ij| ≤ (F + 1)·u·A_ij + HS·2⁻²⁴, A_ij = scale·Σ_d |q_d·k_d|. A score error δ_j moves the normalised
//   weights by a factor within e^{±2·max δ}, so ctx moves by ≤ (e^{2Δs} - 1)·V_id, V_id = Σ_j w_j·|v_jd|. P·V: the
//   weights are rounded to f16 and multiplied and summed in f16 partials of F keys: ≤ (F + 1)·u·V_id + T·2⁻²⁴.
//   LayerNorm after a perturbation Δz of its input row (first order): |Δy_n| ≤ |γ_n|·rstd·(|Δz_n| + (1 + |ẑ_n|)·max|Δz|).
// These are worst-case bounds (errors of random sign mostly cancel). The test data for the GEMMs have a positive mean,
// so partial sums grow along K: a kernel that let f16 sums run over more than F products (no flush) exceeds the bound
// at BERT widths, as do wrong indices, dropped tails and lost epilogues (the report in docs/kernels.md lists the
// deliberately broken kernels that were run against these checks).
import * as ref from '../../src/cpu/reference.ts';
import { readBuffer } from '../../src/gpu/buffers.ts';
import { fromF16Bits, toF16Bits } from '../../src/gpu/f16.ts';
import { gemmTilesHalf, gpuGrid, HALF_FLUSH_PRODUCTS, type GpuKernelName } from '../../src/gpu/gpu-kernels.ts';
import { MatmulEpilogue, type MatmulEpilogueName } from '../../src/gpu/kernels.ts';
import { randomArray } from '../helpers/validate.ts';
import { keyPaddingMask, output, upload, type KernelEnv, type Padding } from './env.ts';
import { runGpuKernel, type GpuKernelCase } from './gpu-cases.ts';

const U = 2 ** -11;
const F = HALF_FLUSH_PRODUCTS;
const GAMMA_F = (F * U) / (1 - F * U);
const SUB = 2 ** -25;
const F32 = 1e-5;
const EPILOGUE_LIPSCHITZ = 1.13;

/** f16-rounded values and their bits. */
function half(data: Float32Array): { v: Float32Array; bits: Uint16Array } {
  const bits = toF16Bits(data);
  return { v: fromF16Bits(bits), bits };
}
async function download16(env: KernelEnv, b: GPUBuffer, n: number): Promise<Float32Array> {
  return fromF16Bits(new Uint16Array(await readBuffer(env.device, b, n * 2)));
}

/** Fails naming the first elements past their bound, and reports the worst ratio |Δ| / bound. */
export function expectWithinBound(name: string, got: ArrayLike<number>, want: ArrayLike<number>, bound: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`${name}: length ${got.length}, want ${want.length}`);
  const bad: string[] = [];
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    const r = d / bound[i];
    if (!(d <= bound[i])) {
      if (bad.length < 5) bad.push(`  [${i}] got ${got[i]}, want ${want[i]}, |Δ| ${d.toExponential(3)} > bound ${bound[i].toExponential(3)}`);
      worst = Number.isNaN(r) ? Infinity : Math.max(worst, r);
    } else {
      worst = Math.max(worst, r);
    }
  }
  if (bad.length) throw new Error([`${name}: elements past the f16-arithmetic bound (worst |Δ|/bound ${worst.toFixed(2)})`, ...bad].join('\n'));
  if (globalThis.process?.env.BOUND_LOG) console.log(`${name}: worst |Δ|/bound ${worst.toFixed(3)}`);
  return worst;
}

/** Σ_k |x_mk·w_nk| for every output (m, n). */
function absProducts(x: Float32Array, w: Float32Array, M: number, N: number, K: number): Float64Array {
  const s = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let a = 0;
      for (let k = 0; k < K; k++) a += Math.abs(x[m * K + k] * w[n * K + k]);
      s[m * N + n] = a;
    }
  }
  return s;
}

/** The bound on the pre-activation (x·wᵀ + b) of the f16-arithmetic GEMMs. */
const gemmPreBound = (S: number, b: number, K: number) => GAMMA_F * S + F32 * (S + Math.abs(b)) + K * 2 * SUB;

/** LayerNorm's output bound for input-row errors dz (see the header), added to the store's rounding. */
function layerNormBound(z: Float64Array, dz: Float64Array, gamma: Float32Array, want: Float64Array, M: number, N: number, eps: number): Float64Array {
  const out = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    const row = z.subarray(m * N, (m + 1) * N);
    const mean = row.reduce((a, v) => a + v, 0) / N;
    const rstd = 1 / Math.sqrt(row.reduce((a, v) => a + (v - mean) ** 2, 0) / N + eps);
    let maxDz = 0;
    for (let n = 0; n < N; n++) maxDz = Math.max(maxDz, dz[m * N + n]);
    for (let n = 0; n < N; n++) {
      const zhat = Math.abs((row[n] - mean) * rstd);
      const i = m * N + n;
      out[i] = Math.abs(gamma[n]) * rstd * (dz[i] + (1 + zhat) * maxDz) * (1 + F32) + U * Math.abs(want[i]) + SUB + F32 * Math.abs(want[i]);
    }
  }
  return out;
}

const cpuEpilogue: Record<MatmulEpilogueName, ((v: number) => number) | null> = {
  none: (v) => v, gelu: ref.geluErf, geluTanh: ref.geluTanh, relu: ref.relu, tanh: Math.tanh, residual: null,
};

/** Positive-mean data (so partial sums grow along K), BERT-like scales: x ∈ [-0.5, 1.5), w ∈ [-0.5, 1.5)/√K. */
const biased = (n: number, seed: number, scale: number) => randomArray(n, seed, scale).map((v) => v + scale);

export type HalfGemmShape = [M: number, N: number, K: number, epilogue: MatmulEpilogueName, xRowStep?: number];
type Tile = { TM: number; TN: number; BK4: number };

/**
 * data 'stall': every row of x is (4096, 0, 0, 0, 1, 0, 0, 0, 1, …) and every row of w (1, 0, 0, 0, 1, …), b = 0, so
 * y = 4096 + K/4 - 1. Summed in f16, 4096 + 1 rounds back to 4096 (the spacing there is 4): a kernel that kept its
 * f16 sum past one flush loses every later 1 (K/4 - 1 in all), while flushing to f32 every 8 products loses one 1 at
 * most — the sharp check that partial sums really go to f32 (the random data's bound is a worst case, loose for a
 * typical error).
 */
export function halfGemmCase(kernel: 'gemmTiledHalf' | 'gemmNarrowHalf' | 'gemmNarrowSubgroupHalf', [M, N, K, epi, xRowStep = 1]: HalfGemmShape, tile?: Tile, data: 'random' | 'stall' = 'random'): GpuKernelCase {
  const tileName = tile ? ` tile=${4 * tile.TM}x${4 * tile.TN}/${4 * tile.BK4}` : '';
  const stall = data === 'stall';
  const stallRows = (rows: number, first: number) => new Float32Array(rows * K).map((_, i) => (i % 4 ? 0 : i % K === 0 ? first : 1));
  return {
    name: `${kernel} f16 M=${M} N=${N} K=${K} epilogue=${epi} xRowStep=${xRowStep}${tileName}${stall ? ' data=stall' : ''}`,
    kernel, storage: 'f16',
    async run(env) {
      const xAll = half(stall ? stallRows((M - 1) * xRowStep + 1, 4096) : biased(((M - 1) * xRowStep + 1) * K, M * 7 + K, 1));
      const x = new Float32Array(M * K);
      for (let m = 0; m < M; m++) x.set(xAll.v.subarray(m * xRowStep * K, (m * xRowStep + 1) * K), m * K);
      const w = half(stall ? stallRows(N, 1) : biased(N * K, N * 13 + K, 1 / Math.sqrt(K)));
      const b = half(stall ? new Float32Array(N) : randomArray(N, N + 3, 0.5));
      const r = half(randomArray(M * N, M + N, 1));
      const y = output(env, 'y', M * N, 2);
      const grid = gpuGrid(kernel, { M, N, K });
      const workgroups = tile ? [Math.ceil(N / (4 * tile.TN)), Math.ceil(M / (4 * tile.TM)), 1] as const : grid.workgroups;
      await runGpuKernel(env, kernel, 'f16', {
        params: { M, N, K, xRowStep, epilogue: MatmulEpilogue[epi] },
        buffers: { x: upload(env, 'x', xAll.bits), w: upload(env, 'w', w.bits), b: upload(env, 'b', b.bits), residual: upload(env, 'r', r.bits), y },
        overrides: tile ?? grid.overrides,
        workgroups,
      });
      const pre = ref.matmul(x, w.v, b.v, M, N, K);
      const f = cpuEpilogue[epi];
      const want = f ? pre.map(f) : ref.add(pre, r.v);
      const S = absProducts(x, w.v, M, N, K);
      const bound = want.map((v, i) => U * Math.abs(v) + EPILOGUE_LIPSCHITZ * gemmPreBound(S[i], b.v[i % N], K) + SUB);
      expectWithinBound(this.name, await download16(env, y, M * N), want, bound);
    },
  };
}

export type HalfMatmulLnShape = [M: number, N: number, K: number];

/** gemmTiledPartialHalf then layernormRow (f16 storage): LayerNorm(x·wᵀ + b + residual)·gamma + beta. */
export function halfMatmulLnCase([M, N, K]: HalfMatmulLnShape): GpuKernelCase {
  return {
    name: `gemmTiledPartialHalf+layernormRow f16 M=${M} N=${N} K=${K}`,
    kernel: 'gemmTiledPartialHalf', storage: 'f16',
    async run(env) {
      const eps = 1e-12;
      const x = half(biased(M * K, K + 1, 1));
      const w = half(biased(N * K, N + 2, 1 / Math.sqrt(K)));
      const b = half(randomArray(N, 5, 0.5));
      const r = half(randomArray(M * N, 6, 1));
      const g = half(randomArray(N, 7, 0.2).map((v) => 1 + v));
      const be = half(randomArray(N, 8, 0.1));
      const gemm = gpuGrid('gemmTiledPartialHalf', { M, N, K });
      const splits = gemm.workgroups[2];
      const partials = output(env, 'partials', splits * M * N, 4);
      await runGpuKernel(env, 'gemmTiledPartialHalf', 'f16', {
        params: { M, N, K, xRowStep: 1, epilogue: 0 },
        buffers: { x: upload(env, 'x', x.bits), w: upload(env, 'w', w.bits), b: upload(env, 'b', b.bits), residual: upload(env, 'r0', new Float32Array(1)), y: partials },
        overrides: gemm.overrides,
        workgroups: gemm.workgroups,
      });
      const y = output(env, 'y', M * N, 2);
      const row = gpuGrid('layernormRow', { M, N, splits });
      await runGpuKernel(env, 'layernormRow', 'f16', {
        params: { M, N, splits, eps },
        buffers: { partials, b: upload(env, 'b', b.bits), residual: upload(env, 'r', r.bits), gamma: upload(env, 'g', g.bits), beta: upload(env, 'be', be.bits), y },
        overrides: row.overrides,
        workgroups: row.workgroups,
      });
      const z = ref.add(ref.matmul(x.v, w.v, b.v, M, N, K), r.v);
      const want = ref.layerNorm(z, g.v, be.v, M, N, eps);
      const S = absProducts(x.v, w.v, M, N, K);
      const dz = S.map((s, i) => gemmPreBound(s, b.v[i % N], K) + F32 * Math.abs(r.v[i]));
      expectWithinBound(this.name, await download16(env, y, M * N), want, layerNormBound(z, dz, g.v, want, M, N, eps));
    },
  };
}

export type HalfAttentionShape = [B: number, T: number, NH: number, HS: number, padding: Padding];

/** The attention bound per ctx element (header): score errors through the softmax, then P·V in f16 partials. */
function attentionBound(qkv: Float32Array, mask: Uint32Array, probs: Float64Array, want: Float64Array, B: number, T: number, NH: number, HS: number): Float64Array {
  const C = NH * HS;
  const scale = 1 / Math.sqrt(HS);
  const bound = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let i = 0; i < T; i++) {
        const qi = (b * T + i) * 3 * C + h * HS;
        let ds = 0;
        for (let j = 0; j < T; j++) {
          if (!mask[b * T + j]) continue;
          const kj = (b * T + j) * 3 * C + C + h * HS;
          let A = 0;
          for (let d = 0; d < HS; d++) A += Math.abs(qkv[qi + d] * qkv[kj + d]);
          ds = Math.max(ds, (F + 1) * U * scale * A + HS * 2 * SUB + F32 * scale * A);
        }
        const p = probs.subarray(((b * NH + h) * T + i) * T, ((b * NH + h) * T + i + 1) * T);
        for (let d = 0; d < HS; d++) {
          let V = 0;
          for (let j = 0; j < T; j++) if (p[j] !== 0) V += p[j] * Math.abs(qkv[(b * T + j) * 3 * C + 2 * C + h * HS + d]);
          const o = (b * T + i) * C + h * HS + d;
          bound[o] = U * Math.abs(want[o]) + (Math.expm1(2 * ds) + (F + 1) * U + F32) * V + T * 2 * SUB + SUB;
        }
      }
    }
  }
  return bound;
}

export function halfAttentionCase([B, T, NH, HS, padding]: HalfAttentionShape): GpuKernelCase {
  return {
    name: `attentionFlashHalf f16 B=${B} T=${T} NH=${NH} HS=${HS} padding=${padding}`,
    kernel: 'attentionFlashHalf', storage: 'f16',
    async run(env) {
      const C = NH * HS;
      const qkv = half(randomArray(B * T * 3 * C, B * T + C, 1.5));
      const mask = keyPaddingMask(B, T, padding);
      const ctx = output(env, 'ctx', B * T * C, 2);
      const grid = gpuGrid('attentionFlashHalf', { B, T, NH, HS });
      await runGpuKernel(env, 'attentionFlashHalf', 'f16', {
        params: { T, NH, HS }, buffers: { qkv: upload(env, 'qkv', qkv.bits), mask: upload(env, 'mask', mask), ctx },
        overrides: grid.overrides, workgroups: grid.workgroups,
      });
      const want = ref.attention(qkv.v, mask, B, T, NH, HS);
      const bound = attentionBound(qkv.v, mask, ref.attentionProbs(qkv.v, mask, B, T, NH, HS), want, B, T, NH, HS);
      expectWithinBound(this.name, await download16(env, ctx, B * T * C), want, bound);
    },
  };
}

/** attentionFlashProjHalf then layernormRow: LayerNorm(attention(qkv)·Woᵀ + bo + residual)·gamma + beta. */
export function halfAttentionProjCase([B, T, NH, HS, padding]: HalfAttentionShape): GpuKernelCase {
  return {
    name: `attentionFlashProjHalf+layernormRow f16 B=${B} T=${T} NH=${NH} HS=${HS} padding=${padding}`,
    kernel: 'attentionFlashProjHalf', storage: 'f16',
    async run(env) {
      const C = NH * HS;
      const M = B * T;
      const eps = 1e-12;
      const qkv = half(randomArray(M * 3 * C, M + C, 1.5));
      const mask = keyPaddingMask(B, T, padding);
      const wo = half(randomArray(C * C, C + 1, 1 / Math.sqrt(C)));
      const woT = new Float32Array(C * C);
      for (let n = 0; n < C; n++) for (let k = 0; k < C; k++) woT[k * C + n] = wo.v[n * C + k];
      const bo = half(randomArray(C, C + 2, 0.5));
      const r = half(randomArray(M * C, C + 3, 1));
      const g = half(randomArray(C, C + 4, 0.2).map((v) => 1 + v));
      const be = half(randomArray(C, C + 5, 0.1));
      const partials = output(env, 'partials', NH * M * C, 4);
      const grid = gpuGrid('attentionFlashProjHalf', { B, T, NH, HS });
      await runGpuKernel(env, 'attentionFlashProjHalf', 'f16', {
        params: { T, NH, HS },
        buffers: { qkv: upload(env, 'qkv', qkv.bits), mask: upload(env, 'mask', mask), woT: upload(env, 'woT', half(woT).bits), partials },
        overrides: grid.overrides, workgroups: grid.workgroups,
      });
      const y = output(env, 'y', M * C, 2);
      const row = gpuGrid('layernormRow', { M, N: C, splits: NH });
      await runGpuKernel(env, 'layernormRow', 'f16', {
        params: { M, N: C, splits: NH, eps },
        buffers: { partials, b: upload(env, 'b', bo.bits), residual: upload(env, 'r', r.bits), gamma: upload(env, 'g', g.bits), beta: upload(env, 'be', be.bits), y },
        overrides: row.overrides, workgroups: row.workgroups,
      });
      const ctx = ref.attention(qkv.v, mask, B, T, NH, HS);
      const dctx = attentionBound(qkv.v, mask, ref.attentionProbs(qkv.v, mask, B, T, NH, HS), ctx, B, T, NH, HS);
      // The context tile is rounded to f16 once more (workgroup memory), then f16 products in partials of F.
      const z = ref.add(ref.matmul(ctx, wo.v, bo.v, M, C, C), r.v);
      const dz = new Float64Array(M * C);
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < C; n++) {
          let e = 0;
          let S = 0;
          for (let k = 0; k < C; k++) {
            const a = Math.abs(wo.v[n * C + k]);
            e += (dctx[m * C + k] + U * Math.abs(ctx[m * C + k])) * a;
            S += Math.abs(ctx[m * C + k]) * a;
          }
          dz[m * C + n] = e + gemmPreBound(S, bo.v[n], C) + F32 * Math.abs(r.v[m * C + n]);
        }
      }
      const want = ref.layerNorm(z, g.v, be.v, M, C, eps);
      expectWithinBound(this.name, await download16(env, y, M * C), want, layerNormBound(z, dz, g.v, want, M, C, eps));
    },
  };
}

// Shapes: not multiples of the tiles (64 × 64 / 32 × 32 output tiles, K tiles of 32 and 64), K not a multiple of the
// flush interval (8 products = 2 vec4: K = 4, 12, 20, 36, 132 leave a partial flush), and BERT-base widths.
export const halfGemmShapes: HalfGemmShape[] = [
  [1, 1, 4, 'none'], [7, 13, 12, 'gelu'], [33, 65, 132, 'residual'], [129, 30, 20, 'geluTanh'], [5, 7, 36, 'tanh', 3],
  [128, 768, 768, 'none'], [128, 3072, 768, 'gelu'], [128, 768, 3072, 'residual'],
];
export const halfTileShapes: HalfGemmShape[] = [[65, 129, 36, 'gelu'], [33, 65, 132, 'residual']];
// The pooler's BERT-width rows (xRowStep 128) without tanh: the positive-mean data saturate it, hiding any error.
export const halfNarrowShapes: HalfGemmShape[] = [
  [1, 1, 4, 'none'], [8, 13, 12, 'gelu'], [2, 7, 20, 'tanh'], [3, 768, 768, 'none', 128], [5, 30, 132, 'residual'], [4, 1000, 768, 'none'],
];
export const halfMatmulLnShapes: HalfMatmulLnShape[] = [[1, 1, 4], [5, 13, 12], [129, 64, 36], [3, 1100, 20], [128, 768, 768], [128, 768, 3072]];
// Attention: each head size is a pipeline lavapipe compiles slowly (unrolled f16 loops: 10–70 s on a shared 2-core
// machine), so three: HS 12 (3 vec4: a partial flush of the score dots), 64 (BERT-base), 128 (the 8-thread mapping).
// T 5, 17, 33, 129: partial key tiles of 32 (and of the 8-key P·V flush).
export const halfAttentionShapes: HalfAttentionShape[] = [
  [2, 5, 2, 12, 'tail'], [3, 17, 3, 12, 'allMaskedRow'], [1, 129, 2, 12, 'none'], [2, 33, 2, 64, 'allMaskedRow'],
  [2, 128, 12, 64, 'tail'], [1, 40, 1, 128, 'none'],
];
export const halfAttentionProjShapes: HalfAttentionShape[] = [
  [2, 5, 2, 12, 'tail'], [3, 17, 3, 12, 'allMaskedRow'], [1, 33, 2, 64, 'none'], [1, 128, 12, 64, 'tail'],
];

export const halfKernels: GpuKernelName[] = ['gemmTiledHalf', 'gemmTiledPartialHalf', 'gemmNarrowHalf', 'gemmNarrowSubgroupHalf', 'attentionFlashHalf', 'attentionFlashProjHalf'];

/** Every f16-arithmetic kernel on Dawn/lavapipe (which has shader-f16 and subgroups). */
export function nodeHalfCases(): GpuKernelCase[] {
  return [
    ...halfGemmShapes.map((sh) => halfGemmCase('gemmTiledHalf', sh)),
    ...gemmTilesHalf.flatMap((t) => halfTileShapes.map((sh) => halfGemmCase('gemmTiledHalf', sh, t))),
    halfGemmCase('gemmTiledHalf', [70, 66, 3076, 'none'], undefined, 'stall'),
    ...halfNarrowShapes.map((sh) => halfGemmCase('gemmNarrowHalf', sh)),
    ...halfNarrowShapes.map((sh) => halfGemmCase('gemmNarrowSubgroupHalf', sh)),
    ...halfMatmulLnShapes.map((sh) => halfMatmulLnCase(sh)),
    ...halfAttentionShapes.map((sh) => halfAttentionCase(sh)),
    ...halfAttentionProjShapes.map((sh) => halfAttentionProjCase(sh)),
  ];
}
