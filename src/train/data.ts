// Training data files → labelled examples, for `bertgpu train --data FILE` and the demo's "Teach it" panel.
//
// TSV (one example per line):  text<TAB>label   or   text<TAB>text_pair<TAB>label
// CSV (RFC 4180, csv.ts) with a header row naming the columns: text, label, and optionally text_pair (any order).
//
// The label column, by the model's problem type:
// - single_label_classification: one id2label name, exactly as in config.json (surrounding spaces ignored);
// - multi_label_classification: the names that apply, comma-separated (`sports,politics`), each at most once; an empty
//   label means "none of them";
// - regression: a number (num_labels = 1), or num_labels comma-separated numbers.
// Texts are kept as written (the tokenizer normalises); a text that is empty or only spaces is an error. A UTF-8 BOM is
// dropped, CRLF line ends are accepted, blank lines are skipped (TSV). Every error names the file, the line and the
// problem, and an unknown label lists the known ones.
import { CsvError, parseCsvRecords } from './csv.ts';
import type { ProblemType } from './save.ts';

export interface LabeledExample {
  text: string;
  textPair?: string;
  /** The label column as written (trimmed). */
  label: string;
  /** single-label: the class id; multi-label: 0/1 per label (id order); regression: the value(s), one per label. */
  target: number | number[];
  /** 1-based line in the file (CSV: where the record starts). */
  line: number;
}

export interface DataSpec {
  /** Label names by class id, from config.json (or the labels given for a fresh head). */
  id2label: readonly string[];
  problemType: ProblemType;
}

export interface ParseDataOptions {
  /** Named in errors. Default 'data'. */
  file?: string;
  /** 'auto' (default): CSV when the file name ends in .csv, or the first line is a header naming text and label. */
  format?: 'tsv' | 'csv' | 'auto';
}

export class DataError extends Error {
  override readonly name = 'DataError';
  constructor(message: string, readonly line?: number) {
    super(message);
  }
}

const MAX_LISTED_LABELS = 20;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function knownLabels(id2label: readonly string[]): string {
  const shown = id2label.slice(0, MAX_LISTED_LABELS).map((l) => JSON.stringify(l)).join(', ');
  return id2label.length > MAX_LISTED_LABELS ? `${shown}, … (${id2label.length} in all)` : shown;
}

function checkSpec(spec: DataSpec): Map<string, number> {
  if (typeof spec !== 'object' || spec === null || !Array.isArray(spec.id2label) || spec.id2label.length === 0) {
    throw new TypeError('data: spec.id2label must be a non-empty array of label names');
  }
  if (!['single_label_classification', 'multi_label_classification', 'regression'].includes(spec.problemType)) {
    throw new TypeError(`data: spec.problemType ${JSON.stringify(spec.problemType)} is not single_label_classification, multi_label_classification or regression`);
  }
  const ids = new Map<string, number>();
  spec.id2label.forEach((l, i) => {
    if (typeof l !== 'string') throw new TypeError(`data: id2label[${i}] must be a string`);
    if (spec.problemType === 'multi_label_classification' && l.includes(',')) {
      throw new TypeError(`data: label ${JSON.stringify(l)} contains a comma, which separates labels in multi-label data`);
    }
    if (!ids.has(l)) ids.set(l, i);
  });
  return ids;
}

/** The training target for one label field (already trimmed). `where` prefixes errors ("train.tsv: line 3"). */
export function labelTarget(label: string, spec: DataSpec, where: string, ids = checkSpec(spec)): number | number[] {
  const n = spec.id2label.length;
  if (spec.problemType === 'single_label_classification') {
    if (label === '') throw new DataError(`${where}: empty label (known labels: ${knownLabels(spec.id2label)})`);
    const id = ids.get(label);
    if (id === undefined) throw new DataError(`${where}: unknown label ${JSON.stringify(label)} (known labels: ${knownLabels(spec.id2label)})`);
    return id;
  }
  if (spec.problemType === 'multi_label_classification') {
    const hot = new Array<number>(n).fill(0);
    if (label === '') return hot;
    for (const raw of label.split(',')) {
      const name = raw.trim();
      const id = ids.get(name);
      if (id === undefined) {
        throw new DataError(`${where}: unknown label ${JSON.stringify(name)} in ${JSON.stringify(label)} (known labels: ${knownLabels(spec.id2label)}; ` +
          'multi-label: comma-separated names)');
      }
      if (hot[id] === 1) throw new DataError(`${where}: label ${JSON.stringify(name)} appears twice in ${JSON.stringify(label)}`);
      hot[id] = 1;
    }
    return hot;
  }
  const parts = label.split(',').map((p) => p.trim());
  if (parts.length !== n) {
    throw new DataError(`${where}: regression label ${JSON.stringify(label)} has ${parts.length} value(s), the model has ${n} output(s)` +
      (n > 1 ? ' (comma-separated numbers)' : ''));
  }
  const values = parts.map((p) => {
    const v = NUMBER.test(p) ? Number(p) : Number.NaN;
    if (!Number.isFinite(v)) throw new DataError(`${where}: regression label ${JSON.stringify(p)} is not a finite number`);
    return v;
  });
  return n === 1 ? values[0] : values;
}

