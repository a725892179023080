// The demo's CSV export (demo/src/csv.ts): RFC 4180 quoting, and no cell a spreadsheet would run as a formula
// (OWASP "CSV injection": a text cell starting with = + - @ TAB or CR gets a leading ').
import { describe, expect, it } from 'vitest';
import { csvField, toCsv } from '../../demo/src/csv.ts';
import { parseCsv } from '../e2e/harness.ts';

describe('demo CSV export', () => {
  it('text cells that a spreadsheet would evaluate are neutralised with a leading quote', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r']) {
      const cell = `${start}HYPERLINK("http://x.invalid","y")`;
      const field = csvField(cell);
      const [[parsed]] = parseCsv(`${field}\r\n`);
      expect(parsed, JSON.stringify(cell)).toBe(`'${cell}`);
    }
    // A label from config.json is a text cell like any other.
    const csv = toCsv([['text', 'label', 'score_=cmd|/c calc!A1'], ['hi', '=1+1', 0.5]]);
    const rows = parseCsv(csv);
    expect(rows).toEqual([['text', 'label', "score_=cmd|/c calc!A1"], ['hi', "'=1+1", '0.5']]);
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('keeps ordinary text and numbers as they are (a negative number is data, not a formula)', () => {
    expect(csvField('hello world')).toBe('hello world');
    expect(csvField(0.25)).toBe('0.25');
    expect(csvField(-1.5)).toBe('-1.5');
    expect(csvField("it's")).toBe("it's");
  });

  it('quotes commas, quotes and line breaks (RFC 4180) and round-trips through a CSV reader', () => {
    const cells = ['a,b', 'say "hi"', 'two\nlines', 'cr\rhere', '-5 minus', '=SUM(A1:A2)', ' =leading space'];
    const csv = toCsv([cells]);
    expect(csv.endsWith('\r\n')).toBe(true);
    const [row] = parseCsv(csv);
    expect(row).toEqual(cells.map((c) => (/^[=+\-@\t\r]/.test(c) ? `'${c}` : c)));
  });
});
