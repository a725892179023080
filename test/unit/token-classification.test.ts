// token-classification vs HF Python's TokenClassificationPipeline: the post-processing in src/tasks/token-classification.ts
// on the fixture's float64 PyTorch logits must give what hf_token_pipelines.py (HF's code mirrored, run in Python)
// gives — every aggregation strategy, ignore_labels, stride windows — and our tokenizer must cut the same windows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BertTokenizer } from '../../src/tokenizer/tokenizer.ts';
import type { Encoding } from '../../src/tokenizer/types.ts';
import {
  mergeOverlappingEntities, postprocessTokenClassification, prepareTokenClassification, resolveTokenClassificationOptions,
  tokenTextOf, type EntityGroup, type TokenEntity,
} from '../../src/tasks/token-classification.ts';
import { fixturesDir } from '../model/fixture.ts';

interface RefRow {
  inputIds: number[]; tokenTypeIds: number[]; attentionMask: number[]; specialTokensMask: number[];
  wordIds: number[]; offsets: [number, number][]; logits: { dims: number[]; data: number[] };
}
interface RefCase {
  name: string; text: string; windows: Record<string, RefRow[]>;
  expected: Array<{ windows: string; options: Record<string, unknown>; output: Array<Record<string, unknown>> }>;
}
const dir = join(fixturesDir, 'tiny-bert-ner');
const ref = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as { labels: string[]; maxLength: number; cases: RefCase[] };
const tokenizer = BertTokenizer.fromTokenizerJson(readFileSync(join(dir, 'tokenizer.json'), 'utf8'),
  JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')));
const labels = ref.labels;
const tt = tokenTextOf(tokenizer);

/** Our Encoding for a fixture row (the fixture's own tokens), so post-processing is checked apart from the tokenizer. */
function encodingOf(r: RefRow): Encoding {
  return {
    ids: Int32Array.from(r.inputIds), tokenTypeIds: Int32Array.from(r.tokenTypeIds), attentionMask: Int32Array.from(r.attentionMask),
    specialTokensMask: Int32Array.from(r.specialTokensMask), offsets: Int32Array.from(r.offsets.flat()), wordIds: Int32Array.from(r.wordIds),
    overflowing: [],
  };
}

function expectEntities(got: Array<TokenEntity | EntityGroup>, want: Array<Record<string, unknown>>) {
  const strip = (e: object) => Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'score'));
  expect(got.map(strip)).toEqual(want.map(strip));
  got.forEach((e, i) => expect(Math.abs(e.score - (want[i].score as number)), `score of ${i}`).toBeLessThan(1e-9));
}

describe('token-classification post-processing = HF TokenClassificationPipeline (fixture logits, float64)', () => {
  for (const c of ref.cases) {
    for (const x of c.expected) {
      it(`${c.name} ${JSON.stringify(x.options)} (${x.output.length} results)`, () => {
        const options = resolveTokenClassificationOptions(x.options, ref.maxLength);
        const windows = c.windows[x.windows].map((r) => ({ encoding: encodingOf(r), logits: r.logits.data }));
        expectEntities(postprocessTokenClassification(c.text, windows, labels, tt, options), x.output);
      });
    }
  }

  it('the fixture tells the strategies apart (each rule is load-bearing)', () => {
    const names = ref.cases.find((c) => c.name === 'names')!;
    const out = (s: string) => JSON.stringify(names.expected.find((x) => x.options.aggregation_strategy === s && !('ignore_labels' in x.options))!.output);
    const all = ['simple', 'first', 'average', 'max'].map(out);
    expect(new Set(all).size, 'simple/first/average/max give 4 different results on "names"').toBe(4);
    const long = ref.cases.find((c) => c.name === 'long')!;
    const truncated = long.expected.find((x) => x.windows === 'truncate' && x.options.aggregation_strategy === 'simple')!.output;
    const windowed = long.expected.find((x) => x.windows === 'stride16' && x.options.aggregation_strategy === 'simple')!.output;
    // HF's stride runs the whole text; without it the text is truncated to 64 tokens.
    expect(Math.max(...windowed.map((e) => e.end as number))).toBeGreaterThan(Math.max(...truncated.map((e) => e.end as number)) + 200);
  });
});

