// Checks of the f32 matmul variants against the float64 CPU reference, with the f32 tolerance of f32-cases.ts
// (|Δ| ≤ 1e-5·max(1, |ref|), argued there): matmulVec4 (the K % 4 == 0 fast path, which lowerOp picks) and matmulNaive (the benchmark baseline — checked so bench:kernels never times a wrong kernel).
import * as ref from '../../src/cpu/reference.ts';
import { runKernel } from '../../src/gpu/dispatch.ts';
import { MatmulEpilogue, type MatmulEpilogueName } from '../../src/gpu/kernels.ts';
import { expectClose, randomArray } from '../helpers/validate.ts';
import { download, output, upload } from './env.ts';
import { f32Tol, type KernelCase } from './f32-cases.ts';

type Shape = [M: number, N: number, K: number, epilogue: MatmulEpilogueName, xRowStep?: number];
// K % 4 == 0 throughout (the variant's precondition); M, N not multiples of 4 or of the 32 × 32 tile; BERT-base.
export const matmulVec4Shapes: Shape[] = [
  [1, 1, 4, 'none'], [1, 768, 768, 'none'], [7, 13, 8, 'gelu'], [33, 65, 132, 'residual'], [129, 30, 20, 'geluTanh'],
  [3, 10, 4, 'relu'], [128, 768, 768, 'none'], [128, 3072, 768, 'gelu'], [128, 768, 3072, 'residual'],
  [3, 768, 768, 'tanh', 128], [5, 7, 12, 'tanh', 3],
];
export const matmulNaiveShapes: Shape[] = [[1, 1, 1, 'none'], [7, 13, 5, 'none'], [33, 65, 129, 'none'], [129, 30, 17, 'none'], [1, 768, 768, 'none'], [128, 768, 768, 'none']];

const cpuEpilogue: Record<MatmulEpilogueName, ((v: number) => number) | null> = {
  none: (v) => v, gelu: ref.geluErf, geluTanh: ref.geluTanh, relu: ref.relu, tanh: Math.tanh, residual: null,
};

function matmulCase(kernel: 'matmulVec4' | 'matmulNaive', [M, N, K, epi, xRowStep = 1]: Shape): KernelCase {
  return {
    name: `${kernel} M=${M} N=${N} K=${K} epilogue=${epi} xRowStep=${xRowStep}`,
    async run(env) {
      const xAll = randomArray(((M - 1) * xRowStep + 1) * K, M * 7 + K, 1);
      const x = new Float32Array(M * K);
      for (let m = 0; m < M; m++) x.set(xAll.subarray(m * xRowStep * K, (m * xRowStep + 1) * K), m * K);
      const w = randomArray(N * K, N * 13 + K, 1 / Math.sqrt(K));
      const b = randomArray(N, N + 3, 0.5);
      const r = randomArray(M * N, M + N, 1);
      const y = output(env, 'y', M * N);
      const common = { x: upload(env, 'x', xAll), w: upload(env, 'w', w), b: upload(env, 'b', b), y };
      if (kernel === 'matmulNaive') {
        await runKernel(env.device, env.pipelines, kernel, { params: { M, N, K }, buffers: common, grid: [Math.ceil(N / 16), Math.ceil(M / 16)] });
      } else {
        await runKernel(env.device, env.pipelines, kernel, {
          params: { M, N, K, xRowStep, epilogue: MatmulEpilogue[epi] }, buffers: { ...common, residual: upload(env, 'r', r) },
          grid: [Math.ceil(N / 32), Math.ceil(M / 32)],
        });
      }
      const pre = ref.matmul(x, w, b, M, N, K);
      const f = cpuEpilogue[epi];
      expectClose(this.name, await download(env, y, M * N), f ? pre.map(f) : ref.add(pre, r), f32Tol);
    },
  };
}

export const variantCases: KernelCase[] = [
  ...matmulVec4Shapes.map((s) => matmulCase('matmulVec4', s)),
  ...matmulNaiveShapes.map((s) => matmulCase('matmulNaive', s)),
];
