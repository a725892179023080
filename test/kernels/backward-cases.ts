// Backward-kernel checks shared by the Node (Dawn) and Chromium suites: each case runs training kernels
// (shaders/train/*.wgsl) on the GPU and compares them with the float64 references in src/cpu/backward.ts (themselves
// checked against finite differences in test/unit/backward-reference.test.ts). Inputs are the f32 values uploaded.
//
// Tolerance (f32 storage, f32 accumulation): per tensor, |Δ| ≤ 1e-4·(|ref| + max|ref|). Gradients are sums over rows
// (dW over M, dK/dV over T, table rows over repeated ids) whose terms cancel, so an element's error scales with the
// tensor's magnitude rather than its own; observed errors are ~1e-6 relative, two orders below. A wrong index, a
// missing term or a sign error is O(1) relative.
import * as bwd from '../../src/cpu/backward.ts';
import * as ref from '../../src/cpu/reference.ts';
import { ActivationGrad, elementGrid, segmentRows, type StorageType } from '../../src/train/kernels.ts';
import { expectClose, randomArray, seededRandom } from '../helpers/validate.ts';
import { runTrainKernel } from './backward-dispatch.ts';
import { download, keyPaddingMask, output, upload, type KernelEnv, type Padding } from './env.ts';

export interface BackwardCase {
  name: string;
  run(env: KernelEnv): Promise<void>;
}

/** floor: a magnitude below which the tensor's own maximum would understate its rounding (exact-zero gradients). */
export function expectGrad(name: string, got: ArrayLike<number>, want: ArrayLike<number>, rtol = 1e-4, floor = 0): void {
  let maxAbs = floor;
  for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(want[i]));
  expectClose(name, got, want, { atol: Math.max(rtol * maxAbs, 1e-30), rtol });
}

function variance(v: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < v.length; i++) mean += v[i] / v.length;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] - mean) ** 2 / v.length;
  return s;
}

const grid2 = (cols: number, rows: number): [number, number] => [Math.ceil(cols / 64), Math.ceil(rows / 64)];

/** dX = dY·W, dW = dYᵀ·X, db = Σ rows of dY — matmul_grad twice and column_sum; dX also accumulated onto a buffer. */
export function matmulBackwardCase([M, N, K]: [number, number, number], storage: StorageType = 'f32'): BackwardCase {
  return {
    name: `matmul backward M=${M} N=${N} K=${K}${storage === 'f16' ? ' (f16 storage)' : ''}`,
    async run(env) {
      const x = randomArray(M * K, M + K, 1);
      const w = randomArray(N * K, N * 3 + K, 1 / Math.sqrt(K));
      const dy = randomArray(M * N, M * 5 + N, 1);
      const want = bwd.matmulBackward(x, w, dy, M, N, K);
      const dyBuf = upload(env, 'dy', dy);
      const dx = output(env, 'dx', M * K);
      const dw = output(env, 'dw', N * K);
      const db = output(env, 'db', N);
      await runTrainKernel(env.device, 'matmulGrad', { params: { P: M, Q: K, R: N }, buffers: { a: dyBuf, b: upload(env, 'w', w), c: dx }, grid: grid2(K, M) });
      await runTrainKernel(env.device, 'matmulGrad', {
        params: { P: N, Q: K, R: M }, buffers: { a: dyBuf, b: upload(env, 'x', x), c: dw }, overrides: { TRANSPOSE_A: true }, grid: grid2(K, N),
      });
      await runTrainKernel(env.device, 'columnSum', { params: { M, N }, buffers: { a: dyBuf, out: db }, grid: [Math.ceil(N / 32)] });
      expectGrad(`${this.name} dx`, await download(env, dx, M * K), want.dx);
      expectGrad(`${this.name} dw`, await download(env, dw, N * K), want.dw);
      expectGrad(`${this.name} db`, await download(env, db, N), want.db);
      // ACCUMULATE: a second dX pass adds onto the first (the residual stream's two gradient paths).
      await runTrainKernel(env.device, 'matmulGrad', {
        params: { P: M, Q: K, R: N }, buffers: { a: dyBuf, b: upload(env, 'w2', w), c: dx }, overrides: { ACCUMULATE: true }, grid: grid2(K, M),
      });
      expectGrad(`${this.name} dx accumulated`, await download(env, dx, M * K), want.dx.map((v) => 2 * v));
    },
  };
}

/**
 * The fused forward block y = LN(x·Wᵀ + b + r): layernorm_backward (dh = dr), layernorm_param_grad (dγ, dβ), then the
 * matmul backward of dh (dx, dW, db). h is the saved pre-LN sum, rounded to f32 as a forward would store it.
 */
