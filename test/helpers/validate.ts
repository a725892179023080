// llm.c-style result validation: compares got against want element-wise with |Δ| ≤ atol + rtol·|want| and reports
// the first mismatches (index, got, want, |Δ|) plus the worst error, so a failing kernel says where it went wrong.
export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface Comparison {
  ok: boolean;
  maxAbsDiff: number;
  maxAbsIndex: number;
  mismatches: number;
  report: string;
}

export function compareArrays(
  name: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: Tolerance,
  show = 5,
): Comparison {
  const lines: string[] = [];
  if (got.length !== want.length) {
    return { ok: false, maxAbsDiff: Infinity, maxAbsIndex: -1, mismatches: Math.max(got.length, want.length),
      report: `${name}: length ${got.length}, want ${want.length}` };
  }
  let maxAbsDiff = 0;
  let maxAbsIndex = -1;
  let mismatches = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    const d = Math.abs(g - w);
    // NaN in either array is always a mismatch (d is NaN, comparisons are false).
    const bad = !(d <= tol.atol + tol.rtol * Math.abs(w));
    if (!(d <= maxAbsDiff)) {
      maxAbsDiff = Number.isNaN(d) ? Infinity : Math.max(maxAbsDiff, d);
      maxAbsIndex = i;
    }
    if (bad) {
      if (mismatches < show) lines.push(`  [${i}] got ${g}, want ${w}, |Δ| ${d.toExponential(3)}`);
      mismatches++;
    }
  }
  const head = `${name}: ${mismatches}/${want.length} mismatches (atol ${tol.atol}, rtol ${tol.rtol}), ` +
    `max |Δ| ${maxAbsDiff.toExponential(3)} at ${maxAbsIndex}`;
  return { ok: mismatches === 0, maxAbsDiff, maxAbsIndex, mismatches, report: [head, ...lines].join('\n') };
}

/** Throws with the report when the arrays differ beyond tolerance (use inside `it`). */
export function expectClose(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance): void {
  const c = compareArrays(name, got, want, tol);
  if (!c.ok) throw new Error(c.report);
}

/** Deterministic PRNG (mulberry32) so failing shapes reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const r = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}