describe('token-classification rows = the windows HF runs', () => {
  for (const c of ref.cases) {
    for (const key of Object.keys(c.windows)) {
      const stride = key === 'truncate' ? undefined : Number(key.slice('stride'.length));
      it(`${c.name} ${key}: ids, offsets (UTF-16), word ids, special mask` +
        (stride ? ' — windows cover the whole text (HF pipeline; tokenizers 0.23 would stop near 64 tokens)' : ''), () => {
        const options = resolveTokenClassificationOptions({ aggregation_strategy: 'simple', stride }, ref.maxLength);
        const { rows, groups } = prepareTokenClassification(tokenizer, ref.maxLength, c.text, options);
        expect(groups).toEqual([rows.map((_, i) => i)]);
        const want = c.windows[key];
        expect(rows.map((r) => Array.from(r.ids))).toEqual(want.map((r) => r.inputIds));
        expect(rows.map((r) => Array.from(r.offsets))).toEqual(want.map((r) => r.offsets.flat()));
        expect(rows.map((r) => Array.from(r.wordIds))).toEqual(want.map((r) => r.wordIds));
        expect(rows.map((r) => Array.from(r.specialTokensMask))).toEqual(want.map((r) => r.specialTokensMask));
      });
    }
  }

  it('a batch gives each text its rows', () => {
    const options = resolveTokenClassificationOptions({ aggregation_strategy: 'first', stride: 16 }, ref.maxLength);
    const long = ref.cases.find((c) => c.name === 'long')!.text;
    const { rows, groups, single } = prepareTokenClassification(tokenizer, ref.maxLength, ['Paris.', long], options);
    expect(single).toBe(false);
    expect(groups).toEqual([[0], [1, 2, 3, 4]]);
    expect(rows).toHaveLength(5);
  });
});

describe('token-classification semantics on hand-made logits', () => {
  // "Johanna in Paris": tokens [CLS] j ##o ##h ##a ##n ##n ##a in p ##a ##r ##i ##s [SEP] (15)
  const text = 'Johanna in Paris';
  const enc = tokenizer.encode(text);
  const L = labels.length;
  const logitsFor = (rows: number[][]) => {
    const out = new Float64Array(enc.ids.length * L).fill(0);
    rows.forEach((r, t) => r.forEach((v, j) => { out[t * L + j] = v; }));
    return out;
  };
  const idx = (l: string) => labels.indexOf(l);
  const hot = (l: string, v = 5) => Array.from({ length: L }, (_, j) => (j === idx(l) ? v : 0));
  const run = (rows: number[][], options: Record<string, unknown>) =>
    postprocessTokenClassification(text, [{ encoding: enc, logits: logitsFor(rows) }], labels, tt, resolveTokenClassificationOptions(options));

  it('tokens are what we think', () => {
    expect(enc.ids.length).toBe(15);
    expect(tokenizer.idToToken(enc.ids[2])).toBe('##o');
  });

  // Johanna: first piece B-PER, the rest mostly I-LOC but one very confident I-PER piece.
  const rows = [hot('O'), hot('B-PER', 2), hot('I-LOC', 4), hot('I-LOC', 4), hot('I-PER', 9), hot('I-LOC', 4), hot('I-LOC', 4), hot('I-LOC', 4),
    hot('O'), hot('B-LOC'), hot('I-LOC'), hot('I-LOC'), hot('I-LOC'), hot('I-LOC'), hot('O')];

  it('simple: pieces are grouped by tag, so a word can split (HF: "Micro|soft")', () => {
    const out = run(rows, { aggregation_strategy: 'simple' }) as EntityGroup[];
    expect(out.map((e) => [e.entity_group, e.word, e.start, e.end])).toEqual([
      ['PER', 'j', 0, 1], ['LOC', '##oh', 1, 3], ['PER', '##a', 3, 4], ['LOC', '##nna', 4, 7], ['LOC', 'paris', 11, 16]]);
    // convert_tokens_to_string keeps a leading piece's '##' (HF's word for a group that starts mid-word)
  });
  it('first: the word takes its first piece\'s label', () => {
    const out = run(rows, { aggregation_strategy: 'first' }) as EntityGroup[];
    expect(out.map((e) => [e.entity_group, e.word, e.start, e.end])).toEqual([['PER', 'johanna', 0, 7], ['LOC', 'paris', 11, 16]]);
  });
  it('max: the word takes the label of its most confident piece', () => {
    const out = run(rows, { aggregation_strategy: 'max' }) as EntityGroup[];
    expect(out[0].entity_group).toBe('PER');
    expect(out[0].score).toBeCloseTo(Math.exp(9) / (Math.exp(9) + 4), 12);
  });
  it('average: the word takes the argmax of its pieces\' mean probabilities', () => {
    const out = run(rows, { aggregation_strategy: 'average' }) as EntityGroup[];
    expect(out.map((e) => [e.entity_group, e.word])).toEqual([['LOC', 'johanna'], ['LOC', 'paris']]);
  });
  it('none: one result per token with its row index; [CLS]/[SEP] skipped; O dropped by default', () => {
    const out = run(rows, {}) as TokenEntity[];
    expect(out[0]).toMatchObject({ entity: 'B-PER', index: 1, word: 'j', start: 0, end: 1 });
    expect(out.some((e) => e.entity === 'O')).toBe(false);
    expect((run(rows, { ignore_labels: [] }) as TokenEntity[]).filter((e) => e.entity === 'O').map((e) => e.word)).toEqual(['in']);
  });
  it('ignore_labels applies to the group name (after B-/I- is stripped)', () => {
    const out = run(rows, { aggregation_strategy: 'first', ignore_labels: ['O', 'PER'] }) as EntityGroup[];
    expect(out.map((e) => e.entity_group)).toEqual(['LOC']);
  });
  it('[UNK] tokens carry the input text and start a new word', () => {
    const t = 'zebra🦓 café';
    const e = tokenizer.encode(t);
    const out = postprocessTokenClassification(t, [{ encoding: e, logits: new Float64Array(e.ids.length * L).map((_, i) => (i % L === 1 ? 3 : 0)) }],
      labels, tt, resolveTokenClassificationOptions({ aggregation_strategy: 'none' })) as TokenEntity[];
    expect(out.map((x) => [x.word, x.start, x.end])).toEqual([['zebra🦓', 0, 7], ['cafe', 8, 12]]); // UTF-16: 🦓 is 2 units
  });
});

