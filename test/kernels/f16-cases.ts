// Checks of the f16-storage kernels (each family compiled with the f16 prelude, src/gpu/kernels.ts) against the float64 CPU reference. Inputs are generated, rounded to
// f16 on the CPU (src/gpu/f16.ts), uploaded as f16 bits, and the reference runs in float64 on the SAME rounded values,
// so the test measures only what the kernel adds, not the input quantisation.
//
// Tolerance: |Δ| ≤ atol + rtol·|ref| with rtol = 2⁻¹¹ + 1e-5 and atol = 1e-5 (+ 2⁻²⁵ for f16 subnormals).
//   - 2⁻¹¹ is the unit roundoff of f16 (10 stored mantissa bits, round to nearest): every kernel rounds its f32 result
//     once, on the store, so the output alone carries |Δ| ≤ 2⁻¹¹·|ref|. Nothing else is stored as f16 in between
//     (matmul_layernorm keeps its pre-norm rows in f32 registers for N ≤ 1024; embedding and layernorm recompute
//     their sums per pass), so there is no second rounding to budget for.
//   - 1e-5·max(1, |ref|) is the f32 tolerance of f32-cases.ts for the f32 arithmetic done inside the kernel (same
//     BERT-like scales, K ≤ 3072); it is ~50× below the f16 term for O(1) values and dominates only near zero.
//   - 2⁻²⁵ is half the spacing of f16 subnormals (|y| < 6.1e-5 is stored with absolute, not relative, precision).
//   The one exception is matmulLayernorm with N > 1024, where chunks beyond the registers are parked in y as f16:
//   that case adds 1.5·2⁻¹¹·max|v·rstd·gamma| (the parked value's rounding, plus its effect on the variance).
//   A wrong index, a missing bias, a lost residual or tanh-GELU instead of erf (6e-4 relative on O(1) values, and far
//   more in absolute terms on the tails) is above this bound; an f16 intermediate where f32 was promised shows up in
//   the LayerNorm kernels, where it is amplified by rstd.
import * as ref from '../../src/cpu/reference.ts';
import { readBuffer } from '../../src/gpu/buffers.ts';
import { runKernel } from '../../src/gpu/dispatch.ts';
import { fromF16Bits, toF16Bits } from '../../src/gpu/f16.ts';
import { MatmulEpilogue, rowGrid, type KernelName, type MatmulEpilogueName } from '../../src/gpu/kernels.ts';
import { expectClose, randomArray, seededRandom, type Tolerance } from '../helpers/validate.ts';
import { download, keyPaddingMask, output, upload, type KernelEnv, type Padding } from './env.ts';
import type { KernelCase } from './f32-cases.ts';

const U16 = 2 ** -11;
export const f16Tol: Tolerance = { atol: 1e-5 + 2 ** -25, rtol: U16 + 1e-5 };

/** Random values already rounded to f16 (what the GPU buffer holds), plus their f16 bits for upload. */
function halfArray(n: number, seed: number, scale = 1): { v: Float32Array; bits: Uint16Array } {
  const bits = toF16Bits(randomArray(n, seed, scale));
  return { v: fromF16Bits(bits), bits };
}

function upload16(env: KernelEnv, label: string, a: { bits: Uint16Array }): GPUBuffer {
  return upload(env, label, a.bits);
}

async function download16(env: KernelEnv, buffer: GPUBuffer, elements: number): Promise<Float32Array> {
  return fromF16Bits(new Uint16Array(await readBuffer(env.device, buffer, elements * 2)));
}

const out16 = (env: KernelEnv, elements: number) => output(env, 'y', elements, 2);

type MatmulShape = [M: number, N: number, K: number, epilogue: MatmulEpilogueName, xRowStep?: number];
export const matmulF16Shapes: MatmulShape[] = [
  [1, 1, 1, 'none'],
  [1, 768, 768, 'gelu'],
  [7, 13, 5, 'residual'],
  [33, 65, 129, 'gelu'],
  [129, 30, 17, 'geluTanh'],
  [3, 10, 6, 'relu'],
  [128, 768, 768, 'none'],
  [128, 3072, 768, 'gelu'],
  [128, 768, 3072, 'residual'],
  [3, 768, 768, 'tanh', 128], // the pooler: [CLS] rows of 3 sequences of 128 tokens
];

