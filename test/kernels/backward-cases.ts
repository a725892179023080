// Backward-kernel checks shared by the Node (Dawn) and Chromium suites: each case runs training kernels
// (shaders/train/*.wgsl) on the GPU and compares them with the float64 references in src/cpu/backward.ts (themselves
// checked against finite differences in test/unit/backward-reference.test.ts). The references get the values the GPU
// holds: the f32 inputs, or for f16 storage the inputs rounded to f16 (src/gpu/f16.ts).
//
// Tolerance, per tensor: |Δ| ≤ rtol·(|ref| + max|ref|). Gradients are sums over rows (dW over M, dK/dV over T, table
// rows over repeated ids) whose terms cancel, so an element's error scales with the tensor's magnitude rather than its
// own. f32 storage (f32 accumulation): rtol = 1e-4; observed errors are ~1e-6 relative, two orders below. f16 storage:
// rtol = 2e-3, 4× the f16 unit roundoff 2⁻¹¹ of the one rounding on each store (the LN block also stores dh as f16
// before the matmul backward reads it). A wrong index, a missing term or a sign error is O(1) relative.
import * as bwd from '../../src/cpu/backward.ts';
import * as ref from '../../src/cpu/reference.ts';
import { readBuffer } from '../../src/gpu/buffers.ts';
import { rowGrid } from '../../src/gpu/kernels.ts';
import { fromF16Bits, roundToF16, toF16Bits } from '../../src/gpu/f16.ts';
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

/** Uploads, outputs and readbacks in one storage type (`elem` buffers); integer and f32-only buffers use env.ts. */
function storageIo(env: KernelEnv, storage: StorageType) {
  const f16 = storage === 'f16';
  return {
    rtol: f16 ? 2e-3 : 1e-4,
    /** The values the GPU will hold (the reference's inputs). */
    round: (a: Float32Array): Float32Array => (f16 ? roundToF16(a) : a),
    up: (label: string, a: Float32Array) => upload(env, label, f16 ? toF16Bits(a) : a),
    out: (label: string, n: number) => output(env, label, n, f16 ? 2 : 4),
    down: async (buffer: GPUBuffer, n: number): Promise<Float32Array> =>
      f16 ? fromF16Bits(new Uint16Array(await readBuffer(env.device, buffer, Math.ceil(n / 2) * 4), 0, n)) : download(env, buffer, n),
  };
}

const storageSuffix = (storage: StorageType) => (storage === 'f16' ? ' (f16 storage)' : '');

const grid2 = (cols: number, rows: number): [number, number] => [Math.ceil(cols / 64), Math.ceil(rows / 64)];

/** dX = dY·W, dW = dYᵀ·X, db = Σ rows of dY — matmul_grad twice and column_sum; dX also accumulated onto a buffer. */
export function matmulBackwardCase([M, N, K]: [number, number, number], storage: StorageType = 'f32'): BackwardCase {
  return {
    name: `matmul backward M=${M} N=${N} K=${K}${storageSuffix(storage)}`,
    async run(env) {
      const io = storageIo(env, storage);
      const x = io.round(randomArray(M * K, M + K, 1));
      const w = io.round(randomArray(N * K, N * 3 + K, 1 / Math.sqrt(K)));
      const dy = io.round(randomArray(M * N, M * 5 + N, 1));
      const want = bwd.matmulBackward(x, w, dy, M, N, K);
      const dyBuf = io.up('dy', dy);
      const wBuf = io.up('w', w);
      const dx = io.out('dx', M * K);
      const dw = io.out('dw', N * K);
      const db = io.out('db', N);
      await runTrainKernel(env.device, 'matmulGrad', { storage, params: { P: M, Q: K, R: N }, buffers: { a: dyBuf, b: wBuf, c: dx }, grid: grid2(K, M) });
      await runTrainKernel(env.device, 'matmulGrad', {
        storage, params: { P: N, Q: K, R: M }, buffers: { a: dyBuf, b: io.up('x', x), c: dw }, overrides: { TRANSPOSE_A: true }, grid: grid2(K, N),
      });
      await runTrainKernel(env.device, 'columnSum', { storage, params: { M, N }, buffers: { a: dyBuf, out: db }, grid: [Math.ceil(N / 32)] });
      expectGrad(`${this.name} dx`, await io.down(dx, M * K), want.dx, io.rtol);
      expectGrad(`${this.name} dw`, await io.down(dw, N * K), want.dw, io.rtol);
      expectGrad(`${this.name} db`, await io.down(db, N), want.db, io.rtol);
      // ACCUMULATE: a second dX pass adds onto the first (the residual stream's two gradient paths).
      await runTrainKernel(env.device, 'matmulGrad', {
        storage, params: { P: M, Q: K, R: N }, buffers: { a: dyBuf, b: wBuf, c: dx }, overrides: { ACCUMULATE: true }, grid: grid2(K, M),
      });
      expectGrad(`${this.name} dx accumulated`, await io.down(dx, M * K), want.dx.map((v) => 2 * v), io.rtol);
    },
  };
}

