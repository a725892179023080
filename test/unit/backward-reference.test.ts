// The float64 backward references (src/cpu/backward.ts) against central finite differences of the float64 forward
// references (src/cpu/reference.ts): for an objective L = Σ dy·f(inputs) with a random dy, every analytic gradient
// element must equal (L(x + h) − L(x − h)) / 2h. With h = 1e-5 in float64 the difference quotient is good to ~1e-9
// (truncation h²·f''' ≈ 1e-10, round-off ε·|L|/h ≈ 1e-10), so the tolerance 1e-7 + 1e-6·|g| is tight enough that a
// sign error, a missing term or a transposed index fails (the last block checks that it does).
import { describe, expect, it } from 'vitest';
import * as bwd from '../../src/cpu/backward.ts';
import * as ref from '../../src/cpu/reference.ts';
import { compareArrays, randomArray, seededRandom } from '../helpers/validate.ts';

const fdTol = { atol: 1e-7, rtol: 1e-6 };
const H = 1e-5;

function random64(n: number, seed: number, scale = 1): Float64Array {
  return Float64Array.from(randomArray(n, seed, scale));
}

function dotSum(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Central differences of objective() with respect to every element of x (x is perturbed in place and restored). */
function numericGradient(x: Float64Array, objective: () => number): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + H;
    const up = objective();
    x[i] = keep - H;
    const down = objective();
    x[i] = keep;
    g[i] = (up - down) / (2 * H);
  }
  return g;
}

function gradientReport(name: string, x: Float64Array, analytic: ArrayLike<number>, objective: () => number) {
  return compareArrays(name, analytic, numericGradient(x, objective), fdTol);
}

function expectGradient(name: string, x: Float64Array, analytic: ArrayLike<number>, objective: () => number): void {
  const c = gradientReport(name, x, analytic, objective);
  if (!c.ok) throw new Error(c.report);
}

