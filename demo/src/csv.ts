// RFC 4180 CSV: fields with a comma, quote, CR or LF are quoted, quotes doubled; CRLF between records.
// Text cells come from the user and from the model's config.json (labels), so a spreadsheet must never run one as a
// formula (OWASP "CSV injection"): a text cell starting with = + - @ TAB or CR gets a leading ' and is quoted.
// Numbers are our own scores and stay numbers.

const formulaStart = /^[=+\-@\t\r]/;

export function csvField(v: string | number): string {
  if (typeof v === 'number') return String(v);
  const s = formulaStart.test(v) ? `'${v}` : v;
  return s !== v || /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: (string | number)[][]): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
