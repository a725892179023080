// A small strict RFC 4180 reader for training data (no CSV library is a dependency, and the format is small):
// records separated by CRLF or LF; a field is either unquoted (no `"`, no separator, no line break) or wrapped in
// double quotes, where `""` is one quote and commas and line breaks are data. Strict where spreadsheets' exports never
// need leniency: a quote inside an unquoted field, text after a closing quote, or a quote left open are errors naming
// the line, rather than guesses that would silently shift columns. A UTF-8 BOM at the start is dropped.

export interface CsvRecord {
  fields: string[];
  /** 1-based line of the file where the record starts (a quoted field may span lines). */
  line: number;
}

export class CsvError extends Error {
  override readonly name = 'CsvError';
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

/** Parses `text` into records. Empty lines (nothing between two line breaks) are skipped; `source` names the file in errors. */
export function parseCsvRecords(text: string, source = 'CSV', separator = ','): CsvRecord[] {
  if (typeof text !== 'string') throw new TypeError(`${source}: CSV content must be a string`);
  if (separator.length !== 1 || separator === '"' || separator === '\n' || separator === '\r') throw new TypeError(`bad CSV separator ${JSON.stringify(separator)}`);
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  const n = s.length;
  while (i < n) {
    // Skip empty lines between records.
    if (s[i] === '\n') { i++; line++; continue; }
    if (s[i] === '\r' && s[i + 1] === '\n') { i += 2; line++; continue; }
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (s[i] === '"') {
        const quoteLine = line;
        i++;
        for (;;) {
          if (i >= n) throw new CsvError(`${source}: line ${quoteLine}: a quoted field is never closed (a "" inside quotes is one quote)`, quoteLine);
          const c = s[i];
          if (c === '"') {
            if (s[i + 1] === '"') { field += '"'; i += 2; continue; }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        if (i < n && s[i] !== separator && s[i] !== '\n' && !(s[i] === '\r' && s[i + 1] === '\n')) {
          throw new CsvError(`${source}: line ${line}: unexpected ${JSON.stringify(s[i])} after a closing quote (expected "${separator}" or the end of the line)`, line);
        }
      } else {
        const from = i;
        while (i < n && s[i] !== separator && s[i] !== '\n' && !(s[i] === '\r' && s[i + 1] === '\n')) {
          if (s[i] === '"') throw new CsvError(`${source}: line ${line}: a quote inside an unquoted field (quote the whole field and double the quotes in it: "a ""b"" c")`, line);
          i++;
        }
        field = s.slice(from, i);
      }
      fields.push(field);
      if (i < n && s[i] === separator) { i++; continue; }
      // End of record: a line break or the end of the text.
      if (s[i] === '\r') { i += 2; line++; } else if (s[i] === '\n') { i += 1; line++; }
      break;
    }
    records.push({ fields, line: start });
  }
  return records;
}
