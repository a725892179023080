// Kernel checks shared by the Node (Dawn) and Chromium suites: each case runs one kernel on the GPU and compares it
// with the naive float64 CPU reference in src/cpu/reference.ts.
//
// Tolerance (f32): |Δ| ≤ 1e-5·max(1, |ref|), i.e. atol = rtol = 1e-5. Inputs are scaled like BERT's (activations
// O(1), weights ~ 1/√K), for which the f32 rounding of a K-term dot product grows like √K·ε·|partial sums| ≈ 1e-6 at
// K = 3072, an order below the bound; a wrong index, a missing bias or tanh-GELU instead of erf (6e-4) is far above it.
import * as ref from '../../src/cpu/reference.ts';
import { runKernel } from '../../src/gpu/dispatch.ts';
import { MatmulEpilogue, rowGrid, type MatmulEpilogueName } from '../../src/gpu/kernels.ts';
import { expectClose, randomArray, seededRandom } from '../helpers/validate.ts';
import { download, keyPaddingMask, output, upload, type KernelEnv, type Padding } from './env.ts';

export const f32Tol = { atol: 1e-5, rtol: 1e-5 };

export interface KernelCase {
  name: string;
  run(env: KernelEnv): Promise<void>;
}

type MatmulShape = [M: number, N: number, K: number, epilogue: MatmulEpilogueName, xRowStep?: number];
export const matmulShapes: MatmulShape[] = [
  [1, 1, 1, 'none'],
  [1, 768, 768, 'none'],
  [7, 13, 5, 'gelu'],
  [33, 65, 129, 'residual'],
  [129, 30, 17, 'geluTanh'],
  [3, 10, 6, 'relu'],
  [128, 768, 768, 'none'],
  [128, 3072, 768, 'gelu'],
  [128, 768, 3072, 'residual'],
  [3, 768, 768, 'tanh', 128], // the pooler: [CLS] rows of 3 sequences of 128 tokens
  [5, 7, 9, 'tanh', 3],
];

const cpuEpilogue: Record<MatmulEpilogueName, ((v: number) => number) | null> = {
  none: (v) => v, gelu: ref.geluErf, geluTanh: ref.geluTanh, relu: ref.relu, tanh: Math.tanh, residual: null,
};

function matmulCase([M, N, K, epi, xRowStep = 1]: MatmulShape): KernelCase {
  return {
    name: `matmul M=${M} N=${N} K=${K} epilogue=${epi} xRowStep=${xRowStep}`,
    async run(env) {
      const xAll = randomArray(((M - 1) * xRowStep + 1) * K, M * 7 + K, 1);
      // The rows the kernel should read, gathered on the CPU for the reference.
      const x = new Float32Array(M * K);
      for (let m = 0; m < M; m++) x.set(xAll.subarray(m * xRowStep * K, (m * xRowStep + 1) * K), m * K);
      const w = randomArray(N * K, N * 13 + K, 1 / Math.sqrt(K));
      const b = randomArray(N, N + 3, 0.5);
      const r = randomArray(M * N, M + N, 1);
      const y = output(env, 'y', M * N);
      await runKernel(env.device, env.pipelines, 'matmul', {
        params: { M, N, K, xRowStep, epilogue: MatmulEpilogue[epi] },
        buffers: { x: upload(env, 'x', xAll), w: upload(env, 'w', w), b: upload(env, 'b', b), residual: upload(env, 'r', r), y },
        grid: [Math.ceil(N / 32), Math.ceil(M / 32)],
      });
      const pre = ref.matmul(x, w, b, M, N, K);
      const f = cpuEpilogue[epi];
      const want = f ? pre.map(f) : ref.add(pre, r);
      expectClose(this.name, await download(env, y, M * N), want, f32Tol);
    },
  };
}

// The epilogues (lib/erf.wgsl, lib/epilogue.wgsl) elementwise over wide ranges, as the removed standalone gelu
// kernel's checks did: M = n rows, N = K = 1, w = 1, b = 0, so y = epilogue(x) exactly before the epilogue.
type EpilogueRange = [n: number, epilogue: Exclude<MatmulEpilogueName, 'residual'>, scale: number];
export const epilogueRanges: EpilogueRange[] = [[13, 'gelu', 10], [4097, 'gelu', 6], [1000, 'geluTanh', 8], [77, 'relu', 3], [500, 'tanh', 20]];

