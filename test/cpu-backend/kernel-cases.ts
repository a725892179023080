// The CPU backend's WebAssembly kernels against the float64 references of src/cpu/reference.ts on awkward shapes
// (1 × 1, sizes off the 4-row tile, the 8-column panel and the 4-lane vector, more rows than one L2 row block
// (70 × 1200 floats: blocks of 52 rows), T = 1, rows whose keys are all
// masked). Shared by the Node test (SIMD128) and the browser test (relaxed SIMD where Chromium has it).
import { expect, it } from 'vitest';
import * as ref from '../../src/cpu/reference.ts';
import { packPanels, padBias } from '../../src/cpu-backend/pack.ts';
import type { WasmKernels } from '../../src/cpu-backend/wasm-kernels.ts';
import { EPILOGUE_CODE } from '../../src/cpu-backend/wat/math.ts';
import { expectClose, randomArray } from '../helpers/validate.ts';

const tol = { atol: 2e-5, rtol: 2e-5 };

export function kernelCases(kernels: () => Promise<WasmKernels>): void {
  const gemmShapes: Array<[number, number, number]> = [[1, 1, 1], [1, 8, 4], [3, 5, 7], [4, 8, 16], [5, 9, 3], [7, 17, 33], [13, 24, 64], [2, 3, 100], [70, 9, 1200]];
  for (const [M, N, K] of gemmShapes) {
    for (const epi of ['none', 'gelu', 'geluTanh', 'relu', 'tanh', 'residual'] as const) {
      it(`gemm ${M}×${N}×${K} ${epi}`, async () => {
        const k = await kernels();
        const mark = k.mark();
        try {
          const x = randomArray(M * K, M * 31 + K, 1);
          const w = randomArray(N * K, N * 7 + K, 2 / Math.sqrt(K));
          const b = randomArray(N, N + 3, 0.5);
          const res = randomArray(M * N, M + N * 5, 1);
          const px = k.put(x);
          const pw = k.put(packPanels(w, N, K));
          const pb = k.put(padBias(b, N));
          const pr = epi === 'residual' ? k.put(res) : 0;
          // A guard float after the output: a partial panel must not write past column N of the last row.
          const po = k.alloc((M * N + 4) * 4);
          k.f32(po, M * N + 4).fill(7);
          const scratch = k.alloc(32);
          const code = epi === 'residual' ? EPILOGUE_CODE.none : EPILOGUE_CODE[epi];
          k.k.gemm(px, K * 4, pw, pb, pr, po, M, N, K, code, 0, Math.ceil(N / 8), scratch);
          const lin = ref.matmul(x, w, b, M, N, K);
          const f = { none: (v: number) => v, gelu: ref.geluErf, geluTanh: ref.geluTanh, relu: ref.relu, tanh: Math.tanh, residual: (v: number) => v }[epi];
          const want = Array.from(lin, (v, i) => f(v) + (epi === 'residual' ? res[i] : 0));
          const out = k.f32(po, M * N + 4);
          expectClose(`gemm ${M}×${N}×${K} ${epi}`, out.subarray(0, M * N), want, tol);
          expect(Array.from(out.subarray(M * N))).toEqual([7, 7, 7, 7]);
        } finally {
          k.release(mark);
        }
      });
    }
  }

  it('gemm over a panel range writes only those columns, and a row stride picks every T-th row', async () => {
    const k = await kernels();
    const mark = k.mark();
    try {
      const [M, N, K, step] = [3, 20, 6, 5];
      const x = randomArray(M * step * K, 11, 1);
      const w = randomArray(N * K, 12, 0.5);
      const b = randomArray(N, 13, 0.5);
      const po = k.alloc(M * N * 4);
      k.f32(po, M * N).fill(-1);
      k.k.gemm(k.put(x), step * K * 4, k.put(packPanels(w, N, K)), k.put(padBias(b, N)), 0, po, M, N, K, 0, 1, 2, k.alloc(32));
      const rows = Float32Array.from({ length: M * K }, (_, i) => x[Math.floor(i / K) * step * K + (i % K)]);
      const want = ref.matmul(rows, w, b, M, N, K);
      const out = k.f32(po, M * N);
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          const v = out[m * N + n];
          if (n >= 8 && n < 16) expect(Math.abs(v - want[m * N + n])).toBeLessThan(1e-5);
          else expect(v).toBe(-1);
        }
      }
    } finally {
      k.release(mark);
    }
  });

  for (const [rows, C] of [[1, 1], [1, 4], [3, 5], [2, 64], [5, 67]] as const) {
    it(`layernorm ${rows}×${C}`, async () => {
      const k = await kernels();
      const mark = k.mark();
      try {
        // An offset mean (the two-pass variance must not lose it) and a tiny eps.
        const x = randomArray(rows * C, rows + C, 3).map((v) => v + 10);
        const g = randomArray(C, C, 1);
        const be = randomArray(C, C + 1, 1);
        const px = k.put(x);
        k.k.layernorm(px, px, k.put(g), k.put(be), C, 1e-12, 0, rows);
        expectClose(`layernorm ${rows}×${C}`, k.f32(px, rows * C), ref.layerNorm(x, g, be, rows, C, 1e-12), C === 1 ? { atol: 1e-5, rtol: 0 } : tol);
      } finally {
        k.release(mark);
      }
    });
  }

  for (const [B, T, C, offset] of [[1, 1, 4, 0], [2, 3, 5, 2], [2, 7, 16, 0]] as const) {
    it(`embedding B=${B} T=${T} C=${C} positionOffset=${offset}`, async () => {
      const k = await kernels();
      const mark = k.mark();
      try {
        const [V, P, TV] = [11, T + offset + 1, 2];
        const ids = Uint32Array.from({ length: B * T }, (_, i) => (i * 7 + 3) % V);
        const typeIds = Uint32Array.from({ length: B * T }, (_, i) => i % TV);
        const word = randomArray(V * C, 1, 1), pos = randomArray(P * C, 2, 1), type = randomArray(TV * C, 3, 1);
        const g = randomArray(C, 4, 1), be = randomArray(C, 5, 1);
        const po = k.alloc(B * T * C * 4);
        k.k.embedding(k.put(ids), k.put(typeIds), k.put(word), k.put(pos), k.put(type), k.put(g), k.put(be), po, T, C, offset, 1e-12, 0, B * T);
        expectClose('embedding', k.f32(po, B * T * C), ref.embedding(ids, typeIds, B, T, C, word, pos, type, g, be, 1e-12, offset), tol);
      } finally {
        k.release(mark);
      }
    });
  }

  const attentionShapes: Array<{ B: number; T: number; NH: number; HS: number; masked: (b: number, t: number) => boolean; name: string }> = [
    { B: 1, T: 1, NH: 1, HS: 1, masked: () => false, name: 'T=1 HS=1' },
    { B: 2, T: 5, NH: 3, HS: 6, masked: (b, t) => b === 1 && t >= 3, name: 'padding, T and HS off the vector' },
    { B: 2, T: 9, NH: 2, HS: 16, masked: (b) => b === 0, name: 'a sequence with every key masked' },
    { B: 1, T: 33, NH: 4, HS: 8, masked: (_, t) => t % 3 === 1, name: 'holes in the mask' },
  ];
  for (const s of attentionShapes) {
    it(`attention ${s.name} (B=${s.B} T=${s.T} NH=${s.NH} HS=${s.HS}), with the probabilities`, async () => {
      const k = await kernels();
      const mark = k.mark();
      try {
        const { B, T, NH, HS } = s;
        const C = NH * HS;
        const qkv = randomArray(B * T * 3 * C, B * 100 + T, 2);
        const mask = Uint32Array.from({ length: B * T }, (_, i) => (s.masked(Math.floor(i / T), i % T) ? 0 : 1));
        const po = k.alloc(B * T * C * 4);
        const pp = k.alloc(B * NH * T * T * 4);
        const scratch = k.alloc((HS * Math.ceil(T / 4) * 4 + 2 * Math.ceil(T / 4) * 4) * 4);
        k.k.attention(k.put(qkv), k.put(mask), po, pp, T, NH, HS, 0, B * NH, scratch);
        expectClose('attention', k.f32(po, B * T * C), ref.attention(qkv, mask, B, T, NH, HS), tol);
        expectClose('attention probs', k.f32(pp, B * NH * T * T), ref.attentionProbs(qkv, mask, B, T, NH, HS), tol);
      } finally {
        k.release(mark);
      }
    });
  }

  it('activations hold far out (no NaN or overflow at ±100, exact 0 for ReLU and GELU far left)', async () => {
    const k = await kernels();
    const mark = k.mark();
    try {
      const xs = Float32Array.from([-100, -20, -9, -3.5, -1e-4, 0, 1e-4, 0.5, 3.5, 9, 20, 100]);
      for (const [name, code, f] of [['gelu', 1, ref.geluErf], ['geluTanh', 2, ref.geluTanh], ['relu', 3, ref.relu], ['tanh', 4, Math.tanh]] as const) {
        const p = k.put(xs);
        k.k.act(p, xs.length, code);
        expectClose(name, k.f32(p, xs.length), Array.from(xs, f), { atol: 1e-6, rtol: 1e-5 });
      }
    } finally {
      k.release(mark);
    }
  });
}