export function layerNormBlockCase([M, N, K]: [number, number, number]): BackwardCase {
  return {
    name: `LN(x·Wᵀ + b + r) backward M=${M} N=${N} K=${K}`,
    async run(env) {
      const eps = 1e-12;
      const x = randomArray(M * K, K + 1, 1);
      const w = randomArray(N * K, N + 2, 1 / Math.sqrt(K));
      const b = randomArray(N, 5, 0.5);
      const r = randomArray(M * N, 6, 1);
      const gamma = randomArray(N, 7, 0.2).map((v) => 1 + v);
      const dy = randomArray(M * N, 8, 1);
      const h = Float32Array.from(ref.add(ref.matmul(x, w, b, M, N, K), r));
      const ln = bwd.layerNormBackward(h, gamma, dy, M, N, eps);
      const mm = bwd.matmulBackward(x, w, ln.dh, M, N, K);
      const dyBuf = upload(env, 'dy', dy);
      const hBuf = upload(env, 'h', h);
      const dh = output(env, 'dh', M * N);
      const stats = output(env, 'stats', M * 2);
      const dgamma = output(env, 'dgamma', N);
      const dbeta = output(env, 'dbeta', N);
      const dx = output(env, 'dx', M * K);
      const dw = output(env, 'dw', N * K);
      const db = output(env, 'db', N);
      await runTrainKernel(env.device, 'layernormBackward', {
        params: { rows: M, C: N, eps }, buffers: { dy: dyBuf, h: hBuf, gamma: upload(env, 'gamma', gamma), dh, stats }, grid: [M],
      });
      await runTrainKernel(env.device, 'layernormParamGrad', { params: { rows: M, C: N }, buffers: { dy: dyBuf, h: hBuf, stats, dgamma, dbeta }, grid: [Math.ceil(N / 32)] });
      await runTrainKernel(env.device, 'matmulGrad', { params: { P: M, Q: K, R: N }, buffers: { a: dh, b: upload(env, 'w', w), c: dx }, grid: grid2(K, M) });
      await runTrainKernel(env.device, 'matmulGrad', { params: { P: N, Q: K, R: M }, buffers: { a: dh, b: upload(env, 'x', x), c: dw }, overrides: { TRANSPOSE_A: true }, grid: grid2(K, N) });
      await runTrainKernel(env.device, 'columnSum', { params: { M, N }, buffers: { a: dh, out: db }, grid: [Math.ceil(N / 32)] });
      // dh = rstd·(g − mean g − x̂·mean(g·x̂)) cancels to ~0 in degenerate rows (C = 2: y = ±γ + β whatever h is);
      // its rounding is that of rstd·|g|, the floor of its tolerance.
      let gMax = 0;
      for (let i = 0; i < M * N; i++) gMax = Math.max(gMax, Math.abs(dy[i] * gamma[i % N]));
      const rstdMax = Math.max(...Array.from({ length: M }, (_, m) => 1 / Math.sqrt(variance(h.subarray(m * N, (m + 1) * N)) + eps)));
      expectGrad(`${this.name} dresidual`, await download(env, dh, M * N), ln.dh, 1e-4, gMax * rstdMax);
      expectGrad(`${this.name} dgamma`, await download(env, dgamma, N), ln.dgamma);
      expectGrad(`${this.name} dbeta`, await download(env, dbeta, N), ln.dbeta);
      const dhFloor = gMax * rstdMax; // carried through the matmul backward: sums of N (dx) or M (dw, db) terms
      const absMax = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expectGrad(`${this.name} dx`, await download(env, dx, M * K), mm.dx, 1e-4, dhFloor * absMax(w) * N);
      expectGrad(`${this.name} dw`, await download(env, dw, N * K), mm.dw, 1e-4, dhFloor * absMax(x) * M);
      expectGrad(`${this.name} db`, await download(env, db, N), mm.db, 1e-4, dhFloor * M);
    },
  };
}

export function activationCase(kind: bwd.ActivationKind, n: number): BackwardCase {
  return {
    name: `activation backward ${kind} n=${n}`,
    async run(env) {
      const x = randomArray(n, n + 11, 6);
      const dy = randomArray(n, n + 12, 1);
      const dx = output(env, 'dx', n);
      await runTrainKernel(env.device, 'activationBackward', {
        params: { n }, buffers: { x: upload(env, 'x', x), dy: upload(env, 'dy', dy), dx }, overrides: { ACT: ActivationGrad[kind] }, grid: elementGrid(n),
      });
      expectGrad(this.name, await download(env, dx, n), bwd.activationBackward(kind, x, dy));
    },
  };
}