const cpuEpilogue: Record<MatmulEpilogueName, ((v: number) => number) | null> = {
  none: (v) => v, gelu: ref.geluErf, geluTanh: ref.geluTanh, relu: ref.relu, tanh: Math.tanh, residual: null,
};

// matmulVec4F16 (K % 4 == 0 only): the same checks at K multiples of 4, including BERT-base and the pooler.
export const matmulVec4F16Shapes: MatmulShape[] = [
  [1, 4, 4, 'none'], [7, 13, 8, 'residual'], [33, 65, 132, 'gelu'], [129, 30, 20, 'geluTanh'], [5, 7, 12, 'relu', 3],
  [128, 768, 768, 'none'], [128, 3072, 768, 'gelu'], [128, 768, 3072, 'residual'], [3, 768, 768, 'tanh', 128],
];

function matmulCase([M, N, K, epi, xRowStep = 1]: MatmulShape, kernel: 'matmulF16' | 'matmulVec4F16' = 'matmulF16'): KernelCase {
  return {
    name: `${kernel} M=${M} N=${N} K=${K} epilogue=${epi} xRowStep=${xRowStep}`,
    async run(env) {
      const xAll = halfArray(((M - 1) * xRowStep + 1) * K, M * 7 + K, 1);
      const x = new Float32Array(M * K);
      for (let m = 0; m < M; m++) x.set(xAll.v.subarray(m * xRowStep * K, (m * xRowStep + 1) * K), m * K);
      const w = halfArray(N * K, N * 13 + K, 1 / Math.sqrt(K));
      const b = halfArray(N, N + 3, 0.5);
      const r = halfArray(M * N, M + N, 1);
      const y = out16(env, M * N);
      await runKernel(env.device, env.pipelines, kernel, {
        params: { M, N, K, xRowStep, epilogue: MatmulEpilogue[epi] },
        buffers: { x: upload16(env, 'x', xAll), w: upload16(env, 'w', w), b: upload16(env, 'b', b), residual: upload16(env, 'r', r), y },
        grid: [Math.ceil(N / 32), Math.ceil(M / 32)],
      });
      const pre = ref.matmul(x, w.v, b.v, M, N, K);
      const f = cpuEpilogue[epi];
      const want = f ? pre.map(f) : ref.add(pre, r.v);
      expectClose(this.name, await download16(env, y, M * N), want, f16Tol);
    },
  };
}

type MatmulLnShape = [M: number, N: number, K: number];
// [3, 1100, 20]: N > 4·WG·KEEP_CHUNKS = 1024, the path that parks chunks in y.
export const matmulLnF16Shapes: MatmulLnShape[] = [
  [1, 1, 1], [1, 768, 768], [5, 13, 7], [129, 64, 33], [6, 30, 130], [128, 768, 3072], [3, 1100, 20],
];

function matmulLayernormCase([M, N, K]: MatmulLnShape): KernelCase {
  return {
    name: `matmulLayernormF16 M=${M} N=${N} K=${K}`,
    async run(env) {
      const eps = 1e-12;
      const x = halfArray(M * K, K + 1, 1);
      const w = halfArray(N * K, N + 2, 1 / Math.sqrt(K));
      const b = halfArray(N, 5, 0.5);
      const r = halfArray(M * N, 6, 1);
      const g = { bits: toF16Bits(randomArray(N, 7, 0.2).map((v) => 1 + v)) };
      const gv = fromF16Bits(g.bits);
      const be = halfArray(N, 8, 0.1);
      const y = out16(env, M * N);
      await runKernel(env.device, env.pipelines, 'matmulLayernormF16', {
        params: { M, N, K, eps },
        buffers: { x: upload16(env, 'x', x), w: upload16(env, 'w', w), b: upload16(env, 'b', b), residual: upload16(env, 'r', r),
          gamma: upload16(env, 'g', g), beta: upload16(env, 'be', be), y },
        grid: rowGrid(Math.ceil(M / 4)),
      });
      const pre = ref.add(ref.matmul(x.v, w.v, b.v, M, N, K), r.v);
      const want = ref.layerNorm(pre, gv, be.v, M, N, eps);
      const tol = { ...f16Tol };
      if (N > 1024) tol.atol += 1.5 * U16 * parkedScale(pre, gv, M, N, eps);
      expectClose(this.name, await download16(env, y, M * N), want, tol);
    },
  };
}