describe('backward references vs finite differences of the forward references (float64)', () => {
  it('matmul: dx, dw, db of y = x·wᵀ + b', () => {
    const [M, N, K] = [3, 4, 5];
    const x = random64(M * K, 1);
    const w = random64(N * K, 2);
    const b = random64(N, 3);
    const dy = random64(M * N, 4);
    const L = () => dotSum(dy, ref.matmul(x, w, b, M, N, K));
    const g = bwd.matmulBackward(x, w, dy, M, N, K);
    expectGradient('dx', x, g.dx, L);
    expectGradient('dw', w, g.dw, L);
    expectGradient('db', b, g.db, L);
  });

  it('fused block y = LN(x·wᵀ + b + residual): dh reaches the residual and the matmul; dγ, dβ', () => {
    const [M, N, K, eps] = [4, 6, 5, 1e-12];
    const x = random64(M * K, 5);
    const w = random64(N * K, 6, 0.5);
    const b = random64(N, 7);
    const r = random64(M * N, 8);
    const gamma = random64(N, 9).map((v) => 1 + 0.3 * v);
    const beta = random64(N, 10);
    const dy = random64(M * N, 11);
    const L = () => dotSum(dy, ref.layerNorm(ref.add(ref.matmul(x, w, b, M, N, K), r), gamma, beta, M, N, eps));
    const h = ref.add(ref.matmul(x, w, b, M, N, K), r);
    const ln = bwd.layerNormBackward(h, gamma, dy, M, N, eps);
    const mm = bwd.matmulBackward(x, w, ln.dh, M, N, K);
    expectGradient('dresidual', r, ln.dh, L);
    expectGradient('dx', x, mm.dx, L);
    expectGradient('dw', w, mm.dw, L);
    expectGradient('db', b, mm.db, L);
    expectGradient('dgamma', gamma, ln.dgamma, L);
    expectGradient('dbeta', beta, ln.dbeta, L);
  });

  const forward: Record<bwd.ActivationKind, (v: number) => number> = { gelu: ref.geluErf, geluTanh: ref.geluTanh, relu: ref.relu, tanh: Math.tanh };
  for (const kind of Object.keys(forward) as bwd.ActivationKind[]) {
    it(`activation ${kind}`, () => {
      // Spread over [-5, 5]; ReLU's kink at 0 is kept out of the differences' reach.
      const x = random64(64, 12, 5).map((v) => (Math.abs(v) < 1e-3 ? 0.5 : v));
      const dy = random64(64, 13);
      const L = () => dotSum(dy, Array.from(x, forward[kind]));
      expectGradient(kind, x, bwd.activationBackward(kind, x, dy), L);
    });
  }

  for (const [B, T, NH, HS, padded] of [[2, 5, 2, 3, true], [1, 1, 1, 4, false], [2, 4, 1, 2, false]] as const) {
    it(`attention B=${B} T=${T} NH=${NH} HS=${HS}${padded ? ' with padding and an all-masked sequence' : ''}`, () => {
      const C = NH * HS;
      const qkv = random64(B * T * 3 * C, 14 + T, 1.5);
      const mask = new Uint32Array(B * T).fill(1);
      if (padded) {
        mask[T - 1] = 0;
        mask[T - 2] = 0;
        if (B > 1) for (let t = 0; t < T; t++) mask[T + t] = 0;
      }
      const dctx = random64(B * T * C, 15);
      const L = () => dotSum(dctx, ref.attention(qkv, mask, B, T, NH, HS));
      const g = bwd.attentionBackward(qkv, mask, dctx, B, T, NH, HS);
      expectGradient('dqkv', qkv, g, L);
      if (padded) {
        // A masked key (row T−1 of sequence 0) gets no gradient in its K and V parts.
        for (let c = C; c < 3 * C; c++) expect(g[(T - 1) * 3 * C + c]).toBe(0);
      }
    });
  }

  it('embeddings: word/position/type tables through the LayerNorm, repeated ids summed, position offset', () => {
    const [B, T, C, vocab, maxPos, types, offset, eps] = [2, 3, 4, 5, 6, 2, 2, 1e-12];
    const ids = [3, 1, 3, 3, 0, 1]; // id 3 three times, id 1 twice, ids 2 and 4 never
    const typeIds = [0, 0, 1, 0, 1, 1];
    const word = random64(vocab * C, 16);
    const pos = random64(maxPos * C, 17);
    const type = random64(types * C, 18);
    const gamma = random64(C, 19).map((v) => 1 + 0.3 * v);
    const beta = random64(C, 20);
    const dy = random64(B * T * C, 21);
    const L = () => dotSum(dy, ref.embedding(ids, typeIds, B, T, C, word, pos, type, gamma, beta, eps, offset));
    const sum = new Float64Array(B * T * C);
    for (let r = 0; r < B * T; r++) {
      for (let c = 0; c < C; c++) sum[r * C + c] = word[ids[r] * C + c] + pos[((r % T) + offset) * C + c] + type[typeIds[r] * C + c];
    }
    const ln = bwd.layerNormBackward(sum, gamma, dy, B * T, C, eps);
    const g = bwd.embeddingBackward(ids, typeIds, ln.dh, B, T, C, vocab, maxPos, types, offset);
    expectGradient('dWord', word, g.dWord, L);
    expectGradient('dPos', pos, g.dPos, L);
    expectGradient('dType', type, g.dType, L);
    expect(g.dWord.subarray(2 * C, 3 * C).every((v) => v === 0)).toBe(true);
  });

  it('cross-entropy with ignore_index −100: loss equals −mean log p[label], dlogits by differences', () => {
    const [rows, V] = [5, 7];
    const logits = random64(rows * V, 22, 3);
    const labels = [2, -100, 6, 0, -100];
    const { loss, dlogits } = bwd.crossEntropy(logits, labels, rows, V);
    const p = ref.softmax(logits, rows, V);
    expect(loss).toBeCloseTo(-(Math.log(p[2]) + Math.log(p[2 * V + 6]) + Math.log(p[3 * V])) / 3, 12);
    expectGradient('dlogits', logits, dlogits, () => bwd.crossEntropy(logits, labels, rows, V).loss);
    expect(dlogits.subarray(V, 2 * V).every((v) => v === 0)).toBe(true);
  });

  it('BCE-with-logits and MSE: dlogits by differences of the loss', () => {
    const logits = random64(12, 23, 4);
    const rand = seededRandom(24);
    const targets = Float64Array.from({ length: 12 }, () => (rand() < 0.5 ? 0 : 1));
    expectGradient('bce', logits, bwd.bceWithLogits(logits, targets).dlogits, () => bwd.bceWithLogits(logits, targets).loss);
    const y = random64(12, 25, 2);
    expectGradient('mse', logits, bwd.mse(logits, y).dlogits, () => bwd.mse(logits, y).loss);
    expect(bwd.mse([1, 2], [0, 0]).loss).toBe(2.5);
  });

  it('dropout: the backward is dropout of dy with the same mask', () => {
    const x = random64(50, 26);
    const dy = random64(50, 27);
    const [seed, threshold, scale] = [7, 0x40000000, 4 / 3]; // p = 0.25
    const L = () => dotSum(dy, bwd.dropout(x, seed, threshold, scale));
    expectGradient('dropout', x, bwd.dropout(dy, seed, threshold, scale), L);
  });

  it('the check fails on a wrong gradient: a sign error, a dropped LayerNorm term, a transposed dw', () => {
    const [M, N, K] = [3, 4, 5];
    const x = random64(M * K, 28);
    const w = random64(N * K, 29);
    const b = random64(N, 30);
    const dy = random64(M * N, 31);
    const L = () => dotSum(dy, ref.matmul(x, w, b, M, N, K));
    const g = bwd.matmulBackward(x, w, dy, M, N, K);
    expect(gradientReport('negated dx', x, g.dx.map((v) => -v), L).ok).toBe(false);
    // dw computed as dy·x read with a transposed index pattern (wrong layout).
    const dwWrong = new Float64Array(N * K);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) dwWrong[n * K + k] = g.dw[(k % N) * K + (n % K)];
    expect(gradientReport('transposed dw', w, dwWrong, L).ok).toBe(false);
    // LayerNorm backward without the x̂·mean(g·x̂) term.
    const [rows, C, eps] = [2, 5, 1e-12];
    const h = random64(rows * C, 32, 2);
    const gamma = random64(C, 33).map((v) => 1 + 0.3 * v);
    const beta = new Float64Array(C);
    const dyLn = random64(rows * C, 34);
    const Lln = () => dotSum(dyLn, ref.layerNorm(h, gamma, beta, rows, C, eps));
    const right = bwd.layerNormBackward(h, gamma, dyLn, rows, C, eps).dh;
    expect(gradientReport('layernorm', h, right, Lln).ok).toBe(true);
    const wrong = new Float64Array(rows * C);
    for (let r = 0; r < rows; r++) {
      let mean = 0;
      for (let c = 0; c < C; c++) mean += h[r * C + c] / C;
      let v = 0;
      for (let c = 0; c < C; c++) v += (h[r * C + c] - mean) ** 2 / C;
      const rstd = 1 / Math.sqrt(v + eps);
      let meanG = 0;
      for (let c = 0; c < C; c++) meanG += (dyLn[r * C + c] * gamma[c]) / C;
      for (let c = 0; c < C; c++) wrong[r * C + c] = rstd * (dyLn[r * C + c] * gamma[c] - meanG);
    }
    expect(gradientReport('layernorm without the x̂ term', h, wrong, Lln).ok).toBe(false);
  });
});