/** Attention backward with recomputed probabilities, or with saved ones (the forward's P, rounded to f32). */
export function attentionBackwardCase([B, T, NH, HS, padding]: [number, number, number, number, Padding], saved = false): BackwardCase {
  return {
    name: `attention backward B=${B} T=${T} NH=${NH} HS=${HS} padding=${padding} ${saved ? 'saved P' : 'recomputed P'}`,
    async run(env) {
      const C = NH * HS;
      const qkv = randomArray(B * T * 3 * C, T * 7 + HS, 1);
      const mask = keyPaddingMask(B, T, padding);
      const dctx = randomArray(B * T * C, T + 3, 1);
      const qkvBuf = upload(env, 'qkv', qkv);
      const dctxBuf = upload(env, 'dctx', dctx);
      const probs = saved ? upload(env, 'probs', Float32Array.from(ref.attentionProbs(qkv, mask, B, T, NH, HS))) : output(env, 'probs', B * NH * T * T);
      const dscores = output(env, 'dscores', B * NH * T * T);
      const dqkv = output(env, 'dqkv', B * T * 3 * C);
      await runTrainKernel(env.device, 'attentionBackwardScores', {
        params: { T, NH, HS }, buffers: { qkv: qkvBuf, mask: upload(env, 'mask', mask), dctx: dctxBuf, probs, dscores }, overrides: { RECOMPUTE: !saved }, grid: [T, NH, B],
      });
      await runTrainKernel(env.device, 'attentionBackwardGrads', { params: { T, NH, HS }, buffers: { qkv: qkvBuf, dctx: dctxBuf, probs, dscores, dqkv }, grid: [T, NH, B] });
      const want = bwd.attentionBackward(qkv, mask, dctx, B, T, NH, HS);
      const got = await download(env, dqkv, B * T * 3 * C);
      expectGrad(this.name, got, want);
      // Masked keys get exactly zero dK and dV (no gradient may leak into padding).
      for (let r = 0; r < B * T; r++) {
        if (mask[r]) continue;
        for (let c = C; c < 3 * C; c++) if (got[r * 3 * C + c] !== 0) throw new Error(`${this.name}: masked key row ${r} has dK/dV ${got[r * 3 * C + c]} at ${c}`);
      }
    },
  };
}

/** Word, position and token-type table gradients with embedding_backward over host-built segments. */
export function embeddingBackwardCase([B, T, C, vocab]: [number, number, number, number]): BackwardCase {
  return {
    name: `embedding backward B=${B} T=${T} C=${C} vocab=${vocab} (repeated ids)`,
    async run(env) {
      const [maxPos, types, offset] = [T + 3, 2, 2];
      const rand = seededRandom(B * T + C);
      // Few distinct ids so most repeat, several table rows never read.
      const ids = Array.from({ length: B * T }, () => Math.floor(rand() * Math.min(vocab, 4)) * 2 % vocab);
      const typeIds = Array.from({ length: B * T }, (_, r) => (r % T >= T / 2 ? 1 : 0));
      const dE = randomArray(B * T * C, C + 9, 1);
      const want = bwd.embeddingBackward(ids, typeIds, dE, B, T, C, vocab, maxPos, types, offset);
      const dEBuf = upload(env, 'dE', dE);
      const run = async (what: string, keys: number[], tableRows: number, accumulate: boolean, table: GPUBuffer) => {
        const s = segmentRows(what, keys, tableRows);
        await runTrainKernel(env.device, 'embeddingBackward', {
          params: { segments: s.targets.length, C },
          buffers: { dE: dEBuf, starts: upload(env, 'starts', s.starts), sortedRows: upload(env, 'rows', s.sortedRows), targets: upload(env, 'targets', s.targets), dTable: table },
          overrides: { ACCUMULATE: accumulate }, grid: [s.targets.length],
        });
      };
      const dWord = output(env, 'dWord', vocab * C);
      const dPos = output(env, 'dPos', maxPos * C);
      const dType = output(env, 'dType', types * C);
      await run('ids', ids, vocab, false, dWord);
      await run('positions', ids.map((_, r) => (r % T) + offset), maxPos, false, dPos);
      await run('typeIds', typeIds, types, false, dType);
      expectGrad(`${this.name} dWord`, await download(env, dWord, vocab * C), want.dWord);
      expectGrad(`${this.name} dPos`, await download(env, dPos, maxPos * C), want.dPos);
      expectGrad(`${this.name} dType`, await download(env, dType, types * C), want.dType);
      await run('typeIds', typeIds, types, true, dType);
      expectGrad(`${this.name} dType accumulated`, await download(env, dType, types * C), want.dType.map((v) => 2 * v));
    },
  };
}