function epilogueRangeCase([n, epi, scale]: EpilogueRange): KernelCase {
  return {
    name: `matmul epilogue=${epi} over ±${scale} (n=${n}, K=1)`,
    async run(env) {
      const x = randomArray(n, n, scale);
      const y = output(env, 'y', n);
      const one = Float32Array.of(1);
      await runKernel(env.device, env.pipelines, 'matmul', {
        params: { M: n, N: 1, K: 1, xRowStep: 1, epilogue: MatmulEpilogue[epi] },
        buffers: { x: upload(env, 'x', x), w: upload(env, 'w', one), b: upload(env, 'b', new Float32Array(1)), residual: upload(env, 'r', one), y },
        grid: [1, Math.ceil(n / 32)],
      });
      expectClose(this.name, await download(env, y, n), Array.from(x, cpuEpilogue[epi]!), f32Tol);
    },
  };
}

type MatmulLnShape = [M: number, N: number, K: number];
// [3, 1100, 20]: N > 4·WG·KEEP_CHUNKS = 1024, where matmul_layernorm parks the columns past its registers in y.
export const matmulLnShapes: MatmulLnShape[] = [[1, 1, 1], [1, 768, 768], [5, 13, 7], [129, 64, 33], [6, 30, 130], [128, 768, 3072], [3, 1100, 20]];

// matmulLayernormVec4 (K % 4 == 0) owns 16 rows per workgroup (4 · TR with TR = 4), the scalar kernel 4.
function matmulLayernormCase([M, N, K]: MatmulLnShape, kernel: 'matmulLayernorm' | 'matmulLayernormVec4' = 'matmulLayernorm'): KernelCase {
  return {
    name: `${kernel} M=${M} N=${N} K=${K}`,
    async run(env) {
      const eps = 1e-12;
      const x = randomArray(M * K, K + 1, 1);
      const w = randomArray(N * K, N + 2, 1 / Math.sqrt(K));
      const b = randomArray(N, 5, 0.5);
      const r = randomArray(M * N, 6, 1);
      const g = randomArray(N, 7, 0.2).map((v) => 1 + v);
      const be = randomArray(N, 8, 0.1);
      const y = output(env, 'y', M * N);
      await runKernel(env.device, env.pipelines, kernel, {
        params: { M, N, K, eps },
        buffers: { x: upload(env, 'x', x), w: upload(env, 'w', w), b: upload(env, 'b', b), residual: upload(env, 'r', r),
          gamma: upload(env, 'g', g), beta: upload(env, 'be', be), y },
        grid: rowGrid(Math.ceil(M / (kernel === 'matmulLayernorm' ? 4 : 16))),
      });
      const want = ref.layerNorm(ref.add(ref.matmul(x, w, b, M, N, K), r), g, be, M, N, eps);
      // N = 1 normalises a single value to exactly beta; LayerNorm itself amplifies rounding by rstd, which stays
      // O(1) for these inputs.
      expectClose(this.name, await download(env, y, M * N), want, f32Tol);
    },
  };
}

type LnShape = [rows: number, C: number, residual: boolean, eps: number];
export const layernormShapes: LnShape[] = [
  [1, 1, false, 1e-12], [1, 768, true, 1e-12], [7, 13, false, 1e-5], [129, 768, true, 1e-12], [33, 1000, false, 1e-12], [5, 3, true, 1e-12],
];

function layernormCase([rows, C, hasResidual, eps]: LnShape): KernelCase {
  return {
    name: `layernorm rows=${rows} C=${C} residual=${hasResidual} eps=${eps}`,
    async run(env) {
      const x = randomArray(rows * C, rows + C, 2);
      const r = randomArray(rows * C, C, 1);
      const g = randomArray(C, 3, 0.2).map((v) => 1 + v);
      const be = randomArray(C, 4, 0.1);
      const y = output(env, 'y', rows * C);
      await runKernel(env.device, env.pipelines, 'layernorm', {
        params: { rows, C, eps },
        buffers: { x: upload(env, 'x', x), residual: upload(env, 'r', r), gamma: upload(env, 'g', g), beta: upload(env, 'be', be), y },
        overrides: { HAS_RESIDUAL: hasResidual },
        grid: rowGrid(rows),
      });
      const want = ref.layerNorm(hasResidual ? ref.add(x, r) : x, g, be, rows, C, eps);
      expectClose(this.name, await download(env, y, rows * C), want, f32Tol);
    },
  };
}