/**
 * The fused forward block y = LN(x·Wᵀ + b + r): layernorm_backward (dh = dr), layernorm_param_grad (dγ, dβ), then the
 * matmul backward of dh (dx, dW, db). h is the saved pre-LN sum, rounded to the storage type as a forward would store it.
 */
export function layerNormBlockCase([M, N, K]: [number, number, number], storage: StorageType = 'f32'): BackwardCase {
  return {
    name: `LN(x·Wᵀ + b + r) backward M=${M} N=${N} K=${K}${storageSuffix(storage)}`,
    async run(env) {
      const io = storageIo(env, storage);
      const eps = 1e-12;
      const x = io.round(randomArray(M * K, K + 1, 1));
      const w = io.round(randomArray(N * K, N + 2, 1 / Math.sqrt(K)));
      const b = randomArray(N, 5, 0.5);
      const r = randomArray(M * N, 6, 1);
      const gamma = io.round(randomArray(N, 7, 0.2).map((v) => 1 + v));
      const dy = io.round(randomArray(M * N, 8, 1));
      const h = io.round(Float32Array.from(ref.add(ref.matmul(x, w, b, M, N, K), r)));
      const ln = bwd.layerNormBackward(h, gamma, dy, M, N, eps);
      // The matmul backward reads dh as stored (rounded to f16 under f16 storage), so its reference does too.
      const mm = bwd.matmulBackward(x, w, io.round(Float32Array.from(ln.dh)), M, N, K);
      const dyBuf = io.up('dy', dy);
      const hBuf = io.up('h', h);
      const dh = io.out('dh', M * N);
      const stats = output(env, 'stats', M * 2);
      const dgamma = io.out('dgamma', N);
      const dbeta = io.out('dbeta', N);
      const dx = io.out('dx', M * K);
      const dw = io.out('dw', N * K);
      const db = io.out('db', N);
      await runTrainKernel(env.device, 'layernormBackward', {
        storage, params: { rows: M, C: N, eps }, buffers: { dy: dyBuf, h: hBuf, gamma: io.up('gamma', gamma), dh, stats }, grid: [M],
      });
      await runTrainKernel(env.device, 'layernormParamGrad', { storage, params: { rows: M, C: N }, buffers: { dy: dyBuf, h: hBuf, stats, dgamma, dbeta }, grid: [Math.ceil(N / 32)] });
      await runTrainKernel(env.device, 'matmulGrad', { storage, params: { P: M, Q: K, R: N }, buffers: { a: dh, b: io.up('w', w), c: dx }, grid: grid2(K, M) });
      await runTrainKernel(env.device, 'matmulGrad', { storage, params: { P: N, Q: K, R: M }, buffers: { a: dh, b: io.up('x', x), c: dw }, overrides: { TRANSPOSE_A: true }, grid: grid2(K, N) });
      await runTrainKernel(env.device, 'columnSum', { storage, params: { M, N }, buffers: { a: dh, out: db }, grid: [Math.ceil(N / 32)] });
      // dh = rstd·(g − mean g − x̂·mean(g·x̂)) cancels to ~0 in degenerate rows (C = 2: y = ±γ + β whatever h is);
      // its rounding is that of rstd·|g|, the floor of its tolerance.
      let gMax = 0;
      for (let i = 0; i < M * N; i++) gMax = Math.max(gMax, Math.abs(dy[i] * gamma[i % N]));
      const rstdMax = Math.max(...Array.from({ length: M }, (_, m) => 1 / Math.sqrt(variance(h.subarray(m * N, (m + 1) * N)) + eps)));
      const dhFloor = gMax * rstdMax; // carried through the matmul backward: sums of N (dx) or M (dw, db) terms
      const absMax = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expectGrad(`${this.name} dresidual`, await io.down(dh, M * N), ln.dh, io.rtol, dhFloor);
      expectGrad(`${this.name} dgamma`, await io.down(dgamma, N), ln.dgamma, io.rtol);
      expectGrad(`${this.name} dbeta`, await io.down(dbeta, N), ln.dbeta, io.rtol);
      expectGrad(`${this.name} dx`, await io.down(dx, M * K), mm.dx, io.rtol, dhFloor * absMax(w) * N);
      expectGrad(`${this.name} dw`, await io.down(dw, N * K), mm.dw, io.rtol, dhFloor * absMax(x) * M);
      expectGrad(`${this.name} db`, await io.down(db, N), mm.db, io.rtol, dhFloor * M);
    },
  };
}

