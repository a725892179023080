// The seeded random numbers of training's host side: the fresh classification head's initial weights (head-init.ts)
// and the epoch shuffle (batches.ts). Same seed → same numbers on every platform, in Node and in the browser.
//
// Generator: mulberry32 (Tommy Ettinger's 32-bit state generator, public domain): state += 0x6D2B79F5, then an
// xorshift-multiply output mix; period 2³², passes gjrand/PractRand to 2³² outputs — plenty for shuffling a data set
// and drawing a head of at most a few million weights. Its Math.imul arithmetic is exact in JavaScript, so results are
// identical everywhere. Normals: Box–Muller on two uniforms, using both outputs (cos then sin).
// None of this reproduces PyTorch's own random streams (torch.manual_seed's Mersenne Twister / Philox): a bertgpu run
// and a transformers run with the same seed start from different heads and shuffle differently.

export interface Prng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
  /** Uniform integer in [0, n), n ≤ 2³², without modulo bias. */
  int(n: number): number;
}

/** A seed must be an integer (any sign, reduced mod 2³²): a fractional or NaN seed is a caller's bug. */
export function checkSeed(seed: unknown, what = 'seed'): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw new RangeError(`${what} must be an integer, got ${JSON.stringify(seed) ?? String(seed)}`);
  return seed >>> 0;
}

export function mulberry32(seed: number): Prng {
  let state = checkSeed(seed);
  const nextU32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  let spare: number | null = null;
  return {
    next: () => nextU32() / 2 ** 32,
    normal(): number {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      const u1 = (nextU32() + 1) / 2 ** 32; // (0, 1]: log(u1) is finite
      const u2 = nextU32() / 2 ** 32;
      const r = Math.sqrt(-2 * Math.log(u1));
      spare = r * Math.sin(2 * Math.PI * u2);
      return r * Math.cos(2 * Math.PI * u2);
    },
    int(n: number): number {
      if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new RangeError(`int(n): n must be an integer in [1, 2^32], got ${n}`);
      // Rejection sampling: draw below the largest multiple of n that fits in 2³².
      const limit = 2 ** 32 - (2 ** 32 % n);
      for (;;) {
        const x = nextU32();
        if (x < limit) return x % n;
      }
    },
  };
}