describe('merging windows (HF aggregate_overlapping_entities)', () => {
  const e = (start: number, end: number, score: number) => ({ entity_group: 'X', word: '', start, end, score });
  it('overlapping: the longer wins, then the higher score; disjoint ones stay, sorted by start', () => {
    expect(mergeOverlappingEntities([e(10, 15, 0.5), e(0, 4, 0.9), e(10, 20, 0.1), e(2, 4, 0.99), e(30, 31, 0.3)]))
      .toEqual([e(0, 4, 0.9), e(10, 20, 0.1), e(30, 31, 0.3)]);
    expect(mergeOverlappingEntities([e(0, 4, 0.2), e(0, 4, 0.7)])).toEqual([e(0, 4, 0.7)]);
  });
});

describe('token-classification options', () => {
  it('defaults: ignore_labels [O], aggregation none, no stride', () => {
    expect(resolveTokenClassificationOptions(undefined)).toEqual({ ignoreLabels: ['O'], aggregationStrategy: 'none', stride: undefined });
  });
  it('camelCase aliases and HF\'s case-insensitive strategy names', () => {
    expect(resolveTokenClassificationOptions({ aggregationStrategy: 'FIRST', ignoreLabels: [] })).toMatchObject({ aggregationStrategy: 'first', ignoreLabels: [] });
  });
  it('errors name the option', () => {
    expect(() => resolveTokenClassificationOptions({ aggregation: 'simple' })).toThrow(/unknown option "aggregation"/);
    expect(() => resolveTokenClassificationOptions({ aggregation_strategy: 'mean' })).toThrow(/aggregation_strategy must be one of/);
    expect(() => resolveTokenClassificationOptions({ ignore_labels: 'O' })).toThrow(/ignore_labels must be an array/);
    expect(() => resolveTokenClassificationOptions({ stride: 8 })).toThrow(/needs aggregation_strategy/);
    expect(() => resolveTokenClassificationOptions({ stride: 64, aggregation_strategy: 'simple' }, 64)).toThrow(/stride \(64\) must be less/);
    expect(() => prepareTokenClassification(tokenizer, 64, [3], resolveTokenClassificationOptions({}))).toThrow(/inputs\[0\] must be a string/);
  });
});