/** max |v|·rstd·|gamma| over the rows: how much an f16 rounding of a pre-norm value v moves the output. */
function parkedScale(pre: Float64Array, gamma: Float32Array, rows: number, N: number, eps: number): number {
  let worst = 0;
  for (let r = 0; r < rows; r++) {
    const row = pre.subarray(r * N, (r + 1) * N);
    const mean = row.reduce((s, v) => s + v, 0) / N;
    const rstd = 1 / Math.sqrt(row.reduce((s, v) => s + (v - mean) ** 2, 0) / N + eps);
    for (let c = 0; c < N; c++) worst = Math.max(worst, Math.abs(row[c]) * rstd * Math.abs(gamma[c]));
  }
  return worst;
}

type LnShape = [rows: number, C: number, residual: boolean, eps: number];
export const layernormF16Shapes: LnShape[] = [
  [1, 1, false, 1e-12], [1, 768, true, 1e-12], [7, 13, false, 1e-5], [129, 768, true, 1e-12], [33, 1000, false, 1e-12], [5, 3, true, 1e-12],
];

function layernormCase([rows, C, hasResidual, eps]: LnShape): KernelCase {
  return {
    name: `layernormF16 rows=${rows} C=${C} residual=${hasResidual} eps=${eps}`,
    async run(env) {
      const x = halfArray(rows * C, rows + C, 2);
      const r = halfArray(rows * C, C, 1);
      const g = { bits: toF16Bits(randomArray(C, 3, 0.2).map((v) => 1 + v)) };
      const be = halfArray(C, 4, 0.1);
      const y = out16(env, rows * C);
      await runKernel(env.device, env.pipelines, 'layernormF16', {
        params: { rows, C, eps },
        buffers: { x: upload16(env, 'x', x), residual: upload16(env, 'r', r), gamma: upload16(env, 'g', g), beta: upload16(env, 'be', be), y },
        overrides: { HAS_RESIDUAL: hasResidual },
        grid: rowGrid(rows),
      });
      // x + residual in float64 from the f16 inputs: the kernel must not round the sum to f16 either.
      const want = ref.layerNorm(hasResidual ? ref.add(x.v, r.v) : x.v, fromF16Bits(g.bits), be.v, rows, C, eps);
      expectClose(this.name, await download16(env, y, rows * C), want, f16Tol);
    },
  };
}

type AttnShape = [B: number, T: number, NH: number, HS: number, padding: Padding];
export const attentionF16Shapes: AttnShape[] = [
  [1, 1, 1, 4, 'none'], [2, 5, 2, 8, 'tail'], [1, 129, 2, 16, 'none'], [3, 17, 3, 12, 'allMaskedRow'],
  [1, 9, 2, 6, 'tail'], [2, 128, 12, 64, 'tail'], [1, 40, 1, 128, 'none'],
];

function attentionCase([B, T, NH, HS, padding]: AttnShape): KernelCase {
  return {
    name: `attentionF16 B=${B} T=${T} NH=${NH} HS=${HS} padding=${padding}`,
    async run(env) {
      const C = NH * HS;
      const qkv = halfArray(B * T * 3 * C, B * T + C, 1.5);
      const mask = keyPaddingMask(B, T, padding);
      const ctx = out16(env, B * T * C);
      await runKernel(env.device, env.pipelines, 'attentionF16', {
        params: { T, NH, HS },
        buffers: { qkv: upload16(env, 'qkv', qkv), mask: upload(env, 'mask', mask), ctx },
        grid: [Math.ceil(T / 32), NH, B],
      });
      const got = await download16(env, ctx, B * T * C);
      expectClose(this.name, got, ref.attention(qkv.v, mask, B, T, NH, HS), f16Tol);
      if (padding === 'allMaskedRow' && got.some((v) => Number.isNaN(v))) throw new Error('NaN in a fully masked row');
    },
  };
}