type AttnShape = [B: number, T: number, NH: number, HS: number, padding: Padding];
export const attentionShapes: AttnShape[] = [
  [1, 1, 1, 4, 'none'], [2, 5, 2, 8, 'tail'], [1, 129, 2, 16, 'none'], [3, 17, 3, 12, 'allMaskedRow'],
  [1, 9, 2, 6, 'tail'], [2, 128, 12, 64, 'tail'], [1, 40, 1, 128, 'none'],
];

// attentionVec4's thread shapes (queries per thread QPT, threads QB): each one the variant table can choose.
type AttnTile = { QB: number; QPT: number };
function attentionCase([B, T, NH, HS, padding]: AttnShape, kernel: 'attention' | 'attentionVec4' = 'attention', tile?: AttnTile): KernelCase {
  return {
    name: `${kernel} B=${B} T=${T} NH=${NH} HS=${HS} padding=${padding}${tile ? ` QB=${tile.QB} QPT=${tile.QPT}` : ''}`,
    async run(env) {
      const C = NH * HS;
      const qkv = randomArray(B * T * 3 * C, B * T + C, 1.5);
      const mask = keyPaddingMask(B, T, padding);
      const ctx = output(env, 'ctx', B * T * C);
      await runKernel(env.device, env.pipelines, kernel, {
        params: { T, NH, HS },
        buffers: { qkv: upload(env, 'qkv', qkv), mask: upload(env, 'mask', mask), ctx },
        ...(tile ? { overrides: { ...tile } } : {}),
        grid: [Math.ceil(T / (tile ? tile.QB * tile.QPT : 32)), NH, B],
      });
      const got = await download(env, ctx, B * T * C);
      expectClose(this.name, got, ref.attention(qkv, mask, B, T, NH, HS), f32Tol);
      if (padding === 'allMaskedRow' && got.some((v) => Number.isNaN(v))) throw new Error('NaN in a fully masked row');
    },
  };
}

function attentionProbsCase([B, T, NH, HS, padding]: AttnShape): KernelCase {
  return {
    name: `attentionProbs B=${B} T=${T} NH=${NH} HS=${HS} padding=${padding}`,
    async run(env) {
      const C = NH * HS;
      const qkv = randomArray(B * T * 3 * C, B + T + C, 1.5);
      const mask = keyPaddingMask(B, T, padding);
      const probs = output(env, 'probs', B * NH * T * T);
      await runKernel(env.device, env.pipelines, 'attentionProbs', {
        params: { T, NH, HS }, buffers: { qkv: upload(env, 'qkv', qkv), mask: upload(env, 'mask', mask), probs },
        grid: [Math.ceil(T / 32), NH, B],
      });
      expectClose(this.name, await download(env, probs, B * NH * T * T), ref.attentionProbs(qkv, mask, B, T, NH, HS), f32Tol);
    },
  };
}

type EmbShape = [B: number, T: number, C: number, vocab: number, maxPos: number, types: number, offset: number];
export const embeddingShapes: EmbShape[] = [
  [1, 1, 8, 5, 4, 2, 0], [2, 5, 13, 30, 8, 2, 0], [1, 129, 64, 100, 130, 2, 0], [3, 7, 3, 11, 9, 1, 2],
  [2, 128, 768, 1000, 512, 2, 0], [4, 3, 30, 50, 5, 3, 0],
];

