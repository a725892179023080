// A fresh classification head (HF's _init_weights for a Linear: normal(0, initializer_range), zero bias) from the
// seeded generator in src/train/prng.ts: its statistics, determinism by seed, and the label checks.
import { describe, expect, it } from 'vitest';
import { freshClassifierHead } from '../../src/train/head-init.ts';
import { mulberry32 } from '../../src/train/prng.ts';

const config = { hidden_size: 768, initializer_range: 0.02, model_type: 'bert', id2label: { 0: 'LABEL_0', 1: 'LABEL_1' } };

describe('mulberry32', () => {
  it('is the published generator (first outputs for seed 1) and its uniforms stay in [0, 1)', () => {
    // mulberry32(1) → 0x6D2B79F6 state, first u32 = 2693872850 (from the reference C: a = 1; a += 0x6D2B79F5; ...).
    const rng = mulberry32(1);
    expect(Math.round(rng.next() * 2 ** 32)).toBe(mulberry32Reference(1));
    const r = mulberry32(7);
    for (let i = 0; i < 10000; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
    }
  });

  it('int(n) is uniform enough and within range', () => {
    const r = mulberry32(3);
    const counts = new Array<number>(5).fill(0);
    for (let i = 0; i < 50000; i++) counts[r.int(5)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(5 * Math.sqrt(10000 * 0.8)); // 5σ
    expect(() => r.int(0)).toThrow(RangeError);
    expect(() => mulberry32(1.5)).toThrow(/seed must be an integer/);
  });
});

// An independent transcription of the reference C (uint32 arithmetic through BigInt) for the first output.
function mulberry32Reference(seed: number): number {
  const M = (1n << 32n) - 1n;
  const a = (BigInt(seed) + 0x6d2b79f5n) & M;
  let t = a;
  t = ((t ^ (t >> 15n)) * (t | 1n)) & M;
  t = (t ^ ((t + (((t ^ (t >> 7n)) * (t | 61n)) & M)) & M)) & M;
  return Number((t ^ (t >> 14n)) & M);
}

describe('freshClassifierHead', () => {
  it('weight ~ normal(0, initializer_range) for a 768 × N draw, bias zero, shapes as PyTorch stores them', () => {
    const head = freshClassifierHead(config, ['a', 'b', 'c', 'd'], { seed: 42 });
    expect(head.weightShape).toEqual([4, 768]);
    expect(head.biasShape).toEqual([4]);
    expect(Array.from(head.bias)).toEqual([0, 0, 0, 0]);
    const w = Array.from(head.weight);
    const n = w.length;
    const mean = w.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    // Standard errors: mean 0.02/√3072 ≈ 3.6e-4, std ≈ 0.02/√6144 ≈ 2.6e-4; bounds at ~5σ.
    expect(Math.abs(mean)).toBeLessThan(1.8e-3);
    expect(Math.abs(std - 0.02)).toBeLessThan(1.3e-3);
    // Tails as a normal's: about 4.55 % beyond 2σ, none beyond 6σ.
    const beyond2 = w.filter((x) => Math.abs(x) > 0.04).length / n;
    expect(Math.abs(beyond2 - 0.0455)).toBeLessThan(0.02);
    expect(w.every((x) => Math.abs(x) < 0.12)).toBe(true);
    // A different initializer_range scales the draw.
    const wide = freshClassifierHead({ ...config, initializer_range: 0.1 }, ['a', 'b', 'c', 'd'], { seed: 42 });
    wide.weight.forEach((x, i) => expect(x).toBeCloseTo(head.weight[i] * 5, 6));
  });

  it('same seed → same head; another seed → another head; the config names the labels', () => {
    const a = freshClassifierHead(config, ['neg', 'pos'], { seed: 1 });
    const b = freshClassifierHead(config, ['neg', 'pos'], { seed: 1 });
    const c = freshClassifierHead(config, ['neg', 'pos'], { seed: 2 });
    expect(a.weight).toEqual(b.weight);
    expect(a.weight).not.toEqual(c.weight);
    expect(a.config).toMatchObject({ num_labels: 2, id2label: { 0: 'neg', 1: 'pos' }, label2id: { neg: 0, pos: 1 }, model_type: 'bert' });
    expect(a.config).not.toHaveProperty('problem_type');
    expect(freshClassifierHead(config, ['x'], { problemType: 'regression' }).config.problem_type).toBe('regression');
    expect(freshClassifierHead({ hidden_size: 8 }, ['x', 'y']).weight).toHaveLength(16); // initializer_range: HF's 0.02
  });

  it('refuses empty, duplicated and non-string labels, and a config without hidden_size', () => {
    expect(() => freshClassifierHead(config, [])).toThrow(/non-empty array/);
    expect(() => freshClassifierHead(config, 'neg,pos' as unknown as string[])).toThrow(/non-empty array/);
    expect(() => freshClassifierHead(config, ['neg', 'pos', 'neg'])).toThrow(/"neg" is listed twice \(labels\[0\] and labels\[2\]\)/);
    expect(() => freshClassifierHead(config, ['neg', 1 as unknown as string])).toThrow(/labels\[1\] must be a non-empty string, got 1/);
    expect(() => freshClassifierHead(config, ['neg', ''])).toThrow(/labels\[1\]/);
    expect(() => freshClassifierHead({}, ['a'])).toThrow(/hidden_size/);
    expect(() => freshClassifierHead({ hidden_size: 4, initializer_range: -1 }, ['a'])).toThrow(/initializer_range/);
    expect(() => freshClassifierHead(config, ['a'], { seed: Number.NaN })).toThrow(/seed must be an integer/);
  });
});