// attentionProbsF16 reads f16 qkv and writes f32 probabilities: the only rounding is of the inputs (done here on the
// CPU too), so the f32 tolerance applies.
function attentionProbsCase([B, T, NH, HS, padding]: AttnShape): KernelCase {
  return {
    name: `attentionProbsF16 B=${B} T=${T} NH=${NH} HS=${HS} padding=${padding}`,
    async run(env) {
      const C = NH * HS;
      const qkv = halfArray(B * T * 3 * C, B * T + C + 1, 1.5);
      const mask = keyPaddingMask(B, T, padding);
      const probs = output(env, 'probs', B * NH * T * T);
      await runKernel(env.device, env.pipelines, 'attentionProbsF16', {
        params: { T, NH, HS }, buffers: { qkv: upload16(env, 'qkv', qkv), mask: upload(env, 'mask', mask), probs },
        grid: [Math.ceil(T / 32), NH, B],
      });
      expectClose(this.name, await download(env, probs, B * NH * T * T), ref.attentionProbs(qkv.v, mask, B, T, NH, HS), { atol: 1e-5, rtol: 1e-5 });
    },
  };
}

type EmbShape = [B: number, T: number, C: number, vocab: number, maxPos: number, types: number, offset: number];
export const embeddingF16Shapes: EmbShape[] = [
  [1, 1, 8, 5, 4, 2, 0], [2, 5, 13, 30, 8, 2, 0], [1, 129, 64, 100, 130, 2, 0], [3, 7, 3, 11, 9, 1, 2],
  [2, 128, 768, 1000, 512, 2, 0], [4, 3, 30, 50, 5, 3, 0],
];

function embeddingCase([B, T, C, vocab, maxPos, types, offset]: EmbShape): KernelCase {
  return {
    name: `embeddingF16 B=${B} T=${T} C=${C} vocab=${vocab} types=${types} positionOffset=${offset}`,
    async run(env) {
      const eps = 1e-12;
      const rand = seededRandom(C + T);
      const ids = Uint32Array.from({ length: B * T }, () => Math.floor(rand() * vocab));
      const typeIds = Uint32Array.from({ length: B * T }, () => Math.floor(rand() * types));
      const word = halfArray(vocab * C, 1, 1);
      const pos = halfArray(maxPos * C, 2, 0.5);
      const type = halfArray(types * C, 3, 0.5);
      const g = { bits: toF16Bits(randomArray(C, 4, 0.2).map((v) => 1 + v)) };
      const be = halfArray(C, 5, 0.1);
      const y = out16(env, B * T * C);
      await runKernel(env.device, env.pipelines, 'embeddingF16', {
        params: { rows: B * T, T, C, vocabSize: vocab, maxPositions: maxPos, typeVocabSize: types, positionOffset: offset, eps },
        buffers: { ids: upload(env, 'ids', ids), typeIds: upload(env, 'typeIds', typeIds), wordEmb: upload16(env, 'word', word),
          posEmb: upload16(env, 'pos', pos), typeEmb: upload16(env, 'type', type), gamma: upload16(env, 'g', g), beta: upload16(env, 'be', be), y },
        grid: rowGrid(B * T),
      });
      const want = ref.embedding(ids, typeIds, B, T, C, word.v, pos.v, type.v, fromF16Bits(g.bits), be.v, eps, offset);
      expectClose(this.name, await download16(env, y, B * T * C), want, f16Tol);
    },
  };
}

export const f16Cases: KernelCase[] = [
  ...matmulF16Shapes.map((s) => matmulCase(s)),
  ...matmulVec4F16Shapes.map((s) => matmulCase(s, 'matmulVec4F16')),
  ...matmulLnF16Shapes.map(matmulLayernormCase),
  ...layernormF16Shapes.map(layernormCase),
  ...attentionF16Shapes.map(attentionCase),
  ...attentionF16Shapes.filter(([, T]) => T <= 129).map(attentionProbsCase),
  ...embeddingF16Shapes.map(embeddingCase),
];

/** The kernels these cases exercise (the unit test checks that every f16 twin is covered). */
export const f16KernelsCovered: KernelName[] = [
  'matmulF16', 'matmulVec4F16', 'matmulLayernormF16', 'layernormF16', 'attentionF16', 'embeddingF16', 'attentionProbsF16',
];
