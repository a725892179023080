// Load-time re-layout of a (N, K) PyTorch [out, in] weight into the gemm kernel's panels: 8 output columns per panel,
// panel p holding w[p·8 + j][k] at ((p·K + k)·8 + j), so each k step of the kernel reads 8 consecutive floats; the
// columns past N are zero. The bias is padded to whole panels too (the kernel reads it 8 at a time).
import { PANEL } from './wat/gemm.ts';

export function panelCount(N: number): number {
  return Math.ceil(N / PANEL);
}

/** w: (N, K) row-major → packed panels (panelCount(N)·K·8 floats). */
export function packPanels(w: Float32Array, N: number, K: number): Float32Array {
  if (w.length !== N * K) throw new Error(`packPanels: weight has ${w.length} elements, (N=${N}, K=${K}) needs ${N * K}`);
  const P = panelCount(N);
  const out = new Float32Array(P * K * PANEL);
  for (let n = 0; n < N; n++) {
    const p = Math.floor(n / PANEL);
    const j = n % PANEL;
    const row = n * K;
    let o = p * K * PANEL + j;
    for (let k = 0; k < K; k++, o += PANEL) out[o] = w[row + k];
  }
  return out;
}

/** w given as (K, N) [in, out] (a transposed weight) → the same panels as packPanels of its transpose. */
export function packPanelsFromTransposed(wT: Float32Array, N: number, K: number): Float32Array {
  if (wT.length !== N * K) throw new Error(`packPanelsFromTransposed: weight has ${wT.length} elements, (K=${K}, N=${N}) needs ${N * K}`);
  const P = panelCount(N);
  const out = new Float32Array(P * K * PANEL);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) out[(Math.floor(n / PANEL) * K + k) * PANEL + (n % PANEL)] = wT[k * N + n];
  }
  return out;
}

export function padBias(b: Float32Array, N: number): Float32Array {
  if (b.length !== N) throw new Error(`padBias: bias has ${b.length} elements, expected ${N}`);
  const out = new Float32Array(panelCount(N) * PANEL);
  out.set(b);
  return out;
}
