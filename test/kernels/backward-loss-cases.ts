// Loss and dropout kernel checks (shared by the Node and Chromium suites), against src/cpu/backward.ts.
// Losses: the scalar is the fixed-order sum (sum_reduce) of per-row shares; tolerance as backward-cases.ts.
// Dropout: the GPU mask must equal the CPU hash bit for bit, forward and backward alike.
import * as bwd from '../../src/cpu/backward.ts';
import { ElementwiseLoss, IGNORE_INDEX, dropoutParams, elementGrid } from '../../src/train/kernels.ts';
import { randomArray, seededRandom } from '../helpers/validate.ts';
import { expectGrad, type BackwardCase } from './backward-cases.ts';
import { runTrainKernel } from './backward-dispatch.ts';
import { download, output, upload, type KernelEnv } from './env.ts';

async function reduceLoss(env: KernelEnv, rowLoss: GPUBuffer, rows: number): Promise<number> {
  const loss = output(env, 'loss', 1);
  await runTrainKernel(env.device, 'sumReduce', { params: { n: rows }, buffers: { values: rowLoss, out: loss }, grid: [1] });
  return (await download(env, loss, 1))[0];
}

/** Labels: 'some' ignores every third row (MLM-like), 'all' ignores every row (loss 0, zero gradients). */
export function crossEntropyCase([rows, V]: [number, number], ignored: 'none' | 'some' | 'all'): BackwardCase {
  return {
    name: `cross-entropy rows=${rows} V=${V} ignored=${ignored}`,
    async run(env) {
      const logits = randomArray(rows * V, rows + V, 4);
      const rand = seededRandom(V);
      const labels = Int32Array.from({ length: rows }, (_, r) =>
        ignored === 'all' || (ignored === 'some' && r % 3 === 1) ? IGNORE_INDEX : Math.floor(rand() * V));
      const rowLoss = output(env, 'rowLoss', rows);
      const dlogits = output(env, 'dlogits', rows * V);
      await runTrainKernel(env.device, 'crossEntropy', {
        params: { rows, V }, buffers: { logits: upload(env, 'logits', logits), labels: upload(env, 'labels', new Uint32Array(labels.buffer)), rowLoss, dlogits }, grid: [rows],
      });
      const want = bwd.crossEntropy(logits, labels, rows, V);
      expectGrad(`${this.name} dlogits`, await download(env, dlogits, rows * V), want.dlogits);
      expectGrad(`${this.name} loss`, [await reduceLoss(env, rowLoss, rows)], [want.loss]);
    },
  };
}

export function elementwiseLossCase(kind: keyof typeof ElementwiseLoss, [rows, L]: [number, number]): BackwardCase {
  return {
    name: `${kind} rows=${rows} L=${L}`,
    async run(env) {
      const logits = randomArray(rows * L, rows * 3 + L, 5);
      const rand = seededRandom(L + 1);
      const targets = Float32Array.from({ length: rows * L }, () => (kind === 'mse' ? rand() * 4 - 2 : rand() < 0.4 ? 1 : 0));
      const rowLoss = output(env, 'rowLoss', rows);
      const dlogits = output(env, 'dlogits', rows * L);
      await runTrainKernel(env.device, 'elementwiseLoss', {
        params: { rows, L }, buffers: { logits: upload(env, 'logits', logits), targets: upload(env, 'targets', targets), rowLoss, dlogits },
        overrides: { LOSS: ElementwiseLoss[kind] }, grid: [rows],
      });
      const want = kind === 'mse' ? bwd.mse(logits, targets) : bwd.bceWithLogits(logits, targets);
      expectGrad(`${this.name} dlogits`, await download(env, dlogits, rows * L), want.dlogits);
      expectGrad(`${this.name} loss`, [await reduceLoss(env, rowLoss, rows)], [want.loss]);
    },
  };
}

/**
 * Dropout forward on x and backward on dy with one seed: both masks equal the CPU hash's exactly, the keep rate is
 * 1 − p within 5σ, another seed gives another mask, and p = 0 is the identity.
 */
export function dropoutCase(n: number, p: number): BackwardCase {
  return {
    name: `dropout n=${n} p=${p}`,
    async run(env) {
      const x = randomArray(n, n, 1).map((v) => (v === 0 ? 1 : v));
      const dy = randomArray(n, n + 1, 1).map((v) => (v === 0 ? 1 : v));
      const { threshold, scale } = dropoutParams(p);
      const apply = async (input: Float32Array, seed: number, thr = threshold, sc = scale) => {
        const y = output(env, 'y', n);
        await runTrainKernel(env.device, 'dropout', { params: { n, seed, threshold: thr, scale: sc }, buffers: { x: upload(env, 'x', input), y }, grid: elementGrid(n) });
        return download(env, y, n);
      };
      const seed = 1234567;
      const y = await apply(x, seed);
      const dx = await apply(dy, seed);
      let kept = 0;
      for (let i = 0; i < n; i++) {
        const keep = bwd.dropoutKeeps(seed, i, threshold);
        if ((y[i] !== 0) !== keep || (dx[i] !== 0) !== keep) throw new Error(`${this.name}: element ${i} mask differs (cpu keep ${keep}, forward ${y[i]}, backward ${dx[i]})`);
        if (keep) kept++;
      }
      expectGrad(`${this.name} forward`, y, bwd.dropout(x, seed, threshold, scale), 1e-6);
      expectGrad(`${this.name} backward`, dx, bwd.dropout(dy, seed, threshold, scale), 1e-6);
      const sigma = Math.sqrt((p * (1 - p)) / n);
      if (Math.abs(kept / n - (1 - p)) > 5 * sigma + 1e-12) throw new Error(`${this.name}: keep rate ${kept / n}, want ${1 - p} ± ${5 * sigma}`);
      const other = await apply(x, seed + 1);
      let differ = 0;
      for (let i = 0; i < n; i++) if ((other[i] !== 0) !== (y[i] !== 0)) differ++;
      const expected = 2 * p * (1 - p) * n;
      if (p > 0 && Math.abs(differ - expected) > 5 * Math.sqrt(expected)) throw new Error(`${this.name}: seeds ${seed} and ${seed + 1} differ at ${differ} elements, want ≈ ${expected}`);
      const identity = await apply(x, seed, 0, 1);
      expectGrad(`${this.name} p=0`, identity, x, 0);
    },
  };
}

/** A label outside [0, V) (not −100) must poison the loss with NaN rather than train on a wrong target. */
export function crossEntropyBadLabelCase(): BackwardCase {
  return {
    name: 'cross-entropy with an out-of-range label gives NaN loss',
    async run(env) {
      const [rows, V] = [2, 3];
      const rowLoss = output(env, 'rowLoss', rows);
      await runTrainKernel(env.device, 'crossEntropy', {
        params: { rows, V },
        buffers: { logits: upload(env, 'logits', randomArray(rows * V, 1, 1)), labels: upload(env, 'labels', Uint32Array.from([1, V])), rowLoss, dlogits: output(env, 'dlogits', rows * V) },
        grid: [rows],
      });
      const loss = await reduceLoss(env, rowLoss, rows);
      if (!Number.isNaN(loss)) throw new Error(`${this.name}: loss ${loss}, want NaN`);
    },
  };
}
