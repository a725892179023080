// Training data files (src/train/data.ts, csv.ts): TSV and CSV, the three label kinds, and hostile input — every
// error names the line and the problem.
import { describe, expect, it } from 'vitest';
import { parseCsvRecords } from '../../src/train/csv.ts';
import { DataError, parseCsv, parseTrainingData, parseTsv, type DataSpec } from '../../src/train/data.ts';

const single: DataSpec = { id2label: ['negative', 'neutral', 'positive'], problemType: 'single_label_classification' };
const multi: DataSpec = { id2label: ['sports', 'politics', 'tech'], problemType: 'multi_label_classification' };
const regression: DataSpec = { id2label: ['score'], problemType: 'regression' };

describe('TSV', () => {
  it('reads single texts and pairs, keeps texts as written, maps labels to ids', () => {
    const rows = parseTsv('I love it\tpositive\n  spaced  text \t neutral \nthe movie\tthe book\tnegative\n', single);
    expect(rows).toEqual([
      { text: 'I love it', label: 'positive', target: 2, line: 1 },
      { text: '  spaced  text ', label: 'neutral', target: 1, line: 2 },
      { text: 'the movie', textPair: 'the book', label: 'negative', target: 0, line: 3 },
    ]);
  });

  it('drops a BOM, accepts CRLF, skips blank lines but counts them', () => {
    const rows = parseTsv('\uFEFFa\tpositive\r\n\r\n   \nb\tnegative\r\n', single, 'x.tsv');
    expect(rows.map((r) => [r.text, r.target, r.line])).toEqual([['a', 2, 1], ['b', 0, 4]]);
  });

  it('errors name the file, the line and the problem', () => {
    const bad = (text: string, spec = single) => () => parseTsv(text, spec, 'train.tsv');
    expect(bad('ok\tpositive\nbad\tpos\n')).toThrow('train.tsv: line 2: unknown label "pos" (known labels: "negative", "neutral", "positive")');
    expect(bad('a b c positive')).toThrow(/line 1: expected 2 or 3 tab-separated columns .* got 1 \(no tab/);
    expect(bad('a\tb\tc\tpositive')).toThrow(/line 1: expected 2 or 3 .* got 4/);
    expect(bad('ok\tpositive\n\tpositive')).toThrow('train.tsv: line 2: empty text');
    expect(bad(' \t \tpositive')).toThrow(/line 1: empty text/);
    expect(bad('a\t  \tpositive')).toThrow(/line 1: empty text_pair/);
    expect(bad('a\t')).toThrow(/line 1: empty label/);
    expect(bad('')).toThrow(/no examples/);
    expect(bad('\n\r\n')).toThrow(/no examples/);
    // Labels are case-sensitive, as id2label; the error carries the line for programs.
    const error = (() => {
      try {
        bad('a\tpositive\n\nb\tPOSITIVE')();
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).line).toBe(3);
    const many: DataSpec = { id2label: Array.from({ length: 30 }, (_, i) => `L${i}`), problemType: 'single_label_classification' };
    expect(bad('a\tx', many)).toThrow(/"L19", … \(30 in all\)/);
  });

  it('multi-label: comma-separated names → multi-hot; empty = none; unknown or repeated names refused', () => {
    const rows = parseTsv('a\tsports, tech\nb\t\nc\tpolitics', multi);
    expect(rows.map((r) => r.target)).toEqual([[1, 0, 1], [0, 0, 0], [0, 1, 0]]);
    expect(() => parseTsv('a\tsports,art', multi)).toThrow(/line 1: unknown label "art" in "sports,art" \(known labels: .*comma-separated/);
    expect(() => parseTsv('a\ttech,tech', multi)).toThrow(/label "tech" appears twice/);
    expect(() => parseTsv('a\tx', { id2label: ['a,b'], problemType: 'multi_label_classification' })).toThrow(/contains a comma/);
  });

  it('regression: a finite number per output; nothing else', () => {
    expect(parseTsv('a\t0.5\nb\t-3e2\nc\t.25', regression).map((r) => r.target)).toEqual([0.5, -300, 0.25]);
    expect(parseTsv('a\t1, 2', { id2label: ['x', 'y'], problemType: 'regression' })[0].target).toEqual([1, 2]);
    for (const v of ['high', 'NaN', 'Infinity', '1e999', '0x10', '', '1,2', '1.2.3']) {
      expect(() => parseTsv(`a\t${v}`, regression), v).toThrow(/line 1: regression label/);
    }
  });
});

describe('CSV', () => {
  it('header in any order, RFC 4180 quoting (commas, quotes, line breaks in fields), CRLF, BOM', () => {
    const csv = '\uFEFFlabel,Text,text_pair\r\npositive,"great, really","she said ""yes"""\r\n' +
      'negative,"two\nlines",b\r\n\r\nneutral,plain,c';
    const rows = parseCsv(csv, single, 'd.csv');
    expect(rows).toEqual([
      { text: 'great, really', textPair: 'she said "yes"', label: 'positive', target: 2, line: 2 },
      { text: 'two\nlines', textPair: 'b', label: 'negative', target: 0, line: 3 },
      { text: 'plain', textPair: 'c', label: 'neutral', target: 1, line: 6 },
    ]);
  });

  it('errors: wrong column count, bad header, bad quoting — with the line', () => {
    const bad = (text: string) => () => parseCsv(text, single, 'd.csv');
    expect(bad('text,label\na,positive\nb,negative,extra')).toThrow('d.csv: line 3: expected 2 columns (text, label), got 3');
    expect(bad('text,label\n"a\nb",positive\nc')).toThrow(/line 4: expected 2 columns/);
    expect(bad('text,labels\na,positive')).toThrow(/line 1: unexpected column "labels"/);
    expect(bad('text,text,label')).toThrow(/column "text" appears twice/);
    expect(bad('text_pair,label\na,positive')).toThrow(/no "text" column/);
    expect(bad('text,label\n"open,positive\nb,negative')).toThrow(/line 2: a quoted field is never closed/);
    expect(bad('text,label\na "b" c,positive')).toThrow(/line 2: a quote inside an unquoted field/);
    expect(bad('text,label\n"a"b,positive')).toThrow(/line 2: unexpected "b" after a closing quote/);
    expect(bad('text,label\n"",positive')).toThrow(/line 2: empty text/);
    expect(bad('text,label\nhi,great')).toThrow(/line 2: unknown label "great"/);
    expect(bad('text,label\n')).toThrow(/no examples after the header/);
    expect(bad('')).toThrow(/no header row/);
  });

  it('the record reader keeps empty fields and quoted CR/LF as data', () => {
    expect(parseCsvRecords('a,,b\n,\n"x\r\ny",""')).toEqual([
      { fields: ['a', '', 'b'], line: 1 },
      { fields: ['', ''], line: 2 },
      { fields: ['x\r\ny', ''], line: 3 },
    ]);
  });
});

describe('parseTrainingData', () => {
  it('picks CSV by file name or header, else TSV', () => {
    expect(parseTrainingData('text,label\nhi,positive', single)[0].text).toBe('hi');
    expect(parseTrainingData('hi,there\tpositive', single)[0].text).toBe('hi,there');
    expect(parseTrainingData('text,label\nhi,positive', single, { file: 'a.csv' })).toHaveLength(1);
    expect(() => parseTrainingData('text,label\nhi,positive', single, { file: 'a.tsv' })).toThrow(/line 1: expected 2 or 3 tab-separated/);
    expect(parseTrainingData('"text",label\n"a,b",positive', single)[0].text).toBe('a,b');
    expect(() => parseTrainingData('x', single, { format: 'xml' as 'csv' })).toThrow(/format must be/);
    expect(() => parseTrainingData('x\ty', { id2label: [], problemType: 'regression' })).toThrow(/id2label must be a non-empty/);
  });
});