function example(file: string, line: number, text: string, textPair: string | undefined, label: string, spec: DataSpec, ids: Map<string, number>): LabeledExample {
  const where = `${file}: line ${line}`;
  if (text.trim() === '') throw new DataError(`${where}: empty text`, line);
  if (textPair !== undefined && textPair.trim() === '') throw new DataError(`${where}: empty text_pair (leave the column out for a single text)`, line);
  const trimmed = label.trim();
  let target: number | number[];
  try {
    target = labelTarget(trimmed, spec, where, ids);
  } catch (e) {
    throw e instanceof DataError ? new DataError(e.message, line) : e;
  }
  return textPair === undefined ? { text, label: trimmed, target, line } : { text, textPair, label: trimmed, target, line };
}

/** TSV lines `text[<TAB>text_pair]<TAB>label`. */
export function parseTsv(content: string, spec: DataSpec, file = 'data'): LabeledExample[] {
  if (typeof content !== 'string') throw new TypeError(`${file}: data must be a string`);
  const ids = checkSpec(spec);
  const body = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  const out: LabeledExample[] = [];
  body.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const row = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (row.trim() === '') return;
    const cols = row.split('\t');
    if (cols.length !== 2 && cols.length !== 3) {
      throw new DataError(`${file}: line ${line}: expected 2 or 3 tab-separated columns (text[<TAB>text_pair]<TAB>label), got ${cols.length}` +
        (cols.length === 1 ? ' (no tab: is the file CSV, or are the tabs spaces?)' : ''), line);
    }
    out.push(cols.length === 2 ? example(file, line, cols[0], undefined, cols[1], spec, ids) : example(file, line, cols[0], cols[1], cols[2], spec, ids));
  });
  if (out.length === 0) throw new DataError(`${file}: no examples (the file is empty)`);
  return out;
}

const CSV_COLUMNS = ['text', 'text_pair', 'label'];

/** CSV with a header row: columns text, label and optionally text_pair, in any order. */
export function parseCsv(content: string, spec: DataSpec, file = 'data'): LabeledExample[] {
  const ids = checkSpec(spec);
  let records;
  try {
    records = parseCsvRecords(content, file);
  } catch (e) {
    throw e instanceof CsvError ? new DataError(e.message, e.line) : e;
  }
  if (records.length === 0) throw new DataError(`${file}: no header row (the file is empty)`);
  const [header, ...rows] = records;
  const names = header.fields.map((f) => f.trim().toLowerCase());
  const column = new Map<string, number>();
  names.forEach((name, i) => {
    if (!CSV_COLUMNS.includes(name)) {
      throw new DataError(`${file}: line ${header.line}: unexpected column ${JSON.stringify(header.fields[i])} in the header (expected text, label and optionally text_pair)`, header.line);
    }
    if (column.has(name)) throw new DataError(`${file}: line ${header.line}: column "${name}" appears twice in the header`, header.line);
    column.set(name, i);
  });
  for (const required of ['text', 'label']) {
    if (!column.has(required)) throw new DataError(`${file}: line ${header.line}: the header has no "${required}" column (got ${header.fields.map((f) => JSON.stringify(f)).join(', ')})`, header.line);
  }
  const pairAt = column.get('text_pair');
  const out = rows.map((r) => {
    if (r.fields.length !== names.length) {
      throw new DataError(`${file}: line ${r.line}: expected ${names.length} columns (${names.join(', ')}), got ${r.fields.length}`, r.line);
    }
    return example(file, r.line, r.fields[column.get('text')!], pairAt === undefined ? undefined : r.fields[pairAt], r.fields[column.get('label')!], spec, ids);
  });
  if (out.length === 0) throw new DataError(`${file}: no examples after the header`);
  return out;
}

/** TSV or CSV by `format` (see ParseDataOptions). */
export function parseTrainingData(content: string, spec: DataSpec, options: ParseDataOptions = {}): LabeledExample[] {
  const file = options.file ?? 'data';
  const format = options.format ?? 'auto';
  if (format === 'csv') return parseCsv(content, spec, file);
  if (format === 'tsv') return parseTsv(content, spec, file);
  if (format !== 'auto') throw new TypeError(`data: format must be 'tsv', 'csv' or 'auto', got ${JSON.stringify(format)}`);
  return looksLikeCsv(content, file) ? parseCsv(content, spec, file) : parseTsv(content, spec, file);
}

/** A .csv file name, or a first line without tabs that names the text and label columns. */
function looksLikeCsv(content: string, file: string): boolean {
  if (/\.csv$/i.test(file)) return true;
  if (/\.tsv$/i.test(file)) return false;
  const first = (content.charCodeAt(0) === 0xfeff ? content.slice(1) : content).split('\n', 1)[0].replace(/\r$/, '');
  if (first.includes('\t')) return false;
  const cols = first.split(',').map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
  return cols.includes('text') && cols.includes('label');
}