export function activationCase(kind: bwd.ActivationKind, n: number, storage: StorageType = 'f32'): BackwardCase {
  return {
    name: `activation backward ${kind} n=${n}${storageSuffix(storage)}`,
    async run(env) {
      const io = storageIo(env, storage);
      const x = io.round(randomArray(n, n + 11, 6));
      const dy = io.round(randomArray(n, n + 12, 1));
      const dx = io.out('dx', n);
      await runTrainKernel(env.device, 'activationBackward', {
        storage, params: { n }, buffers: { x: io.up('x', x), dy: io.up('dy', dy), dx }, overrides: { ACT: ActivationGrad[kind] }, grid: elementGrid(n),
      });
      expectGrad(this.name, await io.down(dx, n), bwd.activationBackward(kind, x, dy), io.rtol);
    },
  };
}

/** Attention backward with recomputed probabilities, or with saved ones (the forward's P, rounded to f32). */
export function attentionBackwardCase([B, T, NH, HS, padding]: [number, number, number, number, Padding], saved = false, storage: StorageType = 'f32'): BackwardCase {
  return {
    name: `attention backward B=${B} T=${T} NH=${NH} HS=${HS} padding=${padding} ${saved ? 'saved P' : 'recomputed P'}${storageSuffix(storage)}`,
    async run(env) {
      const io = storageIo(env, storage);
      const C = NH * HS;
      const qkv = io.round(randomArray(B * T * 3 * C, T * 7 + HS, 1));
      const mask = keyPaddingMask(B, T, padding);
      const dctx = io.round(randomArray(B * T * C, T + 3, 1));
      const qkvBuf = io.up('qkv', qkv);
      const dctxBuf = io.up('dctx', dctx);
      const probs = saved ? upload(env, 'probs', Float32Array.from(ref.attentionProbs(qkv, mask, B, T, NH, HS))) : output(env, 'probs', B * NH * T * T);
      const dscores = output(env, 'dscores', B * NH * T * T);
      const dqkv = io.out('dqkv', B * T * 3 * C);
      await runTrainKernel(env.device, 'attentionBackwardScores', {
        storage, params: { T, NH, HS }, buffers: { qkv: qkvBuf, mask: upload(env, 'mask', mask), dctx: dctxBuf, probs, dscores }, overrides: { RECOMPUTE: !saved }, grid: [T, NH, B],
      });
      await runTrainKernel(env.device, 'attentionBackwardGrads', { storage, params: { T, NH, HS }, buffers: { qkv: qkvBuf, dctx: dctxBuf, probs, dscores, dqkv }, grid: [T, NH, B] });
      const want = bwd.attentionBackward(qkv, mask, dctx, B, T, NH, HS);
      const got = await io.down(dqkv, B * T * 3 * C);
      expectGrad(this.name, got, want, io.rtol);
      // Masked keys get exactly zero dK and dV (no gradient may leak into padding).
      for (let r = 0; r < B * T; r++) {
        if (mask[r]) continue;
        for (let c = C; c < 3 * C; c++) if (got[r * 3 * C + c] !== 0) throw new Error(`${this.name}: masked key row ${r} has dK/dV ${got[r * 3 * C + c]} at ${c}`);
      }
    },
  };
}

