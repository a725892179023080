// Epoch batching (src/train/batches.ts): file order or a seeded shuffle, batches padded to their own longest row,
// the last partial batch kept, tokenisation once per example.
import { describe, expect, it } from 'vitest';
import { epochOrder, padBatch, stepsPerRun, trainingBatches, type Tokenize } from '../../src/train/batches.ts';

// A stand-in tokenizer with visible structure: [CLS]=2, one id per word (its length + 10), [SEP]=3; pairs get type 1.
const tokenize: Tokenize = ({ text, textPair }) => {
  const a = text.split(' ').map((w) => w.length + 10);
  const b = textPair === undefined ? [] : textPair.split(' ').map((w) => w.length + 10);
  const ids = [2, ...a, 3, ...(b.length ? [...b, 3] : [])];
  const types = [...new Array<number>(a.length + 2).fill(0), ...new Array<number>(b.length ? b.length + 1 : 0).fill(1)];
  return { inputIds: ids, tokenTypeIds: types };
};
const examples = ['a', 'bb cc', 'ddd eee fff', 'g', 'hh ii jj kk', 'l', 'm n'].map((text, i) => ({ text, target: i % 3 }));

describe('epochOrder', () => {
  it('no shuffle = file order; shuffle = a permutation, the same for the same seed and epoch', () => {
    expect(epochOrder(5, 3, { shuffle: false })).toEqual([0, 1, 2, 3, 4]);
    const a = epochOrder(50, 0, { seed: 7 });
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(epochOrder(50, 0, { seed: 7 })).toEqual(a);
    expect(epochOrder(50, 1, { seed: 7 })).not.toEqual(a); // each epoch reshuffles
    expect(epochOrder(50, 0, { seed: 8 })).not.toEqual(a);
    expect(epochOrder(0, 0)).toEqual([]);
    expect(epochOrder(1, 0)).toEqual([0]);
    expect(() => epochOrder(3, 0, { seed: 0.5 })).toThrow(/seed must be an integer/);
  });

  it('every position is equally likely (Fisher–Yates without bias)', () => {
    // Over 3000 seeds, where element 0 lands among 4 positions: each ≈ 750 (5σ ≈ 119).
    const counts = [0, 0, 0, 0];
    for (let seed = 0; seed < 3000; seed++) counts[epochOrder(4, 0, { seed }).indexOf(0)]++;
    for (const c of counts) expect(Math.abs(c - 750)).toBeLessThan(119);
  });
});

describe('trainingBatches', () => {
  it('file order: batches of 3, the last partial, each padded to its own longest row', () => {
    const batches = [...trainingBatches(examples, tokenize, { batchSize: 3, epochs: 1, shuffle: false })];
    expect(batches.map((b) => [b.B, b.T, b.rows])).toEqual([[3, 5, [0, 1, 2]], [3, 6, [3, 4, 5]], [1, 4, [6]]]);
    const [first] = batches;
    expect(Array.from(first.inputIds)).toEqual([2, 11, 3, 0, 0, 2, 12, 12, 3, 0, 2, 13, 13, 13, 3]);
    expect(Array.from(first.attentionMask)).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1]);
    expect(Array.from(first.tokenTypeIds)).toEqual(new Array(15).fill(0));
    expect(first.labels).toEqual([0, 1, 2]);
    expect(batches.map((b) => [b.epoch, b.index])).toEqual([[0, 0], [0, 1], [0, 2]]);
  });

  it('pairs get their token types; the pad id is configurable; multi-label targets stay rows', () => {
    const pairs = [{ text: 'a b', textPair: 'c', target: [1, 0] }, { text: 'd', target: [0, 1] }];
    const [b] = [...trainingBatches(pairs, tokenize, { batchSize: 4, epochs: 1, shuffle: false, padId: 9 })];
    expect(b.T).toBe(6);
    expect(Array.from(b.inputIds)).toEqual([2, 11, 11, 3, 11, 3, 2, 11, 3, 9, 9, 9]);
    expect(Array.from(b.tokenTypeIds)).toEqual([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(b.labels).toEqual([[1, 0], [0, 1]]);
  });

  it('labels: the targets as Trainer.step() takes them (copies); mixed or non-finite targets refused', () => {
    const target = [0.5, 2];
    const [b] = [...trainingBatches([{ text: 'a', target }], tokenize, { batchSize: 2, epochs: 1 })];
    expect(b.labels).toEqual([[0.5, 2]]);
    expect((b.labels as number[][])[0]).not.toBe(target);
    expect(padBatch([{ inputIds: [1], tokenTypeIds: [0] }], [0.5]).labels).toEqual([0.5]);
    const two = [{ inputIds: [1], tokenTypeIds: [0] }, { inputIds: [1], tokenTypeIds: [0] }];
    expect(() => padBatch(two, [1, [1]])).toThrow(/mix numbers and arrays/);
    expect(() => padBatch(two, [[1], [1, 0]])).toThrow(/row 1 must be 1 finite numbers/);
    expect(() => padBatch(two, [1, Number.NaN])).toThrow(/row 1 must be a finite number/);
  });

  it('shuffled epochs: same seed → same batches; every example once per epoch; tokenize once per example', () => {
    let calls = 0;
    const counting: Tokenize = (e) => (calls++, tokenize(e));
    const run = (seed: number) => [...trainingBatches(examples, counting, { batchSize: 2, epochs: 3, seed })].map((b) => b.rows);
    const a = run(5);
    expect(calls).toBe(examples.length);
    expect(run(5)).toEqual(a);
    expect(run(6)).not.toEqual(a);
    expect(a).toHaveLength(12); // 3 epochs × ⌈7/2⌉
    for (let e = 0; e < 3; e++) expect(a.slice(e * 4, e * 4 + 4).flat().sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(stepsPerRun(7, 2, 3)).toBe(12);
  });

  it('refuses bad options and bad tokenizer output', () => {
    const go = (opts: object, tok: Tokenize = tokenize, ex: typeof examples = examples) =>
      () => [...trainingBatches(ex, tok, { batchSize: 2, epochs: 1, shuffle: false, ...opts })];
    expect(go({ batchSize: 0 })).toThrow(/batchSize must be a positive integer, got 0/);
    expect(go({ epochs: 1.5 })).toThrow(/epochs must be a positive integer/);
    expect(go({}, tokenize, [])).toThrow(/no examples/);
    expect(go({}, () => ({ inputIds: [], tokenTypeIds: [] }))).toThrow(/example 0\) returned no tokens/);
    expect(go({}, () => ({ inputIds: [1, 2], tokenTypeIds: [0] }))).toThrow(/2 ids but 1 token types/);
    expect(go({}, () => ({ inputIds: [1, -2], tokenTypeIds: [0, 0] }))).toThrow(/token 1 id -2/);
    expect(() => padBatch([], [])).toThrow(/no rows/);
    expect(() => stepsPerRun(0, 1, 1)).toThrow(/examples must be a positive integer/);
  });
});