function embeddingCase([B, T, C, vocab, maxPos, types, offset]: EmbShape): KernelCase {
  return {
    name: `embedding B=${B} T=${T} C=${C} vocab=${vocab} types=${types} positionOffset=${offset}`,
    async run(env) {
      const eps = 1e-12;
      const rand = seededRandom(C + T);
      const ids = Uint32Array.from({ length: B * T }, () => Math.floor(rand() * vocab));
      const typeIds = Uint32Array.from({ length: B * T }, () => Math.floor(rand() * types));
      const word = randomArray(vocab * C, 1, 1);
      const pos = randomArray(maxPos * C, 2, 0.5);
      const type = randomArray(types * C, 3, 0.5);
      const g = randomArray(C, 4, 0.2).map((v) => 1 + v);
      const be = randomArray(C, 5, 0.1);
      const y = output(env, 'y', B * T * C);
      await runKernel(env.device, env.pipelines, 'embedding', {
        params: { rows: B * T, T, C, vocabSize: vocab, maxPositions: maxPos, typeVocabSize: types, positionOffset: offset, eps },
        buffers: { ids: upload(env, 'ids', ids), typeIds: upload(env, 'typeIds', typeIds), wordEmb: upload(env, 'word', word),
          posEmb: upload(env, 'pos', pos), typeEmb: upload(env, 'type', type), gamma: upload(env, 'g', g), beta: upload(env, 'be', be), y },
        grid: rowGrid(B * T),
      });
      const want = ref.embedding(ids, typeIds, B, T, C, word, pos, type, g, be, eps, offset);
      expectClose(this.name, await download(env, y, B * T * C), want, f32Tol);
    },
  };
}

type GatherShape = [rowsIn: number, W: number, R: number];
// The last has R > 65535 rows (a 2-D grid); indices repeat, go backwards, and one is out of range (clamped).
export const gatherShapes: GatherShape[] = [[1, 1, 1], [10, 7, 4], [128, 768, 9], [5, 3, 70000]];

function gatherRowsCase([rowsIn, W, R]: GatherShape): KernelCase {
  return {
    name: `gatherRows rowsIn=${rowsIn} W=${W} R=${R}`,
    async run(env) {
      const rand = seededRandom(rowsIn + W + R);
      const rows = Uint32Array.from({ length: R }, (_, r) => (r === R - 1 && R > 1 ? rowsIn + 5 : Math.floor(rand() * rowsIn)));
      const x = randomArray(rowsIn * W, W, 3);
      const y = output(env, 'y', R * W);
      await runKernel(env.device, env.pipelines, 'gatherRows', {
        params: { R, W, rowsIn }, buffers: { rows: upload(env, 'rows', rows), x: upload(env, 'x', x), y }, grid: rowGrid(R),
      });
      const want = new Float32Array(R * W);
      rows.forEach((i, r) => want.set(x.subarray(Math.min(i, rowsIn - 1) * W, (Math.min(i, rowsIn - 1) + 1) * W), r * W));
      expectClose(this.name, await download(env, y, R * W), want, { atol: 0, rtol: 0 });
    },
  };
}

export const f32Cases: KernelCase[] = [
  ...matmulShapes.map(matmulCase),
  ...epilogueRanges.map(epilogueRangeCase),
  ...matmulLnShapes.map((sh) => matmulLayernormCase(sh)),
  ...[...matmulLnShapes.filter(([, , K]) => K % 4 === 0), [1, 4, 4], [17, 100, 8], [3, 13, 20], [129, 768, 768]].map((sh) => matmulLayernormCase(sh as MatmulLnShape, 'matmulLayernormVec4')),
  ...layernormShapes.map(layernormCase),
  ...attentionShapes.map((sh) => attentionCase(sh)),
  ...attentionShapes.filter(([, , , HS]) => HS % 4 === 0).map((sh) => attentionCase(sh, 'attentionVec4')),
  ...attentionShapes.filter(([, , , HS]) => HS % 4 === 0).flatMap((sh) =>
    [{ QB: 16, QPT: 2 }, { QB: 16, QPT: 4 }, { QB: 8, QPT: 3 }].map((tile) => attentionCase(sh, 'attentionVec4', tile))),
  ...attentionShapes.filter(([, T]) => T <= 129).map(attentionProbsCase),
  ...embeddingShapes.map(embeddingCase),
  ...gatherShapes.map(gatherRowsCase),
];