/** Word, position and token-type table gradients with embedding_backward over host-built segments. */
export function embeddingBackwardCase([B, T, C, vocab]: [number, number, number, number], storage: StorageType = 'f32'): BackwardCase {
  return {
    name: `embedding backward B=${B} T=${T} C=${C} vocab=${vocab} (repeated ids)${storageSuffix(storage)}`,
    async run(env) {
      const io = storageIo(env, storage);
      const [maxPos, types, offset] = [T + 3, 2, 2];
      const rand = seededRandom(B * T + C);
      // Few distinct ids so most repeat, several table rows never read.
      const ids = Array.from({ length: B * T }, () => Math.floor(rand() * Math.min(vocab, 4)) * 2 % vocab);
      const typeIds = Array.from({ length: B * T }, (_, r) => (r % T >= T / 2 ? 1 : 0));
      const dE = io.round(randomArray(B * T * C, C + 9, 1));
      const want = bwd.embeddingBackward(ids, typeIds, dE, B, T, C, vocab, maxPos, types, offset);
      const dEBuf = io.up('dE', dE);
      const run = async (what: string, keys: number[], tableRows: number, accumulate: boolean, table: GPUBuffer) => {
        const s = segmentRows(what, keys, tableRows);
        await runTrainKernel(env.device, 'embeddingBackward', {
          storage,
          params: { segments: s.targets.length, C },
          buffers: { dE: dEBuf, starts: upload(env, 'starts', s.starts), sortedRows: upload(env, 'rows', s.sortedRows), targets: upload(env, 'targets', s.targets), dTable: table },
          overrides: { ACCUMULATE: accumulate }, grid: [s.targets.length],
        });
      };
      const dWord = io.out('dWord', vocab * C);
      const dPos = io.out('dPos', maxPos * C);
      const dType = io.out('dType', types * C);
      await run('ids', ids, vocab, false, dWord);
      await run('positions', ids.map((_, r) => (r % T) + offset), maxPos, false, dPos);
      await run('typeIds', typeIds, types, false, dType);
      expectGrad(`${this.name} dWord`, await io.down(dWord, vocab * C), want.dWord, io.rtol);
      expectGrad(`${this.name} dPos`, await io.down(dPos, maxPos * C), want.dPos, io.rtol);
      expectGrad(`${this.name} dType`, await io.down(dType, types * C), want.dType, io.rtol);
      await run('typeIds', typeIds, types, true, dType);
      expectGrad(`${this.name} dType accumulated`, await io.down(dType, types * C), want.dType.map((v) => 2 * v), io.rtol);
    },
  };
}

/** More rows than one grid dimension holds (65535): row = wg.x + 65535·wg.y must reach every row exactly once. */
export function layerNormManyRowsCase(rows: number): BackwardCase {
  return {
    name: `layernorm backward rows=${rows} (2-D row grid)`,
    async run(env) {
      const [C, eps] = [3, 1e-5];
      const h = randomArray(rows * C, 41, 2);
      const gamma = Float32Array.from([1.5, -0.5, 1]);
      const dy = randomArray(rows * C, 42, 1);
      const dh = output(env, 'dh', rows * C);
      await runTrainKernel(env.device, 'layernormBackward', {
        params: { rows, C, eps }, buffers: { dy: upload(env, 'dy', dy), h: upload(env, 'h', h), gamma: upload(env, 'gamma', gamma), dh, stats: output(env, 'stats', rows * 2) },
        overrides: { WG: 32 }, grid: rowGrid(rows),
      });
      expectGrad(this.name, await download(env, dh, rows * C), bwd.layerNormBackward(h, gamma, dy, rows, C, eps).dh);
    },
  };
}
